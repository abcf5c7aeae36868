// AN-2, the agent performance report: the time each agent spent in each state (paused by
// reason), their calls by type and handle times, occupancy and utilisation side by side,
// per queue; an agent's name opens their timeline. Every figure is the report API's
// (/api/v1/reports/agents and .../{agent}/timeline).

import { byId, setText } from "./dom.js";
import { PALETTE, SERIES, addDays, cellButton, startReport } from "./report_common.js";

const report = startReport();
const { data, i18n, fillTable, chart, get } = report;
const t = i18n.t;
const STATES = data.agentStates; // ready, ringing, talking, hold, wrapup, paused, unavailable, logged_out
const TYPES = data.callTypes; // queue, direct_in, direct_out, campaign
const STATE_COLOURS = {
  ready: PALETTE.green,
  ringing: PALETTE.yellow,
  talking: PALETTE.blue,
  hold: PALETTE.sky,
  wrapup: PALETTE.purple,
  paused: PALETTE.orange,
  unavailable: "#b2abd2",
  logged_out: PALETTE.grey,
};
// Pause reasons stack next to the states: colours none of the states use.
const REASON_COLOURS = ["#8c510a", PALETTE.vermillion, "#b2182b", "#5e3c99", PALETTE.black, "#01665e"];
const HOUR = 3600;

let filters = null;
let agents = [];

const nameOf = (a) => a.name || a.username || a.agent;
const reasonLabel = (code) => data.pauseReasons?.[code] ?? i18n.label("reason", code);
const count = (v) => i18n.number(v);
const seconds = (v) => i18n.duration(v);

report.onFilters(async (params) => {
  filters = params;
  const answer = await get("/api/v1/reports/agents", params);
  agents = answer.agents;
  closeTimeline();
  byId("rp-empty").hidden = agents.length > 0;
  byId("rp-results").hidden = agents.length === 0;
  if (!agents.length) return;
  states();
  calls();
  compare();
  perQueue();
});

/** The agent's name as a button that opens their timeline (Enter or Space by keyboard). */
function agentCell(a) {
  return cellButton(nameOf(a), { "data-agent": a.agent, "aria-label": t("rp.a.open_timeline", { name: nameOf(a) }) }, () =>
    openTimeline(a),
  );
}
const agentColumn = { label: t("agent.name"), value: nameOf, cell: agentCell, header: true };
const deviceColumn = { label: t("rp.a.device"), value: (a) => a.agent };

function states() {
  const reasons = [...new Set(agents.flatMap((a) => Object.keys(a.paused_by_reason ?? {})))].sort();
  const unexplained = (a) => Math.max(0, (a.states.paused ?? 0) - Object.values(a.paused_by_reason ?? {}).reduce((x, y) => x + y, 0));
  const hasUnexplained = agents.some((a) => unexplained(a) > 0);
  const hours = (s) => Math.round(((s ?? 0) / HOUR) * 100) / 100;
  const datasets = [
    ...STATES.filter((s) => s !== "paused").map((state) => ({
      label: t(`rp.state.${state}`),
      data: agents.map((a) => hours(a.states[state])),
      backgroundColor: STATE_COLOURS[state],
      // Logged-out time dwarfs the rest over days: shown on demand (its legend entry).
      hidden: state === "logged_out",
      raw: agents.map((a) => a.states[state]),
    })),
    ...reasons.map((reason, i) => ({
      label: t("rp.a.paused_reason", { reason: reasonLabel(reason) }),
      data: agents.map((a) => hours(a.paused_by_reason?.[reason])),
      backgroundColor: REASON_COLOURS[i % REASON_COLOURS.length],
      raw: agents.map((a) => a.paused_by_reason?.[reason] ?? 0),
    })),
  ];
  if (hasUnexplained) {
    datasets.push({
      label: t("rp.a.paused_no_reason"),
      data: agents.map((a) => hours(unexplained(a))),
      backgroundColor: PALETTE.orange,
      raw: agents.map(unexplained),
    });
  }
  const made = chart("c-states", {
    type: "bar",
    data: { labels: agents.map(nameOf), datasets },
    options: {
      indexAxis: "y",
      scales: { x: { stacked: true, beginAtZero: true, title: { display: true, text: t("rp.hours") } }, y: { stacked: true } },
      plugins: {
        tooltip: { callbacks: { label: (c) => `${c.dataset.label}: ${seconds(c.dataset.raw[c.dataIndex])}` } },
      },
      onClick: (_event, elements) => {
        if (elements.length) openTimeline(agents[elements[0].index]);
      },
    },
  });
  made.canvas.parentElement.classList.add("tall");
  made.canvas.classList.add("clickable");
  fillTable(
    "t-states",
    [
      agentColumn,
      deviceColumn,
      ...STATES.map((state) => ({ label: t(`rp.state.${state}`), value: (a) => a.states[state] ?? 0, format: seconds, num: true })),
      ...reasons.map((reason) => ({
        label: t("rp.a.paused_reason", { reason: reasonLabel(reason) }),
        value: (a) => a.paused_by_reason?.[reason] ?? 0,
        format: seconds,
        num: true,
      })),
      { label: t("rp.a.logged_in"), value: (a) => a.logged_in, format: seconds, num: true },
    ],
    agents,
  );
}

function calls() {
  chart("c-calls", {
    type: "bar",
    data: {
      labels: agents.map(nameOf),
      datasets: TYPES.map((type, i) => ({
        label: t(`rp.type.${type}`),
        data: agents.map((a) => a.calls[type] ?? 0),
        backgroundColor: SERIES[i],
      })),
    },
    options: { indexAxis: "y", scales: { x: { stacked: true, beginAtZero: true, ticks: { precision: 0 } }, y: { stacked: true } } },
  });
  byId("c-calls").parentElement.classList.add("tall");
  fillTable(
    "t-calls",
    [
      agentColumn,
      ...TYPES.map((type) => ({ label: t(`rp.type.${type}`), value: (a) => a.calls[type] ?? 0, format: count, num: true })),
      { label: t("rp.total"), value: (a) => a.calls.total, format: count, num: true },
      ...TYPES.map((type) => ({
        label: t("rp.a.aht_of", { type: t(`rp.type.${type}`) }),
        value: (a) => a.aht?.[type] ?? null,
        format: seconds,
        num: true,
      })),
      { label: t("metric.aht"), value: (a) => a.aht?.all ?? null, format: seconds, num: true },
    ],
    agents,
  );
}

function compare() {
  chart("c-compare", {
    type: "bar",
    data: {
      labels: agents.map(nameOf),
      datasets: [
        { label: t("metric.occupancy"), data: agents.map((a) => a.occupancy), backgroundColor: PALETTE.blue },
        { label: t("metric.utilisation"), data: agents.map((a) => a.utilisation), backgroundColor: PALETTE.orange },
      ],
    },
    options: { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v} %` } } } },
  });
  fillTable(
    "t-compare",
    [
      agentColumn,
      { label: t("rp.total_calls"), value: (a) => a.calls.total, format: count, num: true },
      { label: t("metric.aht"), value: (a) => a.aht?.all ?? null, format: seconds, num: true },
      { label: t("metric.occupancy"), value: (a) => a.occupancy, format: (v) => i18n.percent(v), num: true },
      { label: t("metric.utilisation"), value: (a) => a.utilisation, format: (v) => i18n.percent(v), num: true },
      { label: t("rp.a.logged_in"), value: (a) => a.logged_in, format: seconds, num: true },
    ],
    agents,
  );
}

function perQueue() {
  const rows = agents.flatMap((a) => (a.by_queue ?? []).map((q) => ({ ...q, who: a })));
  fillTable(
    "t-agent-queues",
    [
      { label: t("agent.name"), value: (r) => nameOf(r.who), header: true },
      { label: t("figure.queue"), value: (r) => r.queue },
      { label: t("rp.calls"), value: (r) => r.calls, format: count, num: true },
      { label: t("metric.aht"), value: (r) => r.aht, format: seconds, num: true },
      { label: t("metric.talk"), value: (r) => r.talk, format: seconds, num: true },
      { label: t("metric.hold"), value: (r) => r.hold, format: seconds, num: true },
      { label: t("metric.acw"), value: (r) => r.acw, format: seconds, num: true },
    ],
    rows,
  );
}

// ------------------------------------------------------------------ an agent's timeline
const epochOf = (v) => (typeof v === "number" ? v : Date.parse(v) / 1000);

/** The local day (YYYY-MM-DD) and hour of the day (0..24, fractional) of an instant. */
function localParts(epoch, timeZone) {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat("en-CA", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    })
      .formatToParts(new Date(epoch * 1000))
      .map((p) => [p.type, p.value]),
  );
  return { day: `${parts.year}-${parts.month}-${parts.day}`, hour: Number(parts.hour) + Number(parts.minute) / 60 + Number(parts.second) / 3600 };
}

/** An interval cut at each local midnight: one bar per day row. */
function byDay(interval, timeZone) {
  const pieces = [];
  let start = epochOf(interval.start);
  const end = epochOf(interval.end);
  while (start < end) {
    const { day, hour } = localParts(start, timeZone);
    const dayEnd = start + (24 - hour) * HOUR;
    const stop = Math.min(end, dayEnd);
    pieces.push({ day, x: [hour, hour + (stop - start) / HOUR] });
    if (stop === start) break;
    start = stop;
  }
  return pieces;
}

async function openTimeline(agent) {
  // A timeline covers at most data.timelineDays: the last ones of a longer range.
  const params = new URLSearchParams({ from: filters.get("from"), to: filters.get("to"), tz: filters.get("tz") });
  const earliest = addDays(params.get("to"), 1 - data.timelineDays);
  const cut = params.get("from") < earliest;
  if (cut) params.set("from", earliest);
  let intervals;
  try {
    const answer = await get(`/api/v1/reports/agents/${encodeURIComponent(agent.agent)}/timeline`, params);
    intervals = Array.isArray(answer) ? answer : answer.intervals;
  } catch {
    report.notify(t("rp.err.timeline"));
    return;
  }
  const note = byId("a-timeline-cut");
  note.hidden = !cut;
  setText(note, cut ? t("rp.a.timeline_cut", { days: data.timelineDays, from: params.get("from") }) : "");
  const section = byId("a-timeline");
  section.hidden = false;
  setText(byId("a-timeline-heading"), t("rp.a.timeline_of", { name: nameOf(agent) }));
  section.dataset.agent = agent.agent;
  const tz = filters.get("tz");
  byId("a-timeline-empty").hidden = intervals.length > 0;
  const days = [...new Set(intervals.flatMap((i) => byDay(i, tz).map((p) => p.day)))].sort();
  const present = STATES.filter((s) => intervals.some((i) => i.state === s));
  chart("c-timeline", {
    type: "bar",
    data: {
      labels: days,
      datasets: present.map((state) => ({
        label: t(`rp.state.${state}`),
        data: intervals.filter((i) => i.state === state).flatMap((i) => byDay(i, tz).map((p) => ({ y: p.day, x: p.x }))),
        backgroundColor: STATE_COLOURS[state],
        grouped: false,
        barPercentage: 0.9,
        categoryPercentage: 1,
      })),
    },
    options: {
      indexAxis: "y",
      scales: {
        x: { min: 0, max: 24, ticks: { stepSize: 2, callback: (v) => `${String(v).padStart(2, "0")}:00` } },
        y: { stacked: false },
      },
      plugins: {
        tooltip: {
          callbacks: { label: (c) => `${c.dataset.label}: ${seconds((c.raw.x[1] - c.raw.x[0]) * HOUR)}` },
        },
      },
    },
  });
  fillTable(
    "t-timeline",
    [
      { label: t("rp.a.state"), value: (i) => i.state, format: (v) => t(`rp.state.${v}`), header: true },
      { label: t("rp.a.reason"), value: (i) => i.reason ?? "", format: (v) => (v ? reasonLabel(v) : "") },
      { label: t("figure.queue"), value: (i) => i.queue ?? "" },
      { label: t("rp.a.start"), value: (i) => i.start, format: (v) => stamp(v) },
      { label: t("rp.a.end"), value: (i) => i.end, format: (v) => stamp(v) },
      { label: t("rp.a.duration"), value: (i) => Math.round(epochOf(i.end) - epochOf(i.start)), format: seconds, num: true },
    ],
    intervals,
  );
  byId("a-timeline-heading").focus();
}

const stamp = (value) => report.stamp(value, filters.get("tz"));

function closeTimeline() {
  const section = byId("a-timeline");
  const agent = section.dataset.agent;
  section.hidden = true;
  delete section.dataset.agent;
  return agent;
}

byId("timeline-close").addEventListener("click", () => {
  const agent = closeTimeline();
  if (agent) document.querySelector(`#t-states button[data-agent="${CSS.escape(agent)}"]`)?.focus();
});
