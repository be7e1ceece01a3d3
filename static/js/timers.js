/* Live deadlines. Every element with data-due="<ISO time>" counts down each second:
 * "2h 14m left", "overdue 5m", or "paused" while it carries data-paused (a clock that
 * stands still). The server renders the same text first, so the page reads right without
 * JS; the words come from <body data-timer-left / -overdue / -paused> (translated).
 * Under four hours (the queue's "due soon") the seconds show too, so a clock that matters
 * visibly runs. Elements htmx swaps in are picked up on the next tick. The text is not a live region:
 * a screen reader is not read a new number every second; the title keeps the due time.
 */
(function () {
  "use strict";

  var body = document.body;
  var SECONDS_SHOWN = 4 * 3600;
  function word(name, fallback) {
    return (body && body.getAttribute("data-timer-" + name)) || fallback;
  }

  // The server's units (arbitration.formatting.compact_duration), in the page's language.
  function fill(pattern, values) {
    return pattern.replace(/%\((\w+)\)d/g, function (_all, key) { return String(values[key]); });
  }

  function compact(seconds) {
    var v = {
      days: Math.floor(seconds / 86400),
      hours: Math.floor((seconds % 86400) / 3600),
      minutes: Math.floor((seconds % 3600) / 60),
      seconds: Math.floor(seconds % 60)
    };
    var secs = fill(word("s", "%(seconds)ds"), v);
    if (v.days) return fill(word("dh", "%(days)dd %(hours)dh"), v);
    if (v.hours) {
      var hm = fill(word("hm", "%(hours)dh %(minutes)dm"), v);
      return seconds < SECONDS_SHOWN ? hm + " " + secs : hm;
    }
    if (v.minutes) return fill(word("m", "%(minutes)dm"), v) + " " + secs;
    return secs;
  }

  function render(el, now) {
    if (el.hasAttribute("data-paused")) {
      el.textContent = word("paused", "paused");
      el.classList.add("is-paused");
      return;
    }
    var due = Date.parse(el.getAttribute("data-due"));
    if (isNaN(due)) return;
    var left = Math.round((due - now) / 1000);
    var text;
    if (left < 0) {
      text = word("overdue", "overdue %s").replace("%s", compact(-left));
      el.classList.add("is-overdue");
    } else {
      text = word("left", "%s left").replace("%s", compact(left));
      el.classList.remove("is-overdue");
      el.classList.toggle("is-soon", left < 4 * 3600);
    }
    if (el.textContent !== text) el.textContent = text;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) { render(el, now); });
  }

  tick();
  window.setInterval(tick, 1000);
  document.addEventListener("htmx:afterSettle", tick);
})();
