/* Kiosk check-in by QR code: where the browser reads QR codes (BarcodeDetector) and the
   kiosk has a camera, a "scan" button opens it; the check-in link read from the code is
   posted like a form. Elsewhere the button stays hidden and the number is typed. */
(function () {
  "use strict";

  var box = document.querySelector("[data-kiosk-scan]");
  var media = navigator.mediaDevices;
  if (!box || !("BarcodeDetector" in window) || !media || !media.getUserMedia) {
    return;
  }
  var startButton = box.querySelector("[data-kiosk-scan-start]");
  var stopButton = box.querySelector("[data-kiosk-scan-stop]");
  var camera = box.querySelector("[data-kiosk-camera]");
  var video = box.querySelector("video");
  var status = box.querySelector("[data-kiosk-scan-status]");
  var problem = box.querySelector("[data-kiosk-scan-problem]");
  var form = box.querySelector("[data-kiosk-scan-form]");
  var prompt = status.textContent;
  var detector = null;
  var stream = null;
  var timer = null;

  Promise.all([window.BarcodeDetector.getSupportedFormats(), media.enumerateDevices()])
    .then(function (found) {
      var readsQr = found[0].indexOf("qr_code") !== -1;
      var hasCamera = found[1].some(function (d) { return d.kind === "videoinput"; });
      box.hidden = !(readsQr && hasCamera);
    })
    .catch(function () { box.hidden = true; });

  // The code holds the customer's check-in link: https://…/appointments/<number>/check-in?token=…
  function checkInLink(text) {
    var url;
    try {
      url = new URL(text, window.location.href);
    } catch (error) {
      return null;
    }
    var match = url.pathname.match(/\/appointments\/([A-Za-z0-9]{1,40})\/check-in\/?$/);
    var token = url.searchParams.get("token");
    return match && token ? { number: match[1], token: token } : null;
  }

  function stop() {
    window.clearTimeout(timer);
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
    }
    stream = null;
    video.srcObject = null;
    camera.hidden = true;
    startButton.hidden = false;
  }

  function look() {
    if (!stream) {
      return;
    }
    detector.detect(video).then(function (codes) {
      if (!stream) {
        return;
      }
      for (var i = 0; i < codes.length; i += 1) {
        var link = checkInLink(codes[i].rawValue);
        if (link) {
          form.querySelector("[data-kiosk-scan-number]").value = link.number;
          form.querySelector("[data-kiosk-scan-token]").value = link.token;
          status.textContent = "…";
          stop();
          form.submit();
          return;
        }
      }
      if (codes.length) {
        status.textContent = status.getAttribute("data-wrong");
      }
      timer = window.setTimeout(look, 250);
    }).catch(function () {
      timer = window.setTimeout(look, 500); // the video is not ready yet
    });
  }

  startButton.addEventListener("click", function () {
    detector = detector || new window.BarcodeDetector({ formats: ["qr_code"] });
    status.textContent = prompt;
    problem.hidden = true;
    media.getUserMedia({ video: { facingMode: "environment" }, audio: false })
      .then(function (opened) {
        stream = opened;
        video.srcObject = opened;
        camera.hidden = false;
        startButton.hidden = true;
        return video.play();
      })
      .then(look)
      .catch(function () {
        stop();
        problem.hidden = false;
      });
  });
  stopButton.addEventListener("click", stop);
  window.addEventListener("pagehide", stop);
})();
