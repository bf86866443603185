/* The display board: a clock on the server's time, and each call announced with a
   highlight, a chime (Web Audio) and a French voice (speechSynthesis). The live regions
   themselves are swapped by htmx's ws extension; this file never asks the server anything. */
(function () {
  "use strict";

  var RETRIED_BY_HTMX = [1006, 1011, 1012, 1013]; // close codes the ws extension retries
  var REFUSED = 4403; // the device link was revoked
  var HIGHLIGHT_MS = 12000;

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

  function tick() {
    var clock = document.getElementById("board-clock");
    if (!clock) return;
    var stamp = clock.getAttribute("data-now");
    if (stamp && stamp !== clockStamp) { // a fresh server time (page load or snapshot)
      clockStamp = stamp;
      offset = Number(stamp) - Date.now();
    }
    var now = new Date(Date.now() + offset);
    var time = clock.querySelector(".board-time");
    var date = clock.querySelector(".board-date");
    if (time) time.textContent = timeFormat.format(now);
    if (date) date.textContent = dateFormat.format(now);
  }

  // --- sound -------------------------------------------------------------------------------
  var audio = null;

  function audioContext() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!audio && Context) {
      audio = new Context();
      audio.addEventListener("statechange", showSoundState);
    }
    return audio;
  }

  function showSoundState() {
    var notice = document.getElementById("board-sound");
    if (notice) notice.hidden = !audio || audio.state === "running";
  }

  // Browsers keep sound off until someone touches the page (unless started with
  // --autoplay-policy=no-user-gesture-required): one touch unlocks both chime and voice.
  function unlockSound() {
    var ctx = audioContext();
    if (ctx && ctx.state !== "running") ctx.resume().catch(function () {});
    if ("speechSynthesis" in window) {
      window.speechSynthesis.speak(new SpeechSynthesisUtterance(" "));
    }
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
      utterance.onend = utterance.onerror = function () { done(); };
      setTimeout(done, 10000); // never let a silent engine hold the next announcement
      window.speechSynthesis.speak(utterance);
    });
  }

  function wait(ms) {
    return new Promise(function (done) { setTimeout(done, ms); });
  }

  // --- announcements -----------------------------------------------------------------------
  var announced = {}; // stamp -> true: each call is announced once
  var highlighted = {}; // ticket code -> until (ms)
  var queue = Promise.resolve();

  function highlight() {
    var now = Date.now();
    document.querySelectorAll("#board-calls .board-call").forEach(function (row) {
      var until = highlighted[row.getAttribute("data-code")];
      row.classList.toggle("is-new", Boolean(until && until > now));
    });
  }

  function noticeAnnouncement() {
    var el = document.getElementById("board-announce");
    var stamp = el && el.getAttribute("data-stamp");
    if (!stamp || announced[stamp]) return;
    announced[stamp] = true;
    var code = el.getAttribute("data-code");
    var speech = el.getAttribute("data-speech");
    highlighted[code] = Date.now() + HIGHLIGHT_MS;
    highlight();
    setTimeout(highlight, HIGHLIGHT_MS + 50);
    document.body.setAttribute("data-last-announced", speech);
    // One after the other: calls made together are each heard in full.
    queue = queue.then(function () {
      return wait(chime());
    }).then(function () {
      return speak(speech);
    }).catch(function () {});
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
    tick();
    setInterval(tick, 1000);
    audioContext();
    if (audio && audio.state !== "running") audio.resume().catch(function () {});
    setTimeout(showSoundState, 1500);
    document.addEventListener("pointerdown", unlockSound);
    document.addEventListener("keydown", unlockSound);
    document.body.addEventListener("htmx:wsOpen", onOpen);
    document.body.addEventListener("htmx:wsClose", onClose);
    document.body.addEventListener("htmx:wsAfterMessage", function () {
      failures = 0;
      noticeAnnouncement();
      highlight();
      tick();
    });
    document.body.addEventListener("htmx:oobAfterSwap", function (event) {
      if (event.target && event.target.id === "board-announce") noticeAnnouncement();
    });
  });
})();
