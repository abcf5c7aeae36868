// What the admin pages share: the page frame (shell.js), the user's permissions, API calls
// with the CSRF token, and forms whose errors show next to them, the field they name
// flagged, without ever clearing what was typed.

import { api, errorText } from "./api.js";
import { h, setText } from "./dom.js";
import { startPage } from "./shell.js";

export function startAdmin() {
  const page = startPage();
  const permissions = new Set(page.data.permissions);
  const call = (method, path, body) => api(method, path, { body, csrf: page.data.csrf });
  const send = (method, path, file) => api(method, path, { file, csrf: page.data.csrf });
  return { ...page, can: (permission) => permissions.has(permission), call, send };
}

export const adminPath = (...parts) =>
  `/api/v1/admin/${parts.map((p) => encodeURIComponent(p)).join("/")}`;

/** The API's error in errorEl, next to its form; the field its message names is flagged. */
export function showError(i18n, errorEl, error, form = null) {
  clearError(errorEl, form);
  errorEl.hidden = false;
  setText(errorEl, errorText(i18n, error));
  const field = form ? fieldNamed(form, error?.message ?? "") : null;
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-errormessage", errorEl.id);
  }
}

/** A message of ours (not the API's) in errorEl, flagging ``field``. */
export function showProblem(errorEl, message, field = null, form = null) {
  clearError(errorEl, form);
  errorEl.hidden = false;
  setText(errorEl, message);
  if (field) {
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-errormessage", errorEl.id);
    field.focus();
  }
}

export function clearError(errorEl, form = null) {
  errorEl.hidden = true;
  setText(errorEl, "");
  for (const field of form?.querySelectorAll('[aria-invalid="true"]') ?? []) {
    field.removeAttribute("aria-invalid");
    field.removeAttribute("aria-errormessage");
  }
}

// The API names the field first: "field extension ...", "extension: ...", "skills.x: ...".
function fieldNamed(form, message) {
  const match = /^(?:field )?([a-z_]+)\b/.exec(message);
  const field = match ? form.elements.namedItem(match[1]) : null;
  return field instanceof HTMLElement ? field : null;
}

/**
 * Run ``work`` for a button (a form's submit, a row's action): busy while it runs, its
 * error shown in errorEl. Returns work's result, or undefined when it failed.
 */
export async function running(button, errorEl, i18n, work, form = null) {
  if (button?.dataset.busy) return undefined;
  if (button) {
    button.dataset.busy = "1";
    button.setAttribute("aria-busy", "true");
  }
  if (errorEl) clearError(errorEl, form);
  try {
    return await work();
  } catch (error) {
    if (errorEl) showError(i18n, errorEl, error, form);
    else throw error;
    return undefined;
  } finally {
    if (button) {
      delete button.dataset.busy;
      button.removeAttribute("aria-busy");
    }
  }
}

/** The label text of a form control (for our own messages). */
export function labelOf(field) {
  const label = field.id ? document.querySelector(`label[for="${field.id}"]`) : null;
  return label ? label.textContent.trim() : field.name;
}

/** A status line that says what just happened (role=status: announced, not focused). */
export function say(el, message) {
  setText(el, message);
}

/** A link to an admin page when the user may open it, else the plain text. */
export function linkOr(text, href, allowed) {
  return allowed ? h("a", { href }, text) : document.createTextNode(text);
}

/** A button that asks once more before doing something that cannot be undone. */
export function confirmingButton(label, confirmLabel, onConfirm, attrs = {}) {
  const button = h("button", { type: "button", class: "secondary", ...attrs }, label);
  const reset = () => {
    delete button.dataset.confirm;
    setText(button, label);
  };
  button.addEventListener("click", async () => {
    if (!button.dataset.confirm) {
      button.dataset.confirm = "1";
      setText(button, confirmLabel);
      return;
    }
    reset();
    await onConfirm(button);
  });
  button.addEventListener("blur", reset);
  return button;
}
