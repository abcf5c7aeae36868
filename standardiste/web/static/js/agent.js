// The agent's workspace: my state (AG-1), the queues I log into (AG-2), the canned audio
// messages I play into my call (AG-3), my queue and campaign cards and the contact a
// campaign calls for me (AG-4) from the live feed; today and
// this week (AG-5, AG-6) from the history, fetched again whenever one of my calls ends.

import { api } from "./api.js";
import { campaignValues, cardOf } from "./campaign_cards.js";
import { averageOf, makeCard, queueValues, setValues } from "./cards.js";
import { ariaLabel, byId, h, setFlag, setText, syncChildren } from "./dom.js";
import { LiveFeed } from "./live.js";
import { agentRows, indexRoster, presence } from "./model.js";
import { agentPath, setEnabled, startPage } from "./shell.js";

const { data, i18n, notify, onStatus, act, post } = startPage();
const { t } = i18n;
const me = data.me;
const myDevices = new Set(me.devices);
const myRoster = indexRoster([{ ...me, display_name: me.username }]);
let activity = data.activity;

const live = new LiveFeed({
  onUpdate: render,
  onStatus,
  onSessionEnded: () => location.assign("/login"),
});

/** My part of the live state (an admin's feed carries everyone's rows). */
function mine() {
  const pick = (table, field) =>
    Object.fromEntries(Object.entries(table).filter(([, v]) => myDevices.has(v[field])));
  return {
    users: live.users,
    state: {
      member: pick(live.state.member ?? {}, "interface"),
      call: pick(live.state.call ?? {}, "agent"),
      canned: pick(live.state.canned ?? {}, "agent"),
      device: pick(live.state.device ?? {}, "device"),
    },
  };
}

function selectedQueues() {
  return [...document.querySelectorAll('input[name="queue"]:checked')].map((i) => i.value);
}

// ------------------------------------------------------------------ AG-1 my state
const buttons = {
  login: byId("login-btn"),
  logout: byId("logout-btn"),
  pause: byId("pause-btn"),
  resume: byId("resume-btn"),
};
const path = (action) => agentPath(me.username, action);
// The device I am logged in with, for pause/resume/log out (I may have more than one).
let myDevice = null;
const withDevice = (body) => (myDevice ? { ...body, device: myDevice } : body);

buttons.login.addEventListener("click", () => {
  const queues = selectedQueues();
  if (!queues.length) {
    notify(t("ag.choose_a_queue"));
    return;
  }
  act(buttons.login, () => post(path("login"), { queues }));
});
buttons.logout.addEventListener("click", () =>
  act(buttons.logout, () => post(path("logout"), withDevice({}))),
);
buttons.pause.addEventListener("click", () =>
  act(buttons.pause, () => post(path("pause"), withDevice({ reason: byId("pause-reason").value }))),
);
buttons.resume.addEventListener("click", () =>
  act(buttons.resume, () => post(path("resume"), withDevice({}))),
);
for (const box of document.querySelectorAll('input[name="queue"]')) {
  box.addEventListener("change", render);
}

function renderState(row, now) {
  const badge = byId("my-status");
  badge.dataset.status = row.status;
  let label = t(`presence.${row.status}`);
  if (row.paused && row.reason) label += ` · ${i18n.label("reason", row.reason)}`;
  if (row.paused && row.forced) label += ` · ${t("agent.forced")}`;
  setText(badge, label);
  setText(byId("my-status-time"), row.since ? i18n.duration(now - row.since) : "");
  const callLine = byId("my-call");
  setFlag(callLine, "hidden", !row.call);
  if (row.call) {
    setText(
      callLine,
      t("ag.in_call_with", {
        number: row.call.caller_number || t("agent.unknown_number"),
        queue: row.call.queue,
        waited: i18n.duration(row.call.wait),
        talk: i18n.duration(now - row.call.answered_at),
      }),
    );
  }
  const inQueues = new Set(row.queues.map((q) => q.queue));
  setEnabled(buttons.login, selectedQueues().some((q) => !inQueues.has(q)));
  setEnabled(buttons.logout, row.loggedIn);
  setEnabled(buttons.pause, row.loggedIn && !row.allPaused);
  setEnabled(buttons.resume, row.paused);
}

// ------------------------------------------------------------------ AG-3 canned messages
// The messages the page was rendered with (null: my role may not play them). Buttons stay
// in place and focusable (aria-disabled) whether or not I am in a call.
const canned = data.canned;
const IN_USE = new Set(["INUSE", "BUSY", "ONHOLD", "RINGINUSE"]);
const cannedButtons = [];
const stopButton = document.getElementById("canned-stop");
let playingNow = null;

function setupCanned() {
  const list = document.getElementById("canned-list");
  if (!canned || !list) return;
  for (const message of canned) {
    const label = t("ag.canned_play", { name: message.name, length: i18n.duration(message.seconds) });
    const button = h("button", { type: "button", class: "secondary", "aria-disabled": "true" }, label);
    button.addEventListener("click", () =>
      act(button, () => post(`/api/v1/canned-audio/${message.id}/play`, {})),
    );
    list.append(h("li", { lang: message.language }, button));
    cannedButtons.push(button);
  }
}

stopButton?.addEventListener("click", () =>
  act(stopButton, async () => {
    if (!playingNow) return;
    const path = `/api/v1/canned-audio/playing/${encodeURIComponent(playingNow.uniqueid)}`;
    await api("DELETE", path, { csrf: data.csrf });
  }),
);

function cannedName(playing) {
  return playing.name || canned?.find((m) => m.id === playing.message)?.name || "";
}

function renderCanned(view, row, now) {
  if (!canned || !stopButton) return;
  const playing = Object.values(view.state.canned)[0] ?? null;
  const devices = Object.values(view.state.device);
  const inCall = Boolean(row.call) || devices.some((d) => IN_USE.has(d.state));
  const status = byId("canned-status");
  if (playing) setText(status, t("ag.canned_playing", { name: cannedName(playing) }));
  else if (playingNow) setText(status, t("ag.canned_ended"));
  else if (!inCall) setText(status, "");
  playingNow = playing;
  setText(byId("canned-elapsed"), playing ? i18n.duration(now - playing.started_at) : "");
  setEnabled(stopButton, Boolean(playing));
  for (const button of cannedButtons) setEnabled(button, inCall && !playing);
  const hint = document.getElementById("canned-hint");
  if (hint) setFlag(hint, "hidden", inCall);
}

// ------------------------------------------------------------------ AG-4 my queue cards
const CARD_FIELDS = [
  "waiting",
  "agents_logged_in",
  "longest_wait",
  "average_handle",
  "calls_today",
  "handled",
  "abandoned",
  "timed_out",
  "my_status",
];

function createQueueCard(queue) {
  const card = makeCard(queue, CARD_FIELDS, i18n);
  const toggle = h("button", { type: "button", class: "secondary" });
  toggle.addEventListener("click", () => {
    const action = toggle.dataset.action;
    const body = { queues: [queue] };
    act(toggle, () => post(path(action), action === "login" ? body : withDevice(body)));
  });
  card.append(h("p", { class: "card-actions" }, toggle));
  card.toggle = toggle;
  return card;
}

function myStatusIn(queue, member, call, now) {
  if (call) return `${t("presence.in_call")} · ${i18n.duration(now - call.answered_at)}`;
  if (!member) return t("presence.logged_out");
  const p = presence(member, now);
  let status = t(`presence.${p}`);
  if (p === "paused" && member.paused_reason) status += ` · ${i18n.label("reason", member.paused_reason)}`;
  if (member.since) status += ` · ${i18n.duration(now - member.since)}`;
  return status;
}

function updateQueueCard(card, queue, view, now) {
  const member = Object.values(view.state.member ?? {}).find((m) => m.queue === queue);
  const call = Object.values(view.state.call ?? {}).find((c) => c.queue === queue);
  const status = myStatusIn(queue, member, call, now);
  setValues(card, {
    ...queueValues(live.figures[queue], now, i18n),
    average_handle: averageOf(activity.handleTimes, queue, i18n),
    my_status: status,
  });
  const action = member ? "logout" : "login";
  if (card.toggle.dataset.action !== action) {
    card.toggle.dataset.action = action;
    setText(card.toggle, t(`ag.${action}`));
    card.toggle.setAttribute("aria-label", t("action.for_queue", { action: t(`ag.${action}`), queue }));
  }
}

function renderCards(view, now) {
  syncChildren(byId("my-queue-cards"), me.queues, (q) => q, createQueueCard, (card, q) =>
    updateQueueCard(card, q, view, now),
  );
}

// ------------------------------------------------------------------ AG-4 my campaign cards
// A campaign dials through its queue: logging in to the campaign is logging in to its queue.
const CAMPAIGN_FIELDS = [
  "campaign_status",
  "contacts_left",
  "pct_dialled",
  "agents_logged_in",
  "average_handle",
  "calls_today",
  "not_answered",
  "answered",
  "my_status",
];
const myQueues = new Set(me.queues);

function myCampaigns() {
  const names = new Set(Object.keys(data.campaigns));
  for (const [name, card] of Object.entries(live.state.campaign ?? {})) {
    if (myQueues.has(card.queue)) names.add(name);
  }
  return [...names].sort();
}

function createCampaignCard(name) {
  const card = cardOf(live, name, data.campaigns[name]);
  const item = makeCard(card?.display_name || name, CAMPAIGN_FIELDS, i18n);
  item.dataset.campaign = name;
  const toggle = h("button", { type: "button", class: "secondary" });
  toggle.addEventListener("click", () => {
    const queue = cardOf(live, name, data.campaigns[name])?.queue;
    if (!queue) return;
    const action = toggle.dataset.action;
    const body = { queues: [queue] };
    act(toggle, () => post(path(action), action === "login" ? body : withDevice(body)));
  });
  item.append(h("p", { class: "card-actions" }, toggle));
  item.toggle = toggle;
  return item;
}

function updateCampaignCard(item, name, view, now) {
  const card = cardOf(live, name, data.campaigns[name]);
  if (!card) return;
  const member = Object.values(view.state.member ?? {}).find((m) => m.queue === card.queue);
  const call = Object.values(view.state.call ?? {}).find((c) => c.queue === card.queue);
  if (item.dataset.status !== card.status) item.dataset.status = card.status;
  setValues(item, { ...campaignValues(card, i18n), my_status: myStatusIn(card.queue, member, call, now) });
  const action = member ? "logout" : "login";
  if (item.toggle.dataset.action !== action) {
    item.toggle.dataset.action = action;
    setText(item.toggle, t(`ag.${action}`));
  }
  ariaLabel(item.toggle, t("action.for_campaign", { action: t(`ag.${action}`), campaign: card.display_name || name }));
}

function renderCampaigns(view, now) {
  const names = myCampaigns();
  setFlag(byId("campaigns-section"), "hidden", names.length === 0);
  syncChildren(byId("my-campaign-cards"), names, (n) => n, createCampaignCard, (item, n) =>
    updateCampaignCard(item, n, view, now),
  );
}

// ------------------------------------------------------------------ AG-4 the contact called
// The dialer's "dial" entity of my phone: the contact's name and number show as it rings
// (progressive: my phone first; predictive: as the contact is put through); a preview waits
// for my Call or Skip.
const dialPanel = byId("dial-panel");
let shownDial = null;

function myDial() {
  return (
    Object.values(live.state.dial ?? {})
      .filter((d) => myDevices.has(d.device) || d.agent === me.username)
      .sort((a, b) => b.since - a.since)[0] ?? null
  );
}

function renderDial(now) {
  const dial = myDial();
  setFlag(dialPanel, "hidden", !dial);
  if (!dial) {
    shownDial = null;
    return;
  }
  const name = dial.contact_name || t("dial.no_name");
  setText(byId("dial-name"), name);
  setText(byId("dial-number"), dial.number);
  const state = byId("dial-state");
  if (state.dataset.status !== dial.state) state.dataset.status = dial.state;
  setText(state, t(`dial.state.${dial.state}`));
  const card = cardOf(live, dial.campaign, data.campaigns[dial.campaign]);
  setText(byId("dial-campaign"), t("dial.campaign", { campaign: card?.display_name || dial.campaign }));
  setText(byId("dial-time"), i18n.duration(now - dial.since));
  setFlag(byId("dial-preview"), "hidden", dial.state !== "preview");
  const key = `${dial.id}:${dial.state}`;
  if (shownDial !== key) {
    // Said once per dial and state, not every second.
    setText(byId("dial-announce"), t(`dial.announce.${dial.state}`, { name, number: dial.number }));
    if (dial.state === "preview" && !shownDial?.startsWith(`${dial.id}:`)) byId("dial-call").focus();
    shownDial = key;
  }
}

function previewAction(button, action) {
  const dial = myDial();
  if (!dial || dial.state !== "preview") return;
  const path = `/api/v1/campaigns/${encodeURIComponent(dial.campaign)}/${action}`;
  act(button, () => post(path, { attempt: dial.id }));
}
byId("dial-call").addEventListener("click", (event) => previewAction(event.currentTarget, "dial"));
byId("dial-skip").addEventListener("click", (event) => previewAction(event.currentTarget, "skip"));

// ------------------------------------------------------------------ AG-5 / AG-6 history
const KINDS = ["queue_answered", "non_queue_answered", "non_queue_made"];

function against() {
  return document.querySelector('input[name="against"]:checked')?.value ?? "yesterday";
}

function renderActivity() {
  const other = activity[against()];
  const otherLabel = t(against() === "yesterday" ? "ag.yesterday" : "ag.same_day_last_week");
  for (const card of document.querySelectorAll("#today-cards [data-kind]")) {
    const kind = card.dataset.kind;
    setText(card.querySelector("[data-today]"), i18n.number(activity.today[kind]));
    setText(card.querySelector("[data-other]"), i18n.number(other[kind]));
    setText(card.querySelector("[data-other-label]"), otherLabel);
  }
  // The week's rows were rendered by the server (dates in my time zone); a new day needs a
  // new page, so rows are matched by date and only their counts change here.
  for (const day of activity.week) {
    const row = document.querySelector(`#week-table tr[data-day="${CSS.escape(day.day)}"]`);
    for (const kind of KINDS) {
      if (row) setText(row.querySelector(`[data-kind="${kind}"]`), i18n.number(day[kind]));
    }
  }
  for (const kind of KINDS) {
    const total = activity.week.reduce((sum, day) => sum + day[kind], 0);
    setText(document.querySelector(`[data-total="${kind}"]`), i18n.number(total));
  }
}

for (const radio of document.querySelectorAll('input[name="against"]')) {
  radio.addEventListener("change", renderActivity);
}

let refreshTimer = null;
function refreshActivity(delay) {
  clearTimeout(refreshTimer);
  refreshTimer = setTimeout(async () => {
    try {
      activity = await api("GET", "/api/v1/me/activity");
      renderActivity();
    } catch {
      // Keep what is shown; the next trigger tries again.
    }
  }, delay);
}

// A call of mine that ended (or a ringing that stopped) is a new history row, written a
// moment after the live change.
let wasBusy = false;
function watchMyCalls(row) {
  const busy = row.status === "in_call" || row.status === "ringing";
  if (wasBusy && !busy) refreshActivity(1500);
  wasBusy = busy;
}

// ------------------------------------------------------------------ main loop
function render() {
  if (!live.synced) return;
  const now = live.now();
  const view = mine();
  const [row] = agentRows(view, myRoster, now);
  myDevice = row.members[0]?.interface ?? null;
  renderState(row, now);
  renderCanned(view, row, now);
  renderCards(view, now);
  renderCampaigns(view, now);
  renderDial(now);
  watchMyCalls(row);
}

setupCanned();
renderActivity();
setInterval(render, 1000);
setInterval(() => refreshActivity(0), 5 * 60 * 1000); // outbound calls are not in the feed
live.start();
