// The log-in form: posts the credentials to the API as JSON, then goes to the user's page.

import { api, ApiError } from "./api.js";
import { byId, pageData, setText } from "./dom.js";
import { makeI18n } from "./i18n.js";

const data = pageData();
const i18n = makeI18n({ strings: data.strings, lang: data.lang, timeZone: data.timeZone });
const form = byId("login-form");
const error = byId("login-error");
const submit = byId("login-submit");

function homeOf(user) {
  const supervises = user.role === "admin" || user.queues.some((q) => q.role === "supervisor");
  return data.next || (supervises ? "/supervisor" : "/agent");
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  const username = form.elements.username.value.trim();
  const password = form.elements.password.value;
  if (!username || !password) {
    showError(i18n.t("login.missing"));
    return;
  }
  submit.disabled = true;
  try {
    const me = await api("POST", "/api/v1/session", { body: { username, password } });
    location.assign(homeOf(me.user));
  } catch (err) {
    const code = err instanceof ApiError ? err.code : "internal_error";
    showError(
      code === "invalid_credentials" || code === "invalid_input"
        ? i18n.t("login.failed")
        : i18n.t(`error.${code}`) === `error.${code}`
          ? i18n.t("error.internal_error")
          : i18n.t(`error.${code}`),
    );
    form.elements.password.select();
  } finally {
    submit.disabled = false;
  }
});

function showError(message) {
  error.hidden = false;
  setText(error, message);
}
