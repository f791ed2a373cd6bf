/* Escalade workspace: live updates over one WebSocket, dialogs, bulk selection, macros and
 * keyboard shortcuts. Plain JavaScript, no build step; htmx does the fetching. */
(function () {
  "use strict";

  var body = document.body;

  /* --- live updates ------------------------------------------------------------------------ */

  function setLiveState(state) {
    body.dataset.live = state;
    var status = document.getElementById("live-status");
    if (!status) return;
    status.dataset.state = state;
    var label = status.querySelector(".live-label");
    if (label && label.dataset[state]) label.textContent = label.dataset[state];
  }

  function trigger(name, detail) {
    if (window.htmx) window.htmx.trigger(body, name, detail || {});
    body.dispatchEvent(new CustomEvent(name + "-js", { detail: detail || {} }));
  }

  function show(id) {
    var element = document.getElementById(id);
    if (element) element.hidden = false;
  }

  function onLiveEvent(event) {
    var topics = (body.dataset.liveTopics || "").split(/[\s,]+/);
    if (event.type === "hello") {
      setLiveState("open");
      return;
    }
    if (event.type === "notification" || event.type === "escalation") {
      trigger("live:notification", event);
    }
    if (topics.indexOf("board") >= 0) trigger("live:board", event);
    if (topics.indexOf("queue") >= 0 && event.type === "ticket") show("queue-changed");
    var own = topics.filter(function (t) { return t.indexOf("ticket:") === 0; })[0];
    if (own && String(event.ticket) === own.slice(7)) {
      trigger("live:ticket", event);
      if (event.type === "ticket" && String(event.by) !== body.dataset.user) show("ticket-changed");
      if (event.type === "escalation") show("ticket-changed");
    }
  }

  function connectLive() {
    if (!body.dataset.liveUrl || !window.WebSocket) return;
    var delay = 1000;
    var socket;
    var topics = (body.dataset.liveTopics || "").trim().split(/\s+/).filter(Boolean).join(",");
    function open() {
      setLiveState("connecting");
      var scheme = location.protocol === "https:" ? "wss://" : "ws://";
      socket = new WebSocket(scheme + location.host + body.dataset.liveUrl + "?topics=" + encodeURIComponent(topics));
      socket.onopen = function () { delay = 1000; };
      socket.onmessage = function (message) {
        try { onLiveEvent(JSON.parse(message.data)); } catch (error) { /* ignore a bad frame */ }
      };
      socket.onclose = function (close) {
        setLiveState("closed");
        if (close.code === 4401 || close.code === 4403) return; // signed out or not allowed
        setTimeout(open, delay);
        delay = Math.min(delay * 2, 30000);
      };
    }
    open();
    setInterval(function () {
      if (socket && socket.readyState === 1) socket.send('{"type":"ping"}');
    }, 25000);
  }

  /* --- dialogs ------------------------------------------------------------------------------ */

  function openDialog(id) {
    var dialog = document.getElementById(id);
    if (!dialog || dialog.open) return;
    dialog.showModal();
    var first = dialog.querySelector("input:not([type=hidden]):not([disabled]), select, textarea");
    if (first) first.focus();
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest("[data-dialog]");
    if (opener) { event.preventDefault(); openDialog(opener.dataset.dialog); return; }
    var closer = event.target.closest("[data-dialog-close]");
    if (closer) { var dialog = closer.closest("dialog"); if (dialog) dialog.close(); return; }
    if (event.target.closest("[data-shortcuts-open]")) { openDialog("shortcuts"); return; }
    var clears = event.target.closest("[data-clears]");
    if (clears) { var target = document.querySelector(clears.dataset.clears); if (target) target.hidden = true; }
    var menu = document.querySelector("details.usermenu[open]");
    if (menu && !menu.contains(event.target)) menu.open = false;
  });

  /* The escalate dialog shows the panel of the chosen kind of escalation. */
  function syncEscalateForm(form) {
    if (!form) return;
    var checked = form.querySelector("input[name=mode]:checked");
    var mode = checked ? checked.value : "functional";
    form.querySelectorAll(".mode-panel").forEach(function (panel) {
      var active = panel.dataset.mode === mode;
      panel.hidden = !active;
      panel.querySelectorAll("select, input").forEach(function (field) {
        if (field.dataset.wasDisabled === undefined) field.dataset.wasDisabled = field.disabled ? "1" : "";
        field.disabled = !active || field.dataset.wasDisabled === "1";
      });
    });
    var submit = form.querySelector("#escalate-submit");
    if (submit) {
      if (!submit.dataset.label) submit.dataset.label = submit.textContent;
      submit.textContent = mode === "deescalate" ? (form.dataset.deescalateLabel || submit.dataset.label) : submit.dataset.label;
    }
  }

  document.addEventListener("change", function (event) {
    var form = event.target.closest("#escalate-form");
    if (form && event.target.name === "mode") syncEscalateForm(form);
    if (event.target.id === "select-all") {
      document.querySelectorAll("#queue-table input[name=tickets]").forEach(function (box) {
        box.checked = event.target.checked;
      });
      updateBulk();
    } else if (event.target.name === "tickets") {
      updateBulk();
    }
    if (event.target.id === "bulk-action") syncBulkAction();
    if (event.target.id === "macro") insertMacro(event.target);
  });

  /* --- bulk actions -------------------------------------------------------------------------- */

  function updateBulk() {
    var count = document.querySelectorAll("#queue-table input[name=tickets]:checked").length;
    var label = document.getElementById("bulk-count");
    if (label) label.textContent = label.dataset.template.replace("__N__", count);
    var form = document.getElementById("bulk-form");
    if (form) form.classList.toggle("active", count > 0);
  }

  function syncBulkAction() {
    var select = document.getElementById("bulk-action");
    if (!select) return;
    document.querySelectorAll(".bulk-value").forEach(function (panel) {
      var active = panel.dataset.for === select.value;
      panel.hidden = !active;
      panel.querySelectorAll("select, input").forEach(function (field) { field.disabled = !active; });
    });
    var reason = document.getElementById("bulk-reason");
    if (reason) reason.required = select.value === "escalate";
  }

  /* The "save these filters" form takes the filters as they are now. */
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.id === "save-filter-form") {
      var filters = document.getElementById("queue-filters");
      if (!filters) return;
      form.querySelectorAll("input.mirror").forEach(function (input) { input.remove(); });
      new FormData(filters).forEach(function (value, key) {
        if (key === "filter" || !value) return;
        var input = document.createElement("input");
        input.type = "hidden"; input.className = "mirror"; input.name = key; input.value = value;
        form.appendChild(input);
      });
    }
    if (form.id === "bulk-form" && !document.querySelector("#queue-table input[name=tickets]:checked")) {
      event.preventDefault();
      var label = document.getElementById("bulk-count");
      if (label) label.classList.add("attention");
    }
  });

  /* --- macros -------------------------------------------------------------------------------- */

  function insertMacro(select) {
    var option = select.selectedOptions[0];
    if (!option || !option.value) return;
    var textarea = document.querySelector(select.dataset.macroTarget);
    if (!textarea) return;
    var text = option.dataset.text || "";
    if (textarea.value.trim()) {
      var start = textarea.selectionStart, end = textarea.selectionEnd;
      textarea.value = textarea.value.slice(0, start) + text + textarea.value.slice(end);
    } else {
      textarea.value = text;
    }
    var kind = document.getElementById(option.dataset.kind === "internal" ? "kind-internal" : "kind-public");
    if (kind) kind.checked = true;
    var status = document.getElementById("reply-status");
    if (status && option.dataset.status) status.value = option.dataset.status;
    select.value = "";
    textarea.focus();
  }

  /* --- keyboard shortcuts -------------------------------------------------------------------- */

  var pendingG = false;
  var pendingTimer = null;

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("#queue-table tr.ticket-row")); }

  function currentRow() { return document.querySelector("#queue-table tr.ticket-row.current"); }

  function moveRow(step) {
    var all = rows();
    if (!all.length) return;
    var index = all.indexOf(currentRow());
    var next = all[Math.max(0, Math.min(all.length - 1, index < 0 ? 0 : index + step))];
    all.forEach(function (row) { row.classList.remove("current"); row.removeAttribute("aria-current"); });
    next.classList.add("current");
    next.setAttribute("aria-current", "true");
    var link = next.querySelector("td.subject a");
    if (link) link.focus();
  }

  function typing(target) {
    return target.closest("input, textarea, select, [contenteditable=true]") !== null;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey || event.defaultPrevented) return;
    if (typing(event.target) || document.querySelector("dialog[open]")) return;
    var key = event.key;
    if (pendingG) {
      pendingG = false;
      clearTimeout(pendingTimer);
      var targets = { q: "/queue/", b: "/board/", n: "/notifications/" };
      if (targets[key]) { event.preventDefault(); location.href = targets[key]; }
      return;
    }
    var handled = true;
    if (key === "g") { pendingG = true; pendingTimer = setTimeout(function () { pendingG = false; }, 1200); }
    else if (key === "?") openDialog("shortcuts");
    else if (key === "/" && document.getElementById("q")) document.getElementById("q").focus();
    else if (key === "j" && rows().length) moveRow(1);
    else if (key === "k" && rows().length) moveRow(-1);
    else if (key === "x" && currentRow()) {
      var box = currentRow().querySelector("input[name=tickets]");
      box.checked = !box.checked; updateBulk();
    }
    else if ((key === "o" || key === "Enter") && currentRow() && !event.target.closest("a, button")) location.href = currentRow().dataset.href;
    else if ((key === "r" || key === "n") && document.getElementById("reply-body")) {
      var kind = document.getElementById(key === "r" ? "kind-public" : "kind-internal");
      if (kind) kind.checked = true;
      document.getElementById("reply-body").focus();
    }
    else if (key === "e" && document.getElementById("escalate-dialog")) openDialog("escalate-dialog");
    else if (key === "a" && document.getElementById("acknowledge")) document.getElementById("acknowledge").click();
    else handled = false;
    if (handled) event.preventDefault();
  });

  /* --- start --------------------------------------------------------------------------------- */

  function start() {
    syncEscalateForm(document.getElementById("escalate-form"));
    syncBulkAction();
    updateBulk();
    connectLive();
  }

  body.addEventListener("htmx:afterSwap", function () { updateBulk(); });
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
