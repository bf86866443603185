// Push notifications on this phone: the button of templates/notifications/_push_toggle.html.
// Registers /sw.js, then subscribes this browser (PushManager) and tells the server
// (POST JSON with the CSRF token, as htmx sends it), or unsubscribes it. A browser
// without service workers or PushManager keeps the block hidden: nothing else changes.
(function () {
  "use strict";

  function supported() {
    return window.isSecureContext && "serviceWorker" in navigator &&
      "PushManager" in window && "Notification" in window && "Promise" in window;
  }

  // The VAPID public key (base64url, 65 bytes) as PushManager wants it.
  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4))
      .replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64), bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(subscription, key) {
    var given = subscription.options && subscription.options.applicationServerKey;
    if (!given) return true; // an older browser does not say: keep it
    given = new Uint8Array(given);
    if (given.length !== key.length) return false;
    for (var i = 0; i < key.length; i++) if (given[i] !== key[i]) return false;
    return true;
  }

  function csrfToken() {
    try { return JSON.parse(document.body.getAttribute("hx-headers"))["X-CSRFToken"]; }
    catch (e) { return ""; }
  }

  function post(url, data) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(data)
    }).then(function (response) {
      if (!response.ok) throw new Error("HTTP " + response.status);
      return response;
    });
  }

  function setUp(box) {
    if (box.getAttribute("data-ready") || !supported()) return;
    box.setAttribute("data-ready", "1");
    var button = box.querySelector("button");
    var status = box.querySelector(".push-status");
    var key = keyBytes(box.getAttribute("data-key"));
    var busy = false;

    function say(text) {
      status.textContent = text || "";
      status.hidden = !text;
    }

    function show(subscription) {
      var on = !!subscription;
      box.setAttribute("data-state", on ? "on" : "off");
      button.textContent = box.getAttribute(on ? "data-label-off" : "data-label-on");
      button.setAttribute("aria-pressed", on ? "true" : "false");
      box.hidden = false;
    }

    function current() {
      return navigator.serviceWorker.ready.then(function (registration) {
        return registration.pushManager.getSubscription().then(function (subscription) {
          return { registration: registration, subscription: subscription };
        });
      });
    }

    function subscribe() {
      return Notification.requestPermission().then(function (permission) {
        if (permission !== "granted") {
          say(box.getAttribute("data-denied"));
          return null;
        }
        return current().then(function (now) {
          var old = now.subscription;
          if (old && sameKey(old, key)) return old;
          // Made for another key (the server's keys changed): start again.
          return (old ? old.unsubscribe() : Promise.resolve()).then(function () {
            return now.registration.pushManager.subscribe({
              userVisibleOnly: true, applicationServerKey: key
            });
          });
        }).then(function (subscription) {
          return post(box.getAttribute("data-subscribe-url"), subscription.toJSON())
            .then(function () {
              say(box.getAttribute("data-done"));
              return subscription;
            });
        });
      });
    }

    function unsubscribe(subscription) {
      if (!subscription) return Promise.resolve(null);
      return post(box.getAttribute("data-unsubscribe-url"), { endpoint: subscription.endpoint })
        .then(function () { return subscription.unsubscribe(); })
        .then(function () { say(box.getAttribute("data-stopped")); return null; });
    }

    button.addEventListener("click", function () {
      if (busy) return;
      busy = true;
      button.disabled = true;
      say("");
      current().then(function (now) {
        return box.getAttribute("data-state") === "on"
          ? unsubscribe(now.subscription)
          : subscribe().then(function (made) { return made || now.subscription; });
      }).then(show, function () {
        say(box.getAttribute("data-failed"));
        return current().then(function (now) { show(now.subscription); });
      }).then(null, function () { /* the button keeps its last state */ })
        .then(function () { busy = false; button.disabled = false; });
    });

    navigator.serviceWorker.register(box.getAttribute("data-worker"), { scope: "/" })
      .then(function () { return current(); })
      .then(function (now) {
        show(now.subscription);
        // Tell the server again: it forgets a subscription its push service called gone.
        if (now.subscription && sameKey(now.subscription, key)) {
          post(box.getAttribute("data-subscribe-url"), now.subscription.toJSON())
            .then(null, function () { /* tried again on the next page */ });
        }
      })
      .then(null, function () { /* no worker: the button stays hidden */ });
  }

  function start() {
    var boxes = document.querySelectorAll("#push-toggle");
    for (var i = 0; i < boxes.length; i++) setUp(boxes[i]);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
  // A page swapped in by htmx (a boosted link) may bring the button.
  document.addEventListener("htmx:load", start);
})();
