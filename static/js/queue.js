/* The queue's bulk reassignment (seniors and leads): "select all" ticks every row of the
 * page, and the bar says how many are ticked. The rows live in #queue-results, which htmx
 * replaces on a filter change, so everything is delegated to the document.
 * Without JS the boxes still work; only "select all" and the count need this.
 *
 * The live refresh (#queue-poll, every 15 s, the filter form's current values) brings new
 * cases and fresh counts; it is skipped past the first page (the rows would jump back to
 * page one), while any row is ticked (the ticks would be lost) or focused, and in a
 * hidden tab.
 */
(function () {
  "use strict";

  function picks() {
    return Array.from(document.querySelectorAll("input.js-pick:not(:disabled)"));
  }

  function update() {
    var all = picks();
    var ticked = all.filter(function (box) { return box.checked; }).length;
    var head = document.querySelector("input.js-pick-all");
    if (head) {
      head.checked = all.length > 0 && ticked === all.length;
      head.indeterminate = ticked > 0 && ticked < all.length;
    }
    var label = document.querySelector(".js-picked");
    if (label) {
      label.textContent = ticked
        ? label.getAttribute("data-some").replace("%s", String(ticked))
        : label.getAttribute("data-none");
    }
  }

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target.matches) return;
    if (target.matches("input.js-pick-all")) {
      picks().forEach(function (box) { box.checked = target.checked; });
      update();
    } else if (target.matches("input.js-pick")) {
      update();
    }
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var source = event.detail && event.detail.elt;
    if (!source || source.id !== "queue-poll") return;
    var firstPage = document.querySelector("#queue-results [data-first-page]");
    var ticked = picks().some(function (box) { return box.checked; });
    // A keyboard user on a row keeps their place: the swap would drop the focus.
    var results = document.getElementById("queue-results");
    var focused = results && results.contains(document.activeElement);
    if (!firstPage || ticked || focused || document.hidden) event.preventDefault();
  });

  document.addEventListener("htmx:afterSettle", update);
  document.addEventListener("DOMContentLoaded", update);
})();
