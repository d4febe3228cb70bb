// The workspace's only script (no inline JS: a strict CSP forbids it).
// "Select all" for the bulk reassign checkboxes in the queue.
document.addEventListener("change", function (event) {
  var box = event.target;
  if (!box.matches || !box.matches("input[data-select-all]")) return;
  document.querySelectorAll("input[name='lead_ids']").forEach(function (item) {
    item.checked = box.checked;
  });
});

// One tap copies a revealed mobile or WeChat ID (to paste into WeChat's "add friend").
document.addEventListener("click", function (event) {
  var button = event.target.closest ? event.target.closest("button[data-copy]") : null;
  if (!button || !navigator.clipboard) return;
  navigator.clipboard.writeText(button.getAttribute("data-copy")).then(function () {
    button.textContent = button.getAttribute("data-done");
  });
});
