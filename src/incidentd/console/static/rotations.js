// incidentd console: the rotation and schedule forms' ordered lists (members, rotations) change in place, without
// posting the form: Up, Down, Remove and Add move rows and keep the keyboard focus where the person is. Without
// this file the same buttons post the form and the server shows it again, changed.
"use strict";

(function () {
  function rows(list) {
    return Array.from(list.querySelectorAll(":scope > li"));
  }

  // Fields are numbered by position (member-0, member-1, …): the server reads the order from the names.
  function renumber(list) {
    const prefix = list.dataset.ordered;
    rows(list).forEach((li, index) => {
      li.querySelector("input[type=hidden]").name = `${prefix}-${index}`;
      li.querySelectorAll("button[data-move]").forEach((button) => {
        button.value = `${button.dataset.move}-${index}`;
      });
    });
    const fieldset = list.closest("fieldset");
    const empty = fieldset.querySelector(".ordered-empty");
    if (empty) empty.hidden = rows(list).length > 0;
  }

  function nameOf(li) {
    return li.querySelector(".ordered-name").textContent;
  }

  function announce(list, text) {
    const region = list.closest("fieldset").querySelector("[data-announce]");
    if (region) region.textContent = text;
  }

  function changed(list) {
    renumber(list);
    // The preview (htmx on the form) listens for "change".
    list.closest("form").dispatchEvent(new Event("change", { bubbles: true }));
  }

  function row(prefix, value, name) {
    const li = document.createElement("li");
    const input = document.createElement("input");
    input.type = "hidden";
    input.value = value;
    const label = document.createElement("span");
    label.className = "ordered-name";
    label.textContent = name;
    const buttons = document.createElement("span");
    buttons.className = "ordered-buttons";
    for (const [move, text] of [["up", "Up"], ["down", "Down"], ["remove", "Remove"]]) {
      const button = document.createElement("button");
      button.type = "submit";
      button.name = "action";
      button.dataset.move = move;
      button.append(text);
      const hidden = document.createElement("span");
      hidden.className = "visually-hidden";
      hidden.textContent = ` ${name}`;
      button.append(hidden);
      buttons.append(button);
    }
    li.append(input, label, " ", buttons);
    return li;
  }

  function move(button) {
    const li = button.closest("li");
    const list = li.parentElement;
    const verb = button.dataset.move;
    const name = nameOf(li);
    if (verb === "up" && li.previousElementSibling) {
      list.insertBefore(li, li.previousElementSibling);
    } else if (verb === "down" && li.nextElementSibling) {
      list.insertBefore(li.nextElementSibling, li);
    } else if (verb === "remove") {
      const select = list.closest("fieldset").querySelector("select");
      if (select) {
        const option = document.createElement("option");
        option.value = li.querySelector("input[type=hidden]").value;
        option.textContent = name;
        select.append(option);
      }
      const next = li.nextElementSibling || li.previousElementSibling;
      li.remove();
      changed(list);
      announce(list, `${name} removed.`);
      const target = next ? next.querySelector('button[data-move="remove"]') : select;
      if (target) target.focus();
      return;
    } else {
      return; // already first or last: nothing moves
    }
    changed(list);
    announce(list, `${name} is number ${rows(list).indexOf(li) + 1} of ${rows(list).length}.`);
    button.focus(); // moving the row took the focus away from its button
  }

  function add(button) {
    const fieldset = button.closest("fieldset");
    const list = fieldset.querySelector("ol[data-ordered]");
    const select = fieldset.querySelector("select");
    const option = select.selectedOptions[0];
    if (!option || !option.value) {
      announce(list, "Choose one first.");
      select.focus();
      return;
    }
    const li = row(list.dataset.ordered, option.value, option.textContent);
    list.append(li);
    option.remove();
    select.value = "";
    changed(list);
    announce(list, `${nameOf(li)} added as number ${rows(list).length}.`);
    select.focus();
  }

  document.addEventListener("click", (event) => {
    const button = event.target instanceof Element ? event.target.closest("button[data-move], button[data-add]") : null;
    if (!button || !button.closest("fieldset.ordered")) return;
    event.preventDefault();
    if (button.dataset.move) move(button);
    else add(button);
  });
})();
