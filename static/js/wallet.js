// Demo wallet: the credential card and the "Will be shared" list follow the identity and
// format selects; "Custom identity" opens its fields. Without this, "Show" re-renders.
(function () {
  "use strict";
  var form = document.getElementById("wallet-form");
  if (!form) { return; }
  var identity = form.querySelector('[name="identity"]');
  var format = form.querySelector('[name="credential_format"]');
  var custom = document.getElementById("custom-identity");
  var show = document.getElementById("wallet-show");
  if (show) { show.hidden = true; }

  function follow() {
    form.querySelectorAll("[data-identity]").forEach(function (card) {
      card.hidden = card.dataset.identity !== identity.value;
    });
    form.querySelectorAll("[data-format]").forEach(function (list) {
      list.hidden = list.dataset.format !== format.value;
    });
  }
  function customName() {
    var given = form.querySelector('[name="given_name"]').value.trim();
    var family = form.querySelector('[name="family_name"]').value.trim();
    var name = form.querySelector("[data-custom-name]");
    if (name) { name.textContent = (given + " " + family).trim() || "Custom identity"; }
  }
  identity.addEventListener("change", function () {
    follow();
    if (identity.value === "custom" && custom) {
      custom.open = true;
      form.querySelector('[name="given_name"]').focus();
    }
  });
  if (format) { format.addEventListener("change", follow); }
  ["given_name", "family_name"].forEach(function (name) {
    var input = form.querySelector('[name="' + name + '"]');
    if (input) { input.addEventListener("input", customName); }
  });
  follow();
})();
