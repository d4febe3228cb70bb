/*
 * Inside the embed iframe: tell the partner page (static/js/embed.js) how tall this page
 * is, so the frame grows and shrinks with the form instead of scrolling inside the page,
 * which on a phone traps the prospect's thumb in a box within a page.
 */
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var last = 0;
  function report(loaded) {
    // The <html> box: the content's height, not at least the frame's as scrollHeight is.
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last && !loaded) { return; }
    last = height;
    // Only a height goes out, so any parent may read it.
    window.parent.postMessage({ changfang: "height", height: height, loaded: loaded }, "*");
  }
  window.addEventListener("load", function () { report(true); });
  if (window.ResizeObserver) {
    new ResizeObserver(function () { report(false); }).observe(document.documentElement);
  }
})();
