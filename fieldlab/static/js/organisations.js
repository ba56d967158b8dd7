// The organisation picker: picking a kind ("Een gemeente die er niet bij staat…") shows the question
// "Welke gemeente?" under the list at once. Without this script the form asks it in a second step.
(function () {
  "use strict";

  function update(select) {
    var group = document.getElementById(select.dataset.organisationPicker + "-group");
    if (!group) { return; }
    var option = select.options[select.selectedIndex];
    var question = option ? option.dataset.question : null;
    var input = document.getElementById(select.dataset.organisationPicker);
    if (question) {
      var label = group.querySelector("label[for='" + input.id + "']");
      if (label && label.firstChild) { label.firstChild.textContent = question + " "; }
      // Once a kind is picked the name is needed: the "(optioneel)" of the field macro would mislead.
      group.querySelectorAll(".field__optional").forEach(function (mark) { mark.hidden = true; });
      group.hidden = false;
    } else {
      group.hidden = true;
    }
    // Tells the server the question was on the screen for this kind: left empty now, it is an error.
    var asked = group.querySelector("[data-organisation-asked]");
    if (asked) { asked.value = question ? select.value : ""; }
  }

  function wire(root) {
    root.querySelectorAll("select[data-organisation-picker]").forEach(function (select) {
      if (select.dataset.organisationPickerWired) { return; }
      select.dataset.organisationPickerWired = "1";
      // The question follows the list in the page, so Tab reaches it; focus is not moved for the user.
      select.addEventListener("change", function () { update(select); });
    });
  }

  document.addEventListener("DOMContentLoaded", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function (event) { wire(event.target); });
})();
