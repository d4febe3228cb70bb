/* Polls an export job's status and shows the download link when the file is ready. */
(function () {
  "use strict";
  var box = document.getElementById("export-job");
  if (!box) { return; }
  var url = box.getAttribute("data-status-url");
  var bar = document.getElementById("export-progress");
  var state = document.getElementById("export-state");
  var rows = document.getElementById("export-rows");
  var error = document.getElementById("export-error");
  var link = document.getElementById("export-download");
  var labels = { pending: state.textContent, running: state.textContent };

  function show(job) {
    bar.value = job.progress;
    bar.textContent = job.progress + "%";
    if (job.rows_total) { rows.textContent = job.rows_done + " / " + job.rows_total; }
    state.setAttribute("data-status", job.status);
    if (job.status === "done") {
      link.href = job.download_url;
      link.hidden = false;
      state.textContent = "✓";
    } else if (job.status === "failed") {
      error.textContent = job.error;
      error.hidden = false;
    } else {
      state.textContent = labels[job.status] || state.textContent;
    }
    return job.status === "done" || job.status === "failed";
  }

  function poll() {
    fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (job) { if (!show(job)) { setTimeout(poll, 1000); } })
      .catch(function () { setTimeout(poll, 3000); });
  }
  if (state.getAttribute("data-status") !== "done" && state.getAttribute("data-status") !== "failed") {
    poll();
  }
})();
