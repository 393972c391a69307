// The check-in desk: typing the code always works; where the browser has a camera and
// BarcodeDetector, a button scans the QR code of the confirmation and sends the form.
(function () {
  "use strict";
  if (!("BarcodeDetector" in window) || !navigator.mediaDevices) { return; }
  var form = document.getElementById("check-in-form");
  var scan = form && form.querySelector(".scan");
  var button = document.getElementById("scan-button");
  var video = document.getElementById("scan-video");
  var input = document.getElementById("code");
  if (!scan || !button || !video || !input) { return; }
  scan.hidden = false;
  button.addEventListener("click", function () {
    var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
    navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } })
      .then(function (stream) {
        video.srcObject = stream;
        video.hidden = false;
        return video.play().then(function () {
          function look() {
            detector.detect(video).then(function (codes) {
              if (codes.length) {
                stream.getTracks().forEach(function (track) { track.stop(); });
                input.value = codes[0].rawValue;
                form.submit();
              } else {
                window.requestAnimationFrame(look);
              }
            }).catch(function () { window.requestAnimationFrame(look); });
          }
          look();
        });
      })
      .catch(function () { scan.hidden = true; });
  });
})();
