/* The person's page: add a weekly-shift row (from the formset's empty form) and show
 * "overnight" next to a row whose end is at or before its start. Without JS the page
 * still offers two blank rows and the server shows the same hint after saving. */
(function () {
  "use strict";

  function overnight(row) {
    var start = row.querySelector('input[name$="-start"]');
    var end = row.querySelector('input[name$="-end"]');
    var hint = row.querySelector("[data-overnight]");
    if (!start || !end || !hint) return;
    hint.hidden = !(start.value && end.value && end.value <= start.value);
  }

  document.addEventListener("input", function (event) {
    var row = event.target.closest && event.target.closest("tr.shift-row");
    if (row) overnight(row);
  });

  var add = document.getElementById("shift-add");
  var template = document.getElementById("shift-empty");
  var body = document.getElementById("shift-rows");
  var total = document.querySelector('input[name="shifts-TOTAL_FORMS"]');
  if (!add || !template || !body || !total) return;
  add.addEventListener("click", function () {
    var index = parseInt(total.value, 10) || 0;
    var max = parseInt(add.getAttribute("data-max"), 10) || 21;
    if (index >= max) return;
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    body.insertAdjacentHTML("beforeend", html);
    total.value = String(index + 1);
    var select = body.lastElementChild && body.lastElementChild.querySelector("select");
    if (select) select.focus();
  });
})();
