// Figures derived in the browser from the live state: pure functions of the state and the
// server's clock, recomputed every second so waits and talk times tick between messages.

// Same rules as acd.state.Member.presence (the server's figures use it too). Recomputed here
// because wrap-up ends with the clock, not with a message.
const BUSY_STATUSES = new Set([2, 3, 7, 8]);

export function presence(member, now) {
  if (member.paused) return "paused";
  if (member.in_call || BUSY_STATUSES.has(member.status)) return "in_call";
  if (member.ringing || member.status === 6) return "ringing";
  if (now < (member.wrapup_until ?? 0)) return "wrapup";
  if (member.status === 4 || member.status === 5) return "unavailable";
  return "ready";
}

/**
 * When a member entered the presence it has ``now``. A wrap-up ends with the clock, not with
 * a message: a member ready (or unavailable) after one is so since its wrap-up ended, not
 * since the call ended (its ``since``).
 */
export function memberSince(member, presenceNow, now) {
  const since = member.since || null;
  const wrapupEnd = member.wrapup_until ?? 0;
  const afterWrapup = presenceNow === "ready" || presenceNow === "unavailable";
  if (afterWrapup && wrapupEnd > (since ?? 0) && wrapupEnd <= now) return wrapupEnd;
  return since;
}

/** Seconds a call has spent on hold, the current hold included (it ticks). */
export function holdTime(call, now) {
  const current = call.on_hold_since ? Math.max(0, now - call.on_hold_since) : 0;
  return (call.hold ?? 0) + current;
}

/** Seconds of talk: since the answer, without the time on hold (it stops while on hold). */
export function talkTime(call, now) {
  return Math.max(0, now - call.answered_at - holdTime(call, now));
}

/** Whether a call is on hold now. */
export function onHold(call) {
  return Boolean(call?.on_hold_since);
}

// Asterisk's device states of a phone busy with a call (of a queue, or not).
const DEVICE_BUSY = new Set(["INUSE", "BUSY", "ONHOLD", "RINGINUSE"]);

export function deviceBusy(device) {
  return Boolean(device && DEVICE_BUSY.has(device.state));
}

/**
 * The listen / whisper / barge sessions on any of ``devices`` (the live "spy" entities), each
 * with its ``id``: the entity's key, the session the API's /spy/{session} paths name.
 */
export function spiesOn(live, devices) {
  const wanted = new Set(devices);
  return Object.entries(live.state.spy ?? {})
    .map(([key, session]) => ({ ...session, id: key }))
    .filter((s) => wanted.has(s.agent))
    .sort((a, b) => (a.started_at ?? 0) - (b.started_at ?? 0) || String(a.id).localeCompare(String(b.id)));
}

// An agent in several queues shows one status: in a call or ringing first (that is what they
// are doing), then ready if ready in at least one queue (SV-9), then the rest.
const PRECEDENCE = ["in_call", "ringing", "ready", "wrapup", "paused", "unavailable"];

function ownerOf(users, device) {
  return users[device] ?? null;
}

/**
 * One row per agent (a user, or a bare device nobody owns) from the member rows and calls,
 * plus the agents of the roster that are logged out (so a supervisor can log them in).
 */
export function agentRows(live, roster, now) {
  const rows = new Map();
  const row = (key, name, username) => {
    if (!rows.has(key)) {
      rows.set(key, { key, name, username, devices: new Set(), members: [], calls: [] });
    }
    return rows.get(key);
  };
  const keyOfDevice = (device) => {
    const owner = ownerOf(live.users, device) ?? roster.byDevice.get(device);
    return owner
      ? row(`user:${owner.username}`, owner.display_name || owner.username, owner.username)
      : row(`device:${device}`, device, null);
  };
  for (const member of Object.values(live.state.member ?? {})) {
    const r = keyOfDevice(member.interface);
    r.devices.add(member.interface);
    r.members.push(member);
  }
  for (const call of Object.values(live.state.call ?? {})) {
    const r = keyOfDevice(call.agent);
    r.devices.add(call.agent);
    r.calls.push(call);
  }
  for (const agent of roster.agents) {
    row(`user:${agent.username}`, agent.display_name || agent.username, agent.username);
  }
  return [...rows.values()].map((r) => summarise(r, now)).sort(byName);
}

function byName(a, b) {
  return a.name.localeCompare(b.name) || a.key.localeCompare(b.key);
}

function summarise(r, now) {
  const presences = r.members.map((m) => ({ member: m, presence: presence(m, now) }));
  const call = r.calls.sort((a, b) => a.answered_at - b.answered_at)[0] ?? null;
  let status = "logged_out";
  if (call) status = "in_call";
  else if (presences.length) {
    status = PRECEDENCE.find((p) => presences.some((x) => x.presence === p)) ?? "ready";
  }
  // Time in status: since the earliest member entered it (ready in two queues since 10:00
  // and 10:30 is ready since 10:00); a call counts from its answer.
  const sinces = presences
    .filter((x) => x.presence === status)
    .map((x) => memberSince(x.member, x.presence, now))
    .filter(Boolean);
  const since = call ? call.answered_at : sinces.length ? Math.min(...sinces) : null;
  const paused = presences.filter((x) => x.member.paused).map((x) => x.member);
  return {
    ...r,
    status,
    since,
    call,
    queues: presences
      .map((x) => ({
        queue: x.member.queue,
        presence: x.presence,
        since: memberSince(x.member, x.presence, now),
        member: x.member,
      }))
      .sort((a, b) => a.queue.localeCompare(b.queue)),
    loggedIn: presences.length > 0,
    paused: paused.length > 0,
    allPaused: presences.length > 0 && paused.length === presences.length,
    forced: paused.some((m) => m.forced),
    reason: paused.find((m) => m.paused_reason)?.paused_reason ?? "",
  };
}

/** SV-1: today's outcomes over the queues shown (callback requests, BY-1, apart). */
export function todayTotals(figures) {
  const totals = {
    handled: 0,
    abandoned: 0,
    timed_out: 0,
    transferred: 0,
    callbacks_requested: 0,
    callbacks_connected: 0,
    callbacks_expired: 0,
    callbacks_failed: 0,
  };
  for (const f of Object.values(figures)) {
    for (const name of Object.keys(totals)) totals[name] += f[name] ?? 0;
  }
  return totals;
}

/** A waiting caller's name and state cells (QD-2, SV-10): a callback request's placeholder
 * (BY-1, ``kind: "callback"``) shows as one; ``agentName`` names the agent being rung. */
export function callerCells(caller, agentName, t) {
  const callback = caller.kind === "callback";
  const name = callback
    ? t("caller.callback_request")
    : caller.caller_name && caller.caller_name !== caller.caller_number
      ? caller.caller_name
      : "";
  const state = caller.ringing
    ? t("caller.ringing", { agent: agentName })
    : t(callback ? "caller.callback_in_line" : "caller.in_line");
  const type = callback ? "callback" : caller.ringing ? "ringing" : "waiting";
  return { name, state, type };
}

/** Today's callback requests of some figures, as the tile's value and hint. */
export function callbackTile(totals, t, i18n) {
  return {
    value: i18n.number(totals.callbacks_requested),
    hint: t("figure.callbacks_hint", {
      connected: i18n.number(totals.callbacks_connected),
      expired: i18n.number(totals.callbacks_expired),
      failed: i18n.number(totals.callbacks_failed),
    }),
  };
}

/** SV-2..SV-5: what is happening now. */
export function nowFigures(live, agents, now) {
  const callers = Object.values(live.state.caller ?? {});
  const calls = Object.values(live.state.call ?? {});
  let busiest = null;
  for (const [queue, f] of Object.entries(live.figures)) {
    if (f.waiting > 0 && (!busiest || f.waiting > busiest.waiting)) {
      busiest = { queue, waiting: f.waiting };
    }
  }
  // A conversation's length counts its wait in line too (SV-4).
  const conversationStart = (c) => c.answered_at - (c.wait ?? 0);
  const longestCall = calls.reduce(
    (best, c) => (!best || conversationStart(c) < conversationStart(best) ? c : best),
    null,
  );
  const oldest = callers.reduce((best, c) => (!best || c.joined_at < best.joined_at ? c : best), null);
  return {
    waiting: callers.length,
    connected: calls.length,
    busiest,
    paused: agents.filter((a) => a.status === "paused"),
    longestConversation: longestCall ? now - conversationStart(longestCall) : null,
    longestConversationCall: longestCall,
    longestWait: oldest ? now - oldest.joined_at : null,
    longestWaitCaller: oldest,
  };
}

// SV-10's sort keys; "waiting" descending is the longest wait first.
const CALLER_ORDER = {
  number: (a, b) => a.caller_number.localeCompare(b.caller_number),
  queue: (a, b) => a.queue.localeCompare(b.queue) || a.position - b.position,
  position: (a, b) => a.position - b.position || a.queue.localeCompare(b.queue),
  waiting: (a, b) => b.joined_at - a.joined_at,
};

/** SV-10: callers waiting, by ``key`` (see CALLER_ORDER), ascending or not. */
export function waitingCallers(live, key = "waiting", ascending = false) {
  const order = CALLER_ORDER[key] ?? CALLER_ORDER.waiting;
  const sign = ascending ? 1 : -1;
  return Object.values(live.state.caller ?? {}).sort(
    (a, b) => sign * order(a, b) || a.uniqueid.localeCompare(b.uniqueid),
  );
}

/** The roster the page was rendered with, indexed by device. */
export function indexRoster(agents) {
  const byDevice = new Map();
  for (const agent of agents) {
    for (const device of agent.devices ?? []) byDevice.set(device, agent);
  }
  return { agents, byDevice };
}
