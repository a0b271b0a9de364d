// incidentd console: keyboard shortcuts, times in the browser's zone until the person picks one, and the CSRF
// token on htmx requests. Everything works without this file; it only makes the pages quicker to use.
"use strict";

(function () {
  const csrf = document.body.dataset.csrf;
  document.body.addEventListener("htmx:configRequest", (event) => {
    if (csrf) event.detail.headers["X-CSRF-Token"] = csrf;
  });

  // Times: the server shows UTC (or the chosen zone); without a choice, show the browser's own zone.
  function localTimes(root) {
    const format = new Intl.DateTimeFormat(undefined, {
      year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit",
      timeZoneName: "short",
    });
    root.querySelectorAll('time[data-zone-chosen="no"]').forEach((node) => {
      node.textContent = format.format(new Date(node.getAttribute("datetime")));
    });
  }
  localTimes(document);

  // A calendar in UTC only because nobody chose a zone: show it in the browser's own zone instead.
  const guessed = document.querySelector("[data-zone-from-browser]");
  if (guessed) {
    const zone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    const picker = document.getElementById("zone");
    const known = zone && picker && Array.from(picker.options).some((option) => option.value === zone);
    if (known && zone !== guessed.textContent) {
      const url = new URL(window.location.href);
      url.searchParams.set("zone", zone);
      window.location.replace(url);
    }
  }
  document.body.addEventListener("htmx:afterSettle", (event) => {
    localTimes(event.target);
    // htmx gives focus back to the element of the same id; the selection follows it.
    selected = items().findIndex((row) => row.contains(document.activeElement));
    items().forEach((row, i) => row.classList.toggle("selected", i === selected));
  });

  // j/k move through a list, Enter opens, / searches, ? lists the shortcuts.
  let selected = -1;
  function items() {
    return Array.from(document.querySelectorAll("[data-list-item]"));
  }
  function select(index) {
    const list = items();
    if (!list.length) return;
    selected = Math.max(0, Math.min(list.length - 1, index));
    list.forEach((row, i) => row.classList.toggle("selected", i === selected));
    const link = list[selected].querySelector("a");
    if (link) link.focus();
  }
  document.addEventListener("keydown", (event) => {
    const target = event.target;
    const typing = target instanceof HTMLInputElement || target instanceof HTMLTextAreaElement
      || target instanceof HTMLSelectElement || (target && target.isContentEditable);
    if (typing || event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "j") { select(selected + 1); event.preventDefault(); }
    else if (event.key === "k") { select(selected - 1); event.preventDefault(); }
    else if (event.key === "/") {
      const search = document.querySelector("[data-search]");
      if (search) { search.focus(); event.preventDefault(); }
    } else if (event.key === "?") {
      const dialog = document.getElementById("shortcuts");
      if (dialog && !dialog.open) { dialog.showModal(); event.preventDefault(); }
    }
  });
})();
