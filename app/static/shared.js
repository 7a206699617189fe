/* What the page scripts share (tablecloth.js, compose.js, read_aloud.js), written once:
   the page's words and a few small helpers, as `window.Tablecloth`. base.html loads this
   first, deferred like the others, so on every page it has run before any of them (deferred
   scripts run in the order they appear). A plain script: there is no build step. */
window.Tablecloth = (function () {
  "use strict";

  /* The scripts' words in the page's language (app/kit/js_strings.py, in #tc-strings).
     Each script passes its English with the key, so a word the page lacks still shows. */
  var WORDS = (function () {
    try { return JSON.parse(document.getElementById("tc-strings").textContent) || {}; } catch (e) { return {}; }
  })();

  /* A word by its key, with `%(name)s` filled in from vars. */
  function t(key, english, vars) {
    var text = WORDS[key] || english;
    if (vars) Object.keys(vars).forEach(function (k) { text = text.split("%(" + k + ")s").join(vars[k]); });
    return text;
  }

  /* A length of time as the phone shows it: "4:05" (whole seconds, counted down). */
  function minutes(seconds) {
    seconds = Math.floor(seconds);
    var m = Math.floor(seconds / 60), s = seconds % 60;
    return m + ":" + (s < 10 ? "0" : "") + s;
  }

  /* The board's compose form, where the phone page has one. */
  function composeForm() { return document.querySelector("form[data-outbox]"); }

  function csrf() {
    var field = document.querySelector("input[name=csrf_token]");
    return field ? field.value : "";
  }

  /* A card's client id: the server treats a repeat of it as the same card, so a resend
     never makes a duplicate. Random enough where crypto.randomUUID is missing (http). */
  function newId() {
    var c = window.crypto;
    if (c && c.randomUUID) { try { return c.randomUUID(); } catch (e) { /* insecure context */ } }
    var bytes = new Uint8Array(16);
    if (c && c.getRandomValues) c.getRandomValues(bytes);
    else for (var i = 0; i < 16; i++) bytes[i] = Math.floor(Math.random() * 256);
    var hex = "";
    for (var j = 0; j < bytes.length; j++) hex += (bytes[j] < 16 ? "0" : "") + bytes[j].toString(16);
    return hex;
  }

  /* Where a phone keeps the card being written for the café `code` (a draft survives a
     reload or a closed tab until it is sent or the form is cleared). */
  function draftKey(code) { return "tablecloth-draft-" + code; }

  /* News for a screen reader, in the board's live region. */
  function say(text) {
    var news = document.getElementById("board-news");
    if (news) news.textContent = text;
  }

  /* An answer to a card sent by a script (not by htmx): the new card for the top of the
     board (or the whole board), put in place the way htmx puts the answer to the form. */
  function swapAnswer(html) {
    var slot = document.getElementById("board-slot");
    if (!slot || !window.htmx || !window.htmx.swap) return;
    window.htmx.swap({ sourceElement: slot, target: slot, swap: "innerHTML", text: html });
  }

  /* Why the server refused a card: the alert in its answer, in the page's language. */
  function reason(html) {
    var doc = new DOMParser().parseFromString(html, "text/html");
    var alert = doc.querySelector("#compose .alert, .alert, .error-page p");
    return alert ? alert.textContent.trim() : "";
  }

  return {
    t: t,
    minutes: minutes,
    composeForm: composeForm,
    csrf: csrf,
    newId: newId,
    draftKey: draftKey,
    say: say,
    swapAnswer: swapAnswer,
    reason: reason
  };
})();
