// A form sent back with errors: bring the first one into view and put the cursor in its
// field. On a phone the page reloads at the top and the error may sit a screen below.
(function () {
  "use strict";
  function show() {
    var target = document.querySelector(".has-error") || document.querySelector("p.error") ||
      document.querySelector(".flash.error:not(.banner)");
    if (!target) { return; }
    target.scrollIntoView({ block: "center" });
    var input = target.matches("input, select, textarea") ? target :
      target.querySelector("input:not([type=hidden]), select, textarea");
    if (input) { input.focus({ preventScroll: true }); }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", show);
  } else { show(); }
})();
