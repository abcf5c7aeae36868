// SV-10: the abandoned and timed-out callers of my queues, sorted as asked (by the server),
// chosen by checkbox and assigned to a campaign: each becomes a contact to call back, once
// (the API says why one was not). The list is asked for again when a waiting caller leaves a
// queue (the live feed), a moment after: the history row is written then.

import { ApiError, api, errorText } from "./api.js";
import { clearError, showError, showProblem } from "./admin.js";
import { ariaLabel, byId, h, setFlag, setText, syncChildren } from "./dom.js";
import { LiveFeed } from "./live.js";
import { startPage } from "./shell.js";

const { data, i18n, notify, onStatus, act, post } = startPage();
const { t } = i18n;
const assignForm = document.getElementById("assign-form");
const selectAll = document.getElementById("select-all");
const selected = new Set();
const sort = { key: "left_at", order: "desc" };
let calls = [];

async function load() {
  const query = new URLSearchParams({ hours: byId("missed-hours").value, sort: sort.key, order: sort.order });
  const queue = byId("missed-queue").value;
  if (queue) query.set("queue", queue);
  const body = await api("GET", `/api/v1/missed-calls?${query}`);
  calls = body.calls;
  const ids = new Set(calls.map((c) => c.id));
  for (const id of [...selected]) if (!ids.has(id)) selected.delete(id);
  setFlag(byId("missed-empty"), "hidden", calls.length > 0);
  setFlag(byId("missed-table"), "hidden", calls.length === 0);
  syncChildren(byId("missed-rows"), calls, (c) => c.id, createRow, updateRow);
  syncSelection();
}

function refresh() {
  load()
    .then(() => clearError(byId("missed-error")))
    .catch((error) => showError(i18n, byId("missed-error"), error));
}

const numberOf = (call) => call.number || t("agent.unknown_number");

function createRow(call) {
  const cells = [
    h("th", { scope: "row" }),
    h("td"),
    h("td"),
    h("td", { class: "num" }),
    h("td"),
    h("td"),
    h("td"),
  ];
  const row = h("tr", {}, ...cells);
  row.cells_ = cells;
  if (assignForm) {
    const box = h("input", { type: "checkbox", class: "pick" });
    box.addEventListener("change", () => {
      if (box.checked) selected.add(row.dataset.call);
      else selected.delete(row.dataset.call);
      syncSelection();
    });
    row.prepend(h("td", {}, box));
    row.box = box;
  }
  return row;
}

function updateRow(row, call) {
  const [number, name, queue, wait, left, outcome, campaign] = row.cells_;
  row.dataset.call = call.id;
  setText(number, numberOf(call));
  setText(name, call.name && call.name !== call.number ? call.name : "");
  setText(queue, call.queue);
  setText(wait, i18n.duration(call.wait));
  setText(left, i18n.dateTime(call.left_at));
  setText(outcome, t(`outcome.${call.outcome}`));
  setText(campaign, call.campaign ?? "");
  if (row.box) {
    row.box.checked = selected.has(call.id);
    ariaLabel(row.box, t("mc.select", { number: numberOf(call), time: i18n.dateTime(call.left_at) }));
  }
}

function syncSelection() {
  if (!assignForm) return;
  setText(byId("assign-count"), t("mc.n_selected", { n: i18n.number(selected.size) }));
  if (selectAll) {
    selectAll.checked = calls.length > 0 && calls.every((c) => selected.has(c.id));
    selectAll.indeterminate = selected.size > 0 && !selectAll.checked;
  }
}

selectAll?.addEventListener("change", () => {
  for (const call of calls) {
    if (selectAll.checked) selected.add(call.id);
    else selected.delete(call.id);
  }
  for (const row of byId("missed-rows").children) row.box.checked = selected.has(row.dataset.call);
  syncSelection();
});

for (const button of document.querySelectorAll("#missed-table button.sort")) {
  button.addEventListener("click", () => {
    const key = button.dataset.sort;
    // A new column starts in its natural order: the latest, the longest wait first.
    sort.order = sort.key === key ? (sort.order === "asc" ? "desc" : "asc") : ["left_at", "wait"].includes(key) ? "desc" : "asc";
    sort.key = key;
    for (const th of document.querySelectorAll("#missed-table th[aria-sort]")) {
      const mine = th.contains(button);
      th.setAttribute("aria-sort", mine ? (sort.order === "asc" ? "ascending" : "descending") : "none");
    }
    refresh();
  });
}

byId("missed-filter").addEventListener("submit", (event) => {
  event.preventDefault();
  act(byId("missed-show"), load);
});

assignForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = byId("assign-submit");
  const errorEl = byId("assign-error");
  if (button.getAttribute("aria-disabled") === "true") return;
  if (selected.size === 0) {
    showProblem(errorEl, t("mc.choose_calls"), selectAll ?? byId("missed-queue"));
    return;
  }
  clearError(errorEl);
  const campaign = byId("assign-campaign").value;
  act(button, async () => {
    let report;
    try {
      report = await post("/api/v1/missed-calls/assign", { campaign, calls: [...selected] });
    } catch (error) {
      showError(i18n, errorEl, error, assignForm);
      return;
    }
    const byId_ = new Map(calls.map((c) => [c.id, c]));
    setText(
      byId("assign-status"),
      t("mc.assigned", { n: i18n.number(report.added.length), campaign, refused: i18n.number(report.refused.length) }),
    );
    const refused = byId("assign-refused");
    refused.replaceChildren(
      ...report.refused.map((r) => {
        const call = byId_.get(r.call);
        const who = call ? numberOf(call) : r.number || r.call;
        const key = `mc.reason.${r.code}`;
        const reason = t(key) === key ? r.reason : t(key);
        return h("li", {}, t("mc.refused", { number: who, reason }));
      }),
    );
    refused.hidden = report.refused.length === 0;
    selected.clear();
    await load();
  });
});

// ------------------------------------------------------------------ the live feed
// A caller who left a queue may be a new missed call.
let waiting = null;
let timer = null;
const live = new LiveFeed({
  onUpdate: () => {
    const now = new Set(Object.keys(live.state.caller ?? {}));
    const left = waiting !== null && [...waiting].some((key) => !now.has(key));
    waiting = now;
    if (!left) return;
    clearTimeout(timer);
    timer = setTimeout(refresh, 1500);
  },
  onStatus,
  onSessionEnded: () => location.assign("/login"),
  onError: (error) => notify(errorText(i18n, new ApiError(error.code, error.message, 0))),
});

refresh();
live.start();
