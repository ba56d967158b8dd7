// The 100-day board: drag and drop with SortableJS (loaded only for team members), and a refresh
// that never clobbers a card someone is editing or moving. Everything here has a plain-form
// fallback: the "Verplaatsen" and "Bewerken" links open the card's forms on their own pages.
(function () {
  "use strict";

  var dragging = false;
  var kept = [];

  function initSortable(root) {
    if (typeof window.Sortable === "undefined" || typeof window.htmx === "undefined") { return; }
    var board = document.getElementById("board-columns");
    if (!board || board.dataset.editable !== "true") { return; }
    var lists = root.querySelectorAll ? root.querySelectorAll(".board-column__cards") : [];
    Array.prototype.forEach.call(lists, function (list) {
      if (list.dataset.sortable === "on") { return; }
      list.dataset.sortable = "on";
      window.Sortable.create(list, {
        group: "board",
        animation: 120,
        filter: ".board-card--editing, input, textarea, select, button, a, summary, label",
        preventOnFilter: false,
        onStart: function () { dragging = true; },
        onEnd: function (event) {
          dragging = false;
          var item = event.item;
          if (event.from === event.to && event.oldIndex === event.newIndex) { return; }
          window.htmx.ajax("POST", item.dataset.moveUrl, {
            source: item,
            target: "#board-columns",
            swap: "none",
            values: { column: event.to.dataset.column, position: event.newIndex + 1 }
          });
        }
      });
    });
  }

  // Before a refresh replaces the columns, take the cards being edited out of the page (with what
  // was typed, the caret and the focus) and put them back in place of their fresh copies after.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "board-columns" || !event.detail.shouldSwap) { return; }
    if (dragging) {
      // Mid-drag: skip this refresh; the version stays old, so the next one brings the change.
      event.detail.shouldSwap = false;
      return;
    }
    kept = [];
    Array.prototype.forEach.call(target.querySelectorAll(".board-card--editing"), function (node) {
      var active = node.contains(document.activeElement) ? document.activeElement : null;
      var entry = { node: node, active: active, start: null, end: null };
      if (active && typeof active.selectionStart === "number") {
        entry.start = active.selectionStart;
        entry.end = active.selectionEnd;
      }
      node.replaceWith(document.createElement("li"));
      kept.push(entry);
    });
  });

  // Keyboard users: a form that opens in place (data-focus-first) gets the focus, and after a move with that
  // form the focus follows the card to its new place (its "Verplaatsen" link).
  var movedCardId = null;

  // At the swap itself (not at htmx:load, a moment later, when someone may already be typing).
  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    var element = target && target.id ? document.getElementById(target.id) : null;
    if (element && element.hasAttribute("data-focus-first") && !element.contains(document.activeElement)) {
      var first = element.querySelector("select, textarea, input:not([type=hidden])");
      if (first) { first.focus(); }
    }
  });

  // A move with the inline form is said aloud ("Kaart ‘…’ staat nu in Klaar."): the focus follows the
  // card, and the live region says where it went.
  document.addEventListener("board-announce", function (event) {
    var region = document.getElementById("board-announcer");
    if (region && event.detail && event.detail.value) { region.textContent = event.detail.value; }
  });

  // Noted before the swap: afterwards the form is out of the page and its events reach nobody.
  document.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.requestConfig ? event.detail.requestConfig.elt : null;
    if (form && form.classList && form.classList.contains("board-move-form") && event.detail.xhr.status === 200) {
      movedCardId = form.closest(".board-card").id;
    }
  });

  document.addEventListener("htmx:afterSettle", function (event) {
    if (!movedCardId) { return; }
    var link = document.querySelector("#" + movedCardId + " .board-card__move");
    if (link) { link.focus(); }
    if (event.detail.target && event.detail.target.id === "board-columns") { movedCardId = null; }
  });

  document.addEventListener("htmx:afterSwap", function () {
    if (!kept.length) { return; }
    kept.forEach(function (entry) {
      var fresh = document.getElementById(entry.node.id);
      if (fresh) { fresh.replaceWith(entry.node); }
      if (entry.active && document.contains(entry.active)) {
        entry.active.focus();
        if (entry.start !== null) {
          try { entry.active.setSelectionRange(entry.start, entry.end); } catch (ignore) { /* not a text field */ }
        }
      }
    });
    kept = [];
  });

  function start() {
    initSortable(document);
    if (window.htmx) {
      window.htmx.onLoad(function (element) { initSortable(element); });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
