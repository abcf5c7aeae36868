// Listen, whisper, barge (SV-9, QD-3) from an agent's row, and the supervisor's own phone
// that these (and taking a waiting caller) ring.
//
// The API (POST /api/v1/agents/{username}/spy, POST /api/v1/spy/{session}/mode, DELETE
// /api/v1/spy/{session}) rings the supervisor's device; answered, it joins the agent's call in
// the mode asked for. The sessions are the live "spy" entities, keyed by session: {device (the
// supervisor's), supervisor ("" from a phone), agent (the spied device), mode, started_at, ...}.

import { api } from "./api.js";
import { h, setFlag } from "./dom.js";
import { setEnabled } from "./shell.js";

export const SPY_MODES = ["listen", "whisper", "barge"];

/**
 * The phone of mine that listening in and taking calls ring: the one chosen in ``select``
 * (when I have several; the choice is remembered for this page), else my only one, else null.
 */
export function myDeviceChoice(devices, select) {
  if (!select) return () => devices[0] ?? null;
  const key = `standardiste.myDevice:${location.pathname}`;
  const saved = localStorage.getItem(key);
  if (saved && devices.includes(saved)) select.value = saved;
  select.addEventListener("change", () => localStorage.setItem(key, select.value));
  return () => select.value || null;
}

/**
 * The spy buttons of one agent's row: a mode button each (pressed: my session's mode) and
 * End. ``update(agent, sessions)`` with agent = {name, username, inCall, callId}.
 */
export function createSpyControls({ i18n, act, csrf, myDevice, me, say }) {
  const { t } = i18n;
  const buttons = {};
  for (const mode of SPY_MODES) {
    buttons[mode] = h("button", { type: "button", class: "secondary", "data-spy": mode }, t(`spy.${mode}`));
  }
  const end = h("button", { type: "button", class: "secondary danger", "data-spy": "end" }, t("spy.end"));
  const element = h("div", { class: "spy-actions" }, ...SPY_MODES.map((m) => buttons[m]), end);
  let agent = null;
  let mine = null; // my session on this agent, if any

  for (const mode of SPY_MODES) {
    buttons[mode].addEventListener("click", () => {
      if (!agent) return;
      if (mine) {
        if (mine.mode === mode) return;
        const id = mine.id;
        act(buttons[mode], () =>
          api("POST", `/api/v1/spy/${encodeURIComponent(id)}/mode`, { body: { mode }, csrf }),
        );
        return;
      }
      const body = { mode };
      const device = myDevice();
      if (device) body.device = device;
      if (agent.callId) body.call = agent.callId;
      const path = `/api/v1/agents/${encodeURIComponent(agent.username)}/spy`;
      act(buttons[mode], async () => {
        await api("POST", path, { body, csrf });
        say(t("spy.ringing", { name: agent.name }));
      });
    });
  }
  end.addEventListener("click", () => {
    if (!mine) return;
    const id = mine.id;
    act(end, () => api("DELETE", `/api/v1/spy/${encodeURIComponent(id)}`, { csrf }));
  });

  function update(next, sessions) {
    agent = next;
    mine = sessions.find((s) => s.supervisor === me.username || me.devices.includes(s.device)) ?? null;
    const canStart = Boolean(agent.username && agent.inCall && myDevice());
    for (const mode of SPY_MODES) {
      const pressed = String(mine?.mode === mode);
      if (buttons[mode].getAttribute("aria-pressed") !== pressed) {
        buttons[mode].setAttribute("aria-pressed", pressed);
      }
      setEnabled(buttons[mode], mine ? true : canStart);
      label(buttons[mode], t("action.for_agent", { action: t(`spy.${mode}`), name: agent.name }));
    }
    setFlag(end, "hidden", !mine);
    label(end, t("spy.end_for", { name: agent.name }));
  }
  return { element, update };
}

/** "Sue: whisper, 0:42" for each session (mine says so), in the agent's row. */
export function sessionsText(sessions, { i18n, live, me }) {
  const { t } = i18n;
  const now = live.now();
  return sessions
    .map((s) => {
      const who = s.supervisor === me.username ? t("spy.you") : s.supervisor || t("spy.a_supervisor");
      return t("spy.session", {
        who,
        mode: t(`spy.mode.${s.mode}`),
        duration: i18n.duration(now - (s.started_at ?? now)),
      });
    })
    .join(" · ");
}

/**
 * "Message playing: Please hold, 0:05" for a canned audio message an agent plays into their
 * call (the live "canned" entities on ``devices``): not a supervisor's barge.
 */
export function playingText(live, devices, i18n) {
  const wanted = new Set(devices);
  const now = live.now();
  return Object.values(live.state.canned ?? {})
    .filter((c) => wanted.has(c.agent))
    .map((c) =>
      i18n.t("spy.canned", {
        name: c.name || `#${c.message}`,
        duration: i18n.duration(now - (c.started_at ?? now)),
      }),
    )
    .join(" · ");
}

/** The sessions' and messages' texts of an agent's row, together. */
export function activityText(sessions, devices, context) {
  const texts = [sessionsText(sessions, context), playingText(context.live, devices, context.i18n)];
  return texts.filter(Boolean).join(" · ");
}

function label(button, text) {
  if (button.getAttribute("aria-label") !== text) button.setAttribute("aria-label", text);
}
