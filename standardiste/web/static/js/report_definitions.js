// AN-4: the metric definitions are server-rendered (from the catalogs); this module adds the
// settings in force per queue, as the queue report reads them (the report API's "settings"),
// and the CSV export of both tables.

import { byId, setText } from "./dom.js";
import { startReport } from "./report_common.js";

const report = startReport();
const { data, i18n, fillTable, get } = report;
const t = i18n.t;

async function settings() {
  if (!data.queues.length) {
    byId("rp-empty").hidden = false;
    return;
  }
  setText(byId("rp-status"), t("rp.loading"));
  const params = new URLSearchParams({
    queues: data.queues.join(","),
    from: data.today,
    to: data.today,
    tz: data.timeZone,
  });
  let answer;
  try {
    answer = await get("/api/v1/reports/queues", params);
  } catch (error) {
    setText(byId("rp-status"), "");
    byId("rp-error").hidden = false;
    setText(byId("rp-error"), t("rp.err.settings"));
    document.body.dataset.report = "error";
    throw error;
  }
  const rows = Object.entries(answer.settings ?? {})
    .map(([queue, s]) => ({ queue, ...s }))
    .sort((a, b) => a.queue.localeCompare(b.queue));
  fillTable(
    "t-settings",
    [
      { label: t("figure.queue"), value: (r) => r.queue, header: true },
      { label: t("rp.set.sl_threshold"), value: (r) => r.sl_threshold, format: (v) => `${v} s`, num: true },
      { label: t("rp.set.sl_variant"), value: (r) => r.sl_variant, format: (v) => `${v} — ${t(`rp.sl_variant.${v}`)}` },
      { label: t("rp.set.sl_target"), value: (r) => r.sl_target, format: (v) => i18n.percent(v), num: true },
      { label: t("rp.set.short_abandon"), value: (r) => r.short_abandon, format: (v) => `${v} s`, num: true },
    ],
    rows,
  );
  setText(byId("rp-status"), "");
  document.body.dataset.report = "ready";
}

settings();
