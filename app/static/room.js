/* A message from the facilitator on top of the phone page (issue 26): "Dismiss" takes it
   away, and a message dismissed once stays away when the page is drawn or pushed again. */
(function () {
  "use strict";
  var KEY = "tablecloth-dismissed-broadcast";

  function dismissed() {
    try { return window.sessionStorage.getItem(KEY) || ""; } catch (e) { return ""; }
  }

  function tidy() {
    var shown = document.querySelector("[data-broadcast]");
    if (shown && shown.getAttribute("data-broadcast") === dismissed()) shown.remove();
  }

  document.addEventListener("click", function (evt) {
    var button = evt.target && evt.target.closest && evt.target.closest("[data-dismiss-broadcast]");
    if (!button) return;
    try { window.sessionStorage.setItem(KEY, button.getAttribute("data-dismiss-broadcast")); } catch (e) { /* private mode */ }
    var shown = button.closest("[data-broadcast]");
    if (shown) shown.remove();
    var heading = document.getElementById("now-heading");
    if (heading) { heading.setAttribute("tabindex", "-1"); heading.focus(); }
  });
  document.addEventListener("DOMContentLoaded", tidy);
  document.addEventListener("htmx:after:swap", tidy);
})();
