// The recording page (issue 15): a bound, paced challenge.
// The server reveals each step (its prompt and its screen-light flashes) only when the
// recording reaches it; the recording streams to the server in 1-second chunks while it
// is made. Each prompt is spoken (pre-rendered audio, speechSynthesis only as a fallback),
// then the person gets a long, calm window; a step counter and a countdown show where
// they are. The start button hides while recording.
(function () {
  "use strict";
  var WORDS = {
    blink: "请眨眨眼",
    turn_left: "请慢慢把头转向左边",
    turn_right: "请慢慢把头转向右边",
    open_mouth: "请张张嘴",
    nod: "请点点头"
  };
  var AUDIO_BASE = (window.LIFECERT && window.LIFECERT.audioBase) || "/h5/static/audio/";
  var prompt = document.getElementById("prompt");
  var startBtn = document.getElementById("start");
  var preview = document.getElementById("preview");
  var light = document.getElementById("light");
  var stepBox = document.getElementById("step");
  var countdown = document.getElementById("countdown");
  var stream = null;
  var config = document.getElementById("lifecert-config");
  var retireeId = Number(config.getAttribute("data-retiree-id"));

  function speakFallback(text) {
    try {
      if (window.speechSynthesis) {
        var u = new SpeechSynthesisUtterance(text);
        u.lang = "zh-CN"; u.rate = 0.8;
        window.speechSynthesis.cancel(); window.speechSynthesis.speak(u);
      }
    } catch (e) { /* speech is a help, not a requirement */ }
  }

  // Pre-rendered audio first (WeChat's browser often has no zh-CN voice), then speech.
  function say(text, key) {
    prompt.textContent = text;
    if (key) {
      try {
        var a = new Audio(AUDIO_BASE + key + ".wav");
        var p = a.play();
        if (p && p.catch) { p.catch(function () { speakFallback(text); }); }
        return;
      } catch (e) { /* fall through */ }
    }
    speakFallback(text);
  }

  function api(method, url, body, type) {
    var opts = { method: method, credentials: "same-origin", headers: {} };
    if (body instanceof Blob) { opts.body = body; opts.headers["Content-Type"] = type || "application/octet-stream"; }
    else if (body) { opts.body = JSON.stringify(body); opts.headers["Content-Type"] = "application/json"; }
    return fetch(url, opts).then(function (r) {
      return r.json().then(function (j) { if (!r.ok) { j.status = r.status; throw j; } return j; });
    });
  }

  function setLight(rgb) {
    var c = "rgb(" + rgb.map(function (v) { return Math.round(v * 255); }).join(",") + ")";
    light.style.backgroundColor = c;
  }

  function showResult(headline, detail, ok, more) {
    more = more || {};
    startBtn.style.display = "none";
    document.getElementById("stage").style.display = "none";  // the result is all there is to read now
    prompt.style.display = "none";
    stepBox.style.display = "none"; countdown.style.display = "none";
    light.style.backgroundColor = "";
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
    // all of it, not the headline; a pass has its pre-rendered words, the rest is spoken in full
    say(more.spoken || [headline, detail, more.tip].filter(Boolean).join("。"), ok ? "result_passed" : null);
  }

  function poll(attemptId, tries) {
    api("GET", "/api/attempts/" + attemptId).then(function (a) {
      if (a.finished) { showResult(a.headline, a.detail, a.status === "passed", a); }
      else if (tries > 120) { showResult("还在核验中", "结果会通过微信通知您", true); }
      else { prompt.textContent = a.headline; setTimeout(function () { poll(attemptId, tries + 1); }, 1000); }
    }).catch(function (e) { showResult("出了点问题", (e && e.message) || "请稍后再试", false); });
  }

  function pickType() {
    var types = ["video/webm;codecs=vp8", "video/webm", "video/mp4"];
    for (var i = 0; i < types.length; i++) {
      if (window.MediaRecorder && MediaRecorder.isTypeSupported(types[i])) { return types[i]; }
    }
    return "";
  }

  function record(ch) {
    var type = pickType();
    var rec = new MediaRecorder(stream, type ? { mimeType: type } : undefined);
    var seq = 0, sending = Promise.resolve(), failed = null, t0 = 0, endS = null, shown = [];
    rec.ondataavailable = function (e) {
      if (!e.data || !e.data.size) { return; }
      var n = seq; seq += 1;
      var blob = e.data;
      sending = sending.then(function () { return api("PUT", ch.chunk_url + n, blob); })
        .catch(function (err) { failed = failed || err; });
    };
    rec.onstop = function () {
      light.style.backgroundColor = "";
      stepBox.textContent = ""; countdown.textContent = "";
      say("正在上传，请稍候", "uploading");
      sending.then(function () {
        if (failed) { throw failed; }
        return api("POST", ch.finish_url, { content_type: (rec.mimeType || type || "video/webm").split(";")[0], shown: shown });
      }).then(function (up) {
        return api("POST", "/api/attempts/" + up.attempt_id + "/submit");
      }).then(function (sub) {
        say("正在核验，请稍候", "verifying");
        poll(sub.attempt_id, 0);
      }).catch(function (e) { showResult("没有传上去", (e && e.message) || "请稍后再试", false); });
    };
    function now() { return (performance.now() - t0) / 1000; }
    function at(s, fn) { setTimeout(fn, Math.max(0, (s - now()) * 1000)); }

    function play(step) {
      step.flashes.forEach(function (f) {
        at(f.start_s, function () { setLight(f.rgb); });
        at(f.end_s, function () { setLight(step.base_rgb); });
      });
      at(step.shown_s, function () {
        shown.push({ step: step.step, at_s: now() });
        stepBox.textContent = "第" + (step.step + 1) + "步 / 共" + step.of + "步";
        say(WORDS[step.action] || step.action, step.action);
        var tick = setInterval(function () {
          var left = Math.ceil(step.window_end_s - now());
          countdown.textContent = left > 0 ? "还有 " + left + " 秒，慢慢来" : "";
          if (left <= 0) { clearInterval(tick); }
        }, 250);
      });
      if (step.end_s !== null && step.end_s !== undefined) {
        endS = step.end_s;
        at(endS, function () { if (rec.state === "recording") { rec.stop(); } });
      } else {
        // ask for the next step shortly before it is due; the server answers 425 until then
        at(step.window_end_s - 0.3, function () { fetchStep(step.step + 1, 0); });
      }
    }
    function fetchStep(k, tries) {
      api("GET", ch.step_url + k).then(play).catch(function (e) {
        if (e && e.status === 425 && tries < 40) { setTimeout(function () { fetchStep(k, tries + 1); }, 250); }
        else { if (rec.state === "recording") { rec.stop(); } showResult("出了点问题", (e && e.message) || "请重新开始", false); }
      });
    }
    api("POST", ch.start_url).then(function (first) {
      rec.start(Math.round(ch.chunk_s * 1000));
      t0 = performance.now();
      setLight(first.base_rgb);
      play(first);
    }).catch(function (e) { showResult("暂时不能认证", (e && e.message) || "请稍后再试", false); });
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
    startBtn.style.display = "none";  // nothing to press while recording
    api("POST", "/api/challenges", { retiree_id: retireeId })
      .then(function (c) {
        say("准备好了，听到提示后再慢慢做动作", "ready");
        setTimeout(function () { record(c); }, 2500);
      })
      .catch(function (e) { showResult("暂时不能认证", (e && e.message) || "请稍后再试", false); });
  });
})();
