// Live ticket page: when the ticket is called (the socket's fragment arrives with
// data-alert set), beep and vibrate once per call; keep the tab title up to date.
(function () {
  var ctx = null;
  var last = alertKey();

  function live() { return document.getElementById("ticket-live"); }
  function alertKey() { var el = live(); return el ? el.getAttribute("data-alert") || "" : ""; }

  // Phones only play sound and vibrate after the person touched the page once.
  function unlock() {
    var Ctx = window.AudioContext || window.webkitAudioContext;
    if (!ctx && Ctx) ctx = new Ctx();
    if (ctx && ctx.state === "suspended") ctx.resume();
  }

  function beep() {
    if (!ctx) unlock();
    if (!ctx) return;
    [0, 0.4, 0.8].forEach(function (at) {
      var t = ctx.currentTime + at, osc = ctx.createOscillator(), gain = ctx.createGain();
      osc.frequency.value = 880;
      gain.gain.setValueAtTime(0.0001, t);
      gain.gain.exponentialRampToValueAtTime(0.6, t + 0.02);
      gain.gain.exponentialRampToValueAtTime(0.0001, t + 0.3);
      osc.connect(gain); gain.connect(ctx.destination);
      osc.start(t); osc.stop(t + 0.32);
    });
  }

  function alarm() {
    try { beep(); } catch (e) { /* no sound: the screen still says it */ }
    if (navigator.vibrate) navigator.vibrate([400, 150, 400, 150, 400]);
  }

  function refresh() {
    var el = live();
    if (!el) return;
    if (el.getAttribute("data-title")) document.title = el.getAttribute("data-title");
    var key = alertKey();
    if (key && key !== last) { alarm(); document.body.setAttribute("data-alerted", key); }
    last = key;
  }

  // Reconnect with back-off: about 2, 4, 8, 16 then 30 s, each with jitter so that a
  // thousand phones do not come back at the same instant. Reset only by a message: a
  // server that accepts and then closes at once (Redis away) keeps it growing.
  var failures = 0;
  if (window.htmx) {
    htmx.config.wsReconnectDelay = function () {
      var ceiling = Math.min(2000 * Math.pow(2, failures++), 30000);
      return ceiling / 2 + Math.random() * ceiling / 2;
    };
  }
  document.addEventListener("htmx:wsAfterMessage", function () { failures = 0; });

  document.addEventListener("pointerdown", unlock, { once: true });
  document.addEventListener("htmx:oobAfterSwap", refresh);
  document.addEventListener("htmx:afterSwap", refresh);

  var button = document.getElementById("sound-on");
  if (button) {
    button.hidden = false;
    button.addEventListener("click", function () {
      unlock(); alarm(); button.hidden = true;
    });
  }
})();
