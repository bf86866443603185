// SmartQueue's service worker, served at /sw.js (smartqueue/web/notifications/push.py):
// shows the push messages the server sends (smartqueue/notifications/push.py: a JSON
// {title, body, url, tag}) and opens their page when one is tapped. It caches nothing.
self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("push", function (event) {
  var message = {};
  try { message = event.data ? event.data.json() : {}; } catch (e) {
    message = { body: event.data ? event.data.text() : "" };
  }
  var url = message.url || "/";
  event.waitUntil(self.registration.showNotification(message.title || "SmartQueue", {
    body: message.body || "",
    tag: message.tag || undefined,
    // A new message about the same ticket replaces the last one, and still rings.
    renotify: !!message.tag,
    icon: "/static/favicon.svg",
    data: { url: url }
  }));
});

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = new URL((event.notification.data && event.notification.data.url) || "/",
                       self.location.origin).href;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true })
    .then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (windows[i].url === target && "focus" in windows[i]) return windows[i].focus();
      }
      return self.clients.openWindow ? self.clients.openWindow(target) : null;
    }));
});
