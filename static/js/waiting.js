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

  // A finished request: the server renders the same panel as the page (`html`); a reply
  // without one (an error page's JSON) gets a plain alert with a way back.
  function showError(result) {
    stopped = true;
    var waiting = document.getElementById("status-waiting");
    if (waiting) { waiting.hidden = true; }
    var box = document.getElementById("status-error");
    if (result.html) {
      box.innerHTML = result.html;
    } else {
      var alert = document.createElement("div");
      alert.className = "alert alert-error";
      alert.setAttribute("role", "alert");
      var title = document.createElement("p");
      title.className = "alert-title";
      title.textContent = result.title || "Verification failed";
      var detail = document.createElement("p");
      detail.textContent = result.detail || "";
      alert.append(title, detail);
      var again = document.createElement("a");
      again.className = "button button-primary";
      again.href = window.location.pathname;
      again.textContent = "Reload";
      var actions = document.createElement("p");
      actions.className = "actions";
      actions.append(again);
      box.replaceChildren(alert, actions);
    }
    box.hidden = false;
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
