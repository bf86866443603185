/* Counter screen: keyboard shortcuts, ticking timers, the state of the live connection.
   Without this file every button still works (plain POST forms); with it the agent keeps
   both hands on the keyboard. */
(function () {
  "use strict";

  var screen = document.querySelector(".counter-screen");
  if (!screen) return;

  // --- shortcuts: a key presses the button showing it in <kbd>, never while typing ---------

  function isTyping(el) {
    if (!el || !el.tagName) return false;
    return el.isContentEditable || /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName);
  }

  function keyName(event) {
    if (event.key === " " || event.key === "Spacebar") return "space";
    var key = (event.key || "").toLowerCase();
    return /^[a-z]$/.test(key) ? key : "";
  }

  function nudge(el) {
    // Not possible right now (no ticket, counter paused...): say so with a shake.
    var box = el.closest("form") || el;
    box.classList.remove("nudge");
    void box.offsetWidth; // restart the animation
    box.classList.add("nudge");
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.repeat) return;
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) return;
    var name = keyName(event);
    if (!name) return;
    // Space on a focused button or link already presses it.
    if (name === "space" && event.target.closest && event.target.closest("button, a, summary")) return;
    var target = document.querySelector('#counter-panel [data-keys~="' + name + '"]');
    if (!target) return;
    event.preventDefault();
    if (target.disabled) {
      nudge(target);
    } else if (target.tagName === "SELECT") {
      target.focus();
    } else {
      target.click();
    }
  });

  // In the transfer list: Enter sends, Escape gives the keys back to the shortcuts.
  document.addEventListener("keydown", function (event) {
    var select = event.target;
    if (!select || select.id !== "transfer-service") return;
    if (event.key === "Enter") {
      event.preventDefault();
      if (select.form.requestSubmit) select.form.requestSubmit();
      else select.form.submit();
    } else if (event.key === "Escape") {
      select.blur();
    }
  });

  // --- timers: the server gives seconds so far; count on from when we received them -------

  var seenAt = new WeakMap();

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  function format(seconds, kind) {
    var m = Math.floor(seconds / 60);
    if (kind === "minutes") {
      return m >= 60 ? Math.floor(m / 60) + " h " + pad(m % 60) : m + " min";
    }
    if (seconds >= 3600) return Math.floor(seconds / 3600) + ":" + pad(m % 60) + ":" + pad(seconds % 60);
    return m + ":" + pad(seconds % 60);
  }

  function tick() {
    var now = Date.now();
    var timers = document.querySelectorAll("[data-elapsed]");
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      if (!seenAt.has(el)) seenAt.set(el, now);
      var base = parseInt(el.getAttribute("data-elapsed"), 10) || 0;
      var text = format(base + Math.floor((now - seenAt.get(el)) / 1000), el.getAttribute("data-format"));
      if (el.textContent !== text) el.textContent = text;
    }
  }

  tick();
  window.setInterval(tick, 1000);
  document.body.addEventListener("htmx:afterSettle", tick);
  document.body.addEventListener("htmx:wsAfterMessage", tick);

  // --- the live connection: shown in the top bar, so a stale screen never passes unseen ---

  var live = document.getElementById("live-state");

  // Reconnect with back-off: about 2, 4, 8, 16 then 30 s, each with jitter so that a
  // room of screens does not come back at the same instant. Reset only by a message: a
  // server that accepts and then closes at once (Redis away) keeps it growing.
  var failures = 0;
  if (window.htmx) {
    htmx.config.wsReconnectDelay = function () {
      var ceiling = Math.min(2000 * Math.pow(2, failures++), 30000);
      return ceiling / 2 + Math.random() * ceiling / 2;
    };
  }
  document.body.addEventListener("htmx:wsAfterMessage", function () { failures = 0; });

  function setLive(state) {
    screen.setAttribute("data-live", state);
    if (live) {
      live.hidden = false;
      live.setAttribute("data-state", state);
    }
  }

  document.body.addEventListener("htmx:wsOpen", function () { setLive("on"); });
  document.body.addEventListener("htmx:wsClose", function () { setLive("off"); });
  document.body.addEventListener("htmx:wsError", function () { setLive("off"); });
})();
