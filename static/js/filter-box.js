// The listing filters and the inquiry form's "more requirements" fold on a phone (what
// matters comes first); on a wider screen they stand open.
(function () {
  "use strict";
  function open() {
    if (window.matchMedia("(min-width: 700px)").matches) {
      document.querySelectorAll("details.filter-box, details.fold-narrow").forEach(function (box) { box.open = true; });
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", open);
  } else { open(); }
})();
