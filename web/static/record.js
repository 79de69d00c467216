// The recording page: one instruction at a time, spoken and shown large; at most 10 seconds.
(function () {
  "use strict";
  var WORDS = {
    blink: "请眨眨眼",
    turn_left: "请慢慢把头转向左边",
    turn_right: "请慢慢把头转向右边",
    open_mouth: "请张张嘴",
    nod: "请点点头"
  };
  var STEP_MS = 2800, MAX_MS = 10000;
  var prompt = document.getElementById("prompt");
  var startBtn = document.getElementById("start");
  var preview = document.getElementById("preview");
  var stream = null;
  var config = document.getElementById("lifecert-config");
  var retireeId = Number(config.getAttribute("data-retiree-id"));

  function say(text) {
    prompt.textContent = text;
    try {
      if (window.speechSynthesis) {
        var u = new SpeechSynthesisUtterance(text);
        u.lang = "zh-CN"; u.rate = 0.8;
        window.speechSynthesis.cancel(); window.speechSynthesis.speak(u);
      }
    } catch (e) { /* speech is a help, not a requirement */ }
  }

  function api(method, url, body, type) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (body instanceof Blob) { opts.body = body; opts.headers["Content-Type"] = type; }
    else if (body) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
    return fetch(url, opts).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) { throw j; } return j; });
    });
  }

  function showResult(headline, detail, ok, more) {
    more = more || {};
    startBtn.style.display = "none";
    document.getElementById("stage").style.display = "none";  // the result is all there is to read now
    prompt.style.display = "none";
    if (stream) { stream.getTracks().forEach(function (t) { t.stop(); }); }
    var box = document.getElementById("result");
    var h = document.getElementById("headline");
    h.textContent = headline; h.className = "big " + (ok ? "ok" : "bad");
    document.getElementById("detail").textContent = detail;
    document.getElementById("tip").textContent = more.tip || "";
    // passed: nothing more to do; otherwise the ways on (再试一次 only where trying again can help)
    document.getElementById("ways-on").style.display = ok ? "none" : "block";
    box.querySelector(".retry").style.display = more.retry === false ? "none" : "block";
    box.style.display = "block";
    say(more.spoken || [headline, detail, more.tip].filter(Boolean).join("。"));  // all of it, not the headline
  }

  function poll(attemptId, tries) {
    api("GET", "/api/attempts/" + attemptId).then(function (a) {
      if (a.finished) { showResult(a.headline, a.detail, a.status === "passed", a); }
      else if (tries > 120) { showResult("还在核验中", "结果会通过微信通知您", true); }
      else { prompt.textContent = a.headline; setTimeout(function () { poll(attemptId, tries + 1); }, 1000); }
    }).catch(function (e) { showResult("出了点问题", (e && e.message) || "请稍后再试", false); });
  }

  function pickType() {
    var types = ["video/mp4", "video/webm;codecs=vp8", "video/webm"];
    for (var i = 0; i < types.length; i++) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(types[i])) { return types[i]; }
    }
    return "";
  }

  function record(challenge) {
    var type = pickType();
    var rec = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    var chunks = [];
    rec.ondataavailable = function (e) { if (e.data && e.data.size) { chunks.push(e.data); } };
    rec.onstop = function () {
      var blob = new Blob(chunks, { type: (rec.mimeType || type || "video/webm").split(";")[0] });
      say("正在上传，请稍候");
      api("PUT", challenge.upload_url, blob, blob.type).then(function (up) {
        return api("POST", "/api/attempts/" + up.attempt_id + "/submit");
      }).then(function (sub) {
        say("正在核验，请稍候");
        poll(sub.attempt_id, 0);
      }).catch(function (e) { showResult("没有传上去", (e && e.message) || "请稍后再试", false); });
    };
    rec.start(500);
    var steps = challenge.actions.slice();
    var i = 0;
    function next() {
      if (i < steps.length) { say(WORDS[steps[i]] || steps[i]); i += 1; setTimeout(next, STEP_MS); }
      else { rec.stop(); }
    }
    next();
    setTimeout(function () { if (rec.state === "recording") { rec.stop(); } }, MAX_MS);
  }

  navigator.mediaDevices.getUserMedia({ video: { facingMode: "user", width: 640, height: 480 }, audio: false })
    .then(function (s) { stream = s; preview.srcObject = s; })
    .catch(function () {
      // camera denied or missing: a page that says how to allow it in WeChat, and the offline ways
      say("打不开摄像头，请在微信里允许使用摄像头"); startBtn.disabled = true;
      window.location.href = config.getAttribute("data-camera-help");
    });

  startBtn.addEventListener("click", function () {
    startBtn.disabled = true;
    api("POST", "/api/challenges", { retiree_id: retireeId })
      .then(function (c) { say("准备好了，跟着提示做"); setTimeout(function () { record(c); }, 1200); })
      .catch(function (e) { showResult("暂时不能认证", (e && e.message) || "请稍后再试", false); });
  });
})();
