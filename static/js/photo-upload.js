// Photos from a phone take a while to send over a mobile network: once the form is sent,
// its button says so and cannot be tapped twice. Without this script the form works the same.
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches || !form.matches("form.photo-upload")) { return; }
    var input = form.querySelector("input[type=file]");
    if (!input || !input.files || input.files.length === 0) { return; }
    var button = form.querySelector("button[type=submit]");
    if (button) {
      button.disabled = true;
      button.textContent = button.getAttribute("data-busy") || button.textContent;
    }
  });
})();
