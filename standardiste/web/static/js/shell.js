// What every logged-in page shares: its data and strings, the log-out button, the language
// and time zone menu, the live status in the header, error notices and the busy state of
// action buttons.

import { api, errorText } from "./api.js";
import { byId, pageData, setText } from "./dom.js";
import { makeI18n } from "./i18n.js";

export function startPage() {
  const data = pageData();
  const i18n = makeI18n({ strings: data.strings, lang: data.lang, timeZone: data.timeZone });
  const notice = byId("notice");
  let hideTimer = null;

  function notify(message) {
    clearTimeout(hideTimer);
    notice.hidden = false;
    setText(notice, message);
    hideTimer = setTimeout(() => {
      notice.hidden = true;
    }, 8000);
  }

  const statusEl = document.getElementById("live-status");
  function onStatus(state) {
    if (!statusEl) return;
    statusEl.dataset.state = state;
    setText(statusEl, i18n.t(`live.${state}`));
  }

  document.getElementById("logout")?.addEventListener("click", async () => {
    try {
      await api("DELETE", "/api/v1/session", { csrf: data.csrf });
    } catch {
      // Even if the server did not answer, leave: the login page tells the truth.
    }
    location.assign("/login");
  });

  // Language and time zone (BY-7): saved with a button, not on every change of a menu (arrow
  // keys in a closed <select> change it), then the page reloads to render in them.
  const prefs = document.getElementById("prefs");
  const prefsForm = document.getElementById("prefs-form");
  prefsForm?.addEventListener("submit", (event) => {
    event.preventDefault();
    const body = {};
    for (const select of prefsForm.querySelectorAll("select")) {
      const saved = [...select.options].find((option) => option.defaultSelected);
      if (select.value !== saved?.value) body[select.name] = select.value;
    }
    if (Object.keys(body).length === 0) {
      closePrefs();
      return;
    }
    act(byId("prefs-save"), async () => {
      await api("PATCH", "/api/v1/me", { body, csrf: data.csrf });
      location.reload();
    });
  });
  prefs?.addEventListener("keydown", (event) => {
    if (event.key === "Escape" && prefs.open) closePrefs();
  });
  function closePrefs() {
    prefs.open = false;
    prefs.querySelector("summary").focus();
  }

  /** Run an API call for a control: busy while it runs, a notice if it fails. */
  async function act(control, call) {
    if (control.getAttribute("aria-disabled") === "true" || control.dataset.busy) return;
    control.dataset.busy = "1";
    control.setAttribute("aria-busy", "true");
    try {
      await call();
    } catch (error) {
      notify(errorText(i18n, error));
    } finally {
      delete control.dataset.busy;
      control.removeAttribute("aria-busy");
    }
  }

  const post = (path, body) => api("POST", path, { body, csrf: data.csrf });
  return { data, i18n, notify, onStatus, act, post };
}

/**
 * aria-disabled rather than disabled: a button that becomes unavailable after a click keeps
 * keyboard focus instead of throwing it back to the top of the page.
 */
export function setEnabled(button, enabled) {
  const value = enabled ? "false" : "true";
  if (button.getAttribute("aria-disabled") !== value) button.setAttribute("aria-disabled", value);
}

export function agentPath(username, action) {
  return `/api/v1/agents/${encodeURIComponent(username)}/${action}`;
}
