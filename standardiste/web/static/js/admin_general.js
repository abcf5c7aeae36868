// CF-6: the role permission matrix, skills, pause reasons, canned texts, canned audio messages
// and chat tags. Each section saves on its own, shows its own errors next to it and keeps
// what was typed.

import { byId, h, setFlag, setText } from "./dom.js";
import {
  adminPath,
  clearError,
  confirmingButton,
  labelOf,
  running,
  say,
  showError,
  showProblem,
  startAdmin,
} from "./admin.js";

const { i18n, call, send, can } = startAdmin();
const { t } = i18n;
const editSettings = can("admin.settings.edit");

/**
 * One action at a time per row: the API changes a row by reading and writing it whole, so a
 * second click while the first is on its way would undo it.
 */
function oneAtATime(row, action) {
  return async (...args) => {
    if (row.dataset.busy) return;
    row.dataset.busy = "1";
    try {
      await action(...args);
    } finally {
      delete row.dataset.busy;
    }
  };
}

/** A visually hidden label for an input in a table row. */
function hiddenLabel(forId, text) {
  return h("label", { class: "visually-hidden", for: forId }, text);
}

// ------------------------------------------------------------------ permissions
const permsForm = byId("perms-form");
function boxes() {
  return [...permsForm.querySelectorAll("input[type=checkbox][data-role]")].filter(
    (b) => b.dataset.role !== "admin",
  );
}

permsForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = document.getElementById("perms-save");
  if (!button) return;
  const roles = [...new Set(boxes().map((b) => b.dataset.role))];
  const changed = roles.filter((role) =>
    boxes().some((b) => b.dataset.role === role && b.checked !== b.defaultChecked),
  );
  const statusEl = byId("perms-status");
  if (changed.length === 0) {
    say(statusEl, t("admin.nothing_changed"));
    return;
  }
  say(statusEl, "");
  running(button, byId("perms-error"), i18n, async () => {
    let matrix = null;
    for (const role of changed) {
      const permissions = boxes()
        .filter((b) => b.dataset.role === role && b.checked)
        .map((b) => b.dataset.permission);
      matrix = await call("PUT", adminPath("permissions", role), { permissions });
    }
    for (const b of boxes()) {
      const granted = (matrix.roles[b.dataset.role] ?? []).includes(b.dataset.permission);
      b.defaultChecked = b.checked = granted;
    }
    say(statusEl, t("admin.perms.saved"));
  });
});

// ------------------------------------------------------------------ skills
const skillRows = byId("skill-rows");

function skillRow(skill) {
  const inputId = `skill-${skill.name}-display`;
  const cells = [h("th", { scope: "row" }, h("code", {}, skill.name))];
  if (!editSettings) {
    cells.push(h("td", {}, skill.display_name));
    return h("tr", { "data-skill": skill.name }, ...cells);
  }
  const input = h("input", { id: inputId, type: "text", maxlength: 64, value: skill.display_name });
  const rename = h("button", { type: "button", class: "secondary" }, t("admin.skills.rename", { name: skill.name }));
  rename.addEventListener("click", () =>
    running(rename, byId("skills-error"), i18n, async () => {
      say(byId("skills-status"), "");
      showSkills(await call("POST", adminPath("skills"), { name: skill.name, display_name: input.value.trim() }));
      say(byId("skills-status"), t("admin.skills.renamed", { name: skill.name }));
    }),
  );
  const remove = confirmingButton(
    t("admin.delete_item", { name: skill.name }),
    t("admin.delete_confirm", { name: skill.name }),
    (button) =>
      running(button, byId("skills-error"), i18n, async () => {
        await call("DELETE", adminPath("skills", skill.name));
        await loadSkills();
      }),
  );
  cells.push(
    h("td", {}, hiddenLabel(inputId, t("admin.skills.display_name_of", { name: skill.name })), input),
    h("td", {}, h("div", { class: "row-buttons" }, rename, remove)),
  );
  return h("tr", { "data-skill": skill.name }, ...cells);
}

function showSkills({ skills }) {
  skillRows.replaceChildren(...skills.map(skillRow));
  setFlag(byId("skills-empty"), "hidden", skills.length > 0);
  setFlag(byId("skills-table"), "hidden", skills.length === 0);
}

async function loadSkills() {
  try {
    showSkills(await call("GET", adminPath("skills")));
  } catch (error) {
    showError(i18n, byId("skills-error"), error);
  }
}

const skillForm = document.getElementById("skill-form");
skillForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  running(
    byId("skill-add"),
    byId("skill-form-error"),
    i18n,
    async () => {
      const name = skillForm.elements.namedItem("name");
      const display = skillForm.elements.namedItem("display_name");
      say(byId("skills-status"), "");
      showSkills(
        await call("POST", adminPath("skills"), {
          name: name.value.trim(),
          display_name: display.value.trim() || name.value.trim(),
        }),
      );
      say(byId("skills-status"), t("admin.skills.defined", { name: name.value.trim() }));
      skillForm.reset();
      name.focus();
    },
    skillForm,
  );
});

// ------------------------------------------------------------------ pause reasons
const reasonRows = byId("reason-rows");

function reasonRow(reason) {
  const cells = [h("th", { scope: "row" }, h("code", {}, reason.code))];
  const state = t(reason.active ? "admin.reasons.active" : "admin.reasons.retired");
  if (!editSettings) {
    cells.push(h("td", {}, reason.label_en), h("td", {}, reason.label_fr), h("td", {}, state));
    return h("tr", { "data-reason": reason.code }, ...cells);
  }
  const inputs = {};
  for (const lang of ["en", "fr"]) {
    const id = `reason-${reason.code}-${lang}`;
    inputs[lang] = h("input", { id, type: "text", maxlength: 64, lang, value: reason[`label_${lang}`] });
    cells.push(h("td", {}, hiddenLabel(id, t(`admin.reasons.label_${lang}_of`, { code: reason.code })), inputs[lang]));
  }
  cells.push(h("td", {}, state));
  const errorEl = byId("reasons-error");
  const save = h("button", { type: "button", class: "secondary" }, t("admin.reasons.save", { code: reason.code }));
  const tr = h("tr", { "data-reason": reason.code, "data-active": String(reason.active) });
  save.addEventListener("click", oneAtATime(tr, () =>
    running(save, errorEl, i18n, async () => {
      say(byId("reasons-status"), "");
      showReasons(
        await call("PATCH", adminPath("pause-reasons", reason.code), {
          label_en: inputs.en.value.trim(),
          label_fr: inputs.fr.value.trim(),
        }),
      );
      say(byId("reasons-status"), t("admin.reasons.labels_saved", { code: reason.code }));
    })),
  );
  const toggle = h(
    "button",
    { type: "button", class: "secondary" },
    t(reason.active ? "admin.reasons.retire" : "admin.reasons.reactivate", { code: reason.code }),
  );
  toggle.addEventListener("click", oneAtATime(tr, () =>
    running(toggle, errorEl, i18n, async () => {
      say(byId("reasons-status"), "");
      showReasons(await call("PATCH", adminPath("pause-reasons", reason.code), { active: !reason.active }));
      const done = reason.active ? "admin.reasons.retired_now" : "admin.reasons.offered_again";
      say(byId("reasons-status"), t(done, { code: reason.code }));
      reasonRows.querySelector(`tr[data-reason="${reason.code}"] button:last-child`)?.focus();
    })),
  );
  cells.push(h("td", {}, h("div", { class: "row-buttons" }, save, toggle)));
  tr.append(...cells);
  return tr;
}

function showReasons({ reasons }) {
  reasonRows.replaceChildren(...reasons.map(reasonRow));
}

async function loadReasons() {
  try {
    showReasons(await call("GET", adminPath("pause-reasons")));
  } catch (error) {
    showError(i18n, byId("reasons-error"), error);
  }
}

const reasonForm = document.getElementById("reason-form");
reasonForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  running(
    byId("reason-add"),
    byId("reason-form-error"),
    i18n,
    async () => {
      const value = (field) => reasonForm.elements.namedItem(field).value.trim();
      say(byId("reasons-status"), "");
      showReasons(
        await call("POST", adminPath("pause-reasons"), {
          code: value("code"),
          label_en: value("label_en"),
          label_fr: value("label_fr"),
        }),
      );
      say(byId("reasons-status"), t("admin.reasons.created", { code: value("code") }));
      reasonForm.reset();
      reasonForm.elements.namedItem("code").focus();
    },
    reasonForm,
  );
});

// ------------------------------------------------------------------ canned texts
const textRows = byId("text-rows");
const textForm = document.getElementById("text-form");

function textRow(text) {
  const cells = [
    h("th", { scope: "row" }, text.title),
    h("td", { lang: text.language }, text.language === "fr" ? "Français" : "English"),
    h("td", { class: "body-text", lang: text.language }, text.body),
  ];
  if (editSettings) {
    const edit = h("button", { type: "button", class: "secondary" }, t("admin.texts.edit", { title: text.title }));
    edit.addEventListener("click", () => startEditing(text));
    const remove = confirmingButton(
      t("admin.delete_item", { name: text.title }),
      t("admin.delete_confirm", { name: text.title }),
      (button) =>
        running(button, byId("texts-error"), i18n, async () => {
          await call("DELETE", adminPath("canned-texts", String(text.id)));
          await loadTexts();
        }),
    );
    cells.push(h("td", {}, h("div", { class: "row-buttons" }, edit, remove)));
  }
  return h("tr", { "data-text": String(text.id) }, ...cells);
}

function showTexts({ texts }) {
  textRows.replaceChildren(...texts.map(textRow));
  setFlag(byId("texts-empty"), "hidden", texts.length > 0);
  setFlag(byId("texts-table"), "hidden", texts.length === 0);
}

async function loadTexts() {
  try {
    showTexts(await call("GET", adminPath("canned-texts")));
  } catch (error) {
    showError(i18n, byId("texts-error"), error);
  }
}

function startEditing(text) {
  const heading = byId("text-form-heading");
  textForm.elements.namedItem("id").value = String(text.id);
  textForm.elements.namedItem("title").value = text.title;
  textForm.elements.namedItem("language").value = text.language;
  textForm.elements.namedItem("body").value = text.body;
  setText(heading, heading.dataset.edit);
  byId("text-cancel").hidden = false;
  textForm.elements.namedItem("title").focus();
}

function stopEditing() {
  const heading = byId("text-form-heading");
  textForm.reset();
  textForm.elements.namedItem("id").value = "";
  setText(heading, heading.dataset.add);
  byId("text-cancel").hidden = true;
  clearError(byId("text-form-error"), textForm);
}

if (textForm) {
  byId("text-cancel").addEventListener("click", () => {
    stopEditing();
    textForm.elements.namedItem("title").focus();
  });
  textForm.addEventListener("submit", (event) => {
    event.preventDefault();
    running(
      byId("text-save"),
      byId("text-form-error"),
      i18n,
      async () => {
        const value = (field) => textForm.elements.namedItem(field).value.trim();
        const body = { title: value("title"), body: value("body"), language: value("language") };
        const id = value("id");
        showTexts(
          id
            ? await call("PUT", adminPath("canned-texts", id), body)
            : await call("POST", adminPath("canned-texts"), body),
        );
        stopEditing();
        textForm.elements.namedItem("title").focus();
      },
      textForm,
    );
  });
}

// ------------------------------------------------------------------ canned audio messages
const audioRows = byId("audio-rows");
const audioForm = document.getElementById("audio-form");
const LANGUAGE_NAMES = { en: "English", fr: "Français" };
let audioLimits = { max_bytes: 5 * 1024 * 1024 };

function audioRow(message) {
  const listen = h("audio", {
    controls: true,
    preload: "none",
    src: adminPath("canned-audio", String(message.id), "audio"),
    "aria-label": t("admin.audio.listen_to", { name: message.name }),
  });
  const length = h("td", { class: "num" }, i18n.duration(message.seconds));
  const tr = h("tr", { "data-message": String(message.id) });
  if (!editSettings) {
    tr.append(
      h("th", { scope: "row" }, message.name),
      h("td", { lang: message.language }, LANGUAGE_NAMES[message.language]),
      length,
      h("td", {}, listen),
    );
    return tr;
  }
  const nameId = `audio-${message.id}-name`;
  const languageId = `audio-${message.id}-language`;
  const name = h("input", { id: nameId, type: "text", maxlength: 64, value: message.name });
  const language = h(
    "select",
    { id: languageId },
    ...Object.entries(LANGUAGE_NAMES).map(([code, label]) =>
      h("option", { value: code, lang: code, selected: code === message.language }, label),
    ),
  );
  const errorEl = byId("audio-error");
  const save = h("button", { type: "button", class: "secondary" }, t("admin.audio.save", { name: message.name }));
  save.addEventListener("click", oneAtATime(tr, () =>
    running(save, errorEl, i18n, async () => {
      say(byId("audio-status"), "");
      const saved = name.value.trim();
      showAudio(
        await call("PATCH", adminPath("canned-audio", String(message.id)), {
          name: saved,
          language: language.value,
        }),
      );
      say(byId("audio-status"), t("admin.audio.saved", { name: saved }));
    })),
  );
  const remove = confirmingButton(
    t("admin.delete_item", { name: message.name }),
    t("admin.delete_confirm", { name: message.name }),
    (button) =>
      running(button, errorEl, i18n, async () => {
        await call("DELETE", adminPath("canned-audio", String(message.id)));
        await loadAudio();
        byId("audio-heading").focus();
      }),
  );
  tr.append(
    h("th", { scope: "row" }, hiddenLabel(nameId, t("admin.audio.name_of", { name: message.name })), name),
    h("td", {}, hiddenLabel(languageId, t("admin.audio.language_of", { name: message.name })), language),
    length,
    h("td", {}, listen),
    h("td", {}, h("div", { class: "row-buttons" }, save, remove)),
  );
  return tr;
}

function showAudio(list) {
  audioLimits = list;
  audioRows.replaceChildren(...list.messages.map(audioRow));
  setFlag(byId("audio-empty"), "hidden", list.messages.length > 0);
  setFlag(byId("audio-table"), "hidden", list.messages.length === 0);
}

async function loadAudio() {
  try {
    showAudio(await call("GET", adminPath("canned-audio")));
  } catch (error) {
    showError(i18n, byId("audio-error"), error);
  }
}

audioForm?.addEventListener("submit", (event) => {
  event.preventDefault();
  const fileInput = audioForm.elements.namedItem("file");
  const nameInput = audioForm.elements.namedItem("name");
  const errorEl = byId("audio-form-error");
  const file = fileInput.files?.[0];
  if (!file) {
    showProblem(errorEl, t("admin.audio.choose_file", { field: labelOf(fileInput) }), fileInput, audioForm);
    return;
  }
  if (file.size > audioLimits.max_bytes) {
    const mb = Math.round(audioLimits.max_bytes / (1024 * 1024));
    showProblem(errorEl, t("admin.audio.too_large", { field: labelOf(fileInput), mb }), fileInput, audioForm);
    return;
  }
  // The file's own name, without its extension, when no name was typed.
  const name = nameInput.value.trim() || file.name.replace(/\.[^.]*$/, "").slice(0, 64);
  const language = audioForm.elements.namedItem("language").value;
  const query = new URLSearchParams({ name, language });
  running(
    byId("audio-upload"),
    errorEl,
    i18n,
    async () => {
      say(byId("audio-status"), "");
      showAudio(await send("POST", `${adminPath("canned-audio")}?${query}`, file));
      say(byId("audio-status"), t("admin.audio.uploaded", { name }));
      audioForm.reset();
      fileInput.focus();
    },
    audioForm,
  );
});

// ------------------------------------------------------------------ chat tags
const tagsForm = byId("tags-form");
tagsForm.addEventListener("submit", (event) => {
  event.preventDefault();
  const button = document.getElementById("tags-save");
  if (!button) return;
  const input = byId("tags-input");
  const tags = input.value
    .split("\n")
    .map((tag) => tag.trim())
    .filter(Boolean);
  say(byId("tags-status"), "");
  running(
    button,
    byId("tags-error"),
    i18n,
    async () => {
      const saved = await call("PUT", adminPath("chat-tags"), { tags });
      input.value = input.defaultValue = saved.tags.join("\n");
      say(byId("tags-status"), t("admin.tags.saved", { n: saved.tags.length }));
    },
    tagsForm,
  );
});

loadSkills();
loadReasons();
loadTexts();
loadAudio();
