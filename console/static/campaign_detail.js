// Campaign detail: poll the progress and update the bar (no inline script: the CSP forbids it).
(function () {
  "use strict";
  var root = document.getElementById("campaign-progress");
  if (!root) { return; }
  var url = root.getAttribute("data-url");
  (function poll() {
    fetch(url, {credentials: "same-origin"})
      .then(function (r) { return r.json(); })
      .then(function (s) {
        document.getElementById("bar").style.width = s.percent + "%";
        document.getElementById("campaign-status").textContent = s.status_label;
        if (s.status === "sending") { setTimeout(poll, 2000); }
      }).catch(function () { setTimeout(poll, 5000); });
  })();
})();
