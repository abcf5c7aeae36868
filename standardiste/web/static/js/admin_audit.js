// The configuration audit log: who changed what, when (in the user's time zone), and each
// change as before -> after; older entries page in with before_id.

import { byId, h, setFlag } from "./dom.js";
import { adminPath, running, showError, startAdmin } from "./admin.js";

const { i18n, call } = startAdmin();
const { t } = i18n;
const PAGE = 50;
const rows = byId("audit-rows");
const more = byId("audit-more");
let oldest = null;

function show(value) {
  if (value === null || value === undefined || value === "") return "–";
  if (value === true) return t("admin.yes");
  if (value === false) return t("admin.no");
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

const isObject = (v) => v !== null && typeof v === "object" && !Array.isArray(v);

// The fields of a queue's or a user's entries by their form's labels; others as named.
const FIELD_LABELS = {
  "queue.create": "admin.queue.field",
  "queue.update": "admin.queue.field",
  "queue.delete": "admin.queue.field",
  "user.create": "admin.user.field",
  "user.update": "admin.user.field",
};

function line(key, before, after, labels) {
  const name = key !== null && labels ? i18n.label(labels, key) : key;
  const parts = name === null ? [] : [h("span", { class: "key", title: key }, name), t("punct.colon")];
  if (before === undefined) return h("li", {}, ...parts, h("ins", {}, show(after)));
  if (after === undefined) return h("li", {}, ...parts, h("del", {}, show(before)));
  return h("li", {}, ...parts, h("del", {}, show(before)), " → ", h("ins", {}, show(after)));
}

/** A change made readable: the fields that differ, what a list gained and lost. */
function changes(before, after, labels) {
  if (Array.isArray(before) || Array.isArray(after)) {
    const was = (before ?? []).map(show);
    const now = (after ?? []).map(show);
    const added = now.filter((v) => !was.includes(v));
    const removed = was.filter((v) => !now.includes(v));
    const items = [];
    if (added.length) items.push(h("li", {}, `${t("admin.audit.added")} `, h("ins", {}, added.join(", "))));
    if (removed.length) items.push(h("li", {}, `${t("admin.audit.removed")} `, h("del", {}, removed.join(", "))));
    return items.length ? items : [h("li", {}, t("admin.audit.unchanged"))];
  }
  if (isObject(before) || isObject(after)) {
    const was = isObject(before) ? before : {};
    const now = isObject(after) ? after : {};
    const keys = [...new Set([...Object.keys(was), ...Object.keys(now)])].sort();
    const items = [];
    if (!isObject(before)) items.push(h("li", { class: "what" }, t("admin.audit.created")));
    if (!isObject(after)) items.push(h("li", { class: "what" }, t("admin.audit.deleted")));
    for (const key of keys) {
      const b = isObject(before) ? was[key] : undefined;
      const a = isObject(after) ? now[key] : undefined;
      if (JSON.stringify(b) !== JSON.stringify(a)) items.push(line(key, b, a, labels));
    }
    return items;
  }
  return [line(null, before ?? undefined, after ?? undefined, null)];
}

function row(entry) {
  return h(
    "tr",
    { "data-id": String(entry.id) },
    h("td", {}, h("time", { datetime: entry.at }, i18n.dateTime(entry.at))),
    h("td", {}, entry.actor),
    h("td", { "data-action": entry.action }, i18n.label("admin.audit.actions", entry.action)),
    h("td", {}, entry.subject),
    h(
      "td",
      {},
      h(
        "ul",
        { class: "diff" },
        ...changes(entry.before, entry.after, FIELD_LABELS[entry.action] ?? null),
      ),
    ),
  );
}

async function load() {
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (oldest !== null) query.set("before_id", String(oldest));
  const { entries } = await call("GET", `${adminPath("audit")}?${query}`);
  rows.append(...entries.map(row));
  if (entries.length) oldest = entries[entries.length - 1].id;
  const done = entries.length < PAGE;
  setFlag(more, "hidden", done);
  setFlag(byId("audit-end"), "hidden", !done || rows.children.length === 0);
  setFlag(byId("audit-empty"), "hidden", rows.children.length > 0);
  setFlag(byId("audit-table"), "hidden", rows.children.length === 0);
  return entries;
}

more.addEventListener("click", () =>
  running(more, byId("audit-error"), i18n, async () => {
    const first = rows.children.length;
    const entries = await load();
    // Keyboard users continue where the new entries start.
    const next = rows.children[first];
    if (entries.length && next) {
      next.setAttribute("tabindex", "-1");
      next.focus();
    }
  }),
);

load().catch((error) => showError(i18n, byId("audit-error"), error));

// The listen / whisper / barge sessions: who, whom, in which queue, start, mode, end.
const spyRows = byId("spylog-rows");
const spyMore = byId("spylog-more");
let spyOldest = null;

function spyRow(entry) {
  const who = entry.supervisor || `${entry.device} (${t("admin.spylog.phone")})`;
  const whom = entry.agent_name ? `${entry.agent_name} (${entry.agent})` : entry.agent;
  return h(
    "tr",
    { "data-id": String(entry.id), "data-session": entry.session },
    h("td", {}, h("time", { datetime: entry.at }, i18n.dateTime(entry.at))),
    h("td", {}, who),
    h("td", {}, whom),
    h("td", {}, entry.queue || "–"),
    h("td", { "data-event": entry.event }, t(`admin.spylog.events.${entry.event}`)),
    h("td", { "data-mode": entry.mode }, t(`admin.spylog.modes.${entry.mode}`)),
  );
}

async function loadSpies() {
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (spyOldest !== null) query.set("before_id", String(spyOldest));
  const { entries } = await call("GET", `${adminPath("audit", "spy")}?${query}`);
  spyRows.append(...entries.map(spyRow));
  if (entries.length) spyOldest = entries[entries.length - 1].id;
  setFlag(spyMore, "hidden", entries.length < PAGE);
  setFlag(byId("spylog-empty"), "hidden", spyRows.children.length > 0);
  setFlag(byId("spylog-table"), "hidden", spyRows.children.length === 0);
}

spyMore.addEventListener("click", () =>
  running(spyMore, byId("spylog-error"), i18n, loadSpies),
);

loadSpies().catch((error) => showError(i18n, byId("spylog-error"), error));

// The canned audio messages played into calls: which, who played it, into whose call, who
// stopped it.
const cannedRows = byId("cannedlog-rows");
const cannedMore = byId("cannedlog-more");
let cannedOldest = null;

function cannedRow(entry) {
  const whom = entry.agent_name ? `${entry.agent_name} (${entry.agent})` : entry.agent;
  let event = t(`admin.cannedlog.events.${entry.event}`);
  if (entry.event === "end" && entry.stopped_by) {
    event = t("admin.cannedlog.stopped_by", { name: entry.stopped_by });
  }
  return h(
    "tr",
    { "data-id": String(entry.id), "data-session": entry.session },
    h("td", {}, h("time", { datetime: entry.at }, i18n.dateTime(entry.at))),
    h("td", {}, entry.name || `#${entry.message}`),
    h("td", {}, entry.by || "–"),
    h("td", {}, whom),
    h("td", {}, entry.queue || "–"),
    h("td", { "data-event": entry.event }, event),
  );
}

async function loadCanned() {
  const query = new URLSearchParams({ limit: String(PAGE) });
  if (cannedOldest !== null) query.set("before_id", String(cannedOldest));
  const { entries } = await call("GET", `${adminPath("audit", "canned")}?${query}`);
  cannedRows.append(...entries.map(cannedRow));
  if (entries.length) cannedOldest = entries[entries.length - 1].id;
  setFlag(cannedMore, "hidden", entries.length < PAGE);
  setFlag(byId("cannedlog-empty"), "hidden", cannedRows.children.length > 0);
  setFlag(byId("cannedlog-table"), "hidden", cannedRows.children.length === 0);
}

cannedMore.addEventListener("click", () =>
  running(cannedMore, byId("cannedlog-error"), i18n, loadCanned),
);

loadCanned().catch((error) => showError(i18n, byId("cannedlog-error"), error));
