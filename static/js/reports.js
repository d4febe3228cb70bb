/* Draws every report chart from the JSON block named by its data-chart attribute.
   No inline script: the pages run under a Content-Security-Policy without 'unsafe-inline'. */
(function () {
  "use strict";
  if (typeof echarts === "undefined") { return; }
  var locale = document.documentElement.lang === "en" ? "EN" : "ZH";
  var charts = [];

  // Labels that fit: a page address loses its scheme and keeps its host and the end of
  // its path ("zj.example.cn…/changxing-factory"), other text is cut at the end.
  function shorten(text, max) {
    text = String(text).replace(/^https?:\/\/(www\.)?/, "");
    if (text.length <= max) { return text; }
    var slash = text.indexOf("/");
    if (slash > 0 && slash < text.length - 1) {
      var host = text.slice(0, slash), tail = text.slice(text.lastIndexOf("/"));
      if (tail.length > max / 2) { tail = "…" + tail.slice(tail.length - Math.floor(max / 2)); }
      return host + "…" + tail;
    }
    return text.slice(0, max - 1) + "…";
  }

  function funnelOption(spec) {
    var data = spec.categories.map(function (name, i) {
      return { name: name, value: spec.series[0].data[i] };
    });
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c}" },
      series: [{
        type: "funnel", sort: "none", left: "8%", width: "84%", top: 10, bottom: 10,
        minSize: "12%", gap: 2, label: { position: "inside", formatter: "{b}  {c}" },
        data: data
      }]
    };
  }

  function pieOption(spec, narrow) {
    var data = spec.categories.map(function (name, i) {
      return { name: name, value: spec.series[0].data[i] };
    });
    return {
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { type: "scroll", bottom: 0 },
      // Labels only where there is room; the legend and the table name every slice.
      series: [{ type: "pie", radius: narrow ? ["30%", "60%"] : ["35%", "68%"],
                 center: ["50%", "45%"], data: data, avoidLabelOverlap: true,
                 labelLayout: { hideOverlap: true }, minShowLabelAngle: 8,
                 label: { show: !narrow, formatter: function (p) { return shorten(p.name, 10); } } }]
    };
  }

  function axisOption(spec, narrow) {
    var horizontal = !!spec.horizontal;
    var secondAxis = spec.series.some(function (s) { return s.axis === 1; });
    var percent = spec.series.some(function (s) { return s.axis === 1 && s.percent; });
    var category = {
      type: "category", data: spec.categories, inverse: horizontal,
      axisLabel: { hideOverlap: true, formatter: function (v) { return shorten(v, horizontal ? 18 : 12); } }
    };
    var values = [{ type: "value" }];
    if (secondAxis) {
      values.push({ type: "value", splitLine: { show: false },
                    axisLabel: { formatter: percent ? "{value}%" : "{value}" } });
    }
    var series = spec.series.map(function (s) {
      var type = s.type || (spec.kind === "line" ? "line" : "bar");
      var out = { name: s.name, type: type, data: s.data, stack: s.stack || undefined,
                  emphasis: { focus: "series" } };
      if (type === "line") { out.smooth = true; out.showSymbol = spec.categories.length < 40; }
      if (!horizontal) { out.yAxisIndex = s.axis || 0; }
      return out;
    });
    return {
      tooltip: { trigger: "axis", confine: true },
      legend: { type: "scroll", top: 0 },
      grid: { left: 8, right: 12, top: 36, bottom: 8, containLabel: true },
      xAxis: horizontal ? values[0] : category,
      yAxis: horizontal ? category : values,
      dataZoom: !horizontal && spec.categories.length > (narrow ? 14 : 40)
        ? [{ type: "inside" }] : undefined,
      series: series
    };
  }

  function option(spec) {
    var narrow = window.innerWidth < 600;
    if (spec.kind === "funnel") { return funnelOption(spec); }
    if (spec.kind === "pie") { return pieOption(spec, narrow); }
    return axisOption(spec, narrow);
  }

  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var block = document.getElementById(el.getAttribute("data-chart"));
    if (!block) { return; }
    var spec = JSON.parse(block.textContent);
    if (!spec.categories || spec.categories.length === 0) {
      el.classList.add("chart-empty");
      return;
    }
    var chart = echarts.init(el, null, { locale: locale, renderer: "canvas" });
    chart.setOption(option(spec));
    charts.push(chart);
  });

  var pending = null;
  window.addEventListener("resize", function () {
    clearTimeout(pending);
    pending = setTimeout(function () { charts.forEach(function (c) { c.resize(); }); }, 150);
  });
})();
