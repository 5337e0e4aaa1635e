// Waiting page: poll the status once a second; follow next_url or show the error.
// In browser-wallet mode, ask the wallet through the Digital Credentials API.
(function () {
  "use strict";
  var root = document.getElementById("verification");
  if (!root || root.dataset.terminal === "true") { return; }
  var statusUrl = root.dataset.statusUrl;
  var completeUrl = root.dataset.completeUrl;
  var csrf = root.dataset.csrf;
  var statusText = document.getElementById("status-text");
  var stopped = false;

  function showError(result) {
    stopped = true;
    var waiting = document.getElementById("status-waiting");
    if (waiting) { waiting.hidden = true; }
    var box = document.getElementById("status-error");
    var template = document.getElementById("error-template");
    box.replaceChildren(template.content.cloneNode(true));
    box.querySelector(".alert-title").textContent = result.title || "Verification failed";
    box.querySelector(".alert-detail").textContent = result.detail || "";
    box.hidden = false;
    if (result.status === "account_exists" || result.status === "not_found") {
      var link = document.createElement("a");
      link.className = "button button-primary";
      link.href = result.next_url;
      link.textContent = result.status === "account_exists" ? "Sign in" : "Create account";
      box.querySelector(".actions").prepend(link);
    }
  }

  function handle(result) {
    if (result.status === "pending") {
      if (statusText && result.detail) { statusText.textContent = result.detail; }
      return;
    }
    if (result.status === "authorized" && result.next_url) {
      stopped = true;
      window.location.assign(result.next_url);
      return;
    }
    showError(result);
  }

  function poll() {
    if (stopped) { return; }
    fetch(statusUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (response.status === 404) { stopped = true; window.location.reload(); return null; }
        return response.json().then(function (result) {
          // A passing outage (503) changes nothing on the server: say so and keep polling.
          if (!response.ok) {
            if (statusText && result.detail) { statusText.textContent = result.detail; }
            return null;
          }
          return result;
        });
      })
      .then(function (result) { if (result) { handle(result); } })
      .catch(function () { /* a network hiccup: try again on the next tick */ })
      .finally(function () { if (!stopped) { window.setTimeout(poll, 1000); } });
  }

  var connect = document.getElementById("connect-wallet");
  if (connect) {
    var supported = typeof window.DigitalCredential !== "undefined" && navigator.credentials;
    if (!supported) {
      connect.hidden = true;
      document.getElementById("dc-unsupported").hidden = false;
    }
    connect.addEventListener("click", function () {
      var request = JSON.parse(connect.dataset.request);
      connect.disabled = true;
      navigator.credentials.get({ digital: { requests: [request] } })
        .then(function (credential) {
          return fetch(completeUrl, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", "X-CSRFToken": csrf },
            body: JSON.stringify({ origin: window.location.origin, response: credential.data })
          });
        })
        .then(function (response) { return response.json(); })
        .then(handle)
        .catch(function (error) {
          connect.disabled = false;
          if (statusText) { statusText.textContent = "The wallet did not answer (" + error.name + "). Try again."; }
        });
    });
  }
  window.setTimeout(poll, 1000);
})();
