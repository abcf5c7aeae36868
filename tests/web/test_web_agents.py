"""POST /api/v1/agents/{username}/{login,logout,pause,resume}: who may act on whom, where,
with which device, and how use-case errors come out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from web_helpers import ALICE_DESK, ALICE_DEV, BOB_DEV, CAROL_DEV, Browser, FakeAgents, error_code

from standardiste.agent_state import Actor
from standardiste.errors import (
    AsteriskRefused,
    InvalidInput,
    NotConfirmed,
    PbxUnavailable,
    StandardisteError,
    UnknownQueue,
)

Login = Callable[[str], Awaitable[Browser]]


async def act(b: Browser, who: str, action: str, body: Any = None) -> dict[str, Any]:
    resp = await b.post(f"/api/v1/agents/{who}/{action}", body if body is not None else {})
    assert resp.status == 200, await resp.text()
    data: dict[str, Any] = await resp.json()
    return data


# -------------------------------------------------------------------- agents on themselves
async def test_agent_pauses_themself(logged_in: Login, agents: FakeAgents) -> None:
    result = await act(await logged_in("alice"), "alice", "pause", {"reason": "lunch"})
    assert agents.calls == [("pause", ALICE_DEV, None, "lunch", Actor("alice", False))]
    assert result == {
        "username": "alice",
        "device": ALICE_DEV,
        "action": "pause",
        "queues": ["<all>"],
        "by": "alice",
        "forced": False,
    }


async def test_agent_logs_into_their_assigned_queues(logged_in: Login, agents: FakeAgents) -> (
    None
):  # fmt: skip
    carol = await logged_in("carol")
    await act(carol, "carol", "login")
    await act(carol, "carol", "login", {"queues": ["support"]})
    assert agents.calls == [
        ("login", CAROL_DEV, ["sales", "support"], "Carol", Actor("carol", False)),
        ("login", CAROL_DEV, ["support"], "Carol", Actor("carol", False)),
    ]


async def test_agent_chooses_one_of_their_devices(logged_in: Login, agents: FakeAgents) -> None:
    alice = await logged_in("alice")
    assert (await act(alice, "alice", "logout", {"device": ALICE_DESK}))["device"] == ALICE_DESK
    resp = await alice.post("/api/v1/agents/alice/logout", {"device": BOB_DEV})
    assert await error_code(resp) == (400, "invalid_input")
    assert [c[1] for c in agents.calls] == [ALICE_DESK]


async def test_agent_cannot_act_on_another_agent(logged_in: Login, agents: FakeAgents) -> None:
    alice = await logged_in("alice")
    for action in ("login", "logout", "pause", "resume"):
        resp = await alice.post(f"/api/v1/agents/bob/{action}", {"reason": "lunch"})
        assert await error_code(resp) == (403, "forbidden")
    # Whether a user exists is not an agent's to learn either.
    assert await error_code(await alice.post("/api/v1/agents/nobody/resume", {})) == (
        403,
        "forbidden",
    )
    assert agents.calls == []


async def test_agent_cannot_log_into_a_queue_not_theirs(
    logged_in: Login, agents: FakeAgents
) -> None:
    alice = await logged_in("alice")
    resp = await alice.post("/api/v1/agents/alice/login", {"queues": ["support"]})
    assert await error_code(resp) == (403, "forbidden")
    assert agents.calls == []


async def test_user_without_a_device(logged_in: Login, agents: FakeAgents) -> None:
    resp = await (await logged_in("dave")).post("/api/v1/agents/dave/login", {})
    assert await error_code(resp) == (400, "invalid_input")
    assert agents.calls == []


# -------------------------------------------------------------------- supervisors
async def test_supervisor_pause_is_forced_and_limited_to_their_queues(
    logged_in: Login, agents: FakeAgents
) -> None:
    sue = await logged_in("sue")
    result = await act(sue, "carol", "pause", {"reason": "meeting"})
    # carol is in sales and support; sue supervises sales only.
    assert agents.calls == [("pause", CAROL_DEV, ["sales"], "meeting", Actor("sue", True))]
    assert (result["by"], result["forced"]) == ("sue", True)


async def test_supervisor_cannot_act_in_a_queue_they_do_not_supervise(
    logged_in: Login, agents: FakeAgents
) -> None:
    sue = await logged_in("sue")
    for action in ("login", "logout", "pause", "resume"):
        resp = await sue.post(
            f"/api/v1/agents/carol/{action}", {"queues": ["support"], "reason": "lunch"}
        )
        assert await error_code(resp) == (403, "forbidden")
    assert agents.calls == []


async def test_supervisor_cannot_act_on_agents_of_other_queues(
    logged_in: Login, agents: FakeAgents
) -> None:
    resp = await (await logged_in("sue")).post("/api/v1/agents/bob/pause", {"reason": "lunch"})
    assert await error_code(resp) == (403, "forbidden")
    assert agents.calls == []


async def test_supervisor_on_an_unknown_user(logged_in: Login) -> None:
    resp = await (await logged_in("sue")).post("/api/v1/agents/nobody/resume", {})
    assert await error_code(resp) == (404, "unknown_user")


async def test_supervisor_logs_an_agent_into_the_queues_they_share(
    logged_in: Login, agents: FakeAgents
) -> None:
    sue = await logged_in("sue")
    await act(sue, "carol", "login")
    await act(sue, "alice", "resume")
    await act(sue, "alice", "logout", {"queues": ["sales"]})
    assert agents.calls == [
        ("login", CAROL_DEV, ["sales"], "Carol", Actor("sue", True)),
        ("resume", ALICE_DEV, ["sales"], None, Actor("sue", True)),
        ("logout", ALICE_DEV, ["sales"], None, Actor("sue", True)),
    ]


async def test_supervisor_who_is_agent_elsewhere(logged_in: Login, agents: FakeAgents) -> None:
    sam = await logged_in("sam")  # supervises support, agent in sales
    await act(sam, "carol", "pause", {"reason": "lunch"})
    assert agents.calls == [("pause", CAROL_DEV, ["support"], "lunch", Actor("sam", True))]
    resp = await sam.post("/api/v1/agents/alice/pause", {"reason": "lunch"})
    assert await error_code(resp) == (403, "forbidden")  # a fellow agent of sales


# -------------------------------------------------------------------- admins
async def test_admin_acts_on_anyone_anywhere(logged_in: Login, agents: FakeAgents) -> None:
    ada = await logged_in("ada")
    await act(ada, "bob", "pause", {"reason": "training"})
    await act(ada, "bob", "login")
    await act(ada, "carol", "logout", {"queues": ["support"]})
    assert agents.calls == [
        ("pause", BOB_DEV, None, "training", Actor("ada", True)),
        ("login", BOB_DEV, ["support"], "Bob", Actor("ada", True)),
        ("logout", CAROL_DEV, ["support"], None, Actor("ada", True)),
    ]


# -------------------------------------------------------------------- requests
async def test_no_session_is_401(browser: Callable[[], Browser]) -> None:
    resp = await browser().post("/api/v1/agents/alice/pause", {"reason": "lunch"})
    assert await error_code(resp) == (401, "unauthenticated")


async def test_bad_or_missing_csrf_token_is_403(logged_in: Login, agents: FakeAgents) -> None:
    alice = await logged_in("alice")
    for token in ("forged", ""):
        resp = await alice.post("/api/v1/agents/alice/resume", {}, csrf=token)
        assert await error_code(resp) == (403, "csrf_failed")
    assert agents.calls == []


async def test_html_form_with_the_hidden_csrf_field(logged_in: Login, agents: FakeAgents) -> None:
    alice = await logged_in("alice")
    form = {"reason": "lunch", "csrf_token": alice.csrf, "queues": "sales"}
    resp = await alice.post("/api/v1/agents/alice/pause", csrf="", data=form)
    assert resp.status == 200, await resp.text()
    assert agents.calls == [("pause", ALICE_DEV, ["sales"], "lunch", Actor("alice", False))]
    form["csrf_token"] = "forged"
    resp = await alice.post("/api/v1/agents/alice/pause", csrf="", data=form)
    assert await error_code(resp) == (403, "csrf_failed")


@pytest.mark.parametrize(
    "body",
    [
        {},  # no reason
        {"reason": 5},
        {"reason": "lunch", "queues": "sales"},
        {"reason": "lunch", "queues": ["sales", 3]},
        {"reason": "lunch", "queues": ["sales\nAction: Command"]},
        {"reason": "lunch", "device": 1001},
        ["lunch"],
    ],
)
async def test_bad_bodies_are_400(logged_in: Login, agents: FakeAgents, body: Any) -> None:
    resp = await (await logged_in("alice")).post("/api/v1/agents/alice/pause", body)
    assert await error_code(resp) == (400, "invalid_input")
    assert agents.calls == []


async def test_bad_json_is_400(logged_in: Login) -> None:
    alice = await logged_in("alice")
    resp = await alice.post(
        "/api/v1/agents/alice/pause",
        data=b'{"reason":',
        headers={"Content-Type": "application/json"},
    )
    assert await error_code(resp) == (400, "invalid_input")


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (InvalidInput("pause reason 'x' is not one of: lunch"), 400),
        (UnknownQueue("unknown queue(s): nope"), 404),
        (AsteriskRefused("Asterisk refused QueuePause: Interface not found"), 409),
        (PbxUnavailable("QueuePause not done: the PBX is not reachable"), 503),
        (NotConfirmed("Asterisk accepted the request but never confirmed"), 504),
    ],
)
async def test_use_case_errors_map_to_statuses(
    logged_in: Login, agents: FakeAgents, error: StandardisteError, status: int
) -> None:
    agents.fail_with = error
    resp = await (await logged_in("alice")).post("/api/v1/agents/alice/pause", {"reason": "lunch"})
    assert await resp.json() == {"error": {"code": error.code, "message": error.message}}
    assert resp.status == status


async def test_an_unexpected_error_is_a_500_without_details(
    logged_in: Login, agents: FakeAgents
) -> None:
    agents.fail_with = RuntimeError("secret internals")
    resp = await (await logged_in("alice")).post("/api/v1/agents/alice/resume", {})
    assert await resp.json() == {"error": {"code": "internal_error", "message": "internal error"}}
    assert resp.status == 500
