/* The header's bell, live: the person's socket (/ws/me, the bell's data-live) sends the
   unread count when it opens and each time it changes; a count other than the one the
   bell shows (data-unread) fetches the bell again (data-fragment) and swaps it. Loaded
   for signed-in people only; without it the bell is the same link, current at each
   load. */
(function () {
  "use strict";

  var first = document.getElementById("bell");
  if (!first || !window.WebSocket || !window.fetch || !window.DOMParser) {
    return;
  }
  var POLICY = 1008; // refused (signed out, or a page of another site): no retry
  var latest = null; // the last count the socket sent
  var fetching = false;

  function current() {
    return document.getElementById("bell"); // swapped: never keep the old element
  }

  function swap(html) {
    var parsed = new DOMParser().parseFromString(html, "text/html");
    var fresh = parsed.getElementById("bell");
    var old = current();
    if (fresh && old) {
      old.replaceWith(fresh);
    }
  }

  // One fetch at a time; a count that came meanwhile is looked at once it is done.
  function sync() {
    var bell = current();
    if (fetching || latest === null || !bell || bell.getAttribute("data-unread") === latest) {
      return;
    }
    fetching = true;
    var asked = latest;
    fetch(bell.getAttribute("data-fragment"), { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        // Signed out meanwhile: the answer is the sign-in page, not a bell.
        if (!response.ok || response.redirected) {
          throw new Error("bell: " + response.status);
        }
        return response.text();
      })
      .then(swap)
      .catch(function () { /* the next count tries again */ })
      .then(function () {
        fetching = false;
        if (latest !== asked) {
          sync();
        }
      });
  }

  // Reconnect with back-off, as the kiosk and the board do: about 2, 4, 8, 16 then 30 s,
  // each with jitter, reset by a message.
  var failures = 0;

  function nextDelay() {
    var ceiling = Math.min(2000 * Math.pow(2, failures++), 30000);
    return ceiling / 2 + Math.random() * ceiling / 2;
  }

  function connect() {
    var scheme = window.location.protocol === "https:" ? "wss://" : "ws://";
    var socket;
    try {
      socket = new WebSocket(scheme + window.location.host + first.getAttribute("data-live"));
    } catch (error) {
      window.setTimeout(connect, nextDelay());
      return;
    }
    socket.onmessage = function (event) {
      failures = 0;
      if (/^\d+$/.test(event.data)) {
        latest = event.data;
        sync();
      }
    };
    socket.onclose = function (event) {
      if (event.code !== POLICY) {
        window.setTimeout(connect, nextDelay());
      }
    };
  }

  connect();
})();
