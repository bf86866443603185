// hx-boost on the manage and account pages (base.html sets it on <main> there): links
// and forms fetch the next page and swap its <body>, without reloading htmx, the CSS or
// the fonts; without scripts they are the same links and forms. Two things a full load
// does that a boosted swap does not, done here:
// - any answer is shown, as the browser would show it: a refused form (422/409, already
//   swapped by base.html's htmx-config) and also a 400, 403, 404, 429 or 500 page;
// - the new page's own stylesheets (its {% block head %}), <body> attributes and
//   language are taken.
// Pages with scripts and sockets of their own (counter screen, board, kiosk, live
// ticket) are never reached from a boosted area but through a full load: boosting stops
// at <main> of these areas, and the links to them are outside it or say hx-boost="false".
(function () {
  "use strict";

  function stylesheets(root) {
    return Array.prototype.slice.call(root.querySelectorAll('link[rel="stylesheet"]'));
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var detail = event.detail;
    if (!detail.boosted) {
      return;
    }
    if (!detail.shouldSwap) {
      detail.shouldSwap = true;
      detail.isError = false;
    }
    var page = new DOMParser().parseFromString(detail.serverResponse, "text/html");
    var wanted = stylesheets(page.head).map(function (link) { return link.getAttribute("href"); });
    var present = stylesheets(document.head);
    present.forEach(function (link) {
      if (wanted.indexOf(link.getAttribute("href")) < 0) {
        link.remove();
      }
    });
    var have = present.map(function (link) { return link.getAttribute("href"); });
    stylesheets(page.head).forEach(function (link) {
      if (have.indexOf(link.getAttribute("href")) < 0) {
        document.head.appendChild(link.cloneNode());
      }
    });
    // What the body's own tag and <html> carry: the page's class, its CSRF token for htmx
    // requests (a new one after signing in again), its language (the profile may change it).
    document.body.className = page.body.className;
    document.body.setAttribute("hx-headers", page.body.getAttribute("hx-headers") || "{}");
    document.documentElement.lang = page.documentElement.lang;
  });
})();
