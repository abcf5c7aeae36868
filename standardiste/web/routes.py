"""The one registry of the JSON routes (``/api/...``, ``/healthz``, ``/readyz``, ``/metrics``).

Each entry says the method, path and name, the handler, who may call it, the model of its
body or query and of each answer, and the error statuses beyond those its access and input
imply. :func:`add_api_routes` registers exactly these on the app, and ``/api/openapi.json``
is generated from exactly these (:mod:`web.openapi`): a route cannot exist undocumented.
The HTML pages and static files are not here (:mod:`web.pages`).
"""

from __future__ import annotations

from aiohttp import web

from standardiste.web import api, health, live, metrics, recordings, ui_data
from standardiste.web.admin_routes import ADMIN_ROUTES
from standardiste.web.call_routes import CALL_ROUTES
from standardiste.web.campaign_routes import CAMPAIGN_ROUTES
from standardiste.web.canned_routes import CANNED_ROUTES
from standardiste.web.endpoint import Reply, Route, add_routes
from standardiste.web.openapi import openapi_json
from standardiste.web.queue_log_api import QUEUE_LOG_ROUTES
from standardiste.web.queue_report_routes import QUEUE_REPORT_ROUTES
from standardiste.web.report_routes import REPORT_ROUTES
from standardiste.web.schemas import (
    Activity,
    AgentAction,
    AgentActionResult,
    Alive,
    Calls,
    CallsQuery,
    HandleTimes,
    LiveClientMessage,
    LiveServerMessage,
    LoginRequest,
    Me,
    Overview,
    OverviewQuery,
    PauseAction,
    Preferences,
    Readiness,
)
from standardiste.web.security import LOGIN_ROUTE

_ACT_ON = (
    "Needs the permission workspace.use, and agents.control to act on someone else. "
    "An agent may act on themself only; a supervisor on the agents of the queues they "
    "supervise, in those queues (their pause is forced, recorded with by=<supervisor>); an "
    "admin on everyone. The bridge runs it and answers once Asterisk confirmed it; a bridge "
    "that does not answer within web.command_timeout: 504 command_timeout, and it is never "
    "run later."
)
_ACTION_ERRORS = (403, 404, 409, 503, 504)


def _agent_action(action: str, summary: str) -> Route:
    return Route(
        "POST",
        f"/api/v1/agents/{{username}}/{action}",
        f"agent_{action}",
        getattr(api, f"agent_{action}"),
        summary,
        auth="csrf",
        description=_ACT_ON,
        body=PauseAction if action == "pause" else AgentAction,
        body_required=action == "pause",
        replies=(Reply(200, "done, and confirmed by Asterisk", AgentActionResult),),
        errors=_ACTION_ERRORS,
        permission="workspace.use",
    )


ROUTES: tuple[Route, ...] = (
    Route(
        "POST",
        "/api/v1/session",
        LOGIN_ROUTE,
        api.login,
        "Log in",
        auth="public",
        description="Opens a server-side session (HttpOnly cookie with a random id) and "
        "returns the CSRF token. Attempts are limited (by default 5 per user name and "
        "address, 20 per account, 50 per address in 5 minutes): then 429 with Retry-After, "
        "even for the right password.",
        body=LoginRequest,
        body_required=True,
        replies=(Reply(200, "logged in", Me),),
        errors=(401, 429, 503),
    ),
    Route(
        "DELETE",
        "/api/v1/session",
        "logout",
        api.logout,
        "Log out",
        description="Ends the session server-side: the cookie is worth nothing after, and its "
        "websockets are closed with code 4001.",
        auth="csrf",
        replies=(Reply(204, "logged out"),),
    ),
    Route(
        "GET",
        "/api/v1/me",
        "me",
        api.me,
        "The logged-in user, their CSRF token and the pause reasons",
        auth="session",
        replies=(Reply(200, "the user", Me),),
    ),
    Route(
        "PATCH",
        "/api/v1/me",
        "update_me",
        api.update_me,
        "Change my own UI language and time zone",
        auth="csrf",
        description="Any logged-in user, on themself only. Pages rendered after it use the "
        "new language and time zone.",
        body=Preferences,
        replies=(Reply(200, "changed: the updated user", Me),),
    ),
    Route(
        "GET",
        "/api/v1/overview",
        "overview",
        api.get_overview,
        "The live state the user may see, with queue figures",
        auth="session",
        query=OverviewQuery,
        replies=(Reply(200, "the filtered overview", Overview),),
        errors=(403, 503),
        permission="live.view",
    ),
    _agent_action("login", "Log an agent into queues (AG-1, AG-2, SV-9)"),
    _agent_action("logout", "Log an agent out of queues"),
    _agent_action("pause", "Pause an agent with a reason"),
    _agent_action("resume", "Resume a paused agent"),
    Route(
        "GET",
        "/api/v1/me/activity",
        "my_activity",
        ui_data.my_activity,
        "My activity from the history (AG-5, AG-6) and my queues' handle times (AG-4)",
        auth="session",
        replies=(Reply(200, "activity", Activity),),
    ),
    Route(
        "GET",
        "/api/v1/handle-times",
        "handle_times",
        ui_data.visible_handle_times,
        "Average call duration today of the queues the user may see (SV-6)",
        auth="session",
        replies=(Reply(200, "queue -> handle time", HandleTimes),),
        permission="live.view",
    ),
    Route(
        "GET",
        "/api/v1/calls",
        "queue_calls",
        recordings.list_calls,
        "A queue's calls from the history, with their recordings (CF-2)",
        auth="session",
        description="A supervisor of the queue or an admin. `recording`: the call's recording "
        "is kept (the queue records, the call was answered, the retention has not deleted it); "
        "`can_play`: the user's role may play recordings.",
        query=CallsQuery,
        replies=(Reply(200, "the calls, newest first", Calls),),
        errors=(403,),
    ),
    Route(
        "GET",
        "/api/v1/recordings/{call_id}",
        "play_recording",
        recordings.play_recording,
        "A call's recording (WAV)",
        auth="session",
        description="call_id: the call's id (digits.digits). Needs the permission "
        "recordings.play (supervisors and admins by default) and a queue of the call the user "
        "supervises (an admin: any); a call of another queue, not recorded, or whose recording "
        "the retention deleted: 404. Byte ranges (Range) are answered with 206. Each playback "
        "from the start is written to the configuration audit (recording.play: who, which "
        "call).",
        replies=(
            Reply(200, "the recording", media_type=recordings.WAV),
            Reply(206, "the byte range asked for (Range)", media_type=recordings.WAV),
        ),
        errors=(400, 403, 404),
        permission="recordings.play",
    ),
    Route(
        "GET",
        "/api/v1/live",
        "live",
        live.live_handler,
        "Live feed (websocket)",
        auth="session",
        description="Origin must be the app's own or an allowed one. Server to client "
        "(x-server-messages): a snapshot (the Overview body), then changes batches, error, "
        "resync_required (then closed with 4000: reconnect); 4001 when the session ended. "
        'Client to server (x-client-messages): {"type": "subscribe", "queues": [...] | null}, '
        "answered by a fresh snapshot.",
        replies=(Reply(101, "switching protocols to a websocket"),),
        permission="live.view",
        extensions=(
            ("x-server-messages", LiveServerMessage),
            ("x-client-messages", LiveClientMessage),
        ),
    ),
    Route(
        "GET",
        "/api/openapi.json",
        "openapi",
        openapi_json,
        "This document",
        auth="public",
        replies=(Reply(200, "OpenAPI 3.1"),),
    ),
    Route(
        "GET",
        "/healthz",
        "healthz",
        health.healthz,
        "The process is alive",
        auth="public",
        replies=(Reply(200, "alive", Alive),),
    ),
    Route(
        "GET",
        "/readyz",
        "readyz",
        health.readyz,
        "AMI, Redis and the database are all reachable",
        auth="public",
        replies=(
            Reply(200, "ready", Readiness),
            Reply(503, "not ready: checks say what is down", Readiness),
        ),
    ),
    Route(
        "GET",
        "/metrics",
        "metrics",
        metrics.metrics,
        "Prometheus metrics of the bridge and of this web process",
        auth="metrics",
        description="With web.metrics_token set: Authorization: Bearer <token>; without it, "
        "loopback clients only.",
        replies=(Reply(200, "the exposition format", media_type=metrics.CONTENT_TYPE),),
    ),
)


ROUTES += CALL_ROUTES + CANNED_ROUTES + CAMPAIGN_ROUTES + ADMIN_ROUTES + REPORT_ROUTES
ROUTES += QUEUE_LOG_ROUTES + QUEUE_REPORT_ROUTES


def add_api_routes(app: web.Application) -> None:
    add_routes(app, ROUTES)


__all__ = ["ROUTES", "add_api_routes"]
