// QD-3: a queue's agents — grouped by state or A to Z, their phones' states, their call in
// this queue (hold and talk time), their other calls, the actions in this queue (pause,
// resume, log in, log out, listen / whisper / barge) and a user logged in with the phone
// chosen. Shared by the queue's page and a campaign's Agents tab (CD-6: a campaign's agents
// are its queue's). The page renders the section (_macros.html: queue_agents) and calls
// ``render(agents(now))`` after every message and once a second.

import { errorText } from "./api.js";
import { ariaLabel, byId, h, lines, setFlag, setText, syncChildren } from "./dom.js";
import { deviceBusy, holdTime, memberSince, onHold, presence, spiesOn, talkTime } from "./model.js";
import { agentPath, setEnabled } from "./shell.js";
import { activityText, createSpyControls, sessionsText } from "./spy.js";

/**
 * ``live``: the page's LiveFeed (subscribed to ``queue``); ``roster``: indexRoster() of the
 * users assigned to it; ``say``: the section's status line; ``onChange``: the page's render
 * (a filter changed, a row opened).
 */
export function queueAgents({ queue, live, roster, i18n, data, act, post, myDevice, say, onChange }) {
  const { t } = i18n;
  const QUEUE = queue;
  const me = data.me;
  const permissions = new Set(data.permissions);
  const can = (permission) => permissions.has(permission);
  const sayAgents = say;
  const numberOf = (row) => row.caller_number || t("agent.unknown_number");

  /** This queue's rows of an entity (the feed is subscribed to it; this keeps it so). */
  function ofQueue(entity) {
    return Object.values(live.state[entity] ?? {}).filter((row) => row.queue === QUEUE);
  }

  // ------------------------------------------------------------------ the agents' model
  // Presences in the order their groups are shown (QD-3: grouped by state), logged out last.
  const GROUPS = ["in_call", "ringing", "wrapup", "ready", "paused", "unavailable", "logged_out"];

  function ownerOf(device) {
    return live.users[device] ?? roster.byDevice.get(device) ?? null;
  }

  /**
   * One row per agent of this queue: the users assigned to it (logged in or not) and whoever
   * is a member of it now (a user, or a device nobody owns), with their call in this queue.
   */
  function agents(now) {
    const rows = new Map();
    const row = (key, name, username) => {
      if (!rows.has(key)) {
        rows.set(key, { key, name, username, devices: new Set(), member: null, call: null, assigned: false });
      }
      return rows.get(key);
    };
    const rowOfDevice = (device) => {
      const owner = ownerOf(device);
      const r = owner
        ? row(`user:${owner.username}`, owner.display_name || owner.username, owner.username)
        : row(`device:${device}`, device, null);
      r.devices.add(device);
      return r;
    };
    for (const agent of roster.agents) {
      const r = row(`user:${agent.username}`, agent.display_name || agent.username, agent.username);
      r.assigned = true;
      for (const device of agent.devices) r.devices.add(device);
    }
    for (const member of ofQueue("member").sort((a, b) => a.interface.localeCompare(b.interface))) {
      const r = rowOfDevice(member.interface);
      r.member ??= member;
    }
    for (const call of ofQueue("call").sort((a, b) => a.answered_at - b.answered_at)) {
      const r = rowOfDevice(call.agent);
      r.call ??= call;
    }
    return [...rows.values()].map((r) => summarise(r, now));
  }

  function summarise(r, now) {
    const member = r.member;
    let status = "logged_out";
    let since = null;
    if (member) {
      status = presence(member, now);
      since = memberSince(member, status, now);
    }
    if (r.call) {
      status = "in_call";
      since = r.call.answered_at;
    }
    const devices = [...r.devices].sort();
    const deviceRows = devices.map((d) => ({ device: d, state: live.state.device?.[d] ?? null }));
    // The agent's direct calls (in or out, the live "direct" entity), and busy phones with no
    // call of this queue nor a direct one on them: another queue's call.
    const direct = Object.values(live.state.direct ?? {})
      .filter((d) => r.devices.has(d.device))
      .sort((a, b) => a.started_at - b.started_at);
    const withDirect = new Set(direct.map((d) => d.device));
    const otherCalls = [
      ...direct.map((d) => ({ direct: d, device: d.device })),
      ...deviceRows.filter(
        (d) => deviceBusy(d.state) && d.device !== r.call?.agent && !withDirect.has(d.device),
      ),
    ];
    return {
      ...r,
      devices,
      deviceRows,
      otherCalls,
      status,
      since,
      loggedIn: Boolean(member),
      paused: Boolean(member?.paused),
      spies: spiesOn(live, devices),
    };
  }

  const byName = (a, b) => a.name.localeCompare(b.name, i18n.lang) || a.key.localeCompare(b.key);

  // ------------------------------------------------------------------ QD-3 agents
  const mayControl = can("agents.control");
  const maySpy = can("calls.spy");
  const ACTIONS = ["pause", "resume", "login", "logout"];
  const COLUMNS = 7;
  const expanded = new Set(); // agent keys whose details are open
  const ids = new Map(); // agent key -> the id of its row (its details: the same + "-detail")
  const idOf = (key) => {
    if (!ids.has(key)) ids.set(key, `qd-agent-${ids.size}`);
    return ids.get(key);
  };

  function filterChoice() {
    return document.querySelector('input[name="agents-filter"]:checked')?.value ?? "logged_in";
  }
  for (const radio of document.querySelectorAll('input[name="agents-filter"]')) {
    radio.addEventListener("change", onChange);
  }

  /** The table's rows in order: group headings (logged in: by state), agents, their details. */
  function agentItems(agents) {
    const items = [];
    const push = (agent) => {
      items.push({ kind: "agent", key: agent.key, agent });
      items.push({ kind: "detail", key: `${agent.key}#detail`, agent });
    };
    if (filterChoice() === "assigned") {
      agents.filter((a) => a.assigned || a.loggedIn).sort(byName).forEach(push);
      return items;
    }
    const shown = agents.filter((a) => a.loggedIn || a.call);
    for (const group of GROUPS) {
      const members = shown.filter((a) => a.status === group).sort(byName);
      if (!members.length) continue;
      items.push({ kind: "group", key: `group:${group}`, group, n: members.length });
      members.forEach(push);
    }
    return items;
  }

  function createItem(item) {
    if (item.kind === "group") {
      const heading = h("th", { colspan: COLUMNS });
      const row = h("tr", { class: "group", "data-group": item.group }, heading);
      row.heading = heading;
      return row;
    }
    if (item.kind === "detail") return createDetailRow(item.agent);
    return createAgentRow(item.agent);
  }

  function updateItem(row, item) {
    if (item.kind === "group") {
      setText(row.heading, t("qd.group", { state: t(`presence.${item.group}`), n: item.n }));
    } else if (item.kind === "detail") {
      updateDetailRow(row, item.agent);
    } else {
      updateAgentRow(row, item.agent);
    }
  }

  function createAgentRow(agent) {
    const id = idOf(agent.key);
    const expander = h("button", {
      type: "button",
      class: "expander",
      "aria-expanded": "false",
      "aria-controls": `${id}-detail`,
    });
    const name = h("span", { class: "name" });
    expander.append(name);
    const dots = h("span", { class: "dots" });
    const cells = {
      name: h("th", { scope: "row" }, expander, " ", dots),
      status: h("td"),
      time: h("td", { class: "num timer" }),
      caller: h("td"),
      hold: h("td", { class: "num timer" }),
      talk: h("td", { class: "num timer" }),
      actions: h("td"),
    };
    const badge = h("span", { class: "badge" });
    const detail = h("span", { class: "detail" });
    const spying = h("span", { class: "spying" });
    cells.status.append(badge, " ", detail, spying);
    const row = h("tr", { "data-agent": agent.key, id }, ...Object.values(cells));
    Object.assign(row, { cells_: cells, badge, detail, spying, expander, name, dots });
    expander.addEventListener("click", () => {
      const open = expander.getAttribute("aria-expanded") !== "true";
      if (open) expanded.add(row.dataset.agent);
      else expanded.delete(row.dataset.agent);
      onChange();
    });

    const groups = [];
    if (mayControl) {
      const reason = h("select", { class: "reason" });
      reason.append(byId("reason-options").content.cloneNode(true));
      const buttons = {};
      for (const action of ACTIONS) {
        const primary = action === "pause" || action === "login";
        buttons[action] = h("button", { type: "button", class: primary ? "" : "secondary", "data-action": action }, t(`action.${action}`));
        buttons[action].addEventListener("click", () => runAgentAction(row, action));
      }
      groups.push(h("div", { class: "row-actions" }, reason, buttons.pause, buttons.resume, buttons.login, buttons.logout));
      Object.assign(row, { reason, buttons });
    }
    if (maySpy) {
      row.spy = createSpyControls({ i18n, act, csrf: data.csrf, myDevice, me, say: sayAgents });
      groups.push(row.spy.element);
    }
    cells.actions.append(...groups);
    return row;
  }

  function updateAgentRow(row, agent) {
    const now = live.now();
    const c = row.cells_;
    row.agent = agent;
    setText(row.name, agent.name);
    const open = expanded.has(agent.key);
    if (row.expander.getAttribute("aria-expanded") !== String(open)) {
      row.expander.setAttribute("aria-expanded", String(open));
    }
    ariaLabel(row.expander, t("qd.details_for", { name: agent.name }));
    syncDots(row.dots, agent.deviceRows);

    row.badge.dataset.status = agent.status;
    setText(row.badge, t(`presence.${agent.status}`));
    const details = [];
    const member = agent.member;
    if (agent.status === "paused" && member.paused_reason) details.push(i18n.label("reason", member.paused_reason));
    if (agent.status === "paused" && member.forced) details.push(t("agent.forced"));
    if (agent.call && onHold(agent.call)) details.push(t("qd.on_hold"));
    if (agent.otherCalls.length && !agent.call) details.push(t("qd.busy_elsewhere"));
    setText(row.detail, details.join(" · "));
    setText(row.spying, activityText(agent.spies, agent.devices, { i18n, live, me }));

    setText(c.time, agent.since ? i18n.duration(now - agent.since) : "–");
    const call = agent.call;
    setText(c.caller, call ? numberOf(call) : "");
    setText(c.hold, call ? i18n.duration(holdTime(call, now)) : "");
    setText(c.talk, call ? i18n.duration(talkTime(call, now)) : "");
    // Bold marks the one that runs: hold while on hold, talk while talking.
    setFlag(c.hold, "data-running", Boolean(call && onHold(call)));
    setFlag(c.talk, "data-running", Boolean(call && !onHold(call)));

    if (mayControl) {
      const canAct = Boolean(agent.username);
      const enabled = {
        pause: canAct && agent.loggedIn && !agent.paused,
        resume: canAct && agent.paused,
        login: canAct && !agent.loggedIn && agent.devices.length > 0,
        logout: canAct && agent.loggedIn,
      };
      for (const action of ACTIONS) {
        setEnabled(row.buttons[action], enabled[action]);
        ariaLabel(row.buttons[action], t("action.for_agent", { action: t(`action.${action}`), name: agent.name }));
      }
      ariaLabel(row.reason, t("action.pause_reason_for", { name: agent.name }));
      setFlag(row.reason, "disabled", !canAct);
    }
    if (row.spy) {
      const inCall = Boolean(agent.call) || agent.otherCalls.length > 0;
      row.spy.update({ name: agent.name, username: agent.username, inCall, callId: agent.call?.uniqueid }, agent.spies);
    }
  }

  /** A dot per phone, its state in words for assistive technology and on hover. */
  function syncDots(container, deviceRows) {
    syncChildren(
      container,
      deviceRows,
      (d) => d.device,
      () => h("span", { class: "dot", role: "img" }),
      (dot, d) => {
        const state = d.state?.state ?? "UNKNOWN";
        if (dot.dataset.state !== state) dot.dataset.state = state;
        const text = t("qd.device_state", { device: d.device, state: deviceLabel(d.state) });
        ariaLabel(dot, text);
        if (dot.title !== text) dot.title = text;
      },
    );
  }

  const deviceLabel = (state) =>
    state ? i18n.label("admin.device.state", state.state) : t("admin.device.not_reported");

  function runAgentAction(row, action) {
    const agent = row.agent;
    if (!agent?.username) return;
    const body = { queues: [QUEUE] };
    if (action === "pause") body.reason = row.reason.value;
    if (action === "login") {
      // Several phones: choose one in the log-in form, where their states show.
      if (agent.devices.length > 1 && loginForm) {
        loginForm.user.value = agent.username;
        syncLoginDevices();
        loginForm.device.focus();
        return;
      }
      body.device = agent.devices[0];
    } else if (agent.member) {
      body.device = agent.member.interface;
    }
    act(row.buttons[action], () => post(agentPath(agent.username, action), body));
  }

  function createDetailRow(agent) {
    const cell = h("td", { colspan: COLUMNS });
    const row = h("tr", { class: "agent-detail", id: `${idOf(agent.key)}-detail`, hidden: true }, cell);
    const list = (labelKey) => {
      const items = h("ul", { class: "names" });
      cell.append(h("div", { class: "detail-block" }, h("h4", {}, t(labelKey)), items));
      return items;
    };
    Object.assign(row, {
      cell,
      devices: list("qd.devices"),
      queue: list("qd.in_this_queue"),
      calls: list("qd.other_calls"),
      spies: list("qd.listening"),
    });
    return row;
  }

  function updateDetailRow(row, agent) {
    const open = expanded.has(agent.key);
    setFlag(row, "hidden", !open);
    if (!open) return;
    const now = live.now();
    lines(
      row.devices,
      agent.deviceRows.map((d) =>
        d.state
          ? t("qd.device_since", { device: d.device, state: deviceLabel(d.state), duration: i18n.duration(now - d.state.since) })
          : t("qd.device_state", { device: d.device, state: deviceLabel(null) }),
      ),
      t("qd.no_device_of_agent"),
    );
    const member = agent.member;
    const queueLines = [];
    if (member) {
      if (member.logged_in_at) queueLines.push(t("qd.logged_in_at", { time: i18n.time(member.logged_in_at) }));
      queueLines.push(t("qd.calls_taken", { n: i18n.number(member.calls_taken ?? 0) }));
      if (member.status === 6 || member.ringing) queueLines.push(t("presence.ringing"));
    }
    if (agent.call) {
      const call = agent.call;
      const name = call.caller_name && call.caller_name !== call.caller_number ? ` · ${call.caller_name}` : "";
      queueLines.push(t("qd.current_call", { number: numberOf(call) + name, waited: i18n.duration(call.wait) }));
    }
    lines(row.queue, queueLines, t("presence.logged_out"));
    lines(
      row.calls,
      agent.otherCalls.map((d) =>
        d.direct
          ? t(`qd.direct_${d.direct.direction}`, {
              number: d.direct.peer_number || t("qd.unknown_number"),
              duration: i18n.duration(now - (d.direct.answered_at || d.direct.started_at)),
              state: t(d.direct.answered_at ? "qd.direct_talking" : "qd.direct_ringing"),
            })
          : t("qd.other_call", { device: d.device, state: deviceLabel(d.state), duration: i18n.duration(now - d.state.since) }),
      ),
      t("qd.no_other_calls"),
    );
    lines(
      row.spies,
      agent.spies.map((s) => sessionsText([s], { i18n, live, me })),
      t("qd.nobody_listening"),
    );
  }

  function renderAgents(agents) {
    const items = agentItems(agents);
    const anyAgent = items.some((item) => item.kind === "agent");
    const emptyText = filterChoice() === "assigned" ? t("qd.no_users") : t("qd.no_agents_logged_in");
    setText(byId("qd-agents-empty"), emptyText);
    setFlag(byId("qd-agents-empty"), "hidden", anyAgent);
    setFlag(byId("qd-agents-table"), "hidden", !anyAgent);
    // Moving a row (its agent changed group) takes the focus from it: give it back.
    const focused = document.activeElement;
    syncChildren(byId("qd-agent-rows"), items, (item) => item.key, createItem, updateItem);
    if (focused && focused !== document.activeElement && focused.isConnected) focused.focus({ preventScroll: true });
  }

  // ------------------------------------------------------------------ QD-3 log a user in
  const loginForm = document.getElementById("qd-login-form")
    ? {
        form: byId("qd-login-form"),
        user: byId("qd-login-user"),
        device: byId("qd-login-device"),
        dot: byId("qd-login-dot"),
        submit: byId("qd-login-submit"),
        error: byId("qd-login-error"),
      }
    : null;

  /** Keep a <select>'s options equal to ``options`` ([value, text]) without losing the choice. */
  function syncOptions(select, options) {
    const values = [...select.options].map((o) => o.value);
    if (values.join("\n") !== options.map(([value]) => value).join("\n")) {
      const chosen = select.value;
      select.replaceChildren(...options.map(([value, text]) => h("option", { value }, text)));
      if (options.some(([value]) => value === chosen)) select.value = chosen;
    } else {
      options.forEach(([, text], i) => setText(select.options[i], text));
    }
  }

  let loginAgents = [];

  function syncLoginUsers(agents) {
    loginAgents = agents.filter((a) => a.assigned).sort(byName);
    syncOptions(
      loginForm.user,
      loginAgents.map((a) => [
        a.username,
        a.loggedIn ? t("qd.user_logged_in", { name: a.name }) : a.name,
      ]),
    );
    syncLoginDevices();
  }

  function syncLoginDevices() {
    const agent = loginAgents.find((a) => a.username === loginForm.user.value);
    const rows = agent?.deviceRows ?? [];
    syncOptions(
      loginForm.device,
      rows.map((d) => [d.device, t("qd.device_state", { device: d.device, state: deviceLabel(d.state) })]),
    );
    const chosen = rows.find((d) => d.device === loginForm.device.value);
    loginForm.dot.dataset.state = chosen?.state?.state ?? "UNKNOWN";
    setEnabled(loginForm.submit, rows.length > 0);
  }

  if (loginForm) {
    loginForm.user.addEventListener("change", syncLoginDevices);
    loginForm.device.addEventListener("change", syncLoginDevices);
    loginForm.form.addEventListener("submit", (event) => {
      event.preventDefault();
      const username = loginForm.user.value;
      const device = loginForm.device.value;
      if (!username || !device) return;
      setFlag(loginForm.error, "hidden", true);
      act(loginForm.submit, async () => {
        try {
          await post(agentPath(username, "login"), { queues: [QUEUE], device });
        } catch (error) {
          setFlag(loginForm.error, "hidden", false);
          setText(loginForm.error, errorText(i18n, error));
          return;
        }
        const agent = loginAgents.find((a) => a.username === username);
        sayAgents(t("qd.logged_in", { name: agent?.name ?? username, device }));
      });
    });
  }

  return {
    agents,
    ownerOf,
    byName,
    render(list) {
      renderAgents(list);
      if (loginForm) syncLoginUsers(list);
    },
  };
}
