// Read a result aloud: every button with data-speak says its text (the whole result, not just the headline).
(function () {
  "use strict";
  function say(text) {
    try {
      if (window.speechSynthesis) {
        var u = new SpeechSynthesisUtterance(text);
        u.lang = "zh-CN"; u.rate = 0.8;
        window.speechSynthesis.cancel(); window.speechSynthesis.speak(u);
      }
    } catch (e) { /* speech is a help, not a requirement */ }
  }
  var buttons = document.querySelectorAll("[data-speak]");
  for (var i = 0; i < buttons.length; i++) {
    buttons[i].addEventListener("click", function (e) { say(e.currentTarget.getAttribute("data-speak")); });
  }
  if (buttons.length) { window.setTimeout(function () { say(buttons[0].getAttribute("data-speak")); }, 300); }
})();
