// CF-5: the users, each with a link to their page.

import { byId, h, setFlag } from "./dom.js";
import { adminPath, showError, startAdmin } from "./admin.js";

const { i18n, call } = startAdmin();
const { t } = i18n;

function row(u) {
  const queues = u.queues.map((q) => t("admin.users.queue_role", { queue: q.name, role: t(`role.${q.role}`) }));
  return h(
    "tr",
    { "data-user": u.username },
    h("th", { scope: "row" }, h("a", { href: `/admin/users/${encodeURIComponent(u.username)}` }, u.username)),
    h("td", {}, u.display_name),
    h("td", {}, t(`role.${u.role}`)),
    h("td", {}, u.devices.join(", ")),
    h("td", {}, queues.join(", ")),
    h(
      "td",
      {},
      h("span", { class: "badge", "data-status": u.disabled ? "disabled" : "ready" }, t(u.disabled ? "admin.users.disabled" : "admin.users.active")),
    ),
  );
}

async function load() {
  try {
    const body = await call("GET", adminPath("users"));
    byId("user-rows").replaceChildren(...body.users.map(row));
    setFlag(byId("users-empty"), "hidden", body.users.length > 0);
  } catch (error) {
    showError(i18n, byId("users-error"), error);
  }
}

load();
