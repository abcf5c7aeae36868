"""Callbacks that keep the caller's place (BY-1), the pure part: names, statuses, the offer.

A waiting caller who asks for a callback leaves the queue; a *placeholder* takes their place:
the Local channel ``Local/<request id>@standardiste-callback-place/n`` that the bridge
originates with the uniqueids ``cb-<id>`` (its ``;2`` half, the one waiting in the queue)
and ``cbh-<id>`` (its ``;1`` half, which dials the customer once an agent answered).
Asterisk refuses a channel whose uniqueid is in use, so a request never has two placeholders
at once; and the id alone tells the model, the history and queue_log readers that a queue
"caller" is a callback request, not an inbound call.

The dialplan reports each step with ``UserEvent(Callback, Step: ...)``
(``config/asterisk/standardiste-extensions.conf``); :func:`step_status` says what a step
makes of the request. Statuses only move forward (:data:`RANK`), so replays and late
events never undo a later fact.
"""

from __future__ import annotations

import math
import re
from typing import Literal

PLACEHOLDER_PREFIX = "cb-"
HOLD_PREFIX = "cbh-"
PLACE_CONTEXT = "standardiste-callback-place"
HOLD_CONTEXT = "standardiste-callback-hold"
REQUEST_ID_RE = re.compile(r"^[0-9a-f]{32}$")
_PLACEHOLDER_RE = re.compile(r"^cb-([0-9a-f]{32})$")

Status = Literal[
    "waiting", "connecting", "calling", "connected", "no_answer", "expired", "cancelled", "failed"
]
# Forward only: a status replaces another only if its rank is higher (finals are equal).
RANK: dict[str, int] = {
    "waiting": 0,
    "connecting": 1,
    "calling": 2,
    "connected": 3,
    "no_answer": 4,
    "expired": 4,
    "cancelled": 4,
    "failed": 4,
}
FINAL = frozenset(s for s, r in RANK.items() if r == 4)
# Requests whose story is not over: the bridge keeps a placeholder for the "waiting" ones.
OPEN = ("waiting", "connecting", "calling")

# The detail of a status guessed by the bridge (a placeholder vanished while it was not
# looking): a fact reported later replaces it.
OUTCOME_UNKNOWN = "outcome_unknown"

# UserEvent(Callback) steps, in the order the dialplan raises them.
Step = Literal["requested", "left", "calling", "connected", "ended"]
STEPS: frozenset[str] = frozenset({"requested", "left", "calling", "connected", "ended"})

# How long an agent spends on a call when the queue has no recent one to go by (s).
DEFAULT_HANDLE_TIME = 180.0


def callback_of(uniqueid: str) -> str | None:
    """The request id of a placeholder's queue half (``cb-<id>``); None for anything else."""
    match = _PLACEHOLDER_RE.fullmatch(uniqueid)
    return match.group(1) if match else None


def placeholder_uniqueid(request_id: str) -> str:
    """The uniqueid of the half that waits in the queue (Originate's OtherChannelId)."""
    return PLACEHOLDER_PREFIX + _checked(request_id)


def hold_uniqueid(request_id: str) -> str:
    """The uniqueid of the half that dials the customer (Originate's ChannelId)."""
    return HOLD_PREFIX + _checked(request_id)


def _checked(request_id: str) -> str:
    if not REQUEST_ID_RE.fullmatch(request_id):
        raise ValueError(f"callback request id {request_id!r} is not 32 hex digits")
    return request_id


def expected_wait(position: int, agents: int, handle_time: float) -> float:
    """Seconds a caller at ``position`` can expect to wait with ``agents`` taking calls that
    last ``handle_time`` each: every agent frees up once per handle time, so the caller is
    reached after ``ceil(position / agents)`` rounds. No agent at all: infinite."""
    if position < 1:
        raise ValueError(f"position {position} < 1")
    if agents < 1:
        return math.inf
    return math.ceil(position / agents) * max(0.0, handle_time)


def should_offer(wait: float, threshold: int) -> bool:
    """Offer a callback when the expected wait reaches the queue's threshold."""
    return wait >= threshold


def step_status(step: str, status: str) -> Status | None:
    """What a dialplan step makes of the request (None: nothing). ``status`` is the step's
    Status header: QUEUESTATUS for ``left``, DIALSTATUS for ``ended``."""
    if step == "calling":
        return "calling"
    if step == "connected":
        return "connected"
    if step == "left":
        # TIMEOUT: the request's time ran out in the queue. Other ways out (hung up, taken
        # out of the queue) leave it waiting: the bridge places it again.
        return "expired" if status == "TIMEOUT" else None
    if step == "ended":
        if status == "ANSWER":
            return "connected"
        if status in ("NOANSWER", "BUSY"):
            return "no_answer"
        return "failed"  # CHANUNAVAIL, CONGESTION, CANCEL (the agent hung up first), ...
    return None


def moves_forward(current: str, new: str) -> bool:
    """Whether ``new`` may replace ``current`` (statuses only move forward)."""
    return RANK.get(new, -1) > RANK.get(current, -1)


__all__ = [
    "DEFAULT_HANDLE_TIME",
    "FINAL",
    "HOLD_CONTEXT",
    "OPEN",
    "OUTCOME_UNKNOWN",
    "PLACE_CONTEXT",
    "RANK",
    "REQUEST_ID_RE",
    "STEPS",
    "Status",
    "Step",
    "callback_of",
    "expected_wait",
    "hold_uniqueid",
    "moves_forward",
    "placeholder_uniqueid",
    "should_offer",
    "step_status",
]
