// CF-2: one call queue — its settings form (create or change), the people of the queue and
// who is connected now, and its deletion (refused while callers wait). Changes go to the
// bridge, which applies them to Asterisk first: Asterisk's refusal comes back as the error
// shown next to the form, and the form keeps what was typed.

import { byId, h, setFlag, setText } from "./dom.js";
import {
  adminPath,
  clearError,
  labelOf,
  linkOr,
  running,
  say,
  showProblem,
  startAdmin,
} from "./admin.js";

const { data, i18n, call, can } = startAdmin();
const { t } = i18n;
const form = byId("queue-form");
const creating = form.dataset.mode === "create";
const status = byId("queue-status");
let name = data.queue;

// ------------------------------------------------------------------ the form's values
function controls() {
  return [...form.elements].filter((el) => el.name && el.type !== "submit");
}

function parse(el, raw) {
  if (el.dataset.kind === "number") return raw.trim() === "" ? NaN : Number(raw);
  return typeof raw === "string" ? raw.trim() : raw;
}

function current(el) {
  return el.dataset.kind === "bool" ? el.checked : parse(el, el.value);
}

/** What the page was rendered with (or last saved): the DOM's own defaults. */
function initial(el) {
  if (el.dataset.kind === "bool") return el.defaultChecked;
  if (el.tagName === "SELECT") {
    const chosen = [...el.options].find((o) => o.defaultSelected) ?? el.options[0];
    return parse(el, chosen.value);
  }
  return parse(el, el.defaultValue);
}

function setInitial(el, value) {
  if (el.dataset.kind === "bool") {
    el.defaultChecked = el.checked = Boolean(value);
  } else if (el.tagName === "SELECT") {
    for (const option of el.options) option.defaultSelected = option.value === String(value);
    el.value = String(value);
  } else {
    el.defaultValue = el.value = String(value);
  }
}

/** The body to send: every field for a new queue, what changed for an existing one. */
function body() {
  const out = {};
  for (const el of controls()) {
    const value = current(el);
    if (el.dataset.kind === "number" && !Number.isInteger(value)) {
      throw new Problem(t("admin.error.whole_number", { field: labelOf(el) }), el);
    }
    if (creating) {
      if (el.name === "display_name" && value === "") continue; // the name, by default
      out[el.name] = value;
    } else if (value !== initial(el)) {
      out[el.name] = value;
    }
  }
  return out;
}

class Problem extends Error {
  constructor(message, field) {
    super(message);
    this.field = field;
  }
}

// ------------------------------------------------------------------ saving
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = document.getElementById("queue-save");
  const errorEl = document.getElementById("queue-error");
  if (!button || !errorEl) return; // read-only: no edit permission
  let changes;
  try {
    changes = body();
  } catch (problem) {
    if (!(problem instanceof Problem)) throw problem;
    showProblem(errorEl, problem.message, problem.field, form);
    return;
  }
  clearError(errorEl, form);
  if (!creating && Object.keys(changes).length === 0) {
    say(status, t("admin.nothing_changed"));
    return;
  }
  say(status, "");
  running(
    button,
    errorEl,
    i18n,
    async () => {
      if (creating) {
        const queue = await call("POST", adminPath("queues"), changes);
        location.assign(`/admin/queues/${encodeURIComponent(queue.settings.name)}?created=1`);
        return;
      }
      const queue = await call("PATCH", adminPath("queues", name), changes);
      for (const el of controls()) {
        if (el.name in queue.settings) setInitial(el, queue.settings[el.name]);
      }
      const title = t("admin.queue.title", { name: queue.settings.display_name });
      setText(byId("queue-heading"), title);
      say(status, t("admin.queue.saved"));
      showPeople(queue);
    },
    form,
  );
});

// ------------------------------------------------------------------ the queue's people
function names(list, usernames) {
  list.replaceChildren(
    ...usernames.map((u) =>
      h("li", {}, linkOr(u, `/admin/users/${encodeURIComponent(u)}`, can("admin.users.view"))),
    ),
  );
}

function showPeople(queue) {
  names(byId("queue-supervisors"), queue.supervisors);
  names(byId("queue-agents"), queue.agents);
  setFlag(byId("no-supervisors"), "hidden", queue.supervisors.length > 0);
  setFlag(byId("no-agents"), "hidden", queue.agents.length > 0);
  setText(byId("people-waiting"), t("admin.queue.waiting_now", { n: i18n.number(queue.waiting) }));
  byId("connected-rows").replaceChildren(
    ...queue.connected.map((m) =>
      h(
        "tr",
        { "data-interface": m.interface },
        h("th", { scope: "row" }, h("code", {}, m.interface)),
        h(
          "td",
          {},
          m.username
            ? linkOr(m.username, `/admin/users/${encodeURIComponent(m.username)}`, can("admin.users.view"))
            : t("admin.member.nobody"),
        ),
        h(
          "td",
          {},
          h(
            "span",
            { class: "badge", "data-status": m.temporary ? "temporary" : "assigned" },
            t(m.temporary ? "admin.member.temporary" : "admin.member.assigned"),
          ),
        ),
        h("td", {}, t(m.paused ? "presence.paused" : "admin.member.taking_calls")),
        h("td", { class: "num" }, i18n.number(m.penalty)),
      ),
    ),
  );
  setFlag(byId("no-connected"), "hidden", queue.connected.length > 0);
  setFlag(byId("connected-table"), "hidden", queue.connected.length === 0);
}

async function loadPeople(button = null) {
  await running(button, byId("people-error"), i18n, async () => {
    showPeople(await call("GET", adminPath("queues", name)));
  });
}

// ------------------------------------------------------------------ deleting
function setUpDelete() {
  const ask = document.getElementById("queue-delete");
  if (!ask) return;
  const confirmBox = byId("delete-confirm");
  const yes = byId("delete-yes");
  const errorEl = byId("delete-error");
  const close = () => {
    confirmBox.hidden = true;
    ask.setAttribute("aria-expanded", "false");
    ask.focus();
  };
  ask.addEventListener("click", () => {
    confirmBox.hidden = false;
    ask.setAttribute("aria-expanded", "true");
    yes.focus();
  });
  byId("delete-no").addEventListener("click", close);
  confirmBox.addEventListener("keydown", (event) => {
    if (event.key === "Escape") close();
  });
  yes.addEventListener("click", () =>
    running(yes, errorEl, i18n, async () => {
      try {
        await call("DELETE", adminPath("queues", name));
      } catch (error) {
        close();
        throw error;
      }
      location.assign(`/admin/queues?deleted=${encodeURIComponent(name)}`);
    }),
  );
}

// ------------------------------------------------------------------ start
if (!creating) {
  const params = new URLSearchParams(location.search);
  if (params.get("created")) {
    say(status, t("admin.queue.created"));
    history.replaceState(null, "", location.pathname);
  }
  const refresh = byId("people-refresh");
  refresh.addEventListener("click", () => loadPeople(refresh));
  setUpDelete();
  loadPeople();
}
