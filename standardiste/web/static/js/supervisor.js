// The supervisor's real-time overview (SV-1..SV-6, SV-9, SV-10), all from the live feed, and
// a queue's recent calls with their recordings (CF-2), from the history.
// render() is idempotent and cheap (it only writes text that changed), so it runs after
// every message and once a second, which is what makes the timers tick.

import { api } from "./api.js";
import { campaignValues, cardOf } from "./campaign_cards.js";
import { averageOf, makeCard, queueValues, setFigure, setValues } from "./cards.js";
import { ariaLabel, byId, h, lines, setFlag, setText, syncChildren } from "./dom.js";
import { LiveFeed } from "./live.js";
import {
  agentRows,
  callbackTile,
  callerCells,
  deviceBusy,
  holdTime,
  indexRoster,
  nowFigures,
  spiesOn,
  talkTime,
  todayTotals,
  waitingCallers,
} from "./model.js";
import { agentPath, setEnabled, startPage } from "./shell.js";
import { activityText, createSpyControls, myDeviceChoice } from "./spy.js";

const { data, i18n, notify, onStatus, act, post } = startPage();
const { t } = i18n;
const me = data.me;
const permissions = new Set(data.permissions);
const roster = indexRoster(data.roster);
let handleTimes = data.handleTimes;

const live = new LiveFeed({
  onUpdate: render,
  onStatus,
  onSessionEnded: () => location.assign("/login"),
});

// ------------------------------------------------------------------ SV-1 .. SV-5
function renderSummary(agents, now) {
  const totals = todayTotals(live.figures);
  setText(byId("sv-handled"), i18n.number(totals.handled));
  setText(byId("sv-abandoned"), i18n.number(totals.abandoned));
  setText(byId("sv-timed-out"), i18n.number(totals.timed_out));
  setText(byId("sv-transferred"), i18n.number(totals.transferred));
  const callbacks = callbackTile(totals, t, i18n);
  setText(byId("sv-callbacks"), callbacks.value);
  setText(byId("sv-callbacks-hint"), callbacks.hint);

  const f = nowFigures(live, agents, now);
  setText(byId("sv-waiting"), i18n.number(f.waiting));
  setText(byId("sv-connected"), i18n.number(f.connected));
  setText(byId("sv-busiest"), f.busiest ? f.busiest.queue : "–");
  setText(byId("sv-busiest-hint"), f.busiest ? t("figure.n_waiting", { n: f.busiest.waiting }) : "");
  setText(byId("sv-paused"), i18n.number(f.paused.length));
  setText(byId("sv-paused-hint"), f.paused.map((a) => a.name).join(", "));
  setText(byId("sv-longest-conversation"), i18n.duration(f.longestConversation));
  const call = f.longestConversationCall;
  setText(byId("sv-longest-conversation-hint"), call ? `${call.caller_number} · ${call.queue}` : "");
  setText(byId("sv-longest-wait"), i18n.duration(f.longestWait));
  const caller = f.longestWaitCaller;
  setText(byId("sv-longest-wait-hint"), caller ? `${caller.caller_number} · ${caller.queue}` : "");
}

// ------------------------------------------------------------------ SV-6 queue cards / table
const CARD_FIELDS = [
  "waiting",
  "agents_logged_in",
  "longest_wait",
  "average_call",
  "pct_abandoned",
  "pct_timed_out",
  "pct_handled",
  "service_level",
  "last_update",
];

function queueDisplay(queue, now) {
  return {
    ...queueValues(live.figures[queue], now, i18n),
    average_call: averageOf(handleTimes, queue, i18n),
    last_update: i18n.time(live.updatedAt[queue]),
  };
}

/** The queue's detail page (QD), for a queue this user supervises (an admin: any). */
function queuePage(queue) {
  const mine = data.callQueues === null || data.callQueues.includes(queue);
  return mine ? `/supervisor/queues/${encodeURIComponent(queue)}` : null;
}

function queueTitle(queue) {
  const href = queuePage(queue);
  return href ? h("a", { href }, queue) : queue;
}

function renderQueues(now) {
  const queues = Object.keys(live.figures).sort();
  setFlag(byId("queues-empty"), "hidden", queues.length > 0);
  syncChildren(
    byId("queue-cards"),
    queues,
    (q) => q,
    (q) => makeCard(q, CARD_FIELDS, i18n, queuePage(q)),
    (card, q) => setValues(card, queueDisplay(q, now)),
  );
  syncChildren(
    byId("queue-rows"),
    queues,
    (q) => q,
    (q) => {
      const row = h("tr", {}, h("th", { scope: "row" }, queueTitle(q)));
      row.cells_ = CARD_FIELDS.map((name) => {
        const cell = h("td", { class: name === "last_update" ? "" : "num" });
        row.append(cell);
        return cell;
      });
      return row;
    },
    (row, q) => {
      const values = queueDisplay(q, now);
      CARD_FIELDS.forEach((name, i) => setFigure(row.cells_[i], values[name] ?? "–"));
    },
  );
}

const viewToggle = byId("queue-view");
viewToggle.addEventListener("click", () => {
  const table = viewToggle.getAttribute("aria-pressed") !== "true";
  viewToggle.setAttribute("aria-pressed", String(table));
  setText(viewToggle, table ? viewToggle.dataset.labelCards : viewToggle.dataset.labelTable);
  byId("queue-cards").hidden = table;
  byId("queue-table").hidden = !table;
  localStorage.setItem("standardiste.queueView", table ? "table" : "cards");
});
if (localStorage.getItem("standardiste.queueView") === "table") viewToggle.click();

// ------------------------------------------------------------------ SV-7 campaign cards
const CAMPAIGN_FIELDS = [
  "campaign_status",
  "contacts_left",
  "pct_dialled",
  "agents_logged_in",
  "average_call",
  "calls_made",
  "not_answered",
  "answered",
  "last_update",
];
const campaignList = document.getElementById("campaign-cards");

function renderCampaigns() {
  if (!campaignList) return;
  // The cards the live feed carries (the dialer's) and those the page was given (before the
  // dialer publishes one), of the campaigns this user may open.
  const names = [...new Set([...Object.keys(data.campaigns), ...Object.keys(live.state.campaign ?? {})])]
    .filter((name) => name in data.campaigns)
    .sort();
  setFlag(byId("campaigns-empty"), "hidden", names.length > 0);
  syncChildren(
    campaignList,
    names,
    (name) => name,
    (name) => {
      const card = cardOf(live, name, data.campaigns[name]);
      const title = card?.display_name || name;
      const item = makeCard(title, CAMPAIGN_FIELDS, i18n, `/supervisor/campaigns/${encodeURIComponent(name)}`);
      item.dataset.campaign = name;
      return item;
    },
    (item, name) => {
      const card = cardOf(live, name, data.campaigns[name]);
      if (!card) return;
      if (item.dataset.status !== card.status) item.dataset.status = card.status;
      setValues(item, campaignValues(card, i18n));
    },
  );
}

// ------------------------------------------------------------------ SV-9 agents
// A row per agent (one status: ready when ready in at least one queue), which expands into
// its state in each queue and each of its conversations (a detail row right after it).
const ACTIONS = ["pause", "resume", "login", "logout"];
const COLUMNS = 8;
const expanded = new Set(); // agent keys whose details are open
const rowIds = new Map(); // agent key -> its row's id (its details: the same + "-detail")
const rowId = (key) => {
  if (!rowIds.has(key)) rowIds.set(key, `sv-agent-${rowIds.size}`);
  return rowIds.get(key);
};
const maySpy = permissions.has("calls.spy");
const myDevice = myDeviceChoice(me.devices, document.getElementById("my-device"));
const sayAgents = (text) => setText(byId("sv-agents-status"), text);

function createAgentRow(agent) {
  const id = rowId(agent.key);
  const expander = h("button", {
    type: "button",
    class: "expander",
    "aria-expanded": "false",
    "aria-controls": `${id}-detail`,
  });
  const name = h("span", { class: "name" });
  expander.append(name);
  expander.addEventListener("click", () => {
    const key = row.dataset.agent;
    if (expanded.has(key)) expanded.delete(key);
    else expanded.add(key);
    render();
  });
  const cells = {
    name: h("th", { scope: "row" }, expander),
    status: h("td"),
    time: h("td", { class: "num timer" }),
    customer: h("td"),
    waited: h("td", { class: "num" }),
    talk: h("td", { class: "num timer" }),
    queues: h("td", { class: "queues" }),
    actions: h("td"),
  };
  const badge = h("span", { class: "badge" });
  const detail = h("span", { class: "detail" });
  const spying = h("span", { class: "spying" });
  cells.status.append(badge, " ", detail, spying);
  const reason = h("select", { class: "reason" });
  reason.append(byId("reason-options").content.cloneNode(true));
  const buttons = {};
  for (const action of ACTIONS) {
    buttons[action] = h(
      "button",
      { type: "button", class: action === "pause" || action === "login" ? "" : "secondary" },
      t(`action.${action}`),
    );
  }
  // A wrapper, not the cell, is the flex box: a <td> must stay a table cell for screen readers.
  cells.actions.append(
    h("div", { class: "row-actions" }, reason, buttons.pause, buttons.resume, buttons.login, buttons.logout),
  );
  const row = h("tr", { "data-agent": agent.key, id }, ...Object.values(cells));
  Object.assign(row, { cells_: cells, badge, detail, spying, reason, buttons, expander, name });
  if (maySpy) {
    row.spy = createSpyControls({ i18n, act, csrf: data.csrf, myDevice, me, say: sayAgents });
    cells.actions.append(row.spy.element);
  }
  for (const action of ACTIONS) {
    buttons[action].addEventListener("click", () => runAgentAction(row, action));
  }
  return row;
}

function runAgentAction(row, action) {
  const username = row.dataset.username;
  if (!username) return;
  const body = action === "pause" ? { reason: row.reason.value } : {};
  // Act on the device that is logged in (an agent may have a desk phone and a softphone);
  // logging in uses the user's default device.
  if (action !== "login" && row.dataset.device) body.device = row.dataset.device;
  act(row.buttons[action], () => post(agentPath(username, action), body));
}

function updateAgentRow(row, agent) {
  const c = row.cells_;
  if (agent.username) row.dataset.username = agent.username;
  else delete row.dataset.username;
  const device = agent.members[0]?.interface;
  if (device) row.dataset.device = device;
  else delete row.dataset.device;
  setText(row.name, agent.name);
  const open = expanded.has(agent.key);
  if (row.expander.getAttribute("aria-expanded") !== String(open)) {
    row.expander.setAttribute("aria-expanded", String(open));
  }
  ariaLabel(row.expander, t("agent.details_for", { name: agent.name }));
  row.badge.dataset.status = agent.status;
  setText(row.badge, t(`presence.${agent.status}`));
  // The reason of a pause shows with the status it explains (ready in another queue: the
  // per-queue details say where it is paused).
  const details = [];
  if (agent.status === "paused" && agent.reason) details.push(i18n.label("reason", agent.reason));
  if (agent.status === "paused" && agent.forced) details.push(t("agent.forced"));
  setText(row.detail, details.join(" · "));
  const sessions = spiesOn(live, [...agent.devices]);
  setText(row.spying, activityText(sessions, [...agent.devices], { i18n, live, me }));
  const now = live.now();
  setText(c.time, agent.since ? i18n.duration(now - agent.since) : "–");
  setText(c.customer, agent.call ? agent.call.caller_number || t("agent.unknown_number") : "");
  setText(c.waited, agent.call ? i18n.duration(agent.call.wait) : "");
  setText(c.talk, agent.call ? i18n.duration(now - agent.call.answered_at) : "");
  setText(
    c.queues,
    agent.queues.map((q) => `${q.queue} (${t(`presence.${q.presence}`)})`).join(", "),
  );
  const rosterAgent = roster.agents.find((a) => a.username === agent.username);
  const inQueues = new Set(agent.queues.map((q) => q.queue));
  const canAct = Boolean(agent.username);
  const enabled = {
    pause: canAct && agent.loggedIn && !agent.allPaused,
    resume: canAct && agent.paused,
    login: canAct && Boolean(rosterAgent?.queues.some((q) => !inQueues.has(q))),
    logout: canAct && agent.loggedIn,
  };
  for (const action of ACTIONS) {
    setEnabled(row.buttons[action], enabled[action]);
    ariaLabel(row.buttons[action], t("action.for_agent", { action: t(`action.${action}`), name: agent.name }));
  }
  row.reason.setAttribute("aria-label", t("action.pause_reason_for", { name: agent.name }));
  setFlag(row.reason, "disabled", !canAct);
  if (row.spy) {
    const busy = [...agent.devices].some((d) => deviceBusy(live.state.device?.[d]));
    const agentCall = { name: agent.name, username: agent.username, inCall: Boolean(agent.call) || busy, callId: agent.call?.uniqueid };
    row.spy.update(agentCall, sessions);
  }
}

function createDetailRow(agent) {
  const cell = h("td", { colspan: COLUMNS });
  const row = h("tr", { class: "agent-detail", id: `${rowId(agent.key)}-detail`, hidden: true }, cell);
  const block = (labelKey) => {
    const list = h("ul", { class: "names" });
    cell.append(h("div", { class: "detail-block" }, h("h3", {}, t(labelKey)), list));
    return list;
  };
  Object.assign(row, { queues: block("agent.by_queue"), calls: block("agent.conversations") });
  return row;
}

function updateDetailRow(row, agent) {
  const open = expanded.has(agent.key);
  setFlag(row, "hidden", !open);
  if (!open) return;
  const now = live.now();
  lines(
    row.queues,
    agent.queues.map((q) => {
      let state = t(`presence.${q.presence}`);
      if (q.presence === "paused" && q.member.paused_reason) {
        state += ` · ${i18n.label("reason", q.member.paused_reason)}`;
      }
      if (q.presence === "paused" && q.member.forced) state += ` · ${t("agent.forced")}`;
      const duration = q.since ? i18n.duration(now - q.since) : "–";
      return t("agent.in_queue", { queue: q.queue, state, duration });
    }),
    t("presence.logged_out"),
  );
  lines(
    row.calls,
    [...agent.calls]
      .sort((a, b) => a.answered_at - b.answered_at)
      .map((call) => {
        const values = {
          number: call.caller_number || t("agent.unknown_number"),
          queue: call.queue,
          waited: i18n.duration(call.wait),
          talk: i18n.duration(talkTime(call, now)),
          hold: i18n.duration(holdTime(call, now)),
        };
        return holdTime(call, now) > 0
          ? t("agent.conversation_hold", values)
          : t("agent.conversation", values);
      }),
    t("agent.no_conversation"),
  );
}

function renderAgents(agents) {
  setFlag(byId("agents-empty"), "hidden", agents.length > 0);
  const items = agents.flatMap((agent) => [
    { detail: false, key: agent.key, agent },
    { detail: true, key: `${agent.key}#detail`, agent },
  ]);
  syncChildren(
    byId("agent-rows"),
    items,
    (item) => item.key,
    (item) => (item.detail ? createDetailRow(item.agent) : createAgentRow(item.agent)),
    (row, item) => (item.detail ? updateDetailRow(row, item.agent) : updateAgentRow(row, item.agent)),
  );
}

// ------------------------------------------------------------------ SV-10 waiting callers
function createCallerRow() {
  const cells = [
    h("th", { scope: "row" }),
    h("td"),
    h("td"),
    h("td", { class: "num" }),
    h("td", { class: "num timer" }),
    h("td"),
  ];
  const row = h("tr", {}, ...cells);
  row.cells_ = cells;
  return row;
}

function updateCallerRow(row, caller) {
  const now = live.now();
  const [number, name, queue, position, waiting, state] = row.cells_;
  row.dataset.uniqueid = caller.uniqueid;
  setText(number, caller.caller_number || t("agent.unknown_number"));
  const cells = callerCells(caller, live.users[caller.ringing]?.display_name ?? caller.ringing, t);
  row.dataset.type = cells.type;
  setText(name, cells.name);
  setText(queue, caller.queue);
  setText(position, i18n.number(caller.position));
  setText(waiting, i18n.duration(now - caller.joined_at));
  setText(state, cells.state);
}

const callerSort = { key: "waiting", ascending: false };
for (const button of document.querySelectorAll("#callers-table button.sort")) {
  button.addEventListener("click", () => {
    const key = button.dataset.sort;
    callerSort.ascending = callerSort.key === key ? !callerSort.ascending : key !== "waiting";
    callerSort.key = key;
    for (const th of document.querySelectorAll("#callers-table th[aria-sort]")) {
      const mine = th.contains(button);
      th.setAttribute("aria-sort", mine ? (callerSort.ascending ? "ascending" : "descending") : "none");
    }
    render();
  });
}

function renderCallers() {
  const callers = waitingCallers(live, callerSort.key, callerSort.ascending);
  setFlag(byId("callers-empty"), "hidden", callers.length > 0);
  setFlag(byId("callers-table"), "hidden", callers.length === 0);
  setText(byId("callers-summary"), t("sv.n_callers_waiting", { n: callers.length }));
  syncChildren(byId("caller-rows"), callers, (c) => c.uniqueid, createCallerRow, updateCallerRow);
}

// ------------------------------------------------------------------ CF-2 calls and recordings
// The list is asked for (the form, and again when a call ends while today's list is shown);
// rows are kept by call id, so a player that is open keeps playing across a refresh.
const callsQueue = byId("calls-queue");
const callsDate = byId("calls-date");
let callsShown = null; // the {queue, date} of the list on the page

function syncCallQueues() {
  const queues = data.callQueues ?? Object.keys(live.figures).sort();
  const options = [...callsQueue.options].map((option) => option.value);
  if (options.join("\n") !== queues.join("\n")) {
    const chosen = callsQueue.value;
    callsQueue.replaceChildren(...queues.map((q) => h("option", { value: q }, q)));
    if (queues.includes(chosen)) callsQueue.value = chosen;
  }
  if (callsShown === null && queues.length > 0) {
    callsShown = {};
    showCalls().catch(() => {}); // the first list, quietly: the form says it again
  }
}

async function showCalls(queue = callsQueue.value, date = callsDate.value) {
  if (!queue) return;
  const query = new URLSearchParams({ queue });
  if (date) query.set("date", date);
  const body = await api("GET", `/api/v1/calls?${query}`);
  callsShown = { queue, date };
  const calls = body.calls;
  setFlag(byId("calls-empty"), "hidden", calls.length > 0);
  setFlag(byId("calls-table"), "hidden", calls.length === 0);
  syncChildren(byId("call-rows"), calls, (c) => c.call_id, createCallRow, (row, call) =>
    updateCallRow(row, call, body.can_play),
  );
}

byId("calls-form").addEventListener("submit", (event) => {
  event.preventDefault();
  act(byId("calls-show"), () => showCalls());
});

function createCallRow() {
  const cells = [
    h("th", { scope: "row" }),
    h("td"),
    h("td"),
    h("td", { class: "num" }),
    h("td", { class: "num" }),
    h("td"),
    h("td"),
  ];
  const row = h("tr", {}, ...cells);
  row.cells_ = cells;
  return row;
}

function updateCallRow(row, call, canPlay) {
  const [entered, number, agent, waited, talk, outcome, recording] = row.cells_;
  const caller = call.caller_number || t("agent.unknown_number");
  const time = i18n.time(call.entered_at);
  setText(entered, time);
  const named = call.caller_name && call.caller_name !== call.caller_number;
  setText(number, named ? `${caller} · ${call.caller_name}` : caller);
  setText(agent, call.agent_name ?? call.agent ?? "");
  setText(waited, i18n.duration(call.wait));
  setText(talk, call.answered_at ? i18n.duration(call.talk) : "");
  setText(outcome, t(`outcome.${call.outcome ?? "waiting"}`));
  if (recording.querySelector("audio")) return; // playing, or played: leave the player be
  if (!call.recording) {
    setText(recording, "");
  } else if (!canPlay) {
    setText(recording, t("calls.recorded"));
  } else if (!recording.querySelector("button")) {
    const label = t("calls.play_for", { number: caller, time });
    const button = h("button", { type: "button", class: "secondary", "aria-label": label }, t("calls.play"));
    button.addEventListener("click", () => openPlayer(recording, call, caller, time));
    recording.replaceChildren(button);
  }
}

/** A native player in place of the button: keyboard-usable as browsers make it. */
function openPlayer(cell, call, caller, time) {
  const player = h("audio", {
    controls: true,
    preload: "auto",
    src: `/api/v1/recordings/${encodeURIComponent(call.call_id)}`,
    "aria-label": t("calls.player_for", { number: caller, time }),
  });
  player.addEventListener("error", () => notify(t("calls.play_failed")));
  cell.replaceChildren(player);
  player.focus();
  player.play().catch(() => {}); // a browser may refuse to start on its own: the controls can
}

// ------------------------------------------------------------------ history figures
// A call that ended is a new history row: average call durations change. The history is
// written a moment after the live change, hence the delay.
let knownCalls = new Set();
let refreshTimer = null;

function watchEndedCalls() {
  const calls = new Set(Object.keys(live.state.call ?? {}));
  const ended = [...knownCalls].some((key) => !calls.has(key));
  knownCalls = calls;
  if (!ended) return;
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    try {
      handleTimes = (await api("GET", "/api/v1/handle-times")).handleTimes;
      const { queue, date } = callsShown ?? {};
      if (queue && [data.today, ""].includes(date)) await showCalls(queue, date);
    } catch {
      // Keep the figures we have; the next ended call tries again.
    }
  }, 1500);
}

// ------------------------------------------------------------------ main loop
function render() {
  if (!live.synced) return;
  const now = live.now();
  const agents = agentRows(live, roster, now);
  renderSummary(agents, now);
  renderQueues(now);
  renderCampaigns();
  renderAgents(agents);
  renderCallers();
  syncCallQueues();
  watchEndedCalls();
}

setInterval(render, 1000);
live.start();
