/* The display board: a clock on the server's time; each call announced with a highlight,
   a chime (Web Audio) and a French voice (speechSynthesis), one after the other; the
   services shown by pages when they do not all fit; the open/closed badge asked again at
   the next opening or closing time; and the sound's state told to the server (the
   manager sees "son bloqué"; the room sees nothing). The live regions themselves are
   swapped by htmx's ws extension. */
(function () {
  "use strict";

  var RETRIED_BY_HTMX = [1006, 1011, 1012, 1013]; // close codes the ws extension retries
  var REFUSED = 4403; // the device link was revoked
  var HIGHLIGHT_MS = 12000;
  // A call older than this when the board first sees it (made while the socket was
  // down) is shown but not called out: the customer has heard of it by then.
  var ANNOUNCE_WITHIN_MS = 60000;
  var PAGE_MS = 8000; // how long each page of services stays
  var FIRST_REPORT_MS = 2000; // the browser has settled whether sound may play
  var HEARTBEAT_MS = 60000;
  var RETRY_CHECK_MS = 60000;
  // Speech errors after which no call will be heard (autoplay refused, no engine).
  var SILENCING = ["not-allowed", "synthesis-unavailable", "synthesis-failed",
    "audio-hardware", "audio-busy"];

  var root = null; // .board-live: the socket, and the report and refresh addresses

  // Reconnect with back-off: about 2, 4, 8, 16 then 30 s, each with jitter so that a
  // room of screens does not come back at the same instant. Reset only by a message: a
  // server that accepts and then closes at once (Redis away) keeps it growing.
  var failures = 0;

  function nextDelay() {
    var ceiling = Math.min(2000 * Math.pow(2, failures++), 30000);
    return ceiling / 2 + Math.random() * ceiling / 2;
  }

  if (window.htmx) htmx.config.wsReconnectDelay = nextDelay;

  // --- clock -------------------------------------------------------------------------------
  var timeFormat = new Intl.DateTimeFormat("fr-FR", {
    hour: "2-digit", minute: "2-digit", timeZone: "Africa/Dakar"
  });
  var dateFormat = new Intl.DateTimeFormat("fr-FR", {
    weekday: "long", day: "numeric", month: "long", timeZone: "Africa/Dakar"
  });
  var offset = 0; // server time minus this device's time
  var clockStamp = null;

  function serverNow() {
    return Date.now() + offset;
  }

  function tick() {
    var clock = document.getElementById("board-clock");
    if (!clock) return;
    var stamp = clock.getAttribute("data-now");
    if (stamp && stamp !== clockStamp) { // a fresh server time (page load or snapshot)
      clockStamp = stamp;
      offset = Number(stamp) - Date.now();
    }
    var now = new Date(serverNow());
    var time = clock.querySelector(".board-time");
    var date = clock.querySelector(".board-date");
    if (time) time.textContent = timeFormat.format(now);
    if (date) date.textContent = dateFormat.format(now);
  }

  // --- sound -------------------------------------------------------------------------------
  // Browsers keep sound off until someone touches the page, unless started with
  // --autoplay-policy=no-user-gesture-required (docs/DEVICES.md): a TV nobody touches
  // needs the flag. Whether sound plays is reported to the server, not shown to the room.
  var audio = null;
  var speechFailure = null; // the last silencing speech error, until a call is spoken
  var reporting = false; // after FIRST_REPORT_MS: every change is reported
  var reported = null;

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      audio = new Context();
      audio.addEventListener("statechange", soundChanged);
    }
    return audio;
  }

  function soundState() {
    var chimes = Boolean(audio) && audio.state === "running";
    var speaks = "speechSynthesis" in window && !speechFailure;
    return chimes && speaks ? "on" : "blocked";
  }

  function report(state) {
    reported = state;
    var url = root && root.getAttribute("data-report-url");
    if (!url || !window.fetch) return;
    // keepalive: a report made as the page goes away still leaves.
    fetch(url, {
      method: "POST", body: new URLSearchParams({ sound: state }), keepalive: true,
      credentials: "omit"
    }).catch(function () {});
  }

  function soundChanged() {
    if (!reporting) return;
    var state = soundState();
    var mark = document.getElementById("board-sound");
    if (mark) mark.hidden = state === "on";
    if (state !== reported) report(state);
  }

  function startReporting() {
    reporting = true;
    soundChanged();
    if (reported === null) report(soundState());
    setInterval(function () { report(soundState()); }, HEARTBEAT_MS);
  }

  function noteSpeech(error) {
    if (error && SILENCING.indexOf(error) < 0) return; // "interrupted", "canceled"
    speechFailure = error || null;
    soundChanged();
  }

  // A silent utterance: tells at once whether speech is refused or has no engine.
  function probeSpeech() {
    if (!("speechSynthesis" in window)) return;
    var probe = new SpeechSynthesisUtterance(" ");
    probe.onend = function () { noteSpeech(null); };
    probe.onerror = function (event) { noteSpeech(event.error); };
    window.speechSynthesis.speak(probe);
  }

  // Someone touched the screen: that unlocks both chime and voice in any browser.
  function unlockSound() {
    var ctx = audioContext();
    if (ctx && ctx.state !== "running") ctx.resume().catch(function () {});
    probeSpeech();
  }

  // Two soft tones ("ding-dong"), with an octave above for a bell-like colour.
  function chime() {
    var ctx = audioContext();
    if (!ctx || ctx.state !== "running") return 0;
    var start = ctx.currentTime + 0.05;
    [[659.25, 0], [523.25, 0.5]].forEach(function (note) {
      [[note[0], 0.35], [note[0] * 2, 0.08]].forEach(function (partial) {
        var osc = ctx.createOscillator();
        var gain = ctx.createGain();
        var at = start + note[1];
        osc.type = "sine";
        osc.frequency.value = partial[0];
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(partial[1], at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 1.4);
        osc.connect(gain);
        gain.connect(ctx.destination);
        osc.start(at);
        osc.stop(at + 1.5);
      });
    });
    return 1600;
  }

  function frenchVoice() {
    var voices = window.speechSynthesis.getVoices().filter(function (v) {
      return /^fr([-_]|$)/i.test(v.lang);
    });
    var preferred = voices.filter(function (v) { return /^fr[-_](SN|FR)/i.test(v.lang); });
    return preferred[0] || voices[0] || null;
  }

  function speak(text) {
    return new Promise(function (done) {
      if (!text || !("speechSynthesis" in window)) return done();
      var utterance = new SpeechSynthesisUtterance(text);
      utterance.lang = "fr-FR";
      utterance.rate = 0.85;
      var voice = frenchVoice();
      if (voice) utterance.voice = voice;
      utterance.onend = function () { noteSpeech(null); done(); };
      utterance.onerror = function (event) { noteSpeech(event.error); done(); };
      // Never let a silent engine hold the next call. Never cancel(): a late engine
      // then queues the next call after this one instead of cutting it off.
      setTimeout(done, 10000);
      window.speechSynthesis.speak(utterance);
    });
  }

  function wait(ms) {
    return new Promise(function (done) { setTimeout(done, ms); });
  }

  // --- announcements -----------------------------------------------------------------------
  // Every call row carries its stamp ("ticket-calledAtMs"; a recall is a new stamp). Each
  // update lists the latest calls, so every row whose stamp is new is announced, oldest
  // first: two calls in one update, or in two updates a moment apart, are both heard.
  var announced = {}; // stamp -> call time (ms)
  var highlighted = {}; // ticket code -> until (ms)
  var queue = Promise.resolve();

  function callRows() {
    return Array.prototype.slice.call(
      document.querySelectorAll("#board-calls .board-call[data-stamp]")
    );
  }

  function calledAt(stamp) {
    return Number(stamp.split("-")[1]) || 0;
  }

  function highlight() {
    var now = Date.now();
    document.querySelectorAll("#board-calls .board-call").forEach(function (row) {
      var until = highlighted[row.getAttribute("data-code")];
      row.classList.toggle("is-new", Boolean(until && until > now));
    });
  }

  function announce(code, speech) {
    highlighted[code] = Date.now() + HIGHLIGHT_MS;
    setTimeout(highlight, HIGHLIGHT_MS + 50);
    document.body.setAttribute("data-last-announced", speech);
    // One after the other: calls made together are each chimed and heard in full.
    queue = queue.then(function () {
      return wait(chime());
    }).then(function () {
      return speak(speech);
    }).catch(function () {});
  }

  function announceNewCalls(silently) {
    var now = serverNow();
    callRows().reverse().forEach(function (row) {
      var stamp = row.getAttribute("data-stamp");
      if (stamp in announced) return;
      announced[stamp] = calledAt(stamp);
      if (silently || now - calledAt(stamp) > ANNOUNCE_WITHIN_MS) return;
      announce(row.getAttribute("data-code"), row.getAttribute("data-speech"));
    });
    // Forget stamps long gone (a TV runs for weeks): none of them is announced again.
    Object.keys(announced).forEach(function (stamp) {
      if (now - announced[stamp] > 10 * ANNOUNCE_WITHIN_MS) delete announced[stamp];
    });
    highlight();
  }

  // --- services by pages -------------------------------------------------------------------
  // Whole rows per page, as many as the list's height holds; more than one page turns
  // every PAGE_MS with "1/2" beneath. Laid out again when the list is replaced (each
  // change of the counts) or the screen's size changes; the page shown stays.
  var pages = [];
  var pageIndex = 0;
  var laidOut = null; // the list element the pages were made for

  function split(list, rows) {
    var room = list.clientHeight;
    if (room <= 0) return [rows]; // not laid out yet: a resize lays it out again
    var result = [];
    var page = [];
    var top = 0;
    rows.forEach(function (row) {
      if (page.length && row.offsetTop + row.offsetHeight - top > room) {
        result.push(page);
        page = [];
      }
      if (!page.length) top = row.offsetTop;
      page.push(row);
    });
    if (page.length) result.push(page);
    return result;
  }

  function showPage() {
    var marker = document.getElementById("board-pages");
    pages.forEach(function (page, index) {
      page.forEach(function (row, at) {
        row.hidden = index !== pageIndex;
        row.classList.toggle("page-end", at === page.length - 1);
      });
    });
    if (!marker || pages.length < 2) return;
    marker.querySelector(".board-page-number").textContent =
      (pageIndex + 1) + "/" + pages.length;
    var dots = marker.querySelector(".board-page-dots");
    dots.textContent = "";
    pages.forEach(function (_, index) {
      var dot = document.createElement("i");
      if (index === pageIndex) dot.className = "is-current";
      dots.appendChild(dot);
    });
  }

  function layoutPages(force) {
    var list = document.getElementById("board-waiting");
    var marker = document.getElementById("board-pages");
    if (!list || !marker || (list === laidOut && !force)) return;
    laidOut = list;
    var rows = Array.prototype.slice.call(list.querySelectorAll(".board-service"));
    rows.forEach(function (row) { row.hidden = false; });
    marker.hidden = true;
    pages = split(list, rows);
    if (pages.length > 1) { // the "1/2" line takes room from the list: split again
      marker.hidden = false;
      pages = split(list, rows);
    }
    list.classList.toggle("is-paged", pages.length > 1);
    pageIndex = Math.max(0, Math.min(pageIndex, pages.length - 1));
    showPage();
  }

  function turnPage() {
    if (pages.length < 2) return;
    pageIndex = (pageIndex + 1) % pages.length;
    showPage();
  }

  // --- open or closed ----------------------------------------------------------------------
  // The badge names the next moment its state may change (an opening, a closing,
  // midnight, or within the hour); the board asks for the live regions again then.
  var checkTimer = null;
  var checkFor = null;

  function scheduleCheck() {
    var badge = document.getElementById("board-closed");
    var at = badge && Number(badge.getAttribute("data-next-check"));
    if (!at || at === checkFor) return;
    checkFor = at;
    clearTimeout(checkTimer);
    // A second or a few past the moment, so that boards do not all ask at once.
    var delay = Math.max(at - serverNow(), 0) + 1000 + Math.random() * 4000;
    checkTimer = setTimeout(refresh, delay);
  }

  function refresh() {
    var url = root && root.getAttribute("data-refresh-url");
    if (!url || !window.fetch || !window.htmx) return;
    fetch(url, { headers: { "HX-Request": "true" }, credentials: "omit" })
      .then(function (response) {
        if (!response.ok) throw new Error(response.status);
        return response.text();
      })
      .then(function (html) {
        htmx.swap(root, html, { swapStyle: "none" }); // its regions swap out of band
        updated();
      })
      .catch(function () { // offline: ask again in a minute
        checkFor = null;
        checkTimer = setTimeout(refresh, RETRY_CHECK_MS);
      });
  }

  // --- after each change ---------------------------------------------------------------------
  function updated() {
    tick();
    announceNewCalls(false);
    layoutPages(false);
    scheduleCheck();
  }

  // --- connection --------------------------------------------------------------------------
  function onOpen() {
    var notice = document.getElementById("board-connection");
    if (notice) notice.hidden = true;
  }

  function onClose(event) {
    var notice = document.getElementById("board-connection");
    var code = event.detail && event.detail.event ? event.detail.event.code : 1006;
    if (code === REFUSED) { // revoked: reloading shows the truth (this link is gone)
      window.location.reload();
      return;
    }
    if (notice) notice.hidden = false;
    if (RETRIED_BY_HTMX.indexOf(code) < 0 && event.detail && event.detail.socketWrapper) {
      // A clean close (a server stopping, a proxy timing out): the extension would give
      // up, so retry ourselves; the snapshot sent on reconnect resynchronizes the board.
      setTimeout(event.detail.socketWrapper.reconnect, nextDelay());
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    root = document.querySelector(".board-live");
    tick();
    setInterval(tick, 1000);
    announceNewCalls(true); // the calls already on screen at load are not called out
    layoutPages(true);
    setInterval(turnPage, PAGE_MS);
    window.addEventListener("resize", function () { layoutPages(true); });
    // An urgent message's banner takes room from the panels (and gives it back) without
    // the list being replaced or the window resized.
    var panel = document.querySelector(".board-waiting-panel");
    if (panel && window.ResizeObserver) {
      new ResizeObserver(function () { layoutPages(true); }).observe(panel);
    }
    if (document.fonts) document.fonts.ready.then(function () { layoutPages(true); });
    scheduleCheck();
    audioContext();
    if (audio && audio.state !== "running") audio.resume().catch(function () {});
    probeSpeech();
    setTimeout(startReporting, FIRST_REPORT_MS);
    document.addEventListener("pointerdown", unlockSound);
    document.addEventListener("keydown", unlockSound);
    document.body.addEventListener("htmx:wsOpen", onOpen);
    document.body.addEventListener("htmx:wsClose", onClose);
    document.body.addEventListener("htmx:wsAfterMessage", function () {
      failures = 0;
      updated();
    });
  });
})();
