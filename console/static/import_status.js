// Import status: poll the progress; reload when the job is done (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var root = document.getElementById("import-progress");
  if (!root) { return; }
  var url = root.getAttribute("data-url");
  (function poll() {
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        document.getElementById("bar").style.width = s.percent + "%";
        if (s.state === "done" || s.state === "failed") { location.reload(); return; }
        document.getElementById("status-text").textContent = "正在导入，已处理 " + s.done + " / " + s.total;
        setTimeout(poll, 1000);
      })
      .catch(function () { setTimeout(poll, 3000); });
  })();
})();
