// What the report pages share: the filter form (kept in the address, so a link or a reload
// shows the same report), the report API's calls, tables filled from its JSON with their CSV
// export, the charts (Chart.js, loaded as a classic script before this module) and printing.

import { api, errorText } from "./api.js";
import { byId, h, setText } from "./dom.js";
import { startPage } from "./shell.js";

// Okabe–Ito: told apart with the common colour-vision deficiencies, and in grey print.
export const PALETTE = {
  blue: "#0072b2",
  orange: "#e69f00",
  vermillion: "#d55e00",
  green: "#009e73",
  sky: "#56b4e9",
  purple: "#cc79a7",
  yellow: "#f0e442",
  grey: "#7f7f7f",
  black: "#1b1f24",
};
export const SERIES = [
  PALETTE.blue, PALETTE.orange, PALETTE.green, PALETTE.vermillion, PALETTE.sky,
  PALETTE.purple, PALETTE.yellow, PALETTE.grey,
];

const DAY_MS = 86_400_000;

/** The day ``days`` after an ISO date (YYYY-MM-DD), as an ISO date. */
export function addDays(iso, days) {
  return new Date(Date.parse(`${iso}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

export function startReport() {
  const page = startPage();
  const { data, i18n } = page;
  const form = document.getElementById("rp-filters");
  const errorEl = document.getElementById("rp-error");
  const statusEl = document.getElementById("rp-status");

  // ------------------------------------------------------------------ filters
  function setFilters(params) {
    if (!form) return;
    const queues = params.get("queues")?.split(",").filter(Boolean);
    for (const box of form.querySelectorAll('input[name="queues"]')) {
      box.checked = queues ? queues.includes(box.value) : true;
    }
    const agents = params.get("agents")?.split(",").filter(Boolean) ?? [];
    for (const box of form.querySelectorAll('input[name="agents"]')) {
      box.checked = agents.includes(box.value);
    }
    byId("f-to").value = params.get("to") || data.today;
    byId("f-from").value = params.get("from") || addDays(byId("f-to").value, -6);
    const hours = /^(\d{1,2})-(\d{1,2})$/.exec(params.get("hours") ?? "");
    byId("f-hour-from").value = hours ? String(Number(hours[1])) : "0";
    byId("f-hour-to").value = hours ? String(Number(hours[2])) : "24";
    const tz = params.get("tz");
    const zones = byId("f-tz");
    if (tz && [...zones.options].some((o) => o.value === tz)) zones.value = tz;
    agentsCount();
  }

  function agentsCount() {
    const n = form.querySelectorAll('input[name="agents"]:checked').length;
    setText(byId("f-agents-count"), n ? `(${n})` : `(${i18n.t("rp.f.all_agents")})`);
  }
  form?.addEventListener("change", (event) => {
    if (event.target.name === "agents") agentsCount();
  });

  /** The filters as the API's query parameters, or an error message. */
  function readFilters() {
    const checked = (name) =>
      [...form.querySelectorAll(`input[name="${name}"]:checked`)].map((box) => box.value);
    const queues = checked("queues");
    const from = byId("f-from").value;
    const to = byId("f-to").value;
    const hourFrom = Number(byId("f-hour-from").value);
    const hourTo = Number(byId("f-hour-to").value);
    if (queues.length === 0) return { error: i18n.t("rp.err.queues") };
    if (!from || !to) return { error: i18n.t("rp.err.dates") };
    if (from > to) return { error: i18n.t("rp.err.order") };
    if (hourFrom >= hourTo) return { error: i18n.t("rp.err.hours") };
    const params = new URLSearchParams({ queues: queues.join(","), from, to });
    params.set("tz", byId("f-tz").value);
    if (hourFrom !== 0 || hourTo !== 24) params.set("hours", `${hourFrom}-${hourTo}`);
    const agents = checked("agents");
    if (agents.length) params.set("agents", agents.join(","));
    return { params };
  }

  /** What the report covers, in words: printed above it (the form is not). */
  function describe(params) {
    const hours = params.get("hours");
    return i18n.t("rp.summary", {
      queues: params.get("queues").split(",").join(", "),
      from: params.get("from"),
      to: params.get("to"),
      hours: hours ? hours.replace("-", "h–") + "h" : i18n.t("rp.all_day"),
      tz: params.get("tz"),
      agents: params.get("agents")?.split(",").join(", ") ?? i18n.t("rp.f.all_agents"),
    });
  }

  function showError(message) {
    if (!errorEl) return;
    errorEl.hidden = !message;
    setText(errorEl, message ?? "");
  }

  /**
   * Wire the form: on submit (and once at load) ``load(params)`` runs with the filters, the
   * address keeps them, the status says what happens.
   */
  function onFilters(load) {
    async function run(pushState) {
      const { params, error } = readFilters();
      showError(error);
      if (error) return;
      if (pushState) history.replaceState(null, "", `?${params}`);
      setText(byId("rp-summary"), describe(params));
      setText(statusEl, i18n.t("rp.loading"));
      document.body.dataset.report = "loading";
      try {
        await load(params);
        setText(statusEl, i18n.t("rp.loaded"));
        document.body.dataset.report = "ready";
      } catch (err) {
        setText(statusEl, "");
        showError(errorText(i18n, err));
        document.body.dataset.report = "error";
      }
    }
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      page.act(byId("rp-show"), () => run(true));
    });
    setFilters(new URLSearchParams(location.search));
    run(false);
  }

  const get = (path, params) => api("GET", `${path}?${params}`);

  // ------------------------------------------------------------------ printing
  const charts = new Map();
  document.getElementById("rp-print")?.addEventListener("click", () => window.print());
  // Chart.js sizes a canvas to its box; the printed page's box is another size.
  window.addEventListener("beforeprint", () => {
    for (const chart of charts.values()) chart.resize();
  });
  window.addEventListener("afterprint", () => {
    for (const chart of charts.values()) chart.resize();
  });

  /** Draw (or redraw) a chart on a canvas; the table under it carries the same figures. */
  function chart(canvasId, config) {
    charts.get(canvasId)?.destroy();
    const canvas = byId(canvasId);
    const made = new window.Chart(canvas, {
      ...config,
      options: {
        animation: false,
        responsive: true,
        maintainAspectRatio: false,
        ...config.options,
        plugins: {
          legend: { position: "bottom" },
          ...config.options?.plugins,
        },
      },
    });
    charts.set(canvasId, made);
    return made;
  }

  // ------------------------------------------------------------------ tables and CSV
  /**
   * Fill ``table`` from ``rows``. Each column: ``label``, ``value(row)`` (the raw figure:
   * what the CSV holds), optional ``format(value, row)`` (what the cell shows), ``num``,
   * ``header`` (a row header), ``cell(row)`` (an element for the cell: a button).
   */
  function fillTable(id, columns, rows) {
    const table = byId(id);
    table.replaceChildren(
      h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)))),
      h(
        "tbody",
        {},
        ...rows.map((row) =>
          h(
            "tr",
            {},
            ...columns.map((c) => {
              const value = c.value(row);
              const shown = c.cell ? c.cell(row) : c.format ? c.format(value, row) : value ?? "–";
              const attrs = { class: [c.num ? "num" : "", c.className?.(value, row) ?? ""].join(" ").trim() || null };
              return c.header ? h("th", { scope: "row", ...attrs }, shown) : h("td", attrs, shown);
            }),
          ),
        ),
      ),
    );
    table._csv = { columns: columns.filter((c) => c.csv !== false), rows };
    delete table._csvAll;
    const button = document.getElementById(`${id}-csv`);
    if (button) button.hidden = rows.length === 0;
    return table;
  }

  // Every CSV button: the table's rows as the module gave them (raw figures, not the text).
  // A table whose rows come in pages (the missed calls) has ``_csvAll``: every row.
  document.addEventListener("click", (event) => {
    const button = event.target.closest?.("button.csv");
    if (!button) return;
    const table = byId(button.dataset.table);
    const title = document.getElementById(`${table.id}-title`)?.textContent ?? table.id;
    page.act(button, async () => {
      const source = table._csv ?? tableAsData(table);
      const rows = table._csvAll ? await table._csvAll() : source.rows;
      download(`${slug(title)}.csv`, toCsv(source.columns, rows));
    });
  });

  /** An instant (ISO 8601 or epoch seconds) as a date and time in the report's time zone. */
  const stamps = new Map();
  function stamp(value, timeZone) {
    if (value === null || value === undefined || value === "") return "–";
    if (!stamps.has(timeZone)) {
      stamps.set(
        timeZone,
        new Intl.DateTimeFormat(i18n.lang, { timeZone, dateStyle: "medium", timeStyle: "medium" }),
      );
    }
    return stamps.get(timeZone).format(new Date(typeof value === "number" ? value * 1000 : value));
  }

  return { ...page, onFilters, get, chart, charts, fillTable, describe, stamp };
}

/** A server-rendered table's cells as CSV rows (the definitions page's). */
function tableAsData(table) {
  const header = [...table.tHead.rows[0].cells].map((cell) => cell.textContent.trim());
  const rows = [...table.tBodies[0].rows].map((row) => [...row.cells].map((c) => c.textContent.trim()));
  return { columns: header.map((label, i) => ({ label, value: (row) => row[i] })), rows };
}

function slug(text) {
  return (
    text
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-|-$/g, "") || "report"
  );
}

// A text cell that a spreadsheet would run as a formula (a caller name "=HYPERLINK(...)"):
// quoted with a leading apostrophe. A phone number "+33 6..." or a negative number is data.
const FORMULA = /^[=@\t\r]|^[+-](?![\d\s().]*$)/;

export function csvCell(value) {
  if (value === null || value === undefined) return "";
  let text = String(value);
  if (typeof value === "string" && FORMULA.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replaceAll('"', '""')}"` : text;
}

/**
 * RFC 4180: comma-separated, CRLF line ends, fields with a comma, a quote or a line end
 * quoted (quotes doubled). Numbers are raw (seconds, percent as 0..100, "." decimals) so
 * the file reads the same whatever the language of the page.
 */
export function toCsv(columns, rows) {
  const lines = [columns.map((c) => csvCell(c.label)).join(",")];
  for (const row of rows) lines.push(columns.map((c) => csvCell(c.value(row))).join(","));
  return `${lines.join("\r\n")}\r\n`;
}

function download(name, text) {
  // The byte order mark: Excel reads the file as UTF-8 (accents in names) only with it.
  const blob = new Blob(["\ufeff", text], { type: "text/csv;charset=utf-8" });
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, hidden: true });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

/** A wait bucket (from, to) as text: "0–10 s", "≥ 120 s". */
export function bucketLabel(bucket) {
  return bucket.to === null ? `≥ ${bucket.from} s` : `${bucket.from}–${bucket.to} s`;
}

/** A button in a table cell (keyboard: it is focusable and answers Enter and Space). */
export function cellButton(text, attrs, onClick) {
  const button = h("button", { type: "button", class: "link", ...attrs }, text);
  button.addEventListener("click", onClick);
  return button;
}
