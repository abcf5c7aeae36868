// CF-5: one user — name, e-mail, role (admin: every permission), devices chosen among the
// PJSIP endpoints Asterisk reports, queues with a role in each, skill levels, disabled (ends
// their sessions), a new password. A new user without a password gets a generated one,
// shown here once.

import { byId, h, setFlag, setText } from "./dom.js";
import { adminPath, clearError, running, say, showProblem, startAdmin } from "./admin.js";

const { data, i18n, call } = startAdmin();
const { t } = i18n;
const form = byId("user-form");
const creating = form.dataset.mode === "create";
const status = byId("user-status");
let username = data.username;
let savedDevices = [...data.devices];

// ------------------------------------------------------------------ devices
function deviceItem(device, index) {
  const id = `ud-${index}`;
  const mine = savedDevices.includes(device.interface);
  const taken = device.owner && device.owner !== username;
  const details = [
    device.state === null ? t("admin.device.not_reported") : i18n.label("admin.device.state", device.state),
  ];
  if (taken) details.push(t("admin.device.owned_by", { name: device.owner }));
  const box = h("input", {
    type: "checkbox",
    id,
    name: "devices",
    value: device.interface,
    disabled: taken,
    "aria-describedby": `${id}-detail`,
  });
  box.defaultChecked = box.checked = mine;
  return h(
    "li",
    { "data-device": device.interface },
    box,
    " ",
    h("label", { for: id }, device.interface),
    " ",
    h("span", { class: "detail", id: `${id}-detail` }, `(${details.join(" · ")})`),
  );
}

async function loadDevices() {
  const list = byId("device-list");
  try {
    const { devices } = await call("GET", adminPath("devices"));
    const reported = new Set(devices.map((d) => d.interface));
    // A device of the user that Asterisk does not report now stays listed (and kept).
    const gone = savedDevices
      .filter((d) => !reported.has(d))
      .map((d) => ({ interface: d, state: null, owner: username }));
    const all = [...gone, ...devices];
    list.replaceChildren(...all.map(deviceItem));
    setFlag(byId("devices-empty"), "hidden", all.length > 0);
  } catch (error) {
    list.replaceChildren(h("li", { class: "error", role: "alert" }, t("admin.device.unavailable")));
  }
}

function chosenDevices() {
  const checked = [...form.querySelectorAll('input[name="devices"]:checked')].map((b) => b.value);
  // The first device is the default one: those kept stay in their order, new ones follow.
  return [...savedDevices.filter((d) => checked.includes(d)), ...checked.filter((d) => !savedDevices.includes(d))];
}

// ------------------------------------------------------------------ queues and skills
function selected(select) {
  return select.value;
}

function initialOf(select) {
  return ([...select.options].find((o) => o.defaultSelected) ?? select.options[0]).value;
}

function queueLinks(pick) {
  return [...form.querySelectorAll("select.queue-role")]
    .filter((s) => pick(s))
    .map((s) => ({ name: s.dataset.queue, role: pick(s) }));
}

function skillLevels(pick) {
  const out = {};
  for (const s of form.querySelectorAll("select.skill-level")) {
    if (pick(s)) out[s.dataset.skill] = Number(pick(s));
  }
  return out;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// ------------------------------------------------------------------ the body
function text(nameOf) {
  const el = form.elements.namedItem(nameOf);
  return el ? el.value.trim() : undefined;
}

function body() {
  const password = form.elements.namedItem("password")?.value ?? "";
  const out = {};
  if (creating) {
    out.username = text("username");
    out.display_name = text("display_name");
    out.email = text("email");
    out.role = form.elements.namedItem("role").value;
    if (password) out.password = password;
    out.devices = chosenDevices();
    out.queues = queueLinks(selected);
    out.skills = skillLevels(selected);
    return out;
  }
  for (const field of ["display_name", "email"]) {
    const el = form.elements.namedItem(field);
    if (el.value.trim() !== el.defaultValue.trim()) out[field] = el.value.trim();
  }
  const role = form.elements.namedItem("role");
  if (role.value !== initialOf(role)) out.role = role.value;
  const disabled = form.elements.namedItem("disabled");
  if (disabled.checked !== disabled.defaultChecked) out.disabled = disabled.checked;
  if (password) out.password = password;
  const devices = chosenDevices();
  if (!same(devices, savedDevices)) out.devices = devices;
  const queues = queueLinks(selected);
  if (!same(queues, queueLinks(initialOf))) out.queues = queues;
  const skills = skillLevels(selected);
  if (!same(skills, skillLevels(initialOf))) out.skills = skills;
  return out;
}

/** After a save: what the page shows as saved is what the API answered. */
function saved(user) {
  form.elements.namedItem("display_name").defaultValue = user.display_name;
  form.elements.namedItem("email").defaultValue = user.email;
  for (const option of form.elements.namedItem("role").options) {
    option.defaultSelected = option.value === user.role;
  }
  const disabled = form.elements.namedItem("disabled");
  disabled.defaultChecked = disabled.checked = user.disabled;
  savedDevices = [...user.devices];
  for (const box of form.querySelectorAll('input[name="devices"]')) {
    box.defaultChecked = box.checked = savedDevices.includes(box.value);
  }
  const roles = Object.fromEntries(user.queues.map((q) => [q.name, q.role]));
  for (const s of form.querySelectorAll("select.queue-role")) {
    for (const o of s.options) o.defaultSelected = o.value === (roles[s.dataset.queue] ?? "");
    s.value = roles[s.dataset.queue] ?? "";
  }
  for (const s of form.querySelectorAll("select.skill-level")) {
    const level = String(user.skills[s.dataset.skill] ?? "");
    for (const o of s.options) o.defaultSelected = o.value === level;
    s.value = level;
  }
  const password = form.elements.namedItem("password");
  password.value = "";
  password.type = "password";
  const list = byId("user-permissions");
  list.replaceChildren(
    ...user.permissions.map((p) => h("li", { "data-permission": p }, t(`perm.${p}`))),
  );
  setFlag(byId("no-permissions"), "hidden", user.permissions.length > 0);
  setText(byId("user-heading"), t("admin.user.title", { name: user.display_name || user.username }));
}

// ------------------------------------------------------------------ saving
form.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = document.getElementById("user-save");
  const errorEl = document.getElementById("user-error");
  if (!button || !errorEl) return;
  const changes = body();
  if (creating && !changes.username) {
    showProblem(errorEl, t("admin.error.required", { field: t("admin.user.field.username") }), form.elements.namedItem("username"), form);
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
        const result = await call("POST", adminPath("users"), changes);
        showCreated(result);
        return;
      }
      const result = await call("PATCH", adminPath("users", username), changes);
      saved(result.user);
      say(status, t(changes.disabled ? "admin.user.saved_disabled" : "admin.user.saved"));
    },
    form,
  );
});

function showCreated(result) {
  username = result.user.username;
  form.hidden = true;
  const panel = byId("created");
  panel.hidden = false;
  const link = byId("created-link");
  link.setAttribute("href", `/admin/users/${encodeURIComponent(username)}`);
  setText(link, t("admin.user.open_page_of", { name: username }));
  if (result.generated_password) {
    setText(byId("created-password"), result.generated_password);
    byId("created-password-line").hidden = false;
    byId("created-password-note").hidden = false;
  }
  byId("created-heading").focus();
}

// ------------------------------------------------------------------ a generated password
const ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";

document.getElementById("u-generate")?.addEventListener("click", () => {
  // Bytes past the last whole multiple of the alphabet are skipped: every letter as likely.
  const limit = 256 - (256 % ALPHABET.length);
  let password = "";
  while (password.length < 20) {
    for (const b of crypto.getRandomValues(new Uint8Array(32))) {
      if (b < limit && password.length < 20) password += ALPHABET[b % ALPHABET.length];
    }
  }
  const input = byId("u-password");
  input.type = "text"; // seen once, by the admin who saves it
  input.value = password;
  input.focus();
  input.select();
});

loadDevices();
