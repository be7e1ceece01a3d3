/* The case page without reloads: the verdict form's confirmation as an in-page dialog.
 *
 * Submitting the verdict form (.js-verdict-form) asks the server to check it
 * (data-check-url of #verdict-dialog, which decides nothing) and shows the answer in the
 * dialog: where the money goes, the verdict and what each party will be told, with the
 * Confirm button (a plain form post that decides, then lands on the next case), or the
 * form's errors. Esc or "Go back and change" closes it with the form as typed. Without
 * this script the form posts to the confirmation page instead. No inline scripts (CSP).
 */
(function () {
  "use strict";

  var dialog = document.getElementById("verdict-dialog");
  var form = document.querySelector(".js-verdict-form");
  if (!dialog || !form || typeof dialog.showModal !== "function") return;
  var body = dialog.querySelector(".verdict-dialog-body");

  function say(text) {
    body.textContent = "";
    var p = document.createElement("p");
    p.className = "case-flag bad";
    p.setAttribute("role", "alert");
    p.textContent = text;
    var close = document.createElement("form");
    close.method = "dialog";
    var button = document.createElement("button");
    button.className = "btn";
    button.type = "submit";
    button.textContent = "OK";
    close.appendChild(button);
    body.appendChild(p);
    body.appendChild(close);
  }

  form.addEventListener("submit", function (event) {
    if (event.defaultPrevented) return;
    event.preventDefault();
    var submitter = form.querySelector("button[type=submit]");
    if (submitter) submitter.disabled = true;
    body.textContent = dialog.getAttribute("data-loading-text") || "";
    if (!dialog.open) dialog.showModal();
    var token = form.querySelector("input[name=csrfmiddlewaretoken]");
    fetch(dialog.getAttribute("data-check-url"), {
      method: "POST",
      body: new FormData(form),
      credentials: "same-origin",
      headers: { "X-CSRFToken": token ? token.value : "", "X-Requested-With": "fetch" }
    }).then(function (response) {
      // 200: the confirmation; 400/403/409: why not (form errors, refusal, stale page).
      if (response.status >= 500 || response.status === 401) throw new Error(String(response.status));
      return response.text();
    }).then(function (html) {
      body.innerHTML = html;
      var focus = body.querySelector("[autofocus]");
      if (focus) focus.focus();
      document.dispatchEvent(new CustomEvent("verdict:checked"));
    }).catch(function () {
      say(document.body.getAttribute("data-error-text") || "The server could not answer.");
    }).finally(function () {
      if (submitter) submitter.disabled = false;
    });
  });

  dialog.addEventListener("close", function () {
    var first = form.querySelector("select, textarea, input:not([type=hidden])");
    if (first && document.activeElement === document.body) first.focus();
  });
})();
