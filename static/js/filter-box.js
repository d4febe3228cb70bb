// The listing filters fold on a phone (the properties come first); on a wider screen they
// stand open, with no summary to tap.
(function () {
  "use strict";
  function open() {
    if (window.matchMedia("(min-width: 700px)").matches) {
      document.querySelectorAll("details.filter-box").forEach(function (box) { box.open = true; });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", open);
  } else { open(); }
})();
