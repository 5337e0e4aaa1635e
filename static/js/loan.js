// Loan form: the repayment estimate follows the amount and term as they change. The
// figures come from the server (data-estimates); this only looks them up.
(function () {
  "use strict";
  var form = document.getElementById("loan-form");
  if (!form) { return; }
  var table = JSON.parse(form.dataset.estimates || "{}");
  var amount = form.querySelector('[name="amount"]');
  var term = form.querySelector('[name="term"]');
  var update = document.getElementById("update-estimate");
  if (update) { update.hidden = true; }
  function show() {
    var figures = table[amount.value + ":" + term.value];
    if (!figures) { return; }
    Object.keys(figures).forEach(function (key) {
      var cell = form.querySelector('[data-estimate="' + key + '"]');
      if (cell) { cell.textContent = figures[key]; }
    });
  }
  amount.addEventListener("change", show);
  term.addEventListener("change", show);
})();
