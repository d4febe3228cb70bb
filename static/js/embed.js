/*
 * Changfang CRM inquiry form for partner pages. Put this where the form should appear:
 *
 *   <script src="https://CRM-HOST/static/js/embed.js" data-site="PUBLIC_SITE_KEY" async></script>
 *
 * Optional attributes: data-listing="123" (the listing on this page), data-lang="en",
 * data-height="900" (pixels, until the form reports its own height),
 * data-section="listings" (the list of available listings instead of the form; it resizes
 * the same way). The page URL,
 * referrer and utm_* parameters of the page are passed along so the lead records where
 * it came from.
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !script.getAttribute("data-site")) { return; }
  var base = new URL(script.src, window.location.href);
  var listings = script.getAttribute("data-section") === "listings";
  var url = new URL(listings ? "/embed/listings" : "/embed/inquiry", base.origin);
  url.searchParams.set("site", script.getAttribute("data-site"));
  url.searchParams.set("page", window.location.href.slice(0, 1000));
  if (document.referrer) { url.searchParams.set("ref", document.referrer.slice(0, 1000)); }
  var here = new URLSearchParams(window.location.search);
  ["utm_source", "utm_medium", "utm_campaign"].forEach(function (name) {
    if (here.get(name)) { url.searchParams.set(name, here.get(name).slice(0, 100)); }
  });
  ["listing", "lang"].forEach(function (name) {
    var value = script.getAttribute("data-" + name);
    if (value) { url.searchParams.set(name, value); }
  });
  var frame = document.createElement("iframe");
  frame.src = url.toString();
  frame.title = script.getAttribute("data-title")
    || (listings ? "在租在售房源 / Available properties" : "询盘表单 / Inquiry form");
  frame.loading = "lazy";
  frame.setAttribute("width", "100%");
  frame.setAttribute("height", script.getAttribute("data-height") || "1100");
  frame.setAttribute("frameborder", "0");
  frame.className = listings ? "changfang-listings" : "changfang-inquiry";
  script.parentNode.insertBefore(frame, script.nextSibling);

  // The form reports its height (static/js/embed-frame.js): the frame takes it, so the
  // page scrolls as one. After a send (an error or the thank-you), the new page in the
  // frame is brought into view if the prospect had scrolled past its top.
  var pages = 0;
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (event.source !== frame.contentWindow || event.origin !== base.origin || !data
        || data.changfang !== "height" || typeof data.height !== "number") { return; }
    frame.setAttribute("height", String(Math.min(Math.max(Math.ceil(data.height), 200), 20000)));
    if (data.loaded && ++pages > 1 && frame.getBoundingClientRect().top < 0) {
      frame.scrollIntoView();
    }
  });
})();
