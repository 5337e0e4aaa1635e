// "Browser wallet" needs the Digital Credentials API: switch it off where the browser lacks it.
(function () {
  "use strict";
  var supported = typeof window.DigitalCredential !== "undefined" && navigator.credentials;
  if (supported) { return; }
  document.querySelectorAll('[data-choice="dc_api"]').forEach(function (label) {
    var input = label.querySelector("input");
    if (input) { input.disabled = true; }
    label.classList.add("choice-disabled");
  });
})();
