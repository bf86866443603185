/* Kiosk: back to the start (in French) after an idle time, print the ticket, no double
   tickets, and the on-screen keypad of the appointment number. */
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
})();
