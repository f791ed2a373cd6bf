// The reply form's "link an article" box: insert "Title: URL" at the cursor of the reply.
(function () {
  "use strict";
  document.addEventListener("keydown", function (event) {
    // Enter in the search box searches; it must not send the reply it sits in.
    if (event.key === "Enter" && event.target && event.target.id === "kb-q") {
      event.preventDefault();
      event.target.dispatchEvent(new Event("search"));
    }
  });
  document.addEventListener("click", function (event) {
    const button = event.target.closest("[data-kb-insert]");
    if (!button) return;
    const search = document.getElementById("kb-q");
    const target = document.querySelector((search && search.dataset.kbTarget) || "#reply-body");
    if (!target) return;
    const text = button.dataset.title + ": " + button.dataset.url;
    const start = target.selectionStart != null ? target.selectionStart : target.value.length;
    const end = target.selectionEnd != null ? target.selectionEnd : start;
    const before = target.value.slice(0, start);
    const after = target.value.slice(end);
    const lead = before && !/\s$/.test(before) ? "\n" : "";
    target.value = before + lead + text + "\n" + after;
    const caret = (before + lead + text + "\n").length;
    target.focus();
    target.setSelectionRange(caret, caret);
  });
})();
