// The case page's small helpers. No inline scripts anywhere (CSP script-src 'self'):
// everything is wired here from classes and data attributes. The page works without it.
(function () {
  "use strict";

  function readJSON(id) {
    var node = document.getElementById(id);
    if (!node) return null;
    try { return JSON.parse(node.textContent); } catch (e) { return null; }
  }

  // --- one screen: the three columns take the height the header leaves them -------------
  var work = document.getElementById("work");
  if (work) {
    var fit = function () {
      var top = work.getBoundingClientRect().top + window.scrollY;
      work.style.setProperty("--work-top", Math.round(top) + "px");
    };
    fit();
    window.addEventListener("resize", fit);
    // Back from an action (#notes, #replies...): on the one-screen layout, bring the target
    // into view inside its column and keep the page itself at the top, header in view.
    var wide = window.matchMedia("(min-width: 1280px)");
    var land = function () {
      var id = window.location.hash.slice(1);
      var target = id && document.getElementById(id);
      if (!wide.matches || !target || !work.contains(target)) return;
      var column = target.closest(".work-col");
      window.scrollTo(0, 0);
      if (column && column !== target) {
        column.scrollTop += target.getBoundingClientRect().top - column.getBoundingClientRect().top - 8;
      }
    };
    land();
    window.addEventListener("load", land);
  }

  // <form data-confirm="..."> (money moves, cannot be undone) is handled by app.js.

  // "Go back and change" keeps what was typed (the browser's own history).
  document.querySelectorAll(".js-back").forEach(function (link) {
    link.addEventListener("click", function (event) {
      if (window.history.length > 1) { event.preventDefault(); window.history.back(); }
    });
  });

  // --- chat: live filter, newest first, flagged only -------------------------------------
  var log = document.getElementById("chat-log");
  var search = document.getElementById("chat-q");
  var count = document.getElementById("chat-count");
  if (log) {
    var messages = Array.prototype.slice.call(log.querySelectorAll(".chat-msg"));
    var none = document.querySelector(".case-chat .chat-none");
    var filter = function () {
      var needle = (search && search.value || "").trim().toLowerCase();
      var shown = 0;
      messages.forEach(function (li) {
        var text = li.querySelector(".chat-text");
        var hit = !needle || (text && text.textContent.toLowerCase().indexOf(needle) !== -1);
        li.classList.toggle("no-match", !hit);
        if (hit) shown += 1;
      });
      if (count) count.textContent = needle ? shown + " / " + messages.length : String(messages.length);
      if (none) none.hidden = shown !== 0 || !needle;
    };
    if (search) search.addEventListener("input", filter);

    var reverse = document.querySelector(".js-chat-reverse");
    if (reverse) {
      reverse.addEventListener("click", function () {
        var newest = log.classList.toggle("newest-first");
        reverse.textContent = newest ? reverse.dataset.oldest : reverse.dataset.newest;
        log.scrollTop = newest ? 0 : log.scrollHeight;
      });
    }
    var flagged = document.querySelector(".js-chat-flagged");
    if (flagged) {
      flagged.addEventListener("change", function () {
        log.classList.toggle("flagged-only", flagged.checked);
      });
    }
    // Open on the latest messages (that is where the dispute is), unless the address
    // points at a message.
    var pointed = window.location.hash && document.getElementById(window.location.hash.slice(1));
    if (!pointed || !log.contains(pointed)) log.scrollTop = log.scrollHeight;
    document.querySelectorAll(".js-jump").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var target = document.querySelector(link.getAttribute("href"));
        if (!target) return;
        event.preventDefault();
        log.classList.remove("flagged-only");
        target.classList.remove("no-match");
        target.scrollIntoView({ block: "center" });
        history.replaceState(null, "", link.getAttribute("href"));
      });
    });
  }

  // --- canned replies: only the chosen party's, filled into the text area ---------------
  var replies = readJSON("replies-data");
  document.querySelectorAll(".js-reply-pick").forEach(function (select) {
    var party = document.getElementById(select.dataset.partyField);
    var target = document.getElementById(select.dataset.target);
    // Only the chosen party's replies are in the list at all (a hidden <optgroup> still
    // shows in some browsers' pickers, listing every reply twice).
    var groups = Array.prototype.slice.call(select.querySelectorAll("optgroup"));
    var showParty = function () {
      groups.forEach(function (group) {
        var mine = !party || group.dataset.party === party.value;
        if (mine && !group.parentNode) select.appendChild(group);
        if (!mine && group.parentNode) group.parentNode.removeChild(group);
      });
      if (select.selectedIndex === -1) select.value = "";
    };
    if (party) party.addEventListener("change", showParty);
    showParty();
    select.addEventListener("change", function () {
      if (!replies || !select.value) return;
      var parts = select.value.split(":");
      var reply = (replies[parts[0]] || [])[Number(parts[1])];
      if (!reply || !target) return;
      target.value = reply.text;
      target.focus();
      // Select the blank left to type over (cases.replies: reply.blank).
      if (reply.blank) target.setSelectionRange(reply.blank[0], reply.blank[1]);
    });
  });

  // --- verdict: the penalty matrix pre-fills the account action --------------------------
  var penalties = readJSON("penalties-data") || {};
  var verdictForm = document.querySelector(".js-verdict-form");
  if (verdictForm) {
    var responsible = verdictForm.querySelector("[name=responsible_party]");
    var kind = verdictForm.querySelector("[name=action_kind]");
    var days = verdictForm.querySelector("[name=action_days]");
    var applied = verdictForm.querySelector(".js-penalty-applied");
    var daysField = days && days.closest(".field");
    var syncDays = function () {
      if (daysField) daysField.hidden = !kind || kind.value !== "p2p_restriction";
    };
    // Rules whose text does not allow the chosen outcome or responsible party are greyed
    // out (the server refuses them anyway: Rule.verdict_conflict).
    var outcome = verdictForm.querySelector("[name=outcome]");
    var rule = verdictForm.querySelector("[name=rule]");
    var fits = function (allowed, value) {
      return !allowed || !value || allowed.split(" ").indexOf(value) >= 0;
    };
    var syncRules = function () {
      if (!rule) return;
      rule.querySelectorAll("option[data-outcomes]").forEach(function (option) {
        var fit = fits(option.dataset.outcomes, outcome && outcome.value) &&
          fits(option.dataset.responsible, responsible && responsible.value);
        // The chosen rule stays choosable: a disabled selection would not be sent, and the
        // check's message says why it does not fit.
        option.disabled = !fit && !option.selected;
      });
    };
    if (outcome) outcome.addEventListener("change", syncRules);
    if (responsible) responsible.addEventListener("change", syncRules);
    syncRules();
    if (responsible && kind) {
      responsible.addEventListener("change", function () {
        var suggestion = penalties[responsible.value];
        if (responsible.value === "none" || !suggestion) {
          kind.value = "";
          if (days) days.value = "";
          if (applied) applied.textContent = "";
        } else {
          kind.value = suggestion.kind || "";
          if (days) days.value = suggestion.days || "";
          if (applied) applied.textContent = "→ " + suggestion.label;
        }
        syncDays();
      });
      kind.addEventListener("change", syncDays);
      syncDays();
    }
  }

  // --- review decision: corrected outcome only for a reversal ----------------------------
  var reviewForm = document.querySelector(".js-review-form");
  if (reviewForm) {
    var only = reviewForm.querySelector(".js-reverse-only");
    var sync = function () {
      var checked = reviewForm.querySelector("[name=decision]:checked");
      if (only) only.hidden = !checked || checked.value !== "reverse";
    };
    reviewForm.addEventListener("change", sync);
    sync();
  }
})();
