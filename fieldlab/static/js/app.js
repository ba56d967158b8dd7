// Fieldlab's own script: small, no inline handlers (the CSP forbids inline script).
// A failed htmx request never fails silently: it shows a Dutch (or English) message in a live region.
(function () {
  "use strict";

  function errorRegion() {
    return document.getElementById("htmx-error");
  }

  function showError(status) {
    var region = errorRegion();
    if (!region) { return; }
    var body = document.body.dataset;
    var message = body.htmxError;
    if (status === 403 || status === 404) { message = body.htmxForbidden; }
    if (status === 401) { message = body.htmxExpired; }
    region.textContent = message;
    region.hidden = false;
  }

  function hideError() {
    var region = errorRegion();
    if (region) { region.hidden = true; region.textContent = ""; }
  }

  document.addEventListener("htmx:responseError", function (event) {
    showError(event.detail.xhr ? event.detail.xhr.status : 0);
  });
  document.addEventListener("htmx:sendError", function () { showError(0); });
  document.addEventListener("htmx:timeout", function () { showError(0); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) { hideError(); }
  });
})();
