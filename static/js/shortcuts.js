// Keyboard shortcuts of the queue and the case page (issue 11). Wired from data attributes:
//   ?  the help <dialog data-test="shortcuts">
//   n  submits <form data-shortcut-submit="n"> (claim the next case)
//   j/k  the next / previous chat message (focus, highlight, scroll into view)
//   v, e  open and focus <details data-shortcut="v|e"> (the verdict form, the evidence request)
//   Esc  closes an open popover (<details class="pop">); a modal <dialog> closes itself.
// Nothing happens while typing in a field or with a modifier held. A dialog gives the
// focus back to where it was when it closes.
(function () {
  "use strict";

  function typing(target) {
    if (!target || !target.closest) return false;
    return Boolean(target.closest("input, textarea, select, [contenteditable=''], [contenteditable=true]"));
  }

  // Remember who opened a dialog and give the focus back on close (Esc, a button, form).
  function openDialog(dialog) {
    if (!dialog || dialog.open) return;
    var opener = document.activeElement;
    dialog.addEventListener("close", function back() {
      dialog.removeEventListener("close", back);
      if (opener && opener.focus && document.contains(opener)) opener.focus();
    });
    dialog.showModal();
  }
  window.deskOpenDialog = openDialog;

  function anyDialogOpen() {
    return Boolean(document.querySelector("dialog[open]"));
  }

  // --- the chat: j / k ------------------------------------------------------------------
  function chatMessages() {
    var log = document.getElementById("chat-log");
    if (!log) return [];
    var all = Array.prototype.slice.call(log.querySelectorAll(".chat-msg"));
    // Shown ones only (not filtered out), in reading order (the log may be reversed).
    var shown = all.filter(function (li) { return li.offsetParent !== null; });
    if (log.classList.contains("newest-first")) shown.reverse();
    return shown;
  }

  function stepChat(delta) {
    var items = chatMessages();
    if (!items.length) return;
    var current = document.querySelector(".chat-msg.is-current");
    var at = items.indexOf(current);
    // Nothing chosen yet: start from the latest message, where the log opens.
    var next = at === -1 ? items.length - 1 : Math.min(items.length - 1, Math.max(0, at + delta));
    if (current) current.classList.remove("is-current");
    var target = items[next];
    target.classList.add("is-current");
    target.focus({ preventScroll: true });
    target.scrollIntoView({ block: "nearest" });
  }

  // --- v / e: open a form and put the cursor in it ---------------------------------------
  function openForm(key) {
    var details = document.querySelector("details[data-shortcut='" + key + "']");
    if (!details) return false;
    details.open = true;
    var field = details.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    details.scrollIntoView({ block: "nearest" });
    if (field) field.focus();
    else details.querySelector("summary").focus();
    return true;
  }

  // A case page whose form for this key is not offered to the user says why, briefly,
  // in a status line screen readers announce.
  var hintTimer = null;
  function explain(key) {
    var hint = document.querySelector("[data-test=shortcut-hint]");
    var why = hint && hint.getAttribute("data-why-" + key);
    if (!why) return false;
    hint.textContent = why;
    hint.hidden = false;
    clearTimeout(hintTimer);
    hintTimer = setTimeout(function () { hint.hidden = true; }, 5000);
    return true;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (event.key === "Escape") {
      var pop = document.querySelector("details.pop[open]");
      if (pop && !anyDialogOpen()) {
        pop.open = false;
        pop.querySelector("summary").focus();
        event.preventDefault();
      }
      return;
    }
    if (typing(event.target) || anyDialogOpen()) return;
    var handled = true;
    switch (event.key) {
      case "?":
        openDialog(document.querySelector("dialog[data-test=shortcuts]"));
        break;
      case "n": {
        var form = document.querySelector("form[data-shortcut-submit=n]");
        if (form) form.requestSubmit();
        else handled = false;
        break;
      }
      case "j":
        stepChat(1);
        break;
      case "k":
        stepChat(-1);
        break;
      case "v":
      case "e":
        handled = openForm(event.key) || explain(event.key);
        break;
      default:
        handled = false;
    }
    if (handled) event.preventDefault();
  });

  // A click outside an open popover closes it.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.pop[open]").forEach(function (pop) {
      if (!pop.contains(event.target)) pop.open = false;
    });
  });
})();
