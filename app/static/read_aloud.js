/* Read aloud: where a part of a material has no recording, the phone's own voice reads its
   words (the browser's speech synthesis: nothing leaves the phone). The controls are hidden
   in the page and shown only here, so without JavaScript (or speech) nobody meets a button
   that does nothing. */
(function () {
  "use strict";
  /* The page's words (shared.js); the English here is the fallback. */
  var t = window.Tablecloth.t;
  function start() {
    var speech = window.speechSynthesis;
    if (!speech || typeof window.SpeechSynthesisUtterance !== "function") return;
    var boxes = document.querySelectorAll(".read-aloud");
    var current = null; // the box whose words are being read
    function say(box, text) { box.querySelector(".read-aloud-status").textContent = text; }
    function label(box, text) {
      var play = box.querySelector(".read-aloud-play");
      play.firstChild.textContent = text;
    }
    function reset(box) { label(box, t("read_aloud", "Read aloud")); say(box, ""); }
    boxes.forEach(function (box) {
      box.hidden = false;
      var play = box.querySelector(".read-aloud-play");
      var stop = box.querySelector(".read-aloud-stop");
      var speed = box.querySelector(".read-aloud-speed");
      play.addEventListener("click", function () {
        if (current === box && speech.speaking && !speech.paused) {
          speech.pause(); label(box, t("carry_on", "Carry on")); say(box, t("paused", "Paused."));
          return;
        }
        if (current === box && speech.paused) {
          speech.resume(); label(box, t("pause", "Pause")); say(box, t("reading", "Reading."));
          return;
        }
        speech.cancel();
        if (current && current !== box) reset(current);
        var words = new window.SpeechSynthesisUtterance(box.getAttribute("data-speak"));
        words.lang = box.getAttribute("data-lang") || document.documentElement.lang || "en";
        words.rate = parseFloat(speed.value) || 1;
        words.onend = function () { if (current === box) { reset(box); say(box, t("finished", "Finished.")); current = null; } };
        current = box;
        speech.speak(words);
        label(box, t("pause", "Pause")); say(box, t("reading", "Reading."));
      });
      stop.addEventListener("click", function () {
        if (current === box) { speech.cancel(); current = null; }
        reset(box);
      });
      speed.addEventListener("change", function () {
        // A new speed takes effect from the start of the part: speech cannot change pace midway.
        if (current === box) { speech.cancel(); current = null; reset(box); play.click(); }
      });
    });
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
