/* "Use my position": asked only after the button is pressed (its page says why); the
   position fills the form's lat/lon and the form is sent. Without scripts, or when the
   browser refuses, the commune list is there. */
(function () {
  "use strict";
  var box = document.querySelector("[data-travel-position]");
  var form = document.getElementById("travel-form");
  if (!box || !form || !navigator.geolocation) {
    return;
  }
  var status = box.querySelector("[data-travel-position-status]");
  box.hidden = false;
  box.querySelector("button").addEventListener("click", function () {
    status.textContent = box.getAttribute("data-asking") || "";
    navigator.geolocation.getCurrentPosition(
      function (found) {
        form.elements.lat.value = found.coords.latitude.toFixed(5);
        form.elements.lon.value = found.coords.longitude.toFixed(5);
        form.submit();
      },
      function () {
        status.textContent = box.getAttribute("data-refused") || "";
      },
      { enableHighAccuracy: false, timeout: 15000, maximumAge: 300000 }
    );
  });
})();
