// Keyboard navigation: j / k follow the page's next / previous links, t opens the thread.
// Pages work without it; it only adds shortcuts.
document.addEventListener("keydown", function (e) {
  if (e.altKey || e.ctrlKey || e.metaKey) return;
  var t = e.target;
  if (t && (t.tagName === "INPUT" || t.tagName === "TEXTAREA" || t.isContentEditable)) return;
  var link = document.querySelector('a[data-key="' + e.key + '"]');
  if (link) {
    e.preventDefault();
    window.location.href = link.href;
  }
});
