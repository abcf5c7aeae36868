"""An agent's one state across all their queues (AN-2), computed from the live model.

An agent is a device interface (``PJSIP/agent1001``): the same phone may be a member of
several queues, and reports need *one* state per agent at every instant, so that the
intervals of an agent's states add up to their logged-in time. :func:`agent_state` is that
state, a pure function of the agent's memberships and calls; :class:`AgentStateTracker`
turns the model's successive states into transitions (history records).

Precedence, highest first (the first that applies wins):

1. ``talking`` / ``hold``: a queue call answered by the agent (``hold`` while the call is on
   hold, see ``ContactCenter._channel_hold``); else a direct call on the phone (answered, or
   one the agent is dialling), or a membership Asterisk reports in a call or its device busy.
2. ``ringing``: a queue call ringing one of their memberships, or a direct call ringing
   the phone.
3. ``wrapup``: app_queue holds the member after a call (``Member.wrapup_until``); the queue
   is the queue of the call that ended (after-call work is attributed to it).
4. ``paused``: paused in *every* queue they are a member of, with the reason of the most
   recent pause (paused in some queues only, they can still get calls: not paused).
5. ``unavailable``: logged in, but the phone is unreachable (device ``unavailable`` or
   ``invalid``: unregistered, unplugged). Counted as logged-in time (Asterisk keeps them a
   member), but not as ready: no call can reach them.
6. ``ready``.

``logged_out``: a member of no queue.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from standardiste.acd.state import BUSY_STATUSES, Call, DirectCall, Member

AgentStateName = Literal[
    "ready", "ringing", "talking", "hold", "wrapup", "paused", "unavailable", "logged_out"
]
AGENT_STATES: tuple[AgentStateName, ...] = (
    "ready",
    "ringing",
    "talking",
    "hold",
    "wrapup",
    "paused",
    "unavailable",
    "logged_out",
)
_UNREACHABLE = frozenset({4, 5})  # AST_DEVICE_INVALID, AST_DEVICE_UNAVAILABLE
_RINGING = 6  # AST_DEVICE_RINGING


@dataclass(frozen=True, slots=True)
class AgentState:
    """One agent's state: ``reason`` for ``paused`` only, ``queue`` the queue of the call
    (talking, hold, ringing, wrapup) or ``""`` (not a queue call, or no call)."""

    state: AgentStateName
    reason: str = ""
    queue: str = ""


LOGGED_OUT = AgentState("logged_out")


def agent_state(
    memberships: Sequence[Member],
    calls: Iterable[Call],
    direct: Iterable[DirectCall],
    now: float,
    last_queue: str = "",
) -> AgentState:
    """The state of the agent whose ``memberships`` (one per queue), queue ``calls`` (where
    they are the agent) and ``direct`` calls (on their phone) these are, at ``now``.

    ``last_queue``: the queue of the agent's last queue call, to name the wrap-up's queue
    when several memberships are held (``shared_lastcall``)."""
    if not memberships:
        return LOGGED_OUT
    queue_calls = sorted(calls, key=lambda c: (c.answered_at, c.uniqueid))
    if queue_calls:
        latest = queue_calls[-1]
        return AgentState("hold" if latest.on_hold_since else "talking", queue=latest.queue)
    directs = list(direct)
    if any(d.answered_at or d.direction == "outbound" for d in directs):
        return AgentState("talking")
    in_call = [m for m in memberships if m.in_call]
    if in_call:
        return AgentState("talking", queue=min(m.queue for m in in_call))
    if any(m.status in BUSY_STATUSES for m in memberships):
        return AgentState("talking")
    ringing = [m for m in memberships if m.ringing]
    if ringing:
        return AgentState("ringing", queue=min(m.queue for m in ringing))
    if directs or any(m.status == _RINGING for m in memberships):
        return AgentState("ringing")
    held = [m.queue for m in memberships if now < m.wrapup_until]
    if held:
        return AgentState("wrapup", queue=last_queue if last_queue in held else min(held))
    if all(m.paused for m in memberships):
        latest_pause = max(memberships, key=lambda m: (m.since, m.paused_reason))
        return AgentState("paused", reason=latest_pause.paused_reason)
    if any(m.status in _UNREACHABLE for m in memberships):
        return AgentState("unavailable")
    return AgentState("ready")


@dataclass(frozen=True, slots=True)
class Transition:
    """The agent entered ``state`` at ``at``."""

    agent: str
    state: AgentState
    at: float


class AgentStateTracker:
    """The last state written for each agent; yields a transition when one changes.

    Wrap-up ends with no event (app_queue just offers calls again at ``wrapup_until``): the
    tracker remembers when each agent's wrap-up ends and writes that transition at its own
    time, when the next event of the model arrives (or the next resync)."""

    def __init__(self) -> None:
        self.states: dict[str, AgentState] = {}
        self.last_queue: dict[str, str] = {}
        self._wrapup_ends: dict[str, float] = {}
        self._last_at: dict[str, float] = {}

    def seed(self, states: dict[str, AgentState], since: Mapping[str, float] | None = None) -> None:
        """The states last stored (a restarted bridge): an unchanged state is not written
        again, and an agent who logged out meanwhile is closed at the next resync.
        ``since``: when they entered them (a wrap-up under way counts from its start)."""
        for agent, state in states.items():
            if agent in self.states:
                continue
            self.states[agent] = state
            if since is not None and agent in since:
                self._last_at[agent] = since[agent]

    def busy(self) -> set[str]:
        """The agents whose last state depends on a call (talking, hold, ringing)."""
        return {a for a, s in self.states.items() if s.state in ("talking", "hold", "ringing")}

    def since(self, agent: str) -> float | None:
        """When the agent entered their current state (None: not since this model started,
        e.g. a state seeded from the history)."""
        return self._last_at.get(agent)

    def due(self, now: float) -> list[tuple[str, float]]:
        """Agents whose wrap-up ended before ``now``, with when it ended (oldest first)."""
        due = sorted((end, a) for a, end in self._wrapup_ends.items() if end < now)
        for _, agent in due:
            del self._wrapup_ends[agent]
        return [(agent, end) for end, agent in due]

    def update(
        self, agent: str, state: AgentState, at: float, wrapup_until: float = 0.0
    ) -> Transition | None:
        if state.state in ("talking", "hold") and state.queue:
            self.last_queue[agent] = state.queue
        if state.state == "wrapup" and wrapup_until > at:
            self._wrapup_ends[agent] = wrapup_until
        else:
            self._wrapup_ends.pop(agent, None)
        if self.states.get(agent, LOGGED_OUT) == state:
            return None
        self.states[agent] = state
        # Events buffered during a resync may be older than the snapshot: an agent's
        # transitions stay in order (the state of the snapshot lasted zero seconds).
        at = self._last_at[agent] = max(at, self._last_at.get(agent, at))
        return Transition(agent, state, at)


__all__ = [
    "AGENT_STATES",
    "LOGGED_OUT",
    "AgentState",
    "AgentStateName",
    "AgentStateTracker",
    "Transition",
    "agent_state",
]
