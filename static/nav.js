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

// On a thread page opened for one message, bring that message into view.
document.addEventListener("DOMContentLoaded", function () {
  if (window.location.hash) return;
  var marked = document.querySelector("article.marked");
  if (marked && marked.previousElementSibling && marked.previousElementSibling.tagName === "ARTICLE") {
    marked.scrollIntoView();
  }
});
