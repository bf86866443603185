// "Près de moi": shown only with scripts (a position needs them). The button says why
// before the browser asks; the position, rounded to ~100 m, goes into the near-me form's
// query string and nowhere else. Delegated: htmx redraws #finder-near after each search.
(function () {
  "use strict";

  function reveal() {
    var box = document.getElementById("near-me-box");
    if (box && "geolocation" in navigator) box.hidden = false;
  }

  function setField(form, name, value) {
    var field = form.querySelector('input[name="' + name + '"]');
    if (!field) {
      field = document.createElement("input");
      field.type = "hidden";
      field.name = name;
      form.appendChild(field);
    }
    field.value = value;
  }

  function locate(button) {
    var form = document.getElementById("near-form");
    var status = document.getElementById("near-status");
    status.textContent = button.dataset.asking;
    button.disabled = true;
    navigator.geolocation.getCurrentPosition(
      function (position) {
        setField(form, "lat", position.coords.latitude.toFixed(3));
        setField(form, "lon", position.coords.longitude.toFixed(3));
        document.getElementById("near-from").value = ""; // a chosen place beats a position
        form.requestSubmit();
      },
      function (error) {
        button.disabled = false;
        status.textContent =
          error.code === error.PERMISSION_DENIED ? button.dataset.denied : button.dataset.failed;
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 }
    );
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("#near-me");
    if (button) locate(button);
  });
  // A place picked after a position: the position's fields go, so the place is searched
  // (the server prefers the place anyway; this keeps the URL honest).
  document.addEventListener("change", function (event) {
    if (event.target.id !== "near-from" || !event.target.value) return;
    event.target.form.querySelectorAll('input[name="lat"], input[name="lon"]').forEach(function (f) {
      f.remove();
    });
  }, true);
  document.addEventListener("DOMContentLoaded", reveal);
  document.addEventListener("htmx:afterSettle", function (event) {
    reveal();
    // The answer to a search starts the finder: bring it up under the thumb.
    var finder = document.getElementById("finder-near");
    if (finder && event.detail.elt === finder) finder.scrollIntoView({ block: "start" });
  });
})();
