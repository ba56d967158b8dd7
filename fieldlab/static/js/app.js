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

  // A table wider than its box scrolls inside it; app.css draws a shadow on the side with more
  // columns, and this adds a line of text above such a table, so nobody misses the hidden columns.
  function markScrollingTables() {
    var hint = document.body.dataset.tableScrollHint;
    document.querySelectorAll(".table-wrap").forEach(function (wrap) {
      var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
      var note = wrap.previousElementSibling;
      var hasNote = note && note.classList.contains("table-scroll-hint");
      // Only where a paragraph can sit above the table without joining a grid or flex layout.
      var inFlow = getComputedStyle(wrap.parentNode).display === "block";
      if (scrolls && !hasNote && hint && inFlow) {
        note = document.createElement("p");
        note.className = "table-scroll-hint";
        note.setAttribute("aria-hidden", "true");
        note.textContent = hint;
        wrap.parentNode.insertBefore(note, wrap);
      } else if (!scrolls && hasNote) {
        note.remove();
      }
    });
  }

  // A form sent back with errors: keyboard and screen-reader users start at the summary, whose
  // links lead to each field (without JavaScript, role="alert" still reads it out).
  function focusErrorSummary(root) {
    var summary = (root || document).querySelector(".error-summary");
    if (summary && !summary.contains(document.activeElement)) {
      summary.focus();
    }
  }

  // A page link (macros/pagination.html) swaps the list it sits in, itself included, so the focus
  // would fall back to <body> and a keyboard user would start again at the top of the page. It goes
  // to the top of the new list instead: its count ("51–100 van 312 Labs"), else its first heading,
  // else the list itself; tabindex="-1" lets the script focus it without adding a tab stop.
  function focusPagedList(event) {
    // requestConfig.elt is the link that asked; detail.elt is the new content once the link is gone.
    var config = event.detail.requestConfig;
    var link = config && config.elt;
    var target = event.detail.target;
    if (!link || !link.closest || !link.closest(".pager") || !target || !target.id) { return; }
    var list = document.getElementById(target.id);  // the new element after an outerHTML swap
    if (!list || list.contains(document.activeElement)) { return; }
    var landing = list.querySelector(".pager__count, h2, h3") || list;
    if (!landing.hasAttribute("tabindex")) { landing.setAttribute("tabindex", "-1"); }
    // No scrolling here: the link's hx-swap "show:…:top" has already put the list's top in view.
    landing.focus({ preventScroll: true });
  }

  document.addEventListener("DOMContentLoaded", function () { focusErrorSummary(document); });
  document.addEventListener("htmx:afterSettle", focusPagedList);
  // After a form sent with htmx only: a refresh that polls (a GET) must never take the focus away.
  document.addEventListener("htmx:afterSettle", function (event) {
    var config = event.detail.requestConfig;
    if (config && config.verb && config.verb.toLowerCase() !== "get") { focusErrorSummary(event.detail.elt); }
  });
  document.addEventListener("DOMContentLoaded", markScrollingTables);
  window.addEventListener("resize", markScrollingTables);
  document.addEventListener("htmx:afterSettle", markScrollingTables);

  document.addEventListener("htmx:responseError", function (event) {
    showError(event.detail.xhr ? event.detail.xhr.status : 0);
  });
  document.addEventListener("htmx:sendError", function () { showError(0); });
  document.addEventListener("htmx:timeout", function () { showError(0); });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.successful) { hideError(); }
  });
})();
