// CF-2: the call queues, each with a link to its page.

import { byId, h, setFlag, setText } from "./dom.js";
import { adminPath, showError, startAdmin } from "./admin.js";

const { i18n, call } = startAdmin();
const { t } = i18n;

const deleted = new URLSearchParams(location.search).get("deleted");
if (deleted) {
  setText(byId("queues-status"), t("admin.queues.deleted", { name: deleted }));
  history.replaceState(null, "", location.pathname);
}

function row(q) {
  const s = q.settings;
  return h(
    "tr",
    { "data-queue": s.name },
    h("th", { scope: "row" }, h("a", { href: `/admin/queues/${encodeURIComponent(s.name)}` }, s.display_name)),
    h("td", {}, h("code", {}, s.name)),
    h("td", {}, s.extension),
    h("td", {}, t(`admin.strategy.${s.strategy}`)),
    h("td", { class: "num" }, i18n.number(q.supervisors.length)),
    h("td", { class: "num" }, i18n.number(q.agents.length)),
    h("td", { class: "num" }, i18n.number(q.connected.length)),
    h("td", { class: "num" }, i18n.number(q.waiting)),
    h("td", {}, t(s.record ? "admin.yes" : "admin.no")),
  );
}

async function load() {
  try {
    const body = await call("GET", adminPath("queues"));
    byId("queue-rows").replaceChildren(...body.queues.map(row));
    setFlag(byId("queues-unmanaged"), "hidden", body.managed);
    setFlag(byId("queues-empty"), "hidden", body.queues.length > 0);
    setFlag(byId("queues-table"), "hidden", body.queues.length === 0);
  } catch (error) {
    showError(i18n, byId("queues-error"), error);
  }
}

load();
