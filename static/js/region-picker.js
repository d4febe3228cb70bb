// Region picker: every input[data-region-picker] becomes an ARIA 1.2 combobox over all
// ~3,300 places (GET /regions/search?q=…). Type characters (simplified or traditional),
// full pinyin or initials ("ks" → 昆山市); ↑/↓ move, Enter picks, Esc closes. Picking puts
// the place's full path ("江苏 / 苏州 / 昆山市") in the box, which the server reads back as
// the code; without this script the same box takes a name or a code.
(function () {
  "use strict";
  var counter = 0;

  function setup(input) {
    if (input.dataset.regionPickerReady) { return; }
    input.dataset.regionPickerReady = "1";
    var id = input.id || ("region-" + (++counter));
    input.id = id;
    var wrap = document.createElement("div");
    wrap.className = "region-picker";
    input.parentNode.insertBefore(wrap, input);
    wrap.appendChild(input);
    var list = document.createElement("ul");
    list.id = id + "-listbox";
    list.className = "region-options";
    list.setAttribute("role", "listbox");
    var label = input.labels && input.labels[0] ? input.labels[0].textContent.replace("*", "").trim() : "";
    list.setAttribute("aria-label", label + " · " + (input.dataset.suggestions || ""));
    list.hidden = true;
    wrap.appendChild(list);
    var status = document.createElement("div");
    status.className = "sr-only";
    status.setAttribute("role", "status");
    status.setAttribute("aria-live", "polite");
    wrap.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", list.id);
    var url = input.dataset.regionPicker || "/regions/search";
    var results = [], active = -1, timer = null, pending = null, lastQuery = null;

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var items = list.querySelectorAll("[role=option]");
      if (!items.length) { return; }
      active = (index + items.length) % items.length;
      for (var i = 0; i < items.length; i++) {
        items[i].setAttribute("aria-selected", i === active ? "true" : "false");
      }
      input.setAttribute("aria-activedescendant", items[active].id);
      items[active].scrollIntoView({ block: "nearest" });
    }

    function choose(index) {
      var place = results[index];
      if (!place) { return; }
      input.value = place.path;
      input.dataset.regionCode = place.code;
      close();
      status.textContent = place.path;
      input.dispatchEvent(new Event("change", { bubbles: true }));
    }

    function render() {
      list.innerHTML = "";
      results.forEach(function (place, i) {
        var item = document.createElement("li");
        item.id = id + "-option-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.dataset.code = place.code;
        var name = document.createElement("span");
        name.className = "region-name";
        name.textContent = place.name;
        var path = document.createElement("span");
        path.className = "region-path";
        path.textContent = place.path;
        item.appendChild(name);
        item.appendChild(path);
        // mousedown, not click: keep the focus in the box so blur does not close first.
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(item);
      });
      var open = results.length > 0;
      list.hidden = !open;
      input.setAttribute("aria-expanded", open ? "true" : "false");
      active = -1;
      input.removeAttribute("aria-activedescendant");
      status.textContent = results.length ?
        (input.dataset.found || "{n}").replace("{n}", results.length) : (input.dataset.none || "");
    }

    function lookup() {
      var q = input.value.trim();
      if (q === lastQuery) { return; }
      lastQuery = q;
      if (!q || q.indexOf(" / ") > 0) { results = []; render(); return; }
      if (pending) { pending.abort(); }
      pending = new AbortController();
      // The page's own place (a listing's), so its province ranks first.
      var near = input.dataset.regionNear ? "&near=" + encodeURIComponent(input.dataset.regionNear) : "";
      fetch(url + "?q=" + encodeURIComponent(q) + near, {
        signal: pending.signal, credentials: "same-origin", headers: { Accept: "application/json" }
      }).then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { results = data.results || []; render(); })
        .catch(function () { /* aborted or offline: the box still takes a typed name */ });
    }

    input.addEventListener("input", function () {
      delete input.dataset.regionCode;
      clearTimeout(timer);
      timer = setTimeout(lookup, 150);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { lastQuery = null; lookup(); } else { highlight(active + 1); }
      } else if (event.key === "ArrowUp") {
        if (!list.hidden) { event.preventDefault(); highlight(active - 1); }
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      }
    });
    input.addEventListener("blur", close);
  }

  function init(root) {
    (root || document).querySelectorAll("input[data-region-picker]").forEach(setup);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", function () { init(); });
  } else { init(); }
  document.addEventListener("htmx:afterSwap", function (event) { init(event.target); });
})();
