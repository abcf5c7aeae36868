// CF-1: the administration summary (seats, roles, queues, campaigns), and a check of
// Asterisk against the stored configuration for those who may change queues.

import { byId, h, setText } from "./dom.js";
import { adminPath, running, showError, startAdmin } from "./admin.js";

const { i18n, call } = startAdmin();
const { t } = i18n;

async function load() {
  try {
    const s = await call("GET", adminPath("summary"));
    setText(byId("sum-seats"), i18n.number(s.seats));
    for (const role of ["admin", "supervisor", "agent"]) {
      setText(byId(`sum-role-${role}`), i18n.number(s.roles[role] ?? 0));
    }
    setText(byId("sum-queues"), i18n.number(s.queues));
    setText(byId("sum-campaigns-active"), i18n.number(s.campaigns.active ?? 0));
    setText(byId("sum-campaigns-paused"), i18n.number(s.campaigns.paused ?? 0));
    setText(byId("sum-managed"), t(s.managed ? "admin.summary.managed" : "admin.summary.unmanaged"));
    const last = s.last_reconcile;
    setText(
      byId("sum-reconcile"),
      last
        ? t("admin.summary.last_reconcile", { when: i18n.dateTime(last.at) })
        : t("admin.summary.no_reconcile"),
    );
  } catch (error) {
    showError(i18n, byId("summary-error"), error);
  }
}

const reconcile = document.getElementById("reconcile-btn");
reconcile?.addEventListener("click", () =>
  running(reconcile, byId("reconcile-error"), i18n, async () => {
    const report = await call("POST", adminPath("reconcile"));
    const out = byId("reconcile-result");
    out.replaceChildren();
    if (!report.differences.length && !report.fixed.length) {
      out.append(h("p", {}, t("admin.summary.reconcile_same")));
    }
    for (const [key, lines] of [
      ["admin.summary.reconcile_differences", report.differences],
      ["admin.summary.reconcile_fixed", report.fixed],
    ]) {
      if (!lines.length) continue;
      out.append(h("p", {}, t(key)), h("ul", {}, ...lines.map((line) => h("li", {}, line))));
    }
    await load();
  }),
);

load();
