"""The OpenAPI 3.1 description of the API, written as data (``GET /api/openapi.json``).

A test checks that every route of the app is described here, and nothing else.
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from web.errors import STATUS_BY_CODE

_CSRF: list[dict[str, list[str]]] = [{"csrfToken": [], "session": []}]
_SESSION: list[dict[str, list[str]]] = [{"session": []}]


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*statuses: int) -> dict[str, Any]:
    codes_by_status: dict[int, list[str]] = {}
    for code, status in STATUS_BY_CODE.items():
        codes_by_status.setdefault(status, []).append(code)
    return {
        str(s): _json(_ref("Error"), "error codes: " + ", ".join(sorted(codes_by_status[s])))
        for s in statuses
    }


def _agent_action(summary: str, request_schema: str, description: str) -> dict[str, Any]:
    return {
        "post": {
            "summary": summary,
            "description": description,
            "security": _CSRF,
            "parameters": [
                {"name": "username", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "requestBody": {
                "required": False,
                "content": {
                    "application/json": {"schema": _ref(request_schema)},
                    "application/x-www-form-urlencoded": {"schema": _ref(request_schema)},
                },
            },
            "responses": {
                "200": _json(_ref("AgentActionResult"), "done, and confirmed by Asterisk"),
                **_errors(400, 401, 403, 404, 409, 503, 504),
            },
        }
    }


_PERMISSIONS = (
    "An agent may act on themself only; a supervisor on the agents of the queues they "
    "supervise, in those queues (their pause is forced, recorded with by=<supervisor>); an "
    "admin on everyone. `queues` null: the target's assigned queues for a log-in (within "
    "what the actor supervises), every queue the device is in otherwise (a supervisor: "
    "those they supervise). `device`: one of the target's devices (default: the first)."
)

_QUEUES = {"type": ["array", "null"], "items": {"type": "string"}}

SCHEMAS: dict[str, Any] = {
    "Error": {
        "type": "object",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["code", "message"],
                "properties": {
                    "code": {"type": "string", "enum": sorted(STATUS_BY_CODE)},
                    "message": {"type": "string"},
                },
            }
        },
    },
    "LoginRequest": {
        "type": "object",
        "required": ["username", "password"],
        "properties": {"username": {"type": "string"}, "password": {"type": "string"}},
    },
    "User": {
        "type": "object",
        "properties": {
            "username": {"type": "string"},
            "display_name": {"type": "string"},
            "email": {"type": "string"},
            "role": {"type": "string", "enum": ["agent", "supervisor", "admin"]},
            "language": {"type": "string", "enum": ["en", "fr", ""]},
            "time_zone": {"type": "string"},
            "devices": {"type": "array", "items": {"type": "string"}},
            "queues": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": {"type": "string"},
                        "role": {"type": "string", "enum": ["agent", "supervisor"]},
                    },
                },
            },
        },
    },
    "Me": {
        "type": "object",
        "required": ["user", "csrf_token"],
        "properties": {
            "user": _ref("User"),
            "csrf_token": {
                "type": "string",
                "description": "send as X-CSRF-Token (or form field csrf_token) on every "
                "POST/PUT/PATCH/DELETE",
            },
            "pause_reasons": {"type": "array", "items": {"type": "string"}},
        },
    },
    "Preferences": {
        "type": "object",
        "description": "Either field may be left out; unknown fields are refused.",
        "properties": {
            "language": {
                "type": "string",
                "enum": ["en", "fr", ""],
                "description": "the UI's language; empty: the browser's (Accept-Language)",
            },
            "timezone": {
                "type": "string",
                "description": "an IANA time zone key, e.g. Europe/Paris (time_zone is also "
                "accepted, as User spells it)",
            },
        },
    },
    "QueueFigures": {
        "type": "object",
        "properties": {
            "waiting": {"type": "integer"},
            "longest_wait": {"type": "number", "description": "seconds, at server_time"},
            "waiting_since": {"type": ["number", "null"]},
            "talking": {"type": "integer"},
            "agents_logged_in": {"type": "integer"},
            "agents_paused": {"type": "integer"},
            "agents_ready": {"type": "integer"},
            "agents_in_call": {"type": "integer"},
            "handled": {"type": "integer"},
            "abandoned": {"type": "integer"},
            "timed_out": {"type": "integer"},
            "total": {"type": "integer"},
            "pct_handled": {"type": ["number", "null"]},
            "pct_abandoned": {"type": ["number", "null"]},
            "pct_timed_out": {"type": ["number", "null"]},
            "updated_at": {"type": ["number", "null"]},
        },
    },
    "Overview": {
        "type": "object",
        "description": "Entities keyed as in the Redis mirror, filtered for the user; members "
        "carry presence and time_in_status. The websocket snapshot has the same body.",
        "properties": {
            "seq": {"type": "integer"},
            "server_time": {"type": "number"},
            "day": {"type": "string", "format": "date"},
            "state": {
                "type": "object",
                "properties": {
                    e: {"type": "object", "additionalProperties": {"type": "object"}}
                    for e in ("queue", "member", "caller", "call")
                },
            },
            "figures": {"type": "object", "additionalProperties": _ref("QueueFigures")},
            "users": {
                "type": "object",
                "description": "device -> its owner",
                "additionalProperties": {
                    "type": "object",
                    "properties": {
                        "username": {"type": "string"},
                        "display_name": {"type": "string"},
                    },
                },
            },
        },
    },
    "AgentAction": {
        "type": "object",
        "properties": {"queues": _QUEUES, "device": {"type": "string"}},
    },
    "PauseAction": {
        "type": "object",
        "required": ["reason"],
        "properties": {
            "reason": {"type": "string", "description": "one of pause_reasons"},
            "queues": _QUEUES,
            "device": {"type": "string"},
        },
    },
    "AgentActionResult": {
        "type": "object",
        "properties": {
            "username": {"type": "string"},
            "device": {"type": "string"},
            "action": {"type": "string", "enum": ["login", "logout", "pause", "resume"]},
            "queues": {"type": "array", "items": {"type": "string"}},
            "by": {"type": "string"},
            "forced": {"type": "boolean"},
        },
    },
    "Readiness": {
        "type": "object",
        "properties": {
            "ready": {"type": "boolean"},
            "checks": {
                "type": "object",
                "properties": {k: {"type": "boolean"} for k in ("ami", "redis", "database")},
            },
            "figures": {
                "type": "object",
                "description": "the bridge's measured figures: event queue depth and high "
                "water, events dropped, bad messages, resyncs, pending mirror writes, buffered "
                "history records",
            },
        },
    },
}

PATHS: dict[str, Any] = {
    "/api/v1/session": {
        "post": {
            "summary": "Log in",
            "description": "Opens a server-side session (HttpOnly cookie with a random id). "
            "Attempts are limited (by default 5 per user name and address, 20 per account, 50 "
            "per address in 5 minutes): then 429 with Retry-After, even for the right password.",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {"schema": _ref("LoginRequest")},
                    "application/x-www-form-urlencoded": {"schema": _ref("LoginRequest")},
                },
            },
            "responses": {"200": _json(_ref("Me"), "logged in"), **_errors(400, 401, 403, 429)},
        },
        "delete": {
            "summary": "Log out",
            "description": "Ends the session server-side: the cookie is worth nothing after, "
            "and its websockets are closed with code 4001.",
            "security": _CSRF,
            "responses": {"204": {"description": "logged out"}, **_errors(401, 403)},
        },
    },
    "/api/v1/me": {
        "get": {
            "summary": "The logged-in user, their CSRF token and the pause reasons",
            "security": _SESSION,
            "responses": {"200": _json(_ref("Me"), "the user"), **_errors(401)},
        },
        "patch": {
            "summary": "Change my own UI language and time zone",
            "description": "Any logged-in user, on themself only. Pages rendered after it "
            "use the new language and time zone.",
            "security": _CSRF,
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": _ref("Preferences")}},
            },
            "responses": {
                "200": _json(_ref("Me"), "changed: the updated user"),
                **_errors(400, 401, 403, 415),
            },
        },
    },
    "/api/v1/overview": {
        "get": {
            "summary": "The live state the user may see, with queue figures",
            "description": "Admin: everything. Supervisor: the queues they supervise in full. "
            "Agent: the queue records and figures of their queues, their own member rows and "
            "calls.",
            "security": _SESSION,
            "parameters": [
                {
                    "name": "queues",
                    "in": "query",
                    "required": False,
                    "description": "comma-separated queue names to narrow to",
                    "schema": {"type": "string"},
                }
            ],
            "responses": {
                "200": _json(_ref("Overview"), "the filtered overview"),
                **_errors(401, 403, 503),
            },
        }
    },
    "/api/v1/agents/{username}/login": _agent_action(
        "Log an agent into queues (AG-1, AG-2, SV-9)", "AgentAction", _PERMISSIONS
    ),
    "/api/v1/agents/{username}/logout": _agent_action(
        "Log an agent out of queues", "AgentAction", _PERMISSIONS
    ),
    "/api/v1/agents/{username}/pause": _agent_action(
        "Pause an agent with a reason", "PauseAction", _PERMISSIONS
    ),
    "/api/v1/agents/{username}/resume": _agent_action(
        "Resume a paused agent", "AgentAction", _PERMISSIONS
    ),
    "/api/v1/me/activity": {
        "get": {
            "summary": "My activity from the history (AG-5 today vs a reference day, AG-6 the "
            "week by day and type) and the average handle time of my queues",
            "security": _SESSION,
            "responses": {"200": {"description": "activity"}, **_errors(401)},
        }
    },
    "/api/v1/handle-times": {
        "get": {
            "summary": "Average call duration today of the queues the user may see (SV-6)",
            "security": _SESSION,
            "responses": {"200": {"description": "queue -> seconds"}, **_errors(401)},
        }
    },
    "/api/v1/live": {
        "get": {
            "summary": "Live feed (websocket)",
            "description": "Origin must be the app's own or an allowed one. Server to client: "
            "snapshot (the Overview body), changes ([entity, key, value|null], figures, "
            "users), error, resync_required (then closed with 4000: reconnect). Client to "
            'server: {"type": "subscribe", "queues": [...] | null}.',
            "security": _SESSION,
            "responses": {"101": {"description": "switching protocols"}, **_errors(401, 403)},
        }
    },
    "/api/openapi.json": {
        "get": {
            "summary": "This document",
            "responses": {"200": {"description": "OpenAPI 3.1"}},
        }
    },
    "/healthz": {
        "get": {
            "summary": "The process is alive",
            "responses": {"200": {"description": "alive"}},
        }
    },
    "/readyz": {
        "get": {
            "summary": "AMI, Redis and the database are all reachable",
            "responses": {
                "200": _json(_ref("Readiness"), "ready"),
                "503": _json(_ref("Readiness"), "not ready; checks say what is down"),
            },
        }
    },
}


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Standardiste",
            "version": "1",
            "description": "Contact center dashboards API. Errors: "
            '{"error": {"code", "message"}}, codes stable.',
        },
        "paths": PATHS,
        "components": {
            "schemas": SCHEMAS,
            "securitySchemes": {
                "session": {"type": "apiKey", "in": "cookie", "name": "standardiste_session"},
                "csrfToken": {"type": "apiKey", "in": "header", "name": "X-CSRF-Token"},
            },
        },
    }


async def openapi_json(request: web.Request) -> web.Response:
    return web.json_response(document())
