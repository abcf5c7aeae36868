"""The supervisors' call control routes, in the one registry (:mod:`web.routes`)."""

from __future__ import annotations

from standardiste.web import call_api as api
from standardiste.web.call_schemas import (
    CallerWithdrawn,
    SpyEnded,
    SpyModeChange,
    SpyModeChanged,
    SpyStart,
    SpyStarted,
    TakeCaller,
    TransferCaller,
)
from standardiste.web.endpoint import Reply, Route

_BRIDGE = (
    "The bridge checks the request against its live model and Asterisk's answer: a call, "
    "caller or session no longer there: 409 call_gone; Asterisk's refusal: 409 with its "
    "reason; no bridge: 503; no confirmation in time: 504."
)
_ERRORS = (400, 403, 404, 409, 503, 504)

CALL_ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/agents/{username}/spy",
        "agent_spy",
        api.agent_spy,
        "Listen to, whisper to or barge in on an agent's call (SV-9)",
        auth="csrf",
        description="A supervisor of a queue the agent is logged into, or an admin. Your "
        "device rings; answered, it joins the agent's exact channel (ChanSpy). The session "
        "then shows in the live state (entity spy) and every step is audited (who, whom, "
        "mode changes, start, end). " + _BRIDGE,
        body=SpyStart,
        body_required=True,
        replies=(Reply(200, "your device is ringing", SpyStarted),),
        errors=_ERRORS,
        permission="calls.spy",
    ),
    Route(
        "POST",
        "/api/v1/spy/{session}/mode",
        "spy_mode",
        api.spy_mode,
        "Switch a listening session's mode",
        auth="csrf",
        description="Your own session (an admin: any). Answered once Asterisk reports the "
        "new mode. " + _BRIDGE,
        body=SpyModeChange,
        body_required=True,
        replies=(Reply(200, "switched", SpyModeChanged),),
        errors=_ERRORS,
        permission="calls.spy",
    ),
    Route(
        "DELETE",
        "/api/v1/spy/{session}",
        "spy_stop",
        api.spy_stop,
        "End a listening session (hangs up your device's leg)",
        auth="csrf",
        description="Your own session (an admin: any). " + _BRIDGE,
        replies=(Reply(200, "ended", SpyEnded),),
        errors=_ERRORS,
        permission="calls.spy",
    ),
    Route(
        "POST",
        "/api/v1/queues/{queue}/callers/{caller}/take",
        "caller_take",
        api.caller_take,
        "Take a waiting caller on your own device (QD-2)",
        auth="csrf",
        description="A supervisor of the queue, or an admin. The caller leaves the queue "
        "(counted as transferred out, neither handled nor abandoned) and your device rings. "
        "A caller for whom an agent's phone is ringing leaves when it stops ringing: then "
        "504 not_confirmed, and the caller still comes. " + _BRIDGE,
        body=TakeCaller,
        replies=(Reply(200, "the caller left the queue for your device", CallerWithdrawn),),
        errors=_ERRORS,
        permission="callers.transfer",
    ),
    Route(
        "POST",
        "/api/v1/queues/{queue}/callers/{caller}/transfer",
        "caller_transfer",
        api.caller_transfer,
        "Blind-transfer a waiting caller to an agent or an extension (QD-2)",
        auth="csrf",
        description="A supervisor of the queue, or an admin. Either username (the agent's "
        "device rings) or extension (it must exist in the context standardiste-transfer). "
        "The caller leaves the queue for good: no return if unanswered. " + _BRIDGE,
        body=TransferCaller,
        body_required=True,
        replies=(Reply(200, "the caller left the queue for the target", CallerWithdrawn),),
        errors=_ERRORS,
        permission="callers.transfer",
    ),
)
