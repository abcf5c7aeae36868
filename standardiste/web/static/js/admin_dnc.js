// The do-not-call lists: numbers added by hand or from a CSV file, to every campaign's list
// ("*") or one campaign's. A number on a list is refused at import and checked again before
// every dial (the dialer); pending contacts with it are taken off at once.

import { api } from "./api.js";
import { byId, h, setFlag, setText } from "./dom.js";
import { clearError, running, say, showError, showProblem, startAdmin } from "./admin.js";

const { data, i18n, call } = startAdmin();
const { t } = i18n;
const status = byId("dnc-status");
const scopeText = (scope) => (scope === "*" ? t("dnc.scope_all") : t("dnc.scope_campaign", { campaign: scope }));

async function load() {
  const body = await call("GET", "/api/v1/dnc");
  byId("dnc-rows").replaceChildren(
    ...body.numbers.map((n) =>
      h(
        "tr",
        { "data-number": n.number },
        h("th", { scope: "row" }, n.number),
        h("td", {}, scopeText(n.scope)),
        h("td", {}, i18n.dateTime(n.added_at)),
      ),
    ),
  );
  setFlag(byId("dnc-empty"), "hidden", body.numbers.length > 0);
  setFlag(byId("dnc-table"), "hidden", body.numbers.length === 0);
}

const addForm = byId("dnc-add-form");
addForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const errorEl = byId("dnc-add-error");
  const field = byId("dnc-numbers");
  const numbers = field.value.split(/[\n,;]+/).map((n) => n.trim()).filter(Boolean);
  if (!numbers.length) {
    showProblem(errorEl, t("dnc.numbers_missing"), field, addForm);
    return;
  }
  const body = { numbers, scope: byId("dnc-scope").value, region: byId("dnc-region").value.trim().toUpperCase() };
  running(byId("dnc-add"), errorEl, i18n, async () => {
    const done = await call("POST", "/api/v1/dnc", body);
    say(status, t("dnc.added", { n: i18n.number(done.added), listed: i18n.number(done.listed.length) }));
    field.value = "";
    await load();
  }, addForm);
});

const importForm = byId("dnc-import-form");
importForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const errorEl = byId("dnc-import-error");
  const input = byId("dnc-file");
  const file = input.files?.[0];
  if (!file) {
    showProblem(errorEl, t("cd.import_choose"), input, importForm);
    return;
  }
  clearError(errorEl, importForm);
  const query = new URLSearchParams({ scope: byId("dnc-import-scope").value, region: byId("dnc-region").value.trim().toUpperCase() || "FR" });
  running(byId("dnc-import"), errorEl, i18n, async () => {
    const csv = new Blob([file], { type: "text/csv" });
    const done = await api("POST", `/api/v1/dnc/import?${query}`, { file: csv, csrf: data.csrf });
    say(
      status,
      t("dnc.imported", { file: file.name, n: i18n.number(done.added), listed: i18n.number(done.listed.length), rejected: i18n.number(done.errors.length) }),
    );
    const rejected = byId("dnc-import-rejected");
    rejected.replaceChildren(
      ...done.errors.map((e) => h("li", {}, t("dnc.rejected_row", { line: e.line, value: e.value, reason: e.reason }))),
    );
    rejected.hidden = done.errors.length === 0;
    input.value = "";
    await load();
  }, importForm);
});

load().catch((error) => showError(i18n, byId("dnc-add-error"), error));
