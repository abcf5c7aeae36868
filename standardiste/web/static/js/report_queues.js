// AN-1, the queue callers report: volume by day, service level against its target, the
// offered calls by weekday and hour (a shaded table to staff by), the waits before an answer
// and before giving up, the missed calls per day with the calls behind each day, per queue,
// callbacks and campaigns. Every figure is the report API's (/api/v1/reports/queues).

import { byId, setText } from "./dom.js";
import { PALETTE, bucketLabel, cellButton, startReport } from "./report_common.js";

const COUNTS = ["offered", "handled", "abandoned", "short_abandoned", "timed_out", "transferred", "exited"];
const PERCENTS = ["service_level", "abandon_rate"];
const SECONDS = ["asa", "aht", "longest_wait", "talk", "hold", "acw"];
const HEAT_LEVELS = 5;

const report = startReport();
const { i18n, fillTable, chart, get } = report;
const t = i18n.t;

/** How a metric is shown: a count, a percentage (0..100) or a duration (seconds). */
function formatOf(key) {
  if (PERCENTS.includes(key)) return (v) => i18n.percent(v);
  if (SECONDS.includes(key)) return (v) => i18n.duration(v);
  return (v) => (v === null || v === undefined ? "–" : i18n.number(v));
}

const metricColumn = (key) => ({
  label: t(`metric.${key}`),
  value: (row) => row[key] ?? null,
  format: formatOf(key),
  num: true,
});

let filters = null;
let missed = { day: null, page: 1, total: 0, perPage: 50 };

report.onFilters(async (params) => {
  filters = params;
  updateQueueLog(params);
  const data = await get("/api/v1/reports/queues", params);
  closeMissed();
  const calls = data.totals.offered ?? 0;
  const campaigns = (data.campaigns ?? []).some((c) => c.attempts > 0);
  byId("rp-empty").hidden = calls > 0 || campaigns;
  byId("rp-results").hidden = !(calls > 0 || campaigns);
  if (byId("rp-results").hidden) return;
  totals(data.totals);
  volume(data.by_day);
  serviceLevel(data.by_day, data.settings, params.get("queues").split(","));
  heatmap(data.heatmap);
  waits("wait-answered", data.wait_answered, PALETTE.blue);
  waits("wait-abandoned", data.wait_abandoned, PALETTE.vermillion);
  missedByDay(data.missed_by_day);
  perQueue(data.by_queue);
  callbacks(data.callbacks);
  campaignTable(data.campaigns ?? []);
});

function totals(row) {
  for (const key of [...COUNTS, ...PERCENTS, ...SECONDS]) {
    const el = document.getElementById(`q-total-${key}`);
    if (el) setText(el, formatOf(key)(row[key]));
  }
}

function volume(days) {
  chart("c-volume", {
    type: "bar",
    data: {
      labels: days.map((d) => d.day),
      datasets: [
        { label: t("metric.handled"), data: days.map((d) => d.handled), backgroundColor: PALETTE.blue },
        { label: t("metric.abandoned"), data: days.map((d) => d.abandoned), backgroundColor: PALETTE.vermillion },
        { label: t("metric.timed_out"), data: days.map((d) => d.timed_out), backgroundColor: PALETTE.orange },
      ],
    },
    options: { scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } } },
  });
  fillTable(
    "t-days",
    [
      { label: t("rp.day"), value: (d) => d.day, header: true },
      ...["offered", "handled", "abandoned", "timed_out", "service_level", "abandon_rate", "asa", "aht", "longest_wait"].map(metricColumn),
    ],
    days,
  );
}

function serviceLevel(days, settings, queues) {
  const targets = [...new Set(queues.map((q) => settings?.[q]?.sl_target).filter((x) => x !== undefined && x !== null))];
  const target = targets.length === 1 ? targets[0] : null;
  byId("q-sl-note").hidden = targets.length < 2;
  const datasets = [
    {
      label: t("metric.service_level"),
      data: days.map((d) => d.service_level),
      borderColor: PALETTE.blue,
      backgroundColor: PALETTE.blue,
      spanGaps: true,
    },
  ];
  if (target !== null) {
    datasets.push({
      label: t("rp.target"),
      data: days.map(() => target),
      borderColor: PALETTE.vermillion,
      backgroundColor: PALETTE.vermillion,
      borderDash: [6, 4],
      pointRadius: 0,
    });
  }
  chart("c-sl", {
    type: "line",
    data: { labels: days.map((d) => d.day), datasets },
    options: { scales: { y: { min: 0, max: 100, ticks: { callback: (v) => `${v} %` } } } },
  });
  fillTable(
    "t-sl",
    [
      { label: t("rp.day"), value: (d) => d.day, header: true },
      metricColumn("service_level"),
      {
        label: t("rp.target"),
        value: () => target,
        format: (v) => (v === null ? t("rp.q.targets_differ_short") : i18n.percent(v)),
        num: true,
      },
      {
        label: t("rp.q.sl_met"),
        value: (d) => (target === null || d.service_level === null ? null : d.service_level >= target),
        format: (v) => (v === null ? "–" : v ? t("rp.yes") : t("rp.no")),
        className: (v) => (v === false ? "below" : ""),
      },
      metricColumn("offered"),
    ],
    days,
  );
}

function heatmap(heat) {
  const max = Math.max(0, ...heat.offered.flat());
  const level = (n) => (n > 0 && max > 0 ? Math.max(1, Math.ceil((n / max) * HEAT_LEVELS)) : 0);
  const rows = heat.weekdays.map((day, i) => ({ day, counts: heat.offered[i], days: heat.days_counted[i] }));
  fillTable(
    "t-heat",
    [
      { label: t("rp.weekday"), value: (r) => t(`rp.wd.${r.day}`), header: true },
      ...heat.hours.map((hour, j) => ({
        label: String(hour).padStart(2, "0"),
        value: (r) => r.counts[j],
        format: (v) => (v ? i18n.number(v) : ""),
        num: true,
        className: (v) => `heat heat-${level(v)}`,
      })),
      { label: t("rp.total"), value: (r) => r.counts.reduce((a, b) => a + b, 0), format: (v) => i18n.number(v), num: true },
      { label: t("rp.days_counted"), value: (r) => r.days, format: (v) => i18n.number(v), num: true },
    ],
    rows,
  );
  byId("t-heat").classList.add("heatmap");
}

function waits(name, buckets, colour) {
  const total = buckets.reduce((a, b) => a + b.count, 0);
  chart(`c-${name}`, {
    type: "bar",
    data: {
      labels: buckets.map(bucketLabel),
      datasets: [{ label: t("rp.calls"), data: buckets.map((b) => b.count), backgroundColor: colour }],
    },
    options: { plugins: { legend: { display: false } }, scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } },
  });
  fillTable(
    `t-${name}`,
    [
      { label: t("rp.wait"), value: bucketLabel, header: true },
      { label: t("rp.wait_from"), value: (b) => b.from, num: true },
      { label: t("rp.wait_to"), value: (b) => b.to, format: (v) => (v === null ? "–" : v), num: true },
      { label: t("rp.calls"), value: (b) => b.count, format: (v) => i18n.number(v), num: true },
      { label: t("rp.share"), value: (b) => (total ? Math.round((b.count / total) * 1000) / 10 : null), format: (v) => i18n.percent(v), num: true },
    ],
    buckets,
  );
}

function missedByDay(days) {
  const made = chart("c-missed", {
    type: "bar",
    data: {
      labels: days.map((d) => d.day),
      datasets: [
        { label: t("metric.abandoned"), data: days.map((d) => d.abandoned), backgroundColor: PALETTE.vermillion },
        { label: t("metric.timed_out"), data: days.map((d) => d.timed_out), backgroundColor: PALETTE.orange },
      ],
    },
    options: {
      scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      // A bar opens the calls of its day (the table's buttons do the same by keyboard).
      onClick: (_event, elements) => {
        if (elements.length) openMissed(days[elements[0].index].day, 1);
      },
    },
  });
  made.canvas.classList.add("clickable");
  fillTable(
    "t-missed",
    [
      { label: t("rp.day"), value: (d) => d.day, header: true },
      { label: t("metric.abandoned"), value: (d) => d.abandoned, format: (v) => i18n.number(v), num: true },
      { label: t("metric.timed_out"), value: (d) => d.timed_out, format: (v) => i18n.number(v), num: true },
      { label: t("rp.total"), value: (d) => d.abandoned + d.timed_out, format: (v) => i18n.number(v), num: true },
      {
        label: t("rp.q.the_calls"),
        value: () => null,
        cell: (d) =>
          d.abandoned + d.timed_out
            ? cellButton(t("rp.q.show_calls"), { "aria-label": t("rp.q.show_calls_of", { day: d.day }), "data-day": d.day }, () => openMissed(d.day, 1))
            : "",
        csv: false, // a button, not data
      },
    ],
    days,
  );
}

const missedColumns = () => [
  { label: t("rp.q.entered_at"), value: (c) => c.entered_at, format: (v) => report.stamp(v, filters.get("tz")), header: true },
  { label: t("figure.queue"), value: (c) => c.queue },
  { label: t("caller.number"), value: (c) => c.caller_number },
  { label: t("caller.name"), value: (c) => c.caller_name ?? "" },
  { label: t("rp.wait"), value: (c) => c.wait, format: (v) => i18n.duration(v), num: true },
  { label: t("mc.outcome"), value: (c) => c.outcome, format: (v) => i18n.label("outcome", v) },
];

async function missedPage(day, page) {
  const params = new URLSearchParams(filters);
  params.set("day", day);
  params.set("page", String(page));
  return get("/api/v1/reports/queues/missed", params);
}

async function openMissed(day, page) {
  const data = await missedPage(day, page).catch((error) => {
    report.notify(t("rp.err.missed"));
    throw error;
  });
  missed = { day, page: data.page, total: data.total, perPage: data.per_page };
  const table = fillTable("t-missed-calls", missedColumns(), data.calls);
  // Its CSV: every call of the day, not only this page.
  table._csvAll = async () => {
    const all = [];
    for (let p = 1; p <= Math.ceil(missed.total / missed.perPage); p += 1) {
      all.push(...(await missedPage(day, p)).calls);
    }
    return all;
  };
  const pages = Math.max(1, Math.ceil(data.total / data.per_page));
  setText(byId("q-missed-day"), t("rp.q.missed_of", { day, count: i18n.number(data.total) }));
  setText(byId("missed-page"), t("rp.page", { page: data.page, pages }));
  byId("missed-prev").setAttribute("aria-disabled", String(data.page <= 1));
  byId("missed-next").setAttribute("aria-disabled", String(data.page >= pages));
  const section = byId("q-missed-list");
  const wasHidden = section.hidden;
  section.hidden = false;
  setText(byId("t-missed-calls-title"), t("rp.q.missed_calls_of", { day }));
  if (wasHidden) {
    byId("t-missed-calls-title").setAttribute("tabindex", "-1");
    byId("t-missed-calls-title").focus();
  }
}

function closeMissed() {
  byId("q-missed-list").hidden = true;
  missed = { day: null, page: 1, total: 0, perPage: 50 };
}

byId("missed-prev").addEventListener("click", (event) => {
  if (event.currentTarget.getAttribute("aria-disabled") === "true") return;
  openMissed(missed.day, missed.page - 1);
});
byId("missed-next").addEventListener("click", (event) => {
  if (event.currentTarget.getAttribute("aria-disabled") === "true") return;
  openMissed(missed.day, missed.page + 1);
});
byId("missed-close").addEventListener("click", () => {
  const day = missed.day;
  closeMissed();
  document.querySelector(`#t-missed button[data-day="${day}"]`)?.focus();
});

function perQueue(rows) {
  fillTable(
    "t-queues",
    [
      { label: t("figure.queue"), value: (r) => r.queue, header: true },
      ...[...COUNTS, ...PERCENTS, ...SECONDS].map(metricColumn),
    ],
    rows,
  );
}

function callbacks(cb) {
  const rows = ["requested", "connected", "expired", "failed"].map((key) => ({ key, count: cb?.[key] ?? 0 }));
  fillTable(
    "t-callbacks",
    [
      { label: t("rp.q.callback_status"), value: (r) => t(`rp.cb.${r.key}`), header: true },
      { label: t("rp.calls"), value: (r) => r.count, format: (v) => i18n.number(v), num: true },
    ],
    rows,
  );
}

function campaignTable(rows) {
  byId("q-campaigns-empty").hidden = rows.length > 0;
  byId("t-campaigns").closest(".table-wrap").hidden = rows.length === 0;
  const count = (key) => ({ label: t(`rp.c.${key}`), value: (r) => r[key], format: (v) => i18n.number(v), num: true });
  const pct = (key) => ({ label: t(`metric.${key}`), value: (r) => r[key], format: (v) => i18n.percent(v), num: true });
  fillTable(
    "t-campaigns",
    [
      { label: t("rp.c.campaign"), value: (r) => r.campaign, header: true },
      count("attempts"),
      count("answered"),
      count("dropped"),
      pct("drop_rate"),
      count("contacts"),
      count("contacts_dialled"),
      pct("list_penetration"),
    ],
    rows,
  );
}

// The queue_log export reads whole days of the contact center's time zone (its lines are
// in the server's clock, as Asterisk's own queue_log).
function updateQueueLog(params) {
  const query = new URLSearchParams();
  for (const key of ["queues", "from", "to"]) query.set(key, params.get(key));
  byId("qlog-link").href = `/api/v1/reports/queue_log?${query}`;
}
