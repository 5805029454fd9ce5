/* Small progressive enhancements; every page works without them. */
(function () {
  "use strict";

  // Confirmation for destructive buttons (data-confirm on the button or its form). Runs in the
  // capture phase so a refusal stops the submit before htmx or the browser sees it.
  document.addEventListener("submit", function (event) {
    var button = event.submitter;
    var message = (button && button.getAttribute("data-confirm")) || event.target.getAttribute("data-confirm");
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);

  // Selects that apply at once (the header's site switcher); a <noscript> button covers no-JS.
  document.addEventListener("change", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-autosubmit") && event.target.form) {
      event.target.form.requestSubmit ? event.target.form.requestSubmit() : event.target.form.submit();
    }
  });

  // A secret shown once is selected on focus, ready to copy.
  document.addEventListener("focusin", function (event) {
    if (event.target.hasAttribute && event.target.hasAttribute("data-select-on-focus")) event.target.select();
  });

  // "Select all on this page" for bulk tables.
  document.addEventListener("change", function (event) {
    var name = event.target.getAttribute && event.target.getAttribute("data-check-all");
    if (!name) return;
    var form = event.target.form || document;
    form.querySelectorAll('input[type="checkbox"][name="' + name + '"]').forEach(function (box) {
      box.checked = event.target.checked;
    });
  });

  // A visible notice when an htmx request fails, instead of a silently frozen card.
  function banner(text) {
    var el = document.getElementById("net-error");
    if (!el) return;
    el.textContent = text;
    el.hidden = !text;
  }
  document.addEventListener("htmx:responseError", function (event) {
    var status = event.detail.xhr ? event.detail.xhr.status : 0;
    banner(status === 400 || status === 403
      ? "Your session expired or the page is stale. Reload the page to continue."
      : status === 404 ? "This item no longer exists or belongs to another account."
      : "The server had a problem (" + status + "). Retrying automatically…");
  });
  document.addEventListener("htmx:sendError", function () {
    banner("Cannot reach the server. Retrying automatically…");
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) banner("");
  });
})();
