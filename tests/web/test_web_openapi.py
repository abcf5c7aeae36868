"""The OpenAPI document tells the truth: generated from the route registry that registers the
routes, valid OpenAPI 3.1, and every real answer of every route (called as an allowed user in
the web tests' setup) validates against the schema the document gives for its status,
checked with jsonschema, independently of the models that produced it."""

from __future__ import annotations

import dataclasses
import json
import typing
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, get_args

import jsonschema
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from openapi_spec_validator import validate as validate_openapi
from pydantic import BaseModel
from web_helpers import (
    ALICE_DEV,
    MISSED,
    PREVIEW,
    RECORDED_CALL,
    T0,
    Browser,
    FakeAgents,
    Knobs,
    Mirror,
    caller,
    error_code,
    preview_dial,
    wav_bytes,
)

from standardiste.account_tables import LANGUAGES, QUEUE_ROLES, ROLES
from standardiste.acd import state as acd_state
from standardiste.errors import CommandTimeout
from standardiste.web.admin_schemas import (
    CannedTextIn,
    ChatTagsIn,
    PauseReasonIn,
    PauseReasonUpdate,
    PermissionUpdate,
    QueueCreate,
    QueueUpdate,
    SkillIn,
    UserCreate,
    UserUpdate,
)
from standardiste.web.call_schemas import SpyModeChange, SpyStart, TakeCaller, TransferCaller
from standardiste.web.campaign_schemas import (
    AssignMissed,
    CampaignCreate,
    CampaignSettingsIn,
    ContactIn,
    DncAdd,
    PreviewAction,
)
from standardiste.web.canned_schemas import CannedAudioUpdate, CannedPlay
from standardiste.web.deps import Health
from standardiste.web.endpoint import Reply, Route, add_routes, read_model, respond
from standardiste.web.errors import error_middleware
from standardiste.web.openapi import document
from standardiste.web.routes import ROUTES
from standardiste.web.schemas import (
    AgentAction,
    CallerRow,
    CallRow,
    Counters,
    Language,
    LoginRequest,
    MemberRow,
    PauseAction,
    Preferences,
    QueueRole,
    QueueRow,
    Role,
)

Login = Callable[[str], Awaitable[Browser]]
DOC = document(ROUTES)
JSON_PATHS = ("/api/", "/healthz", "/readyz", "/metrics")


def schema_of(doc: dict[str, Any], schema: dict[str, Any]) -> jsonschema.Draft202012Validator:
    """A validator of ``schema`` (a $ref into the document's components, usually)."""
    return jsonschema.Draft202012Validator({**schema, "components": doc["components"]})


def documented(route: Route, status: int, media: str = "application/json") -> dict[str, Any]:
    """The schema the document gives for ``route`` answering ``status``."""
    responses = DOC["paths"][route.path][route.method.lower()]["responses"]
    assert str(status) in responses, f"{route.method} {route.path} answered undocumented {status}"
    schema: dict[str, Any] = responses[str(status)]["content"][media]["schema"]
    return schema


def check_body(route: Route, status: int, body: Any) -> None:
    errors = sorted(schema_of(DOC, documented(route, status)).iter_errors(body), key=str)
    assert not errors, f"{route.name} {status}: " + "; ".join(e.message for e in errors[:5])


# -------------------------------------------------------------------- the document
async def test_every_route_is_documented_with_its_method(
    make_app: Callable[[], web.Application], browser: Callable[[], Browser]
) -> None:
    app = make_app()
    registered = {
        (r.resource.canonical, r.method.lower())
        for r in app.router.routes()
        if r.method != "HEAD" and r.resource is not None
    }
    described = {(path, method) for path, ops in DOC["paths"].items() for method in ops}
    json_routes = {(p, m) for p, m in registered if p.startswith(JSON_PATHS)}
    assert json_routes == described, json_routes ^ described
    for path in ("/api/v1/me", "/api/v1/live", "/healthz", "/readyz", "/api/openapi.json"):
        assert any(p == path for p, _ in described), path
    # What the app serves is that document.
    b = browser()
    assert (await b.request("HEAD", "/healthz")).status == 200  # GET routes answer HEAD too
    served = await b.get("/api/openapi.json")
    assert served.status == 200
    assert await served.json() == json.loads(json.dumps(DOC))


def test_the_document_is_valid_openapi_3_1() -> None:
    assert DOC["openapi"] == "3.1.0"
    validate_openapi(DOC)  # openapi-spec-validator: structure, $refs, schemas (3.1 dialect)
    for path, ops in DOC["paths"].items():
        for method, op in ops.items():
            assert op["summary"] and op["operationId"], (method, path)
            for status, response in op["responses"].items():
                for content in response.get("content", {}).values():
                    jsonschema.Draft202012Validator.check_schema(content["schema"])
                assert response["description"], (method, path, status)


def test_state_changing_routes_document_the_csrf_token() -> None:
    for route in ROUTES:
        op = DOC["paths"][route.path][route.method.lower()]
        if route.method != "GET" and route.auth != "public":
            assert op["security"] == [{"session": [], "csrfToken": []}], route.name
            assert "403" in op["responses"] and "401" in op["responses"]
        if route.body is not None:
            assert {"400", "413", "415"} <= op["responses"].keys(), route.name


# -------------------------------------------------------------------- the contract
@dataclass(frozen=True)
class Call:
    user: str | None  # logged in as; None: no session
    path: str | None = None  # when the route's path has parameters
    body: Any = None
    query: str = ""
    status: int = 200
    file: bytes | None = None  # a file body (with its media type)
    media_type: str = "audio/wav"
    # Live state the call needs beyond base_state: (entity, key, value) put in the mirror.
    live: tuple[tuple[str, str, Any], ...] = ()


# One call per route, as a user allowed to make it. A route added to the registry without
# its call here fails test_every_route_has_a_contract_call.
CALLS: dict[str, Call] = {
    "login": Call(None, body={"username": "sue", "password": "correct horse battery"}),
    "logout": Call("alice", status=204),
    "me": Call("alice"),
    "update_me": Call("bob", body={"language": "fr", "timezone": "Europe/Paris"}),
    "overview": Call("sue", query="?queues=sales"),
    "agent_login": Call("sue", "/api/v1/agents/carol/login", {"queues": ["sales"]}),
    "agent_logout": Call("alice", "/api/v1/agents/alice/logout", {"device": ALICE_DEV}),
    "agent_pause": Call("ada", "/api/v1/agents/bob/pause", {"reason": "lunch"}),
    "agent_resume": Call("alice", "/api/v1/agents/alice/resume", {}),
    "my_activity": Call("carol"),
    "handle_times": Call("sue"),
    "queue_calls": Call("sue", query="?queue=sales&date=2023-11-14"),
    "report_queues": Call("sue", query="?from=2023-11-13&to=2023-11-14&tz=Europe/Paris"),
    "report_queues_missed": Call("sam", query="?from=2023-11-14&to=2023-11-14&day=2023-11-14"),
    "play_recording": Call("sue", f"/api/v1/recordings/{RECORDED_CALL}"),
    "agent_spy": Call("sue", "/api/v1/agents/alice/spy", {"mode": "listen"}),
    "spy_mode": Call("sue", "/api/v1/spy/1700000000.9/mode", {"mode": "barge"}),
    "spy_stop": Call("sue", "/api/v1/spy/1700000000.9"),
    "caller_take": Call("sue", "/api/v1/queues/sales/callers/c1/take", {}),
    "caller_transfer": Call(
        "sue", "/api/v1/queues/sales/callers/c1/transfer", {"extension": "1002"}
    ),
    "canned_audio": Call("alice"),
    "canned_audio_play": Call("alice", "/api/v1/canned-audio/1/play", {}),
    "canned_audio_stop": Call("alice", "/api/v1/canned-audio/playing/1700000000.77"),
    "live": Call("sue"),  # the websocket: test_websocket_messages_follow_the_document
    "openapi": Call(None),
    "healthz": Call(None),
    "readyz": Call(None),
    "metrics": Call(None),  # a loopback client
    # The admin section (tests/web/test_web_admin.py checks what each does and who may).
    "admin_summary": Call("ada"),
    "admin_queues": Call("sue"),
    "admin_queue_create": Call("ada", body={"name": "billing", "extension": "5002"}, status=201),
    "admin_queue": Call("ada", "/api/v1/admin/queues/sales"),
    "admin_queue_update": Call("ada", "/api/v1/admin/queues/sales", {"weight": 5}),
    "admin_queue_delete": Call("ada", "/api/v1/admin/queues/support", status=204),
    "admin_reconcile": Call("ada", body={}),
    "admin_users": Call("sue"),
    "admin_user_create": Call("ada", body={"username": "zoe", "role": "agent"}, status=201),
    "admin_user": Call("ada", "/api/v1/admin/users/alice"),
    "admin_user_update": Call("ada", "/api/v1/admin/users/bob", {"display_name": "Bob B."}),
    "admin_devices": Call("ada"),
    "admin_permissions": Call("sue"),
    "admin_permissions_update": Call(
        "ada", "/api/v1/admin/permissions/agent", {"permissions": ["live.view", "workspace.use"]}
    ),
    "admin_skills": Call("ada"),
    "admin_skill_save": Call("ada", body={"name": "spanish", "display_name": "Spanish"}),
    "admin_skill_delete": Call("ada", "/api/v1/admin/skills/german", status=204),
    "admin_pause_reasons": Call("sue"),
    "admin_pause_reason_create": Call(
        "ada",
        body={"code": "coaching", "label_en": "Coaching", "label_fr": "Coaching"},
        status=201,
    ),
    "admin_pause_reason_update": Call(
        "ada", "/api/v1/admin/pause-reasons/lunch", {"label_fr": "Repas"}
    ),
    "admin_canned_texts": Call("ada"),
    "admin_canned_text_create": Call(
        "ada", body={"title": "Bye", "body": "Goodbye!", "language": "en"}, status=201
    ),
    "admin_canned_text_update": Call(
        "ada", "/api/v1/admin/canned-texts/1", {"title": "Hi", "body": "Hi there!"}
    ),
    "admin_canned_text_delete": Call("ada", "/api/v1/admin/canned-texts/1", status=204),
    "admin_canned_audio": Call("sue"),
    "admin_canned_audio_upload": Call(
        "ada", query="?name=Goodbye&language=fr", file=wav_bytes(seconds=1.0), status=201
    ),
    "admin_canned_audio_update": Call("ada", "/api/v1/admin/canned-audio/1", {"name": "Wait"}),
    "admin_canned_audio_delete": Call("ada", "/api/v1/admin/canned-audio/1", status=204),
    "admin_canned_audio_sound": Call("sue", "/api/v1/admin/canned-audio/1/audio"),
    "admin_chat_tags": Call("ada"),
    "admin_chat_tags_update": Call("ada", body={"tags": ["vip", "complaint"]}),
    "admin_audit": Call("ada", query="?limit=10"),
    "admin_spy_log": Call("ada", query="?limit=10"),
    "admin_canned_log": Call("ada", query="?limit=10"),
    "reports_queue_log": Call("ada", query="?from=2023-11-14&to=2023-11-15"),
    # Campaigns (tests/web/test_web_campaigns.py checks what each does and who may).
    "campaigns": Call("sue"),
    "campaign_create": Call("ada", body={"name": "spring", "queue": "sales"}, status=201),
    "campaign": Call("sue", "/api/v1/campaigns/winter"),
    "campaign_update": Call("ada", "/api/v1/campaigns/winter", {"queue": "sales"}),
    "campaign_delete": Call("ada", "/api/v1/campaigns/help", status=204),
    "campaign_pause": Call("sue", "/api/v1/campaigns/winter/pause"),
    "campaign_resume": Call("sue", "/api/v1/campaigns/winter/resume"),
    "campaign_contacts": Call("sue", "/api/v1/campaigns/winter/contacts", query="?status=all"),
    "campaign_contact_add": Call(
        "sue", "/api/v1/campaigns/winter/contacts", {"number": "0612345699"}, status=201
    ),
    "campaign_contact_remove": Call("sue", "/api/v1/campaigns/winter/contacts/1", status=204),
    "campaign_import": Call(
        "sue",
        "/api/v1/campaigns/winter/imports",
        query="?filename=a.csv",
        file=b"number\n0612345698\n12\n",
        media_type="text/csv",
        status=202,
    ),
    "campaign_import_status": Call("sue", "/api/v1/campaigns/winter/imports/1"),
    "campaign_preview_dial": Call(
        "alice",
        "/api/v1/campaigns/winter/dial",
        {"attempt": PREVIEW},
        live=(("dial", PREVIEW, preview_dial()),),
    ),
    "campaign_preview_skip": Call(
        "alice",
        "/api/v1/campaigns/winter/skip",
        {"attempt": PREVIEW},
        live=(("dial", PREVIEW, preview_dial()),),
    ),
    "missed_calls": Call("sam", query="?sort=wait&order=asc"),
    "missed_calls_assign": Call("sam", body={"campaign": "help", "calls": [MISSED[0]]}),
    "report_agents": Call("ada", query="?from=2023-11-14&to=2023-11-14&hours=8-18"),
    "report_agent_timeline": Call(
        "ada",
        "/api/v1/reports/agents/PJSIP%2Fagent1001/timeline",
        query="?from=2023-11-14&to=2023-11-14",
    ),
    "dnc_numbers": Call("sue"),
    "dnc_add": Call("sue", body={"numbers": ["0612345601"]}),
    "dnc_import": Call(
        "sue", query="?scope=winter", file=b"number\n0612345601\nabc\n", media_type="text/csv"
    ),
}


def test_every_route_has_a_contract_call() -> None:
    assert set(CALLS) == {route.name for route in ROUTES}


async def _call(b: Browser, route: Route, call: Call) -> Any:
    path = (call.path or route.path) + call.query
    if call.file is not None:
        headers = {"Content-Type": call.media_type}
        return await b.request(route.method, path, data=call.file, headers=headers)
    return await b.request(route.method, path, call.body)


@pytest.mark.parametrize("route", [r for r in ROUTES if r.name != "live"], ids=lambda r: r.name)
@pytest.mark.usefixtures("recorded_call")
async def test_each_answer_is_what_the_document_says(
    browser: Callable[[], Browser], logged_in: Login, route: Route, mirror: Mirror
) -> None:
    call = CALLS[route.name]
    for entity, key, value in call.live:
        await mirror.change(entity, key, value)  # type: ignore[arg-type]
    b = await logged_in(call.user) if call.user else browser()
    resp = await _call(b, route, call)
    assert resp.status == call.status, await resp.text()
    reply = next(r for r in route.replies if r.status == resp.status)
    if reply.status in (101, 204):
        assert await resp.read() == b""
        return
    assert resp.headers["Content-Type"].split(";")[0] == reply.media_type.split(";")[0]
    if reply.model is not None:
        body = await resp.json()
        check_body(route, resp.status, body)
        # Not vacuous: the documented schema refuses a body missing a required field.
        schema = schema_of(DOC, documented(route, resp.status))
        assert not schema.is_valid({"unexpected": True})


async def test_not_ready_is_documented_too(browser: Callable[[], Browser], knobs: Knobs) -> None:
    knobs.health = Health(ami=False, redis=True, database=True, figures={"resyncs": 2})
    resp = await browser().get("/readyz")
    assert resp.status == 503
    check_body(next(r for r in ROUTES if r.name == "readyz"), 503, await resp.json())


@pytest.mark.parametrize(
    "route", [r for r in ROUTES if r.auth in ("session", "csrf")], ids=lambda r: r.name
)
async def test_without_a_session_each_route_answers_a_documented_401(
    browser: Callable[[], Browser], route: Route
) -> None:
    call = CALLS[route.name]
    resp = await _call(browser(), route, call)
    assert await error_code(resp) == (401, "unauthenticated")
    check_body(route, 401, await resp.json())


async def test_use_case_errors_are_documented(
    logged_in: Login, agents: FakeAgents, browser: Callable[[], Browser]
) -> None:
    agents.fail_with = CommandTimeout("the bridge did not answer in time")
    route = next(r for r in ROUTES if r.name == "agent_pause")
    resp = await _call(await logged_in("ada"), route, CALLS["agent_pause"])
    assert await error_code(resp) == (504, "command_timeout")
    check_body(route, 504, await resp.json())
    wrong = await browser().login("sue", "not the password")
    login = next(r for r in ROUTES if r.name == "login")
    check_body(login, 401, await wrong.json())


async def test_websocket_messages_follow_the_document(logged_in: Login, mirror: Mirror) -> None:
    op = DOC["paths"]["/api/v1/live"]["get"]
    server = schema_of(DOC, op["x-server-messages"])
    client = schema_of(DOC, op["x-client-messages"])
    ws = await (await logged_in("sue")).live()
    seen = []

    async def receive() -> dict[str, Any]:
        message: dict[str, Any] = await ws.receive_json(timeout=5)
        errors = [e.message for e in server.iter_errors(message)]
        assert not errors, (message.get("type"), errors[:5])
        seen.append(message["type"])
        return message

    assert (await receive())["type"] == "snapshot"
    await mirror.change("caller", "c8", caller("c8", "sales", T0))
    assert (await receive())["type"] == "changes"
    for sent in ({"type": "subscribe", "queues": ["sales"]}, {"type": "subscribe"}):
        assert client.is_valid(sent)
        await ws.send_json(sent)
        assert (await receive())["type"] == "snapshot"
    for bad in ({"type": "subscribe", "queues": ["billing"]}, {"type": "hello"}):
        await ws.send_json(bad)
        assert (await receive())["type"] == "error"
    # A subscribe is read through the documented model: a bad field is named.
    await ws.send_json({"type": "subscribe", "queues": ["sales", 3]})
    assert (await receive())["error"] == {
        "code": "invalid_input",
        "message": "field queues[1] must be a string",
    }
    assert not client.is_valid({"type": "hello"})
    assert not client.is_valid({"type": "subscribe", "queues": ["a b"]})
    assert not server.is_valid({"type": "snapshot"})  # not vacuous
    assert seen == ["snapshot", "changes", "snapshot", "snapshot", "error", "error", "error"]
    await ws.close()


# -------------------------------------------------------------------- malformed input
# A valid body of each request model; each test below breaks one field of it.
VALID: dict[type[BaseModel], tuple[str, str, dict[str, Any]]] = {
    LoginRequest: ("sue", "/api/v1/session", {"username": "sue", "password": "x"}),
    AgentAction: ("alice", "/api/v1/agents/alice/login", {"queues": ["sales"]}),
    PauseAction: ("alice", "/api/v1/agents/alice/pause", {"reason": "lunch"}),
    Preferences: ("bob", "/api/v1/me", {"language": "fr"}),
    QueueCreate: ("ada", "/api/v1/admin/queues", {"name": "billing", "extension": "5002"}),
    QueueUpdate: ("ada", "/api/v1/admin/queues/sales", {"weight": 3}),
    UserCreate: ("ada", "/api/v1/admin/users", {"username": "zoe"}),
    UserUpdate: ("ada", "/api/v1/admin/users/bob", {"display_name": "B"}),
    PermissionUpdate: ("ada", "/api/v1/admin/permissions/agent", {"permissions": ["live.view"]}),
    SkillIn: ("ada", "/api/v1/admin/skills", {"name": "x1", "display_name": "X"}),
    PauseReasonIn: (
        "ada",
        "/api/v1/admin/pause-reasons",
        {"code": "c1", "label_en": "C", "label_fr": "C"},
    ),
    PauseReasonUpdate: ("ada", "/api/v1/admin/pause-reasons/lunch", {"label_en": "L"}),
    CannedTextIn: ("ada", "/api/v1/admin/canned-texts", {"title": "T", "body": "B"}),
    ChatTagsIn: ("ada", "/api/v1/admin/chat-tags", {"tags": ["a"]}),
    SpyStart: ("sue", "/api/v1/agents/alice/spy", {"mode": "listen"}),
    SpyModeChange: ("sue", "/api/v1/spy/1700000000.9/mode", {"mode": "barge"}),
    TakeCaller: ("sue", "/api/v1/queues/sales/callers/c1/take", {"device": "PJSIP/sup2001"}),
    TransferCaller: ("sue", "/api/v1/queues/sales/callers/c1/transfer", {"extension": "1002"}),
    CannedAudioUpdate: ("ada", "/api/v1/admin/canned-audio/1", {"name": "Wait"}),
    CannedPlay: ("alice", "/api/v1/canned-audio/1/play", {"call": "1700000000.5"}),
    CampaignCreate: ("ada", "/api/v1/campaigns", {"name": "spring", "queue": "sales"}),
    CampaignSettingsIn: ("ada", "/api/v1/campaigns/winter", {"queue": "sales"}),
    ContactIn: ("sue", "/api/v1/campaigns/winter/contacts", {"number": "0612345699"}),
    AssignMissed: ("sam", "/api/v1/missed-calls/assign", {"campaign": "help", "calls": ["1.2"]}),
    DncAdd: ("sue", "/api/v1/dnc", {"numbers": ["0612345601"]}),
    PreviewAction: ("alice", "/api/v1/campaigns/winter/dial", {"attempt": "a1"}),
}
FIELDS = [
    (model, name)
    for model in VALID
    for name in model.model_fields
    if not (model is AgentAction and name == "device")  # checked through PauseAction
]


def test_every_request_model_has_a_valid_body_here() -> None:
    assert {r.body for r in ROUTES if r.body is not None} == set(VALID)


def _method(model: type[BaseModel]) -> str:
    return next(r.method for r in ROUTES if r.body is model)


def _accepted(model: type[BaseModel], body: dict[str, Any]) -> bool:
    try:
        model.model_validate(body)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize(("model", "name"), FIELDS, ids=lambda v: getattr(v, "__name__", v))
async def test_a_field_of_the_wrong_type_is_a_400_naming_it(
    logged_in: Login, agents: FakeAgents, model: type[BaseModel], name: str
) -> None:
    user, path, valid = VALID[model]
    b = await logged_in(user)
    for wrong in ({"an": "object"}, 12, [["nested"]]):
        if _accepted(model, {**valid, name: wrong}):
            continue  # 12 for a number field
        resp = await b.request(_method(model), path, {**valid, name: wrong})
        assert await error_code(resp) == (400, "invalid_input"), (name, wrong)
        message = (await resp.json())["error"]["message"]
        assert message.startswith(f"field {name}"), message
    assert agents.calls == []


@pytest.mark.parametrize(
    ("model", "name"),
    [(m, n) for m, n in FIELDS if m.model_fields[n].is_required()],
    ids=lambda v: getattr(v, "__name__", v),
)
async def test_a_missing_required_field_is_a_400_naming_it(
    logged_in: Login, agents: FakeAgents, model: type[BaseModel], name: str
) -> None:
    user, path, valid = VALID[model]
    b = await logged_in(user)
    resp = await b.request(_method(model), path, {k: v for k, v in valid.items() if k != name})
    assert await error_code(resp) == (400, "invalid_input")
    assert (await resp.json())["error"]["message"] == f"field {name} is required"
    assert agents.calls == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"reason": ""}, "field reason must not be empty"),
        ({"reason": "x" * 65}, "field reason is longer than 64 characters"),
        ({"reason": "lunch", "queues": "sales"}, "field queues must be a list"),
        ({"reason": "lunch", "queues": ["sales", 3]}, "field queues[1] must be a string"),
        (
            {"reason": "lunch", "queues": ["sales\nAction: Command"]},
            "field queues[0]: 'sales\\nAction: Command' is not a queue name (letters, digits,"
            " _ . -)",
        ),
        ({"reason": "lunch", "queues": ["q"] * 201}, "field queues has more than 200 items"),
        ({"reason": "lunch", "device": ""}, "field device must not be empty"),
        (
            {"reason": 5, "device": 7},
            "field device must be a string; field reason must be a string",
        ),
    ],
)
async def test_messages_say_what_is_wrong(
    logged_in: Login, agents: FakeAgents, body: dict[str, Any], message: str
) -> None:
    resp = await (await logged_in("alice")).post("/api/v1/agents/alice/pause", body)
    assert await error_code(resp) == (400, "invalid_input")
    assert (await resp.json())["error"]["message"] == message
    assert agents.calls == []


async def test_preferences_messages(logged_in: Login) -> None:
    b = await logged_in("bob")
    cases = {
        "language": ("de", "field language must be 'en', 'fr' or ''"),
        "timezone": ("Mars/Olympus", "field timezone: 'Mars/Olympus' is not an IANA time zone"),
        "time_zone": (None, "field time_zone must be a string"),
        "role": ("admin", "field role is not accepted here"),
    }
    for name, (value, expected) in cases.items():
        resp = await b.request("PATCH", "/api/v1/me", {name: value})
        assert await error_code(resp) == (400, "invalid_input")
        assert (await resp.json())["error"]["message"].startswith(expected)


async def test_a_form_is_read_through_the_same_model(logged_in: Login, agents: FakeAgents) -> None:
    alice = await logged_in("alice")
    resp = await alice.post("/api/v1/agents/alice/pause", data={"reason": "x" * 65})
    assert (await resp.json())["error"]["message"] == "field reason is longer than 64 characters"
    ok = await alice.post("/api/v1/agents/alice/pause", data={"reason": "lunch"})
    assert ok.status == 200 and agents.calls[0][3] == "lunch"


# -------------------------------------------------------------------- the binding
async def test_a_handler_cannot_read_or_answer_an_undocumented_model() -> None:
    async def reads_wrong(request: web.Request) -> web.Response:
        await read_model(request, PauseAction)
        return web.Response()

    async def answers_wrong(request: web.Request) -> web.Response:
        return respond(request, Counters())

    app = web.Application(middlewares=[error_middleware])
    add_routes(
        app,
        [
            Route("POST", "/a", "a", reads_wrong, "a", "public", (), body=AgentAction),
            Route("GET", "/b", "b", answers_wrong, "b", "public", (Reply(200, "b", QueueRow),)),
        ],
    )
    async with TestServer(app) as srv:
        b = Browser(srv)
        try:
            assert await error_code(await b.post("/a", {})) == (500, "internal_error")
            assert await error_code(await b.get("/b")) == (500, "internal_error")
        finally:
            await b.close()


# -------------------------------------------------------------------- one definition
@pytest.mark.parametrize(
    ("entity", "row"),
    [
        (acd_state.Queue, QueueRow),
        (acd_state.Counters, Counters),
        (acd_state.Member, MemberRow),
        (acd_state.Caller, CallerRow),
        (acd_state.Call, CallRow),
    ],
)
def test_rows_have_the_fields_the_bridge_writes(entity: type, row: type[BaseModel]) -> None:
    hints = typing.get_type_hints(entity)
    for f in dataclasses.fields(entity):
        assert f.name in row.model_fields, f"{row.__name__} lacks {f.name}"
        annotation = row.model_fields[f.name].annotation
        expected = Counters if hints[f.name] is acd_state.Counters else hints[f.name]
        assert annotation == expected, (f.name, annotation, expected)


def test_enumerations_are_the_databases() -> None:
    assert set(get_args(Language)) == set(LANGUAGES)
    assert set(get_args(Role)) == set(ROLES)
    assert set(get_args(QueueRole)) == set(QUEUE_ROLES)
