/* Tablecloth's small script. Pages work without it; it adds the ticking clock,
   the vibration at "move now", and the offline queue for posts. */
(function () {
  "use strict";
  var seen = new WeakMap();
  /* The page's words (shared.js); the English here is the fallback. */
  var t = window.Tablecloth.t, minutes = window.Tablecloth.minutes;

  function tick() {
    var clocks = document.querySelectorAll("[data-seconds-left]");
    for (var i = 0; i < clocks.length; i++) {
      var el = clocks[i];
      if (!seen.has(el)) seen.set(el, Date.now());
      var left = parseFloat(el.getAttribute("data-seconds-left"));
      if (el.getAttribute("data-paused") !== "true") left -= (Date.now() - seen.get(el)) / 1000;
      var out = el.querySelector(".clock-value") || el;
      var text = left > 0 ? minutes(Math.round(left)) : t("time_up", "Time is up");
      if (out.textContent !== text) out.textContent = text;
    }
    // The call to move comes down when its time is up (the server says how long it has).
    var calls = document.querySelectorAll("[data-for-seconds]");
    for (var j = 0; j < calls.length; j++) {
      var call = calls[j];
      if (!seen.has(call)) seen.set(call, Date.now());
      var keep = parseFloat(call.getAttribute("data-for-seconds")) * 1000;
      if (Date.now() - seen.get(call) >= keep) call.remove();
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

  /* A browser lets a page buzz the phone only once someone has tapped it. A page opened
     after the join form's redirect, or from a link, has not been: it asks for one tap, and
     stops asking at the first tap anywhere. */
  function askToBuzz() {
    var ask = document.querySelector(".buzz-ask");
    if (!ask || !navigator.vibrate) return;
    var active = navigator.userActivation && navigator.userActivation.hasBeenActive;
    if (active) return;
    ask.hidden = false;
    var ok = document.getElementById("buzz-ok");
    var done = function () {
      ask.hidden = true;
      document.removeEventListener("pointerdown", elsewhere);
      document.removeEventListener("keydown", elsewhere);
    };
    // A tap anywhere else does as well (the button's own tap ends in its click).
    var elsewhere = function (event) { if (event.target !== ok) done(); };
    document.addEventListener("pointerdown", elsewhere);
    document.addEventListener("keydown", elsewhere);
    if (ok) ok.addEventListener("click", function () {
      navigator.vibrate(60);
      done();
      var news = document.getElementById("board-news");
      if (news) news.textContent = t("buzz_on", "This phone will buzz when it is time to move.");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tick();
    askToBuzz();
    moveCall();
    window.setInterval(tick, 500);
    new MutationObserver(function () { moveCall(); tick(); })
      .observe(document.body, { childList: true, subtree: true });
  });
})();

/* The board on a phone: a character counter, drafts that survive live updates, and an
   outbox. Every post is kept on the phone (with its client id) until the server has it:
   when the phone is offline or the request fails, the card shows "Waiting to send" and is
   sent again when the connection returns. The server treats a repeat of the same client id
   as the same post, so a resend never makes a duplicate. */
(function () {
  "use strict";
  /* The page's words and the helpers shared with compose.js (shared.js). */
  var shared = window.Tablecloth;
  var t = shared.t, composeForm = shared.composeForm, csrf = shared.csrf, newId = shared.newId;
  var say = shared.say, swapAnswer = shared.swapAnswer, reason = shared.reason;
  var draftKey = shared.draftKey;
  var RETRY_MS = 8000;
  var SOON_MS = 1500;
  var flushing = false;

  function storage() {
    try { return window.localStorage; } catch (e) { return null; }
  }
  function read(key, fallback) {
    var s = storage();
    if (!s) return fallback;
    try { var v = JSON.parse(s.getItem(key)); return v === null ? fallback : v; } catch (e) { return fallback; }
  }
  function write(key, value) {
    var s = storage();
    if (!s) return;
    try {
      if (value === null) s.removeItem(key); else s.setItem(key, JSON.stringify(value));
    } catch (e) { /* full or private mode: the post still goes when online */ }
  }

  function boxKey(code) { return "tablecloth-outbox-" + code; }

  /* --- character counter ------------------------------------------------------------- */
  function count(area) {
    var out = document.getElementById(area.getAttribute("data-counter"));
    if (!out) return;
    var max = parseInt(area.getAttribute("data-max") || area.getAttribute("maxlength") || "0", 10);
    var used = area.value.replace(/\r\n/g, "\n").length;
    var left = max - used;
    var text = left <= 50
      ? t("count_left", "%(used)s of %(max)s characters (%(left)s left)", { used: used, max: max, left: left })
      : t("count", "%(used)s of %(max)s characters", { used: used, max: max });
    if (out.textContent !== text) out.textContent = text;
    out.classList.toggle("near", left <= 50);
  }

  /* --- drafts --------------------------------------------------------------------------- */
  function keepDraft(form) {
    var code = form.getAttribute("data-outbox");
    var area = form.querySelector("textarea[name=text]");
    if (!area) return;
    var kind = form.querySelector("input[name=kind]:checked");
    var evidence = form.querySelector("select[name=evidence_type]");
    var themes = [];
    var ticked = form.querySelectorAll("input[name=themes]:checked");
    for (var i = 0; i < ticked.length; i++) themes.push(ticked[i].value);
    write(draftKey(code), area.value.trim() ? {
      text: area.value, kind: kind ? kind.value : "", evidence: evidence ? evidence.value : "",
      themes: themes
    } : null);
  }

  function restoreDraft(form) {
    if (form.getAttribute("data-restored")) return;
    form.setAttribute("data-restored", "1");
    var ids = form.querySelectorAll("input[data-client-id]");
    for (var i = 0; i < ids.length; i++) if (!ids[i].value) ids[i].value = newId();
    var area = form.querySelector("textarea[name=text]");
    var draft = read(draftKey(form.getAttribute("data-outbox")), null);
    if (area && draft && !area.value) {
      area.value = draft.text || "";
      var kind = draft.kind && window.CSS && CSS.escape &&
        form.querySelector("input[name=kind][value=\"" + CSS.escape(draft.kind) + "\"]");
      if (kind) kind.checked = true;
      var evidence = form.querySelector("select[name=evidence_type]");
      if (evidence && draft.evidence) evidence.value = draft.evidence;
      var boxes = form.querySelectorAll("input[name=themes]");
      for (var j = 0; j < boxes.length; j++) {
        if ((draft.themes || []).indexOf(boxes[j].value) >= 0) boxes[j].checked = true;
      }
    }
    if (area) count(area);
  }

  function clearForm(form) {
    var area = form.querySelector("textarea[name=text]");
    if (area) { area.value = ""; count(area); }
    var ids = form.querySelectorAll("input[data-client-id]");
    for (var i = 0; i < ids.length; i++) ids[i].value = newId();
    write(draftKey(form.getAttribute("data-outbox")), null);
  }

  /* A blank form after a post was taken: the choices as the page first drew them, no text,
     a new client id; the error of an earlier refusal goes. */
  function freshForm(form) {
    form.reset();
    clearForm(form);
    var alerts = form.parentNode ? form.parentNode.querySelectorAll(".alert, .field-error") : [];
    for (var i = 0; i < alerts.length; i++) alerts[i].remove();
    var area = form.querySelector("textarea[name=text]");
    if (area) {
      area.removeAttribute("aria-invalid");
      area.setAttribute("aria-describedby", area.getAttribute("data-counter") || "");
    }
  }

  /* --- the outbox --------------------------------------------------------------------- */
  function items(code) { return read(boxKey(code), []); }
  function store(code, list) { write(boxKey(code), list.length ? list : null); render(code); }

  function upsert(code, item) {
    var list = items(code), found = false;
    for (var i = 0; i < list.length; i++) {
      if (list[i].id === item.id) { list[i] = item; found = true; }
    }
    if (!found) list.push(item);
    store(code, list);
  }

  function drop(code, id) {
    store(code, items(code).filter(function (it) { return it.id !== id; }));
  }

  function mark(code, id, state, message) {
    var list = items(code), changed = false;
    for (var i = 0; i < list.length; i++) {
      if (list[i].id === id) {
        changed = list[i].state !== state;
        list[i].state = state; list[i].message = message || "";
      }
    }
    store(code, list);
    // The outbox is drawn by this script; a screen reader hears of a card that could not go
    // through the page's live region, as it hears of the board's news.
    if (changed && SAID[state]) say(SAID[state] + (message ? " " + message : ""));
  }

  var SAID = {
    waiting: t("said_waiting", "Your card is waiting to send. It will go when the connection is back."),
    held: t("said_held", "Your card could not be saved just now. It will be sent again in a moment."),
    reload: t("said_reload", "Your card was not sent: please reload the page to send it."),
    failed: t("said_failed", "Your card was not sent.")
  };

  var LABELS = {
    sending: t("sending", "Sending…"),
    waiting: t("waiting", "Waiting to send. It will go when the connection is back."),
    held: t("held", "Not saved yet. It will be sent again in a moment."),
    reload: t("reload", "Not sent yet: please reload the page to send it."),
    failed: t("failed", "Not sent")
  };

  function render(code) {
    var box = document.getElementById("outbox");
    if (!box) return;
    var list = items(code);
    box.textContent = "";
    box.hidden = list.length === 0;
    list.forEach(function (item) {
      var li = document.createElement("li");
      li.className = "contribution outbox-item " + item.state;
      li.setAttribute("data-client-id", item.id);
      var status = document.createElement("p");
      status.className = "badge waiting";
      status.textContent = LABELS[item.state] || LABELS.waiting;
      var text = document.createElement("p");
      text.className = "card-text";
      text.textContent = item.text;
      li.appendChild(status);
      li.appendChild(text);
      if (item.state === "failed") {
        var why = document.createElement("p");
        why.className = "field-error";
        why.textContent = item.message || t("refused", "The board did not take it.");
        li.appendChild(why);
        var row = document.createElement("p");
        row.className = "row";
        row.appendChild(button(t("put_back", "Put it back to change it"), function () { putBack(code, item); }));
        row.appendChild(button(t("remove", "Remove"), function () { drop(code, item.id); }));
        li.appendChild(row);
      }
      box.appendChild(li);
    });
  }

  function button(label, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.className = "secondary";
    b.textContent = label;
    b.addEventListener("click", onClick);
    return b;
  }

  function putBack(code, item) {
    var form = composeForm();
    var area = form && form.querySelector("textarea[name=text]");
    if (area && !area.value) { area.value = item.text; count(area); area.focus(); }
    drop(code, item.id);
  }

  /* A new card can reach a phone twice: in the answer to its own post and over the live
     connection. Whichever comes second finds the card on the board and is dropped. */
  var ADDING = { afterbegin: 1, beforeend: 1, beforebegin: 1, afterend: 1 };
  document.addEventListener("htmx:before:swap", function (evt) {
    var tasks = (evt.detail && evt.detail.tasks) || [];
    for (var i = 0; i < tasks.length; i++) {
      var task = tasks[i];
      if (!task.fragment || !task.swapSpec || !ADDING[task.swapSpec.style]) continue;
      var cards = task.fragment.querySelectorAll("li.contribution[id]");
      for (var j = 0; j < cards.length; j++) {
        if (document.getElementById(cards[j].id)) cards[j].remove();
      }
    }
  });

  function flush() {
    var form = composeForm();
    if (!form || flushing || navigator.onLine === false) return;
    var code = form.getAttribute("data-outbox");
    // Typed cards go where htmx sends them (the form's own action, multipart, is for a
    // phone without this script and for cards with a photo or voice note: compose.js).
    var action = form.getAttribute("hx-post") || form.getAttribute("action");
    var list = items(code).filter(function (it) {
      return it.state === "waiting" || it.state === "held" ||
        (it.state === "sending" && Date.now() - it.at > RETRY_MS);
    });
    if (!list.length) return;
    flushing = true;
    var next = function (i) {
      if (i >= list.length) { flushing = false; return; }
      var item = list[i];
      mark(code, item.id, "sending");
      var body = new URLSearchParams(item.body);
      body.set("csrf_token", csrf());
      fetch(action, {
        method: "POST",
        body: body,
        credentials: "same-origin",
        headers: { "HX-Request": "true", "X-CSRF-Token": csrf() }
      }).then(function (response) {
        return response.text().then(function (html) {
          if (response.ok) {
            drop(code, item.id);
            swapAnswer(html);
          } else if (response.status === 403) {
            mark(code, item.id, "reload");
          } else if (response.status >= 500) {
            mark(code, item.id, "held");
          } else {
            mark(code, item.id, "failed", reason(html));
          }
          next(i + 1);
        });
      }).catch(function () {
        flushing = false;
        lost(code, item.id);
      });
    };
    next(0);
  }

  function fromForm(evt) {
    var ctx = evt.detail && evt.detail.ctx;
    var elt = ctx && ctx.sourceElement;
    if (!elt || !elt.matches || !elt.matches("form[data-outbox]")) return null;
    var body = new URLSearchParams(ctx.request.body || "");
    return { ctx: ctx, form: elt, code: elt.getAttribute("data-outbox"), body: body };
  }

  document.addEventListener("htmx:before:request", function (evt) {
    var f = fromForm(evt);
    if (!f) return;
    var id = f.body.get("client_id");
    if (!id) { id = newId(); f.body.set("client_id", id); f.ctx.request.body = f.body; }
    // Which page posts: its answer puts the card on this page, so the page's own live
    // connection is not sent a copy. (Kept in the outbox: sent later from another page,
    // that page's connection does get the card.)
    var root = document.getElementById("live-root");
    var page = root && root.getAttribute("data-page");
    if (page && !f.body.get("page")) { f.body.set("page", page); f.ctx.request.body = f.body; }
    // The round on the screen as it was written: the form is not drawn again at a rotation
    // (a half-written draft stays), so the page's "now" says which round this is. A post
    // kept in the outbox and sent after a rotation still goes to the board it was written for.
    var now = document.getElementById("now");
    var round = now && now.getAttribute("data-round");
    if (round) { f.body.set("round", round); f.ctx.request.body = f.body; }
    var kept = new URLSearchParams(f.body);
    kept.delete("csrf_token");
    var item = { id: id, text: f.body.get("text") || "", body: kept.toString(), at: Date.now(), state: "sending" };
    upsert(f.code, item);
    write(draftKey(f.code), null);
    if (navigator.onLine === false) {
      evt.preventDefault();
      mark(f.code, id, "waiting");
      clearForm(f.form);
    }
  });

  document.addEventListener("htmx:after:request", function (evt) {
    var f = fromForm(evt);
    if (!f) return;
    var id = f.body.get("client_id");
    var status = f.ctx.response && f.ctx.response.status;
    if (status === 403) mark(f.code, id, "reload");
    // The server could not store it just now (503: a full disk, a locked database): the
    // board stays as it is (the form's hx-status:5xx) and the card is sent again later.
    else if (status >= 500) { mark(f.code, id, "held"); clearForm(f.form); }
    else {
      drop(f.code, id);  // taken, or sent back with the reason in the form
      // Taken: the answer is the new card alone, so the form starts again here.
      if (status < 300 && (f.ctx.text || "").indexOf('id="compose"') < 0) freshForm(f.form);
    }
  });

  document.addEventListener("htmx:error", function (evt) {
    var f = fromForm(evt);
    if (!f || (f.ctx.response && f.ctx.response.status)) return;
    // No answer at all. Keep the post and free the form.
    lost(f.code, f.body.get("client_id"));
    clearForm(f.form);
  });

  /* A post that got no answer. Offline, it waits for the connection to come back. Online
     (the answer alone was lost, or the server was restarting), it is sent again in a second
     or two, and says so, rather than waiting for the next round of retries under words about
     a connection that is working. The same client id makes a repeat the same card. */
  var soon = null;
  function lost(code, id) {
    if (navigator.onLine === false) { mark(code, id, "waiting"); return; }
    mark(code, id, "held");
    if (soon === null) soon = window.setTimeout(function () { soon = null; flush(); }, SOON_MS);
  }

  document.addEventListener("input", function (evt) {
    var t = evt.target;
    if (t && t.matches && t.matches("textarea[data-counter]")) count(t);
    var form = t && t.closest && t.closest("form[data-outbox]");
    if (form) keepDraft(form);
  });
  document.addEventListener("change", function (evt) {
    var form = evt.target && evt.target.closest && evt.target.closest("form[data-outbox]");
    if (form) keepDraft(form);
  });

  function prepare() {
    var areas = document.querySelectorAll("textarea[data-counter]");
    for (var i = 0; i < areas.length; i++) count(areas[i]);
    var form = composeForm();
    if (form) { restoreDraft(form); render(form.getAttribute("data-outbox")); }
  }

  document.addEventListener("DOMContentLoaded", function () {
    prepare();
    flush();
    window.addEventListener("online", flush);
    document.addEventListener("htmx:ws:after:connection", flush);
    window.setInterval(flush, RETRY_MS);
    new MutationObserver(function () {
      var form = composeForm();
      if (form && !form.getAttribute("data-restored")) prepare();
    }).observe(document.body, { childList: true, subtree: true });
  });
})();

/* The next round sent ahead. A few seconds into a round the server draws the next one and
   sends each phone its part of it, as {"ahead": token, "html": ...}; the page keeps it out
   of sight. When the facilitator starts that round as planned, the phone is sent only
   {"go": token} and shows what it kept, just as if the table and board had come then. A go
   for something this page does not hold (it cannot happen over one connection) reloads. */
(function () {
  "use strict";
  var kept = null;

  document.addEventListener("htmx:ws:before:message:incoming", function (event) {
    var detail = event.detail || {};
    var data = detail.message && detail.message.data;
    if (typeof data !== "string" || data.charAt(0) !== "{") return;
    var message;
    try { message = JSON.parse(data); } catch (e) { return; }
    if (typeof message.ahead === "string") {
      kept = { token: message.ahead, html: String(message.html || "") };
      detail.cancelled = true;
      event.target.setAttribute("data-kept-ahead", message.ahead);
    } else if (typeof message.go === "string") {
      detail.cancelled = true;
      if (!kept || kept.token !== message.go || !window.htmx) { window.location.reload(); return; }
      var html = kept.html, root = event.target;
      kept = null;
      var swapped = window.htmx.swap({
        sourceElement: root, target: root, swap: "innerHTML swapEmpty:false", text: html,
        transition: false
      });
      // Should the swap fail, the page is drawn afresh rather than left on the old table.
      if (swapped && swapped.catch) swapped.catch(function () { window.location.reload(); });
      root.removeAttribute("data-kept-ahead");
      root.setAttribute("data-shown-ahead", message.go);
    }
  });
})();

/* A live push draws a part of the page again: the console at each join, card or call for
   help. Someone working by keyboard keeps their place: the control they were on gets the
   focus back in the new drawing, found by its id or else by what it is and what it does
   (its form, name, link and words). Without this the focus falls to the top of the page
   and the next Tab starts again from there. */
(function () {
  "use strict";
  var held = null;

  function key(el) {
    if (el.id) return "#" + el.id;
    var form = el.closest && el.closest("form");
    return [
      el.tagName,
      el.getAttribute("name") || "",
      el.getAttribute("href") || "",
      form ? form.getAttribute("action") || "" : "",
      (el.textContent || "").replace(/\s+/g, " ").trim()
    ].join("|");
  }

  document.addEventListener("htmx:before:swap", function (evt) {
    held = null;
    var active = document.activeElement;
    if (!active || active === document.body) return;
    var tasks = (evt.detail && evt.detail.tasks) || [];
    for (var i = 0; i < tasks.length; i++) {
      var target = tasks[i].target;
      if (target && target.contains && target.contains(active)) {
        held = { el: active, key: key(active) };
        return;
      }
    }
  });

  document.addEventListener("htmx:after:swap", function () {
    var was = held;
    held = null;
    if (!was || was.el.isConnected) return;
    var active = document.activeElement;
    if (active && active !== document.body) return; // moved on purpose by the page
    var found = null;
    if (was.key.charAt(0) === "#") {
      found = document.getElementById(was.key.slice(1));
    } else {
      var same = document.getElementsByTagName(was.el.tagName);
      for (var i = 0; i < same.length && !found; i++) {
        if (key(same[i]) === was.key) found = same[i];
      }
    }
    if (found && found.focus) found.focus({ preventScroll: true });
  });
})();
