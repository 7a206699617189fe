/* A photo or a voice note with a new card (board/_compose_media.html). The page works
   without this script: the form then goes as multipart to /p/{code}/compose.

   With it, a card that has a photo or a voice note is sent by this script, not by htmx: it
   is kept on the phone first, in IndexedDB (files are too big for the text outbox's
   localStorage), with the form's client id, and sent from there. Offline, or when the
   answer is lost, it waits and is sent again when the connection returns; the server treats
   a repeat of the same client id as the same card, so it stores one card and one file.
   A refusal (413 too big, 415 not a photo or voice note, 422) is said on the page and the
   form keeps what was typed and chosen. A phone that can record (MediaRecorder) gets a
   record button with a timer and a stop button; one that cannot keeps the file field. */
(function () {
  "use strict";
  /* The page's words and the helpers shared with tablecloth.js's outbox (shared.js). */
  var shared = window.Tablecloth;
  var t = shared.t, minutes = shared.minutes, composeForm = shared.composeForm, csrf = shared.csrf;
  var newId = shared.newId, say = shared.say, swapAnswer = shared.swapAnswer, reason = shared.reason;
  var draftKey = shared.draftKey;
  var DB_NAME = "tablecloth-media-outbox";
  var STORE = "cards";
  var RETRY_MS = 8000;
  var MAX_RECORDING_S = 300;
  var MAX_LOST_ONLINE = 4;
  var flushing = false;

  /* --- IndexedDB ---------------------------------------------------------------------- */
  function openDb() {
    return new Promise(function (resolve, reject) {
      if (!window.indexedDB) { reject(new Error("no IndexedDB")); return; }
      var req = window.indexedDB.open(DB_NAME, 1);
      req.onupgradeneeded = function () { req.result.createObjectStore(STORE, { keyPath: "id" }); };
      req.onsuccess = function () { resolve(req.result); };
      req.onerror = function () { reject(req.error); };
    });
  }
  function withStore(mode, work) {
    return openDb().then(function (db) {
      return new Promise(function (resolve, reject) {
        var t = db.transaction(STORE, mode);
        var req = work(t.objectStore(STORE));
        t.oncomplete = function () { db.close(); resolve(req ? req.result : undefined); };
        t.onerror = t.onabort = function () { db.close(); reject(t.error || new Error("aborted")); };
      });
    });
  }
  function putItem(item) { return withStore("readwrite", function (s) { return s.put(item); }); }
  function dropItem(id) { return withStore("readwrite", function (s) { return s.delete(id); }); }
  function allItems(code) {
    return withStore("readonly", function (s) { return s.getAll(); }).then(function (list) {
      return (list || []).filter(function (it) { return it.code === code; })
        .sort(function (a, b) { return a.at - b.at; });
    });
  }
  function markItem(item, state, message) {
    item.state = state; item.message = message || "";
    return putItem(item).then(function () { render(item.code); });
  }

  /* --- the waiting list ---------------------------------------------------------------- */
  var LABELS = {
    sending: t("sending", "Sending…"),
    waiting: t("waiting", "Waiting to send. It will go when the connection is back."),
    held: t("held", "Not saved yet. It will be sent again in a moment."),
    reload: t("reload", "Not sent yet: please reload the page to send it."),
    failed: t("failed", "Not sent")
  };
  function what(item) {
    var photo = false, voice = false;
    item.files.forEach(function (f) { if (f.name === "photo") photo = true; else voice = true; });
    if (photo && voice) return t("card_photo_voice", "Card with a photo and a voice note");
    return photo ? t("card_photo", "Card with a photo") : t("card_voice", "Card with a voice note");
  }
  function listElement() {
    var list = document.getElementById("media-outbox");
    if (list) return list;
    var anchor = document.getElementById("outbox") || document.getElementById("board-slot");
    if (!anchor || !anchor.parentNode) return null;
    list = document.createElement("ul");
    list.id = "media-outbox";
    list.className = "cards outbox";
    list.setAttribute("aria-label", t("media_outbox", "Photos and voice notes waiting to send"));
    list.hidden = true;
    anchor.parentNode.insertBefore(list, anchor);
    return list;
  }
  function render(code) {
    return allItems(code).then(function (items) {
      var box = listElement();
      if (!box) return;
      box.textContent = "";
      box.hidden = items.length === 0;
      items.forEach(function (item) {
        var li = document.createElement("li");
        li.className = "contribution outbox-item " + item.state;
        li.setAttribute("data-client-id", item.id);
        var status = document.createElement("p");
        status.className = "badge waiting";
        status.textContent = LABELS[item.state] || LABELS.waiting;
        var note = document.createElement("p");
        note.className = "media-note";
        note.textContent = what(item);
        li.appendChild(status);
        li.appendChild(note);
        if (item.text) {
          var text = document.createElement("p");
          text.className = "card-text";
          text.textContent = item.text;
          li.appendChild(text);
        }
        if (item.state === "failed") {
          var why = document.createElement("p");
          why.className = "field-error";
          why.textContent = item.message || t("refused", "The board did not take it.");
          li.appendChild(why);
          var remove = document.createElement("button");
          remove.type = "button";
          remove.className = "secondary";
          remove.textContent = t("remove", "Remove");
          remove.addEventListener("click", function () { dropItem(item.id).then(function () { render(code); }); });
          li.appendChild(remove);
        }
        box.appendChild(li);
      });
    }).catch(function () { /* no IndexedDB: nothing is kept, nothing to show */ });
  }

  /* --- the form ------------------------------------------------------------------------ */
  function chosen(form) {
    var files = [];
    var photo = form.querySelector("input[name=photo]");
    if (photo && photo.files && photo.files.length) {
      files.push({ name: "photo", blob: photo.files[0], filename: photo.files[0].name || "photo" });
    }
    var voice = form.querySelector("input[name=voice]");
    if (form.tcVoice) {
      files.push({ name: "voice", blob: form.tcVoice, filename: form.tcVoiceName || "voice-note.webm" });
    } else if (voice && voice.files && voice.files.length) {
      files.push({ name: "voice", blob: voice.files[0], filename: voice.files[0].name || "voice-note" });
    }
    return files;
  }

  function showError(form, message) {
    var old = form.querySelector("#compose-error");
    if (!old) {
      old = document.createElement("p");
      old.className = "alert";
      old.id = "compose-error";
      old.setAttribute("role", "alert");
      form.insertBefore(old, form.querySelector("label[for=contribution-text]"));
    }
    old.textContent = message;
  }
  function clearError(form) {
    var old = form.querySelector("#compose-error");
    if (old) old.remove();
  }

  function wrongKind(files) {
    for (var i = 0; i < files.length; i++) {
      var f = files[i], type = f.blob.type || "";
      if (!type) continue;  // the server reads the file itself
      if (f.name === "photo" && type.indexOf("image/") !== 0) {
        return t("not_photo", "This is not a photo. Photos can be JPEG, PNG or WebP.");
      }
      if (f.name === "voice" && type.indexOf("audio/") !== 0) {
        return t("not_voice", "This is not a voice note. Voice notes can be M4A, MP3, WebM, Ogg or WAV.");
      }
    }
    return "";
  }

  function tooBig(files) {
    var limits = { photo: 8 * 1024 * 1024, voice: 10 * 1024 * 1024 };
    for (var i = 0; i < files.length; i++) {
      var f = files[i];
      if (f.blob.size > limits[f.name]) {
        return f.name === "photo"
          ? t("photo_large", "This photo is too large. Photos can be up to 8 MB.")
          : t("voice_large", "This voice note is too large. Voice notes can be up to 10 MB.");
      }
    }
    return "";
  }

  /* The form after its card was taken (or kept to send later): blank, a new client id, and
     no photo or recording. */
  function freshForm(form) {
    var code = form.getAttribute("data-outbox");
    form.reset();
    var ids = form.querySelectorAll("input[data-client-id]");
    for (var i = 0; i < ids.length; i++) ids[i].value = newId();
    try { window.localStorage.removeItem(draftKey(code)); } catch (e) { /* private mode */ }
    discardRecording(form);
    clearError(form);
    var area = form.querySelector("textarea[name=text]");
    if (area) area.dispatchEvent(new Event("input", { bubbles: true }));
    var status = document.getElementById("compose-media-status");
    if (status) status.textContent = "";
  }

  function itemOf(form, files) {
    var data = new FormData(form);
    var fields = [];
    data.forEach(function (value, key) {
      if (typeof value === "string" && key !== "csrf_token") fields.push([key, value]);
    });
    var id = data.get("client_id");
    if (!id) { id = newId(); fields.push(["client_id", id]); }
    var root = document.getElementById("live-root");
    var page = root && root.getAttribute("data-page");
    if (page) fields.push(["page", page]);
    var now = document.getElementById("now");
    var round = now && now.getAttribute("data-round");
    if (round) {
      fields = fields.filter(function (kv) { return kv[0] !== "round"; });
      fields.push(["round", round]);
    }
    return {
      id: String(id), code: form.getAttribute("data-outbox"), action: form.getAttribute("action"),
      fields: fields, files: files, text: String(data.get("text") || ""),
      state: "sending", message: "", at: Date.now()
    };
  }

  function bodyOf(item) {
    var body = new FormData();
    item.fields.forEach(function (kv) { body.append(kv[0], kv[1]); });
    body.append("csrf_token", csrf());
    item.files.forEach(function (f) { body.append(f.name, f.blob, f.filename); });
    return body;
  }

  /* One try at sending a kept card. Resolves to "sent", "refused" (with the reason),
     "reload", "held" or "lost". */
  function sendItem(item) {
    return fetch(item.action, {
      method: "POST",
      body: bodyOf(item),
      credentials: "same-origin",
      headers: { "HX-Request": "true", "X-CSRF-Token": csrf() }
    }).then(function (response) {
      return response.text().then(function (html) {
        if (response.ok) return { outcome: "sent", html: html };
        if (response.status === 403) return { outcome: "reload" };
        if (response.status >= 500) return { outcome: "held" };
        return { outcome: "refused", message: reason(html) || t("refused", "The board did not take it.") };
      });
    }, function () { return { outcome: "lost" }; });
  }

  function settle(item, result) {
    if (result.outcome === "sent") {
      return dropItem(item.id).then(function () {
        swapAnswer(result.html);
        say(t("sent", "Sent: your card is on the board."));
        return render(item.code);
      });
    }
    if (result.outcome === "refused") return markItem(item, "failed", result.message);
    if (result.outcome === "reload") return markItem(item, "reload");
    if (result.outcome === "held") return markItem(item, "held");
    if (navigator.onLine === false) return markItem(item, "waiting");
    // Online and no answer, again and again: the server may be closing the connection on a
    // file it refuses before the end (a body too big, not a photo), not the network.
    item.tries = (item.tries || 0) + 1;
    if (item.tries >= MAX_LOST_ONLINE) {
      return markItem(item, "failed", t("not_sent_media", "It could not be sent. The file may be too big, or not a photo or a voice note."));
    }
    return markItem(item, "held");
  }

  function submitted(form) {
    var files = chosen(form);
    if (!files.length) return false;
    var big = tooBig(files) || wrongKind(files);
    if (big) {
      showError(form, t("kept", "%(reason)s What you wrote is kept.", { reason: big }));
      return true;
    }
    clearError(form);
    var item = itemOf(form, files);
    var status = document.getElementById("compose-media-status");
    putItem(item).then(function () {
      if (navigator.onLine === false) {
        item.state = "waiting";
        return putItem(item).then(function () {
          freshForm(form);
          say(t("said_waiting", "Your card is waiting to send. It will go when the connection is back."));
          return render(item.code);
        });
      }
      if (status) status.textContent = t("sending", "Sending…");
      render(item.code);
      return sendItem(item).then(function (result) {
        if (status) status.textContent = "";
        if (result.outcome === "refused") {
          // Said in the form, which keeps the words, the photo and the recording.
          return dropItem(item.id).then(function () {
            showError(form, result.message);
            return render(item.code);
          });
        }
        if (result.outcome !== "reload") freshForm(form);
        return settle(item, result);
      });
    }).catch(function (err) {
      var full = err && (err.name === "QuotaExceededError" || /quota/i.test(String(err.message)));
      showError(form, full
        ? t("phone_full", "This phone has no room left to keep the card until it is sent. What you wrote is kept: try a smaller photo or a shorter voice note, or send it when the connection is back.")
        : t("phone_cannot_keep", "This phone could not keep the card to send it. What you wrote is kept: please try again."));
    });
    return true;
  }

  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    if (!form || !form.matches || !form.matches("form[data-outbox]")) return;
    if (submitted(form)) {
      // Before htmx sees it: htmx sends typed cards only.
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  function flush() {
    var form = composeForm();
    if (!form || flushing || navigator.onLine === false) return;
    var code = form.getAttribute("data-outbox");
    flushing = true;
    allItems(code).then(function (items) {
      var due = items.filter(function (it) {
        return it.state === "waiting" || it.state === "held" ||
          (it.state === "sending" && Date.now() - it.at > RETRY_MS);
      });
      var next = function (i) {
        if (i >= due.length) { flushing = false; return null; }
        var item = due[i];
        item.at = Date.now();
        return markItem(item, "sending").then(function () { return sendItem(item); })
          .then(function (result) { return settle(item, result); })
          .then(function () { return next(i + 1); });
      };
      return next(0);
    }).catch(function () { flushing = false; });
  }

  /* --- the recorder ------------------------------------------------------------------- */
  function discardRecording(form) {
    form.tcVoice = null;
    var box = form.querySelector("[data-recorder]");
    if (!box) return;
    var done = box.querySelector("[data-recorded]");
    var preview = box.querySelector("[data-preview]");
    if (preview && preview.src) { URL.revokeObjectURL(preview.src); preview.removeAttribute("src"); }
    if (done) done.hidden = true;
    var record = box.querySelector("[data-record]");
    if (record) record.hidden = false;
  }

  function setUpRecorder(form) {
    var box = form.querySelector("[data-recorder]");
    if (!box || box.getAttribute("data-ready")) return;
    box.setAttribute("data-ready", "1");
    var can = navigator.mediaDevices && navigator.mediaDevices.getUserMedia && window.MediaRecorder;
    if (!can) return;  // the file field stays: choose a recording made with another app
    var upload = form.querySelector("[data-voice-upload]");
    var record = box.querySelector("[data-record]");
    var stop = box.querySelector("[data-stop]");
    var timer = box.querySelector("[data-timer]");
    var value = box.querySelector("[data-timer-value]");
    var done = box.querySelector("[data-recorded]");
    var length = box.querySelector("[data-recorded-length]");
    var preview = box.querySelector("[data-preview]");
    var status = document.getElementById("compose-media-status");
    var recorder = null, started = 0, ticking = null;
    box.hidden = false;
    if (upload) upload.hidden = true;

    function tick() {
      var s = (Date.now() - started) / 1000;
      value.textContent = minutes(s);
      if (s >= MAX_RECORDING_S && recorder && recorder.state === "recording") recorder.stop();
    }
    record.addEventListener("click", function () {
      navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
        var chunks = [];
        recorder = new MediaRecorder(stream);
        recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
        recorder.onstop = function () {
          window.clearInterval(ticking);
          stream.getTracks().forEach(function (t) { t.stop(); });
          var type = (recorder.mimeType || "audio/webm").split(";")[0];
          var seconds = (Date.now() - started) / 1000;
          form.tcVoice = new Blob(chunks, { type: type });
          form.tcVoiceName = "voice-note." + (type.indexOf("mp4") >= 0 ? "m4a" : type.indexOf("ogg") >= 0 ? "ogg" : "webm");
          timer.hidden = true;
          stop.hidden = true;
          record.hidden = true;
          preview.src = URL.createObjectURL(form.tcVoice);
          length.textContent = minutes(seconds);
          done.hidden = false;
          if (status) status.textContent = t("voice_ready", "Voice note ready, %(time)s long. It goes with the card when you add it.", { time: minutes(seconds) });
          var discard = box.querySelector("[data-discard]");
          if (discard) discard.focus();
        };
        started = Date.now();
        recorder.start(1000);
        value.textContent = "0:00";
        timer.hidden = false;
        stop.hidden = false;
        record.hidden = true;
        ticking = window.setInterval(tick, 500);
        if (status) status.textContent = t("recording", "Recording. Press Stop recording when you have finished.");
        stop.focus();
      }, function () {
        if (status) status.textContent = t("no_microphone", "This phone did not let the page use the microphone. You can choose a recording instead.");
        if (upload) upload.hidden = false;
      });
    });
    stop.addEventListener("click", function () {
      if (recorder && recorder.state === "recording") recorder.stop();
    });
    var discard = box.querySelector("[data-discard]");
    if (discard) discard.addEventListener("click", function () {
      discardRecording(form);
      if (status) status.textContent = t("voice_removed", "The voice note was removed.");
      record.focus();
    });
  }

  /* --- the host's table story follows the round ------------------------------------------ */
  var shownRound = null;
  function roundChanged() {
    var now = document.getElementById("now");
    var round = now ? now.getAttribute("data-round") : null;
    if (shownRound !== null && round !== shownRound) {
      document.body.dispatchEvent(new CustomEvent("tablecloth:round", { bubbles: true }));
    }
    shownRound = round;
  }

  function prepare() {
    var form = composeForm();
    if (form) setUpRecorder(form);
    roundChanged();
  }

  document.addEventListener("DOMContentLoaded", function () {
    prepare();
    var form = composeForm();
    if (form) render(form.getAttribute("data-outbox"));
    flush();
    window.addEventListener("online", flush);
    document.addEventListener("htmx:ws:after:connection", flush);
    window.setInterval(flush, RETRY_MS);
    new MutationObserver(prepare).observe(document.body, { childList: true, subtree: true, attributes: true, attributeFilter: ["data-round"] });
  });
})();
