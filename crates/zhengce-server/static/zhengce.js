// zhengce web UI: print buttons (the pages work without this file).
document.addEventListener("click", function (e) {
  var t = e.target;
  if (t && t.closest && t.closest("[data-print]")) {
    window.print();
  }
});
