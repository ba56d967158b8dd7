// Speedlab board: the round's countdown, drag and drop of ideas into clusters (SortableJS, only
// for the facilitator during clustering), and the print button on the summary. Without this
// script the board still works: the end time is shown and every action is a plain form.
(function () {
  "use strict";

  function pad(number) { return number < 10 ? "0" + number : String(number); }

  function updateCountdowns() {
    document.querySelectorAll("[data-speedlab-countdown]").forEach(function (time) {
      var left = document.querySelector("[data-speedlab-countdown-left]");
      if (!left) { return; }
      var seconds = Math.round((Date.parse(time.getAttribute("datetime")) - Date.now()) / 1000);
      if (seconds <= 0) {
        left.textContent = "(" + time.dataset.labelOver + ")";
        return;
      }
      var text = Math.floor(seconds / 60) + ":" + pad(seconds % 60);
      left.textContent = "(" + time.dataset.labelLeft.replace("{time}", text) + ")";
    });
  }

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function initSortables(root) {
    if (typeof Sortable === "undefined") { return; }
    root.querySelectorAll("[data-speedlab-sortable]").forEach(function (list) {
      if (list.dataset.sortableReady) { return; }
      list.dataset.sortableReady = "1";
      Sortable.create(list, {
        group: "speedlab-ideas",
        draggable: "[data-move-url]",
        filter: "select, button, input, label",
        preventOnFilter: false,
        animation: 150,
        onEnd: function (event) {
          var item = event.item;
          var target = event.to;
          var position = Array.prototype.indexOf.call(
            target.querySelectorAll("[data-move-url]"), item);
          htmx.ajax("POST", item.dataset.moveUrl, {
            swap: "none",
            values: { cluster_id: target.dataset.clusterId, position: String(position), csrf_token: csrfToken() },
            headers: { "X-CSRFToken": csrfToken() }
          });
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    updateCountdowns();
    window.setInterval(updateCountdowns, 1000);
    document.querySelectorAll("[data-speedlab-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
    });
    if (window.htmx) {
      htmx.onLoad(function (element) {
        updateCountdowns();
        initSortables(element);
      });
    }
  });
})();
