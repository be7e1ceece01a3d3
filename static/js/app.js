/* Shared behaviour of every page. No inline scripts anywhere: the Content-Security-Policy
 * allows only static files. Everything here is an enhancement; pages work without it.
 *
 *  - html.js is set, so CSS can hide no-JS fallbacks (.nojs buttons).
 *  - <select data-autosubmit> submits its form on change (the language switcher).
 *  - <form data-confirm="question"> asks before submitting.
 *  - <tr data-href> rows open their link when clicked outside a link, button or input.
 *  - htmx GETs drop empty parameters (clean pushed URLs).
 *  - htmx failures (network, 5xx) show a message instead of failing silently.
 */
(function () {
  "use strict";

  document.documentElement.classList.add("js");

  document.addEventListener("change", function (event) {
    var target = event.target;
    if (target.matches && target.matches("select[data-autosubmit]") && target.form) {
      if (typeof target.form.requestSubmit === "function") {
        target.form.requestSubmit();
      } else {
        target.form.submit();
      }
    }
  });

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  document.addEventListener("click", function (event) {
    if (event.defaultPrevented || event.button !== 0) return;
    if (event.target.closest("a, button, input, select, textarea, label, summary")) return;
    var row = event.target.closest("tr[data-href]");
    if (!row) return;
    // Selecting text in a row (to copy an order number) is not a click on it.
    var selection = window.getSelection && window.getSelection();
    if (selection && String(selection).length > 0) return;
    var href = row.getAttribute("data-href");
    if (event.ctrlKey || event.metaKey) {
      window.open(href, "_blank", "noopener");
    } else {
      window.location.assign(href);
    }
  });

  // A GET built from a filter form leaves empty fields out of the URL it pushes, so the
  // address bar reads ?reason=chargeback, not ?q=&reason=chargeback&assignee=&...
  document.addEventListener("htmx:configRequest", function (event) {
    var detail = event.detail;
    if (!detail || detail.verb !== "get" || !detail.parameters) return;
    var params = detail.parameters;
    var keep = {};
    var keys = [];
    Array.from(params.entries()).forEach(function (pair) {
      if (keys.indexOf(pair[0]) < 0) keys.push(pair[0]);
      if (pair[1] !== "") keep[pair[0]] = true;
    });
    keys.forEach(function (key) {
      if (!keep[key]) params.delete(key);
    });
  });

  function notify(text) {
    var main = document.getElementById("main");
    if (!main) return;
    var list = main.querySelector("ul.messages");
    if (!list) {
      list = document.createElement("ul");
      list.className = "messages";
      list.setAttribute("role", "status");
      main.insertBefore(list, main.firstChild);
    }
    var item = document.createElement("li");
    item.className = "message message-error";
    item.textContent = text;
    list.appendChild(item);
  }

  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail && event.detail.xhr ? event.detail.xhr.status : "";
    notify((document.body.getAttribute("data-error-text") || "The server could not answer.") +
      (status ? " (" + status + ")" : ""));
  });
  document.addEventListener("htmx:sendError", function () {
    notify(document.body.getAttribute("data-offline-text") || "No connection to the server.");
  });
})();
