// CF-4: the campaigns, each with a link to its settings and its card's status.

import { byId, h, setFlag, setText } from "./dom.js";
import { showError, startAdmin } from "./admin.js";
import { statusText } from "./campaign_cards.js";

const { i18n, call } = startAdmin();
const { t } = i18n;

const deleted = new URLSearchParams(location.search).get("deleted");
if (deleted) {
  setText(byId("campaigns-status"), t("admin.campaigns.deleted", { name: deleted }));
  history.replaceState(null, "", location.pathname);
}

function row(c) {
  const s = c.settings;
  return h(
    "tr",
    { "data-campaign": s.name },
    h("th", { scope: "row" }, h("a", { href: `/admin/campaigns/${encodeURIComponent(s.name)}` }, s.display_name)),
    h("td", {}, h("code", {}, s.name)),
    h("td", {}, s.queue),
    h("td", {}, t(`campaign.mode.${s.mode}`)),
    h("td", {}, h("span", { class: "badge", "data-status": c.card.status }, statusText(c.card, i18n))),
    h("td", { class: "num" }, i18n.number(c.card.contacts_left)),
    h("td", { class: "num" }, i18n.number(c.card.agents_logged_in)),
  );
}

async function load() {
  try {
    const body = await call("GET", "/api/v1/campaigns");
    byId("campaign-rows").replaceChildren(...body.campaigns.map(row));
    setFlag(byId("campaigns-empty"), "hidden", body.campaigns.length > 0);
    setFlag(byId("campaigns-table"), "hidden", body.campaigns.length === 0);
  } catch (error) {
    showError(i18n, byId("campaigns-error"), error);
  }
}

load();
