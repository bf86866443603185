/* Kiosk: back to the start (in French) after an idle time, print the ticket, no double
   tickets, the on-screen keypad of the appointment number, a start screen that stays
   current (its socket, and the hours), and a heartbeat for the manage area. */
(function () {
  "use strict";

  var screen = document.querySelector("[data-kiosk-idle]");
  var reset = document.getElementById("kiosk-reset");
  if (screen && reset) {
    var seconds = parseInt(screen.getAttribute("data-kiosk-idle"), 10) || 60;
    var timer = null;
    var arm = function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () { reset.submit(); }, seconds * 1000);
    };
    ["pointerdown", "keydown", "input", "scroll"].forEach(function (type) {
      document.addEventListener(type, arm, { passive: true, capture: true });
    });
    arm();
  }

  // A second tap while the first one is on its way must not issue a second ticket.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.getAttribute("data-sent")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-sent", "1");
    form.classList.add("is-sending");
  });

  // The keypad types into its field; without scripts the field takes the screen's keyboard.
  document.querySelectorAll("[data-kiosk-keypad]").forEach(function (pad) {
    var input = document.getElementById(pad.getAttribute("data-kiosk-keypad"));
    if (!input) {
      return;
    }
    input.setAttribute("inputmode", "none"); // the keypad, not a keyboard over it
    pad.hidden = false;
    pad.addEventListener("click", function (event) {
      var key = event.target.closest("[data-key]");
      if (!key) {
        return;
      }
      var typed = key.getAttribute("data-key");
      if (typed === "back") {
        input.value = input.value.slice(0, -1);
      } else if (typed === "clear") {
        input.value = "";
      } else if (input.value.length < 16) {
        input.value += typed;
      }
      input.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });

  var printButtons = document.querySelectorAll("[data-kiosk-print]");
  printButtons.forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });

  // ?print=1 (right after issuing) prints once; a reload must not print again.
  var url = new URL(window.location.href);
  if (printButtons.length && url.searchParams.get("print") === "1") {
    url.searchParams.delete("print");
    window.history.replaceState(null, "", url.pathname + url.search + url.hash);
    if (document.readyState === "complete") {
      window.print();
    } else {
      window.addEventListener("load", function () { window.print(); }, { once: true });
    }
  }

  // --- alive: the manage area shows each kiosk's last contact ------------------------------
  var reportUrl = screen && screen.getAttribute("data-kiosk-report");
  if (reportUrl && window.fetch) {
    var report = function () {
      // Fire and forget: a missed beat only makes the kiosk look offline a while.
      try {
        fetch(reportUrl, { method: "POST", keepalive: true, credentials: "omit" })
          .catch(function () {});
      } catch (error) { /* an old browser without keepalive */ }
    };
    report();
    window.setInterval(report, 60000);
  }

  // --- the start screen stays current ------------------------------------------------------
  // The services region fetches itself again (htmx, from the page's own URL) when the
  // branch changes (the socket says so) and when the hours may open or close it
  // (data-refresh-in seconds). Later screens have no region: a customer is not interrupted.
  var live = document.querySelector("[data-kiosk-live]");
  if (!live) {
    return;
  }
  var REFUSED = 4403; // the device link was revoked
  var changeTimer = null;

  function refresh() {
    if (window.htmx) {
      htmx.trigger(document.body, "kiosk-changed");
    } else {
      window.location.reload();
    }
  }

  function scheduleHours() {
    var region = document.getElementById("kiosk-offer");
    var seconds = region && parseInt(region.getAttribute("data-refresh-in"), 10);
    window.clearTimeout(changeTimer);
    if (seconds > 0) {
      changeTimer = window.setTimeout(refresh, Math.min(seconds, 86400) * 1000);
    }
  }

  // Reconnect with back-off, as the board does: about 2, 4, 8, 16 then 30 s, each with
  // jitter so that a power cut's kiosks do not come back at the same instant. Reset only
  // by a message: a server that accepts and then closes at once keeps it growing.
  var failures = 0;

  function nextDelay() {
    var ceiling = Math.min(2000 * Math.pow(2, failures++), 30000);
    return ceiling / 2 + Math.random() * ceiling / 2;
  }

  function connect() {
    var path = live.getAttribute("data-kiosk-live");
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + window.location.host + path);
    } catch (error) {
      window.setTimeout(connect, nextDelay());
      return;
    }
    // Every message (the first one too: something may have changed before it) means
    // "fetch the region again"; queued fetches fold into one (hx-sync on the region).
    socket.onmessage = function () {
      failures = 0;
      refresh();
    };
    socket.onclose = function (event) {
      if (event.code === REFUSED) { // revoked: reloading shows the truth (this link is gone)
        window.location.reload();
        return;
      }
      window.setTimeout(connect, nextDelay());
    };
  }

  // Nothing changed for the customer (the hello after each load, a call in another
  // line): keep the elements under their finger, and take only the new timing.
  document.body.addEventListener("htmx:beforeSwap", function (event) {
    var region = event.detail.target;
    if (!region || region.id !== "kiosk-offer" || !event.detail.shouldSwap) {
      return;
    }
    var parsed = document.createElement("template");
    parsed.innerHTML = event.detail.serverResponse;
    var fresh = parsed.content.getElementById("kiosk-offer");
    if (fresh && fresh.innerHTML === region.innerHTML) {
      event.detail.shouldSwap = false;
      region.setAttribute("data-refresh-in", fresh.getAttribute("data-refresh-in"));
      scheduleHours();
    }
  });
  document.body.addEventListener("htmx:afterSettle", scheduleHours);
  scheduleHours();
  if (window.WebSocket) {
    connect();
  }
})();
