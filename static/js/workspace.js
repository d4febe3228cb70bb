// The workspace's only script (no inline JS: a strict CSP forbids it).
// "Select all" for the bulk reassign checkboxes in the queue.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-select-all]")) return;
  document.querySelectorAll("input[name='lead_ids']").forEach(function (item) {
    item.checked = box.checked;
  });
});
