// A queue's detail page: its figures (QD-1), its waiting callers with take and transfer
// (QD-2), its agents with their state, calls and the actions in this queue (QD-3). The live
// feed is subscribed to this one queue. render() is idempotent and cheap (it writes only text
// that changed): it runs after every message and once a second, so the timers tick.

import { ApiError, api, errorText } from "./api.js";
import { averageOf, serviceLevel, setFigure } from "./cards.js";
import { ariaLabel, byId, h, setFlag, setText, syncChildren } from "./dom.js";
import { LiveFeed } from "./live.js";
import { callbackTile, callerCells, indexRoster, nowFigures, todayTotals } from "./model.js";
import { queueAgents } from "./queue_agents.js";
import { setEnabled, startPage } from "./shell.js";
import { myDeviceChoice } from "./spy.js";

const { data, i18n, notify, onStatus, act, post } = startPage();
const { t } = i18n;
const QUEUE = data.queue;
const me = data.me;
const permissions = new Set(data.permissions);
const can = (permission) => permissions.has(permission);
const roster = indexRoster(data.roster);
let handleTimes = data.handleTimes;
const myDevice = myDeviceChoice(me.devices, document.getElementById("my-device"));
// What an action did, said where it was done (role="status": screen readers announce it).
const sayCallers = (text) => setText(byId("qd-status"), text);
const sayAgents = (text) => setText(byId("qd-agents-status"), text);

const live = new LiveFeed({
  onUpdate: render,
  onStatus,
  onSessionEnded: () => location.assign("/login"),
  onError: (error) => notify(errorText(i18n, new ApiError(error.code, error.message, 0))),
  queues: [QUEUE],
});
// QD-3, the agents (queue_agents.js: the campaign page's Agents tab shows the same).
const qd3 = queueAgents({
  queue: QUEUE, live, roster, i18n, data, act, post, myDevice, say: sayAgents, onChange: () => render(),
});
const { ownerOf, byName } = qd3;

/** This queue's rows of an entity (the feed is subscribed to it; this keeps it so). */
function ofQueue(entity) {
  return Object.values(live.state[entity] ?? {}).filter((row) => row.queue === QUEUE);
}

const byKey = (rows, field) => Object.fromEntries(rows.map((row) => [row[field], row]));

// ------------------------------------------------------------------ QD-1 figures
function renderFigures(agents, now) {
  const figures = live.figures[QUEUE];
  const totals = todayTotals(figures ? { [QUEUE]: figures } : {});
  setText(byId("qd-handled"), i18n.number(totals.handled));
  setText(byId("qd-abandoned"), i18n.number(totals.abandoned));
  setText(byId("qd-timed-out"), i18n.number(totals.timed_out));
  setText(byId("qd-transferred"), i18n.number(totals.transferred));
  const callbacks = callbackTile(totals, t, i18n);
  setText(byId("qd-callbacks"), callbacks.value);
  setText(byId("qd-callbacks-hint"), callbacks.hint);
  setText(byId("qd-average-call"), averageOf(handleTimes, QUEUE, i18n));
  setFigure(byId("qd-service-level"), serviceLevel(figures, i18n));
  setText(byId("qd-service-level-hint"), serviceLevelHint(figures));

  const view = { figures: {}, state: { caller: byKey(ofQueue("caller"), "uniqueid"), call: byKey(ofQueue("call"), "uniqueid") } };
  const loggedIn = agents.filter((a) => a.loggedIn);
  const f = nowFigures(view, loggedIn, now);
  setText(byId("qd-waiting"), i18n.number(f.waiting));
  setText(byId("qd-connected"), i18n.number(f.connected));
  setText(byId("qd-logged-in"), i18n.number(figures?.agents_logged_in ?? loggedIn.length));
  setText(byId("qd-paused"), i18n.number(f.paused.length));
  setText(byId("qd-paused-hint"), f.paused.map((a) => a.name).join(", "));
  setText(byId("qd-longest-conversation"), i18n.duration(f.longestConversation));
  const call = f.longestConversationCall;
  const callAgent = call ? (ownerOf(call.agent)?.display_name ?? call.member_name ?? call.agent) : "";
  setText(byId("qd-longest-conversation-hint"), call ? `${numberOf(call)} · ${callAgent}` : "");
  setText(byId("qd-longest-wait"), i18n.duration(f.longestWait));
  setText(byId("qd-longest-wait-hint"), f.longestWaitCaller ? numberOf(f.longestWaitCaller) : "");
}

/** What today's service level counts: its threshold, ASA and abandon rate. */
function serviceLevelHint(figures) {
  const m = figures?.metrics;
  if (!m || !figures.sl) return "";
  return t("figure.sl_hint", {
    threshold: i18n.number(figures.sl.threshold),
    asa: m.asa === null ? "–" : i18n.duration(m.asa),
    abandon_rate: i18n.percent(m.abandon_rate),
  });
}

const numberOf = (row) => row.caller_number || t("agent.unknown_number");

// ------------------------------------------------------------------ QD-2 waiting callers
const mayTransfer = can("callers.transfer");
const callerPath = (uniqueid, action) =>
  `/api/v1/queues/${encodeURIComponent(QUEUE)}/callers/${encodeURIComponent(uniqueid)}/${action}`;

function createCallerRow() {
  const cells = {
    number: h("th", { scope: "row" }),
    name: h("td"),
    state: h("td"),
    position: h("td", { class: "num" }),
    waiting: h("td", { class: "num timer" }),
  };
  const row = h("tr", {}, ...Object.values(cells));
  row.cells_ = cells;
  if (mayTransfer) {
    const take = h("button", { type: "button", "data-action": "take" }, t("qd.take"));
    const transfer = h("button", { type: "button", class: "secondary", "data-action": "transfer" }, t("qd.transfer"));
    take.addEventListener("click", () => takeCaller(row));
    transfer.addEventListener("click", () => openTransfer(row));
    row.append(h("td", {}, h("div", { class: "row-buttons" }, take, transfer)));
    Object.assign(row, { take, transfer });
  }
  return row;
}

function updateCallerRow(row, caller) {
  const now = live.now();
  const c = row.cells_;
  row.caller = caller;
  row.dataset.uniqueid = caller.uniqueid;
  const number = numberOf(caller);
  setText(c.number, number);
  const cells = callerCells(caller, ownerOf(caller.ringing)?.display_name ?? caller.ringing, t);
  setText(c.name, cells.name);
  setText(c.state, cells.state);
  row.dataset.type = cells.type;
  setText(c.position, i18n.number(caller.position));
  setText(c.waiting, i18n.duration(now - caller.joined_at));
  if (mayTransfer) {
    // A callback request is answered by the queue's agents (the customer is then called):
    // neither taken nor transferred.
    const callback = caller.kind === "callback";
    setEnabled(row.take, Boolean(myDevice()) && !callback);
    setEnabled(row.transfer, !callback);
    row.take.title = row.transfer.title = callback ? t("caller.callback_no_take") : "";
    ariaLabel(row.take, t("qd.take_for", { number }));
    ariaLabel(row.transfer, t("qd.transfer_for", { number }));
  }
}

function renderCallers() {
  const callers = ofQueue("caller").sort((a, b) => a.position - b.position || a.joined_at - b.joined_at);
  setFlag(byId("qd-callers-empty"), "hidden", callers.length > 0);
  setFlag(byId("qd-callers-table"), "hidden", callers.length === 0);
  setText(byId("qd-callers-summary"), t("sv.n_callers_waiting", { n: callers.length }));
  syncChildren(byId("qd-caller-rows"), callers, (c) => c.uniqueid, createCallerRow, updateCallerRow);
}

function takeCaller(row) {
  const caller = row.caller;
  const body = {};
  const device = myDevice();
  if (device) body.device = device;
  act(row.take, async () => {
    await post(callerPath(caller.uniqueid, "take"), body);
    sayCallers(t("qd.taken", { number: numberOf(caller) }));
  });
}

// The transfer dialog (a native <dialog>: focus stays inside, Escape closes it).
const transfer = mayTransfer
  ? {
      dialog: byId("transfer-dialog"),
      form: byId("transfer-form"),
      agent: byId("transfer-agent"),
      extension: byId("transfer-extension"),
      toAgent: byId("transfer-to-agent"),
      toExtension: byId("transfer-to-extension"),
      error: byId("transfer-error"),
      submit: byId("transfer-submit"),
      caller: null,
      opener: null,
    }
  : null;

function openTransfer(row) {
  transfer.caller = row.caller;
  transfer.opener = row.transfer;
  setText(byId("transfer-title"), t("qd.transfer_for", { number: numberOf(row.caller) }));
  const agents = qd3.agents(live.now())
    .filter((a) => a.username)
    .sort(byName);
  transfer.agent.replaceChildren(
    ...agents.map((a) => h("option", { value: a.username }, `${a.name} (${t(`presence.${a.status}`)})`)),
  );
  setFlag(transfer.toAgent, "disabled", agents.length === 0);
  transfer.toAgent.checked = agents.length > 0;
  transfer.toExtension.checked = agents.length === 0;
  transfer.extension.value = "";
  transferError("");
  transfer.dialog.showModal();
  (agents.length ? transfer.agent : transfer.extension).focus();
}

function transferError(text, field = null) {
  setFlag(transfer.error, "hidden", !text);
  setText(transfer.error, text);
  setFlag(transfer.extension, "aria-invalid", false);
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.focus();
  }
}

if (transfer) {
  transfer.agent.addEventListener("change", () => (transfer.toAgent.checked = true));
  transfer.extension.addEventListener("input", () => {
    transfer.toExtension.checked = true;
    if (!transfer.error.hidden) transferError(""); // it said what was wrong with the old text
  });
  byId("transfer-cancel").addEventListener("click", () => transfer.dialog.close());
  transfer.dialog.addEventListener("close", () => {
    const back = transfer.opener?.isConnected ? transfer.opener : byId("qd-callers-heading");
    back.focus();
  });
  transfer.form.addEventListener("submit", (event) => {
    event.preventDefault();
    const caller = transfer.caller;
    let body;
    let target;
    if (transfer.toExtension.checked) {
      const extension = transfer.extension.value.trim();
      if (!/^[0-9]+$/.test(extension)) {
        transferError(t("qd.extension_invalid"), transfer.extension);
        return;
      }
      body = { extension };
      target = extension;
    } else {
      const option = transfer.agent.selectedOptions[0];
      if (!option) {
        transferError(t("qd.choose_agent"), transfer.agent);
        return;
      }
      body = { username: option.value };
      target = option.textContent;
    }
    act(transfer.submit, async () => {
      try {
        await post(callerPath(caller.uniqueid, "transfer"), body);
      } catch (error) {
        transferError(errorText(i18n, error));
        return;
      }
      transfer.dialog.close();
      sayCallers(t("qd.transferred", { number: numberOf(caller), target }));
    });
  });
}

// ------------------------------------------------------------------ history figures
// A call of this queue that ended is a new history row: the average call duration changes.
let knownCalls = new Set();
let refreshTimer = null;

function watchEndedCalls() {
  const calls = new Set(ofQueue("call").map((c) => c.uniqueid));
  const ended = [...knownCalls].some((key) => !calls.has(key));
  knownCalls = calls;
  if (!ended) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    try {
      const all = (await api("GET", "/api/v1/handle-times")).handleTimes;
      handleTimes = all[QUEUE] ? { [QUEUE]: all[QUEUE] } : {};
    } catch {
      // Keep the figure we have; the next ended call tries again.
    }
  }, 1500);
}

// ------------------------------------------------------------------ main loop
function render() {
  if (!live.synced) return;
  const now = live.now();
  const agents = qd3.agents(now);
  renderFigures(agents, now);
  renderCallers();
  qd3.render(agents);
  watchEndedCalls();
}

setInterval(render, 1000);
live.start();
