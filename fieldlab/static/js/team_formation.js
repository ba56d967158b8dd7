// Team formation: drag a participant to another team. The drop only fills in the person's own
// "Verplaats naar" form and submits it, so dragging and the no-JavaScript form do exactly the same
// (htmx posts it with the draft's version and swaps in the updated scores and warnings).
(function () {
  "use strict";

  function submitMove(item, teamId) {
    document.querySelectorAll("[data-teams-dropzone] [style]").forEach(function (element) {
      element.removeAttribute("style");
    });
    var form = item.querySelector("form[data-teams-move]");
    if (!form) { return; }
    var select = form.querySelector("select[name=team_id]");
    select.value = teamId;
    if (typeof form.requestSubmit === "function") {
      form.requestSubmit();
    } else {
      window.htmx.trigger(form, "submit");
    }
  }

  function enableDragging(root) {
    if (typeof window.Sortable === "undefined") { return; }
    root.querySelectorAll("[data-teams-dropzone]").forEach(function (list) {
      window.Sortable.create(list, {
        group: "teams",
        // No animation: it leaves inline transform/transition styles on the cards, and htmx copies
        // the attributes of elements that keep their id when it swaps, which our CSP then refuses.
        animation: 0,
        forceFallback: true,  // pointer events instead of native drag: same on mouse, touch and pen
        filter: "select, button, input, label",
        preventOnFilter: false,
        onEnd: function (event) {
          if (event.from === event.to) { return; }
          submitMove(event.item, event.to.dataset.teamId || "");
        }
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { enableDragging(document); });
  document.addEventListener("htmx:afterSwap", function (event) {
    var workspace = document.getElementById("teams-workspace");
    if (workspace) { enableDragging(workspace); }
  });
})();
