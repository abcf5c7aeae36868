// A campaign's page (CD-1..CD-6): pause / resume, today's calls, contacts dialled vs left,
// agents and AHT from its card; the Contacts tab (the calls in flight from the live "dial"
// entities, the list still to call, a contact added, a CSV imported with its progress and
// report); the Agents tab, the campaign's queue's agents as on the queue's page (QD-3).

import { ApiError, api, errorText } from "./api.js";
import { clearError, showError, showProblem } from "./admin.js";
import { campaignValues, cardOf, pctDialled, statusText } from "./campaign_cards.js";
import { ariaLabel, byId, h, setFlag, setText, syncChildren } from "./dom.js";
import { LiveFeed } from "./live.js";
import { indexRoster } from "./model.js";
import { queueAgents } from "./queue_agents.js";
import { setEnabled, startPage } from "./shell.js";
import { myDeviceChoice } from "./spy.js";
import { setUpTabs } from "./tabs.js";

const { data, i18n, notify, onStatus, act, post } = startPage();
const { t } = i18n;
const NAME = data.campaign;
const QUEUE = data.queue;
const BASE = `/api/v1/campaigns/${encodeURIComponent(NAME)}`;
const canControl = data.canControl;
let given = data.card; // the API's card: the page's, then after each pause / resume

const live = new LiveFeed({
  onUpdate: render,
  onStatus,
  onSessionEnded: () => location.assign("/login"),
  onError: (error) => notify(errorText(i18n, new ApiError(error.code, error.message, 0))),
  queues: [QUEUE],
});
const qd3 = queueAgents({
  queue: QUEUE,
  live,
  roster: indexRoster(data.roster),
  i18n,
  data,
  act,
  post,
  myDevice: myDeviceChoice(data.me.devices, document.getElementById("my-device")),
  say: (text) => setText(byId("qd-agents-status"), text),
  onChange: () => render(),
});

// ------------------------------------------------------------------ CD-1 .. CD-4
const pauseButton = document.getElementById("cd-pause");

function renderCard(card) {
  const values = campaignValues(card, i18n);
  const badge = byId("cd-status");
  if (badge.dataset.status !== card.status) badge.dataset.status = card.status;
  setText(badge, t(`campaign.status.${card.status}`));
  setText(byId("cd-reason"), card.status === "active" ? "" : statusText(card, i18n));
  setText(byId("cd-calls"), values.calls_made);
  setText(byId("cd-handled"), values.answered);
  setText(byId("cd-incomplete"), values.not_answered);
  setText(byId("cd-dropped"), i18n.number(card.dropped));
  setText(
    byId("cd-dropped-hint"),
    card.drop_rate === null || card.drop_rate === undefined
      ? ""
      : t("cd.drop_rate", { rate: i18n.percent(100 * card.drop_rate) }),
  );
  setText(byId("cd-dialled"), i18n.number(card.contacts_dialled));
  setText(
    byId("cd-dialled-hint"),
    t("cd.dialled_of", { pct: i18n.percent(pctDialled(card)), total: i18n.number(card.contacts_total) }),
  );
  setText(byId("cd-left"), values.contacts_left);
  setText(byId("cd-agents"), values.agents_logged_in);
  setText(byId("cd-agents-hint"), t("cd.agents_free", { n: i18n.number(card.agents_free) }));
  setText(byId("cd-aht"), values.average_handle);
  setText(byId("cd-updated"), values.last_update);
  if (pauseButton) {
    const paused = card.status === "paused";
    if (pauseButton.dataset.paused !== String(paused)) {
      pauseButton.dataset.paused = String(paused);
      setText(pauseButton, t(paused ? "cd.resume" : "cd.pause"));
    }
  }
  watchCounts(card);
}

pauseButton?.addEventListener("click", () =>
  act(pauseButton, async () => {
    const action = pauseButton.dataset.paused === "true" ? "resume" : "pause";
    const done = await post(`${BASE}/${action}`);
    given = (await api("GET", BASE)).card;
    setText(byId("cd-pause-status"), t(done.paused ? "cd.paused_now" : "cd.resumed_now"));
    render();
  }),
);

// ------------------------------------------------------------------ CD-5 calls in flight
function dialRows() {
  return Object.values(live.state.dial ?? {})
    .filter((d) => d.campaign === NAME)
    .sort((a, b) => a.started_at - b.started_at || a.id.localeCompare(b.id));
}

function createDialRow() {
  const cells = [h("th", { scope: "row" }), h("td"), h("td"), h("td"), h("td", { class: "num timer" })];
  const row = h("tr", {}, ...cells);
  row.cells_ = cells;
  return row;
}

function updateDialRow(row, dial) {
  const [name, number, state, agent, time] = row.cells_;
  row.dataset.attempt = dial.id;
  setText(name, dial.contact_name || "–");
  setText(number, dial.number);
  setText(state, t(`dial.state.${dial.state}`));
  const owner = live.users[dial.device];
  setText(agent, owner?.display_name || dial.agent || dial.device || "–");
  setText(time, i18n.duration(live.now() - dial.since));
}

function renderDials() {
  const dials = dialRows();
  setFlag(byId("cd-dials-empty"), "hidden", dials.length > 0);
  setFlag(byId("cd-dials-table"), "hidden", dials.length === 0);
  syncChildren(byId("cd-dial-rows"), dials, (d) => d.id, createDialRow, updateDialRow);
}

// ------------------------------------------------------------------ CD-5 the contacts
const PAGE = 50;
let offset = 0;
const statusSelect = byId("contacts-status");
const sayContacts = (text) => setText(byId("contacts-status-line"), text);

async function loadContacts() {
  const query = new URLSearchParams({ status: statusSelect.value, limit: PAGE, offset });
  const body = await api("GET", `${BASE}/contacts?${query}`);
  if (body.contacts.length === 0 && offset > 0) {
    offset = Math.max(0, offset - PAGE); // the last page emptied: show the one before
    return loadContacts();
  }
  setFlag(byId("contacts-empty"), "hidden", body.contacts.length > 0);
  setFlag(byId("contacts-table"), "hidden", body.contacts.length === 0);
  syncChildren(byId("contact-rows"), body.contacts, (c) => String(c.id), createContactRow, updateContactRow);
  const last = offset + body.contacts.length;
  setText(
    byId("contacts-page"),
    body.total ? t("cd.page", { from: i18n.number(offset + 1), to: i18n.number(last), total: i18n.number(body.total) }) : "",
  );
  setEnabled(byId("contacts-prev"), offset > 0);
  setEnabled(byId("contacts-next"), last < body.total);
}

function refreshContacts() {
  loadContacts().catch((error) => notify(errorText(i18n, error)));
}

statusSelect.addEventListener("change", () => {
  offset = 0;
  refreshContacts();
});
byId("contacts-prev").addEventListener("click", (event) => {
  if (event.currentTarget.getAttribute("aria-disabled") === "true") return;
  offset = Math.max(0, offset - PAGE);
  refreshContacts();
});
byId("contacts-next").addEventListener("click", (event) => {
  if (event.currentTarget.getAttribute("aria-disabled") === "true") return;
  offset += PAGE;
  refreshContacts();
});

function createContactRow() {
  const cells = [
    h("th", { scope: "row" }),
    h("td"),
    h("td"),
    h("td"),
    h("td", { class: "num" }),
    h("td", { class: "num" }),
    h("td"),
  ];
  const row = h("tr", {}, ...cells);
  row.cells_ = cells;
  if (canControl) {
    row.remove_ = h("button", { type: "button", class: "secondary" }, t("cd.remove"));
    row.remove_.addEventListener("click", () => removeContact(row));
    row.append(h("td", {}, row.remove_));
  }
  return row;
}

function updateContactRow(row, contact) {
  const [name, number, source, status, attempts, wait, left] = row.cells_;
  row.contact = contact;
  row.dataset.contact = contact.id;
  setText(name, contact.name || "–");
  setText(number, contact.number);
  setText(source, t(`contact.source.${contact.source}`));
  let state = t(`contact.status.${contact.status}`);
  if (contact.last_outcome) state += ` · ${i18n.label("contact.outcome", contact.last_outcome)}`;
  setText(status, state);
  setText(attempts, i18n.number(contact.attempts));
  setText(wait, contact.original_wait === null ? "" : i18n.duration(contact.original_wait));
  // CD-5: when the caller left the queue; a CSV's import time for the others.
  setText(left, i18n.dateTime(contact.left_queue_at ?? contact.created_at));
  if (row.remove_) {
    const label = t("cd.remove_for", { name: contact.name || contact.number });
    ariaLabel(row.remove_, label);
    setEnabled(row.remove_, contact.status === "pending");
  }
}

function removeContact(row) {
  const contact = row.contact;
  act(row.remove_, async () => {
    await api("DELETE", `${BASE}/contacts/${contact.id}`, { csrf: data.csrf });
    sayContacts(t("cd.removed", { name: contact.name || contact.number }));
    await loadContacts();
    const next = byId("contact-rows").querySelector("button[aria-disabled='false']");
    (next ?? byId("cd-contacts-heading")).focus();
  });
}

// The list follows the card: a contact dialled, done or added elsewhere changes its counts.
let counts = "";
let countsTimer = null;
function watchCounts(card) {
  const now = `${card.contacts_total}/${card.contacts_left}/${card.contacts_dialled}`;
  if (counts && counts !== now) {
    clearTimeout(countsTimer);
    countsTimer = setTimeout(refreshContacts, 800);
  }
  counts = now;
}

// ------------------------------------------------------------------ CD-5 add a contact
const contactForm = document.getElementById("contact-form");
contactForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  const errorEl = byId("contact-error");
  const number = byId("contact-number");
  if (!number.value.trim()) {
    showProblem(errorEl, t("cd.number_missing"), number, contactForm);
    return;
  }
  const body = { name: byId("contact-name").value.trim(), number: number.value.trim() };
  const zone = byId("contact-timezone").value.trim();
  if (zone) body.timezone = zone;
  clearError(errorEl, contactForm);
  act(byId("contact-add"), async () => {
    let added;
    try {
      added = await post(`${BASE}/contacts`, body);
    } catch (error) {
      showError(i18n, errorEl, error, contactForm);
      return;
    }
    sayContacts(t("cd.added", { name: added.name || added.number, number: added.number }));
    contactForm.reset();
    byId("contact-name").focus();
    await loadContacts();
  });
});

// ------------------------------------------------------------------ CD-5 CSV import
const importForm = document.getElementById("import-form");
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

importForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId("import-file");
  const errorEl = byId("import-error");
  const file = input.files?.[0];
  if (!file) {
    showProblem(errorEl, t("cd.import_choose"), input, importForm);
    return;
  }
  clearError(errorEl, importForm);
  act(byId("import-submit"), async () => {
    let started;
    try {
      // Sent as text/csv whatever the browser calls it (Windows says application/vnd.ms-excel).
      const csv = new Blob([file], { type: "text/csv" });
      const query = new URLSearchParams({ filename: file.name });
      started = await api("POST", `${BASE}/imports?${query}`, { file: csv, csrf: data.csrf });
    } catch (error) {
      showError(i18n, errorEl, error, importForm);
      return;
    }
    byId("import-report").hidden = true;
    await follow(started);
    input.value = "";
  });
});

/** Polls the import until it is done or failed; the bar and its words say where it is. */
async function follow(state) {
  const box = byId("import-progress");
  const bar = byId("import-bar");
  box.hidden = false;
  for (;;) {
    bar.max = Math.max(1, state.total_rows);
    bar.value = state.phase === "checking" ? state.done_rows : state.total_rows;
    const numbers = { done: i18n.number(state.done_rows), total: i18n.number(state.total_rows), file: state.filename };
    setText(byId("import-phase"), t(`cd.import_${state.phase}`, numbers));
    if (state.status !== "running") break;
    await sleep(400);
    state = await api("GET", `${BASE}/imports/${state.id}`);
  }
  showReport(state);
  await loadContacts();
}

function reasonText(error) {
  const key = `import.reason.${error.code}`;
  const text = t(key, { first: error.first });
  return text === key ? error.reason : text;
}

function showReport(state) {
  const section = byId("import-report");
  const failure = state.errors.find((e) => e.line === 0);
  const rows = state.errors.filter((e) => e.line > 0);
  const summary = byId("import-summary");
  summary.className = failure ? "error" : "status";
  setText(
    summary,
    failure
      ? t("cd.import_failed_text", { file: state.filename, reason: failure.reason })
      : t("cd.import_done_text", {
          file: state.filename,
          imported: i18n.number(state.imported),
          rejected: i18n.number(state.rejected),
        }),
  );
  syncChildren(
    byId("import-error-rows"),
    rows,
    (e) => `${e.line}:${e.field}`,
    () => {
      const cells = [h("th", { scope: "row", class: "num" }), h("td"), h("td"), h("td")];
      const row = h("tr", {}, ...cells);
      row.cells_ = cells;
      return row;
    },
    (row, e) => {
      const [line, column, value, reason] = row.cells_;
      setText(line, i18n.number(e.line));
      setText(column, e.column);
      setText(value, e.value);
      setText(reason, reasonText(e));
    },
  );
  setFlag(byId("import-errors"), "hidden", rows.length === 0);
  section.hidden = false;
  byId("import-report-heading").focus();
}

// ------------------------------------------------------------------ main loop
function render() {
  if (!live.synced) return;
  const card = cardOf(live, NAME, given);
  if (card) renderCard(card);
  renderDials();
  qd3.render(qd3.agents(live.now()));
}

setUpTabs(byId("cd-tabs"));
refreshContacts();
setInterval(render, 1000);
live.start();
