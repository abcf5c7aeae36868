// CF-4: one campaign's settings — its queue (whose agents are the campaign's), mode, caller
// ID, schedule (hours per weekday, closed dates, start and end), the contacts' call window,
// the retry rules, ring timeouts, the drop cap, and the queues whose missed callers join it —
// created or changed (a PUT of every setting), or deleted. The API's error shows next to the
// form, the setting it names flagged; the form keeps what was typed.

import { byId, setText } from "./dom.js";
import { clearError, labelOf, running, say, showError, showProblem, startAdmin } from "./admin.js";

const { data, i18n, call } = startAdmin();
const { t } = i18n;
const form = byId("campaign-form");
const creating = form.dataset.mode === "create";
const status = byId("campaign-status");
const API = "/api/v1/campaigns";

class Problem extends Error {
  constructor(message, field) {
    super(message);
    this.field = field;
  }
}

/** Sets ``value`` at a dotted path of ``out`` ("retry.max_attempts"). */
function put(out, path, value) {
  const parts = path.split(".");
  let at = out;
  for (const part of parts.slice(0, -1)) at = at[part] ??= {};
  at[parts[parts.length - 1]] = value;
}

function numberOf(el) {
  const raw = el.value.trim();
  const value = raw === "" ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new Problem(t("admin.error.whole_number", { field: labelOf(el) }), el);
  const scale = Number(el.dataset.scale || 1);
  const scaled = value * scale;
  if (el.dataset.float || scale < 1) return Math.round(scaled * 10000) / 10000;
  if (!Number.isInteger(value) && scale === 1) {
    throw new Problem(t("admin.error.whole_number", { field: labelOf(el) }), el);
  }
  return Math.round(scaled);
}

/** Every setting, as the API takes it. */
function body() {
  const out = { schedule: { hours: {} }, missed_queues: [] };
  const spans = {}; // day -> index -> {start, end, el}
  for (const el of form.elements) {
    if (!el.name || el.type === "submit" || el.type === "button") continue;
    if (el.name === "missed_queues") {
      if (el.checked) out.missed_queues.push(el.value);
      continue;
    }
    const hours = /^schedule\.hours\.([a-z]{3})\.(\d)\.(start|end)$/.exec(el.name);
    if (hours) {
      const [, day, index, part] = hours;
      const span = ((spans[day] ??= {})[index] ??= {});
      span[part] = el.value;
      span.el ??= el;
      continue;
    }
    if (el.dataset.kind === "number") put(out, el.name, numberOf(el));
    else if (el.dataset.kind === "dates") put(out, el.name, el.value.split(/[\s,;]+/).filter(Boolean));
    else if (el.type === "date") put(out, el.name, el.value || null);
    else put(out, el.name, el.value.trim());
  }
  for (const [day, byIndex] of Object.entries(spans)) {
    out.schedule.hours[day] = [];
    for (const span of Object.values(byIndex)) {
      if (!span.start && !span.end) continue;
      if (!span.start || !span.end) throw new Problem(t("admin.campaign.span_incomplete"), span.el);
      out.schedule.hours[day].push({ start: span.start, end: span.end });
    }
  }
  if (!creating) delete out.name;
  if (out.display_name === "") delete out.display_name; // the name, by default
  return out;
}

/** The field an API message names: "retry.max_attempts: ...", "schedule.hours.mon[0]: ...". */
function fieldOf(message) {
  const match = /^(?:field )?([a-z_][a-z0-9_.[\]]*)/.exec(message ?? "");
  if (!match) return null;
  const path = match[1].replace(/\[(\d+)\]/g, ".$1").replace(/\.$/, "");
  const named = [...form.elements].filter((el) => el.name);
  return (
    named.find((el) => el.name === path) ??
    named.find((el) => el.name.startsWith(`${path}.`)) ??
    null
  );
}

form.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = document.getElementById("campaign-save");
  const errorEl = document.getElementById("campaign-error");
  if (!button || !errorEl) return; // read-only
  let settings;
  try {
    settings = body();
  } catch (problem) {
    if (!(problem instanceof Problem)) throw problem;
    showProblem(errorEl, problem.message, problem.field, form);
    return;
  }
  clearError(errorEl, form);
  say(status, "");
  running(button, null, i18n, async () => {
    try {
      if (creating) {
        const created = await call("POST", API, settings);
        location.assign(`/admin/campaigns/${encodeURIComponent(created.settings.name)}?created=1`);
        return;
      }
      const saved = await call("PUT", `${API}/${encodeURIComponent(data.campaign)}`, settings);
      setText(byId("campaign-heading"), t("admin.campaign.title", { name: saved.settings.display_name }));
      say(status, t("admin.campaign.saved"));
    } catch (error) {
      showError(i18n, errorEl, error, form);
      const field = fieldOf(error?.message);
      if (field) {
        field.setAttribute("aria-invalid", "true");
        field.setAttribute("aria-errormessage", errorEl.id);
        field.focus();
      }
    }
  });
});

// ------------------------------------------------------------------ deleting
function setUpDelete() {
  const ask = document.getElementById("campaign-delete");
  if (!ask) return;
  const box = byId("delete-confirm");
  const yes = byId("delete-yes");
  const close = () => {
    box.hidden = true;
    ask.setAttribute("aria-expanded", "false");
    ask.focus();
  };
  ask.addEventListener("click", () => {
    box.hidden = false;
    ask.setAttribute("aria-expanded", "true");
    yes.focus();
  });
  byId("delete-no").addEventListener("click", close);
  box.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  yes.addEventListener("click", () =>
    running(yes, byId("delete-error"), i18n, async () => {
      try {
        await call("DELETE", `${API}/${encodeURIComponent(data.campaign)}`);
      } catch (error) {
        close();
        throw error;
      }
      location.assign(`/admin/campaigns?deleted=${encodeURIComponent(data.campaign)}`);
    }),
  );
}

if (!creating) {
  if (new URLSearchParams(location.search).get("created")) {
    say(status, t("admin.campaign.created"));
    history.replaceState(null, "", location.pathname);
  }
  setUpDelete();
}
