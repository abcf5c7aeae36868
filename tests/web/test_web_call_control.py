"""The call control API (listen / whisper / barge, take / transfer a waiting caller): who
may ask, what reaches the bridge, and how its refusals come back. What the bridge then does
with Asterisk is tested live (tests/integration/test_call_control_live.py)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy.ext.asyncio import AsyncEngine
from web_helpers import ALICE_DEV, T0, Browser, FakeCalls, error_code

from standardiste.acd.records import SpyLogged
from standardiste.errors import AsteriskRefused, CallGone
from standardiste.history.writer import HistoryStore

Login = Callable[[str], Awaitable[Browser]]


async def test_a_supervisor_listens_to_an_agent_from_their_own_phone(
    logged_in: Login, calls: FakeCalls
) -> None:
    sue = await logged_in("sue")
    resp = await sue.post("/api/v1/agents/alice/spy", {"mode": "whisper"})
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["device"] == "PJSIP/sup2001"
    [asked] = calls.requests
    assert (asked.op, asked.mode, asked.device, asked.actor.username) == (
        "spy", "whisper", "PJSIP/sup2001", "sue"
    )  # fmt: skip
    assert asked.target is not None and asked.target.devices[0] == ALICE_DEV
    assert asked.actor.supervised == frozenset({"sales"})


async def test_who_may_not_listen_is_refused_before_the_bridge(
    logged_in: Login, calls: FakeCalls
) -> None:
    alice = await logged_in("alice")  # an agent: the role has no calls.spy
    resp = await alice.post("/api/v1/agents/carol/spy", {"mode": "listen"})
    assert (await error_code(resp))[0] == 403
    sam = await logged_in("sam")  # a supervisor without a phone
    resp = await sam.post("/api/v1/agents/bob/spy", {"mode": "listen"})
    status, code = await error_code(resp)
    assert (status, code) == (400, "invalid_input")
    sue = await logged_in("sue")
    resp = await sue.post("/api/v1/agents/alice/spy", {"mode": "shout"})
    assert (await error_code(resp))[0] == 400
    resp = await sue.post("/api/v1/agents/alice/spy", {"mode": "listen", "device": "PJSIP/x"})
    assert (await error_code(resp))[0] == 400
    resp = await sue.post("/api/v1/agents/nobody/spy", {"mode": "listen"})
    assert (await error_code(resp))[0] == 404
    assert calls.requests == []


async def test_the_bridges_refusals_come_back_with_their_reason(
    logged_in: Login, calls: FakeCalls
) -> None:
    sue = await logged_in("sue")
    calls.fail_with = CallGone("no caller 'c1' waiting in 'sales'")
    resp = await sue.post("/api/v1/queues/sales/callers/c1/take", {})
    assert await error_code(resp) == (409, "call_gone")
    calls.fail_with = AsteriskRefused("Asterisk refused Originate: Channel not found")
    resp = await sue.post("/api/v1/agents/alice/spy", {"mode": "barge"})
    body = await resp.json()
    assert resp.status == 409 and "Channel not found" in body["error"]["message"]


async def test_transfer_names_one_target(logged_in: Login, calls: FakeCalls) -> None:
    sue = await logged_in("sue")
    for body in ({}, {"username": "alice", "extension": "1002"}, {"extension": "12a"}):
        resp = await sue.post("/api/v1/queues/sales/callers/c1/transfer", body)
        assert (await error_code(resp))[0] == 400, body
    resp = await sue.post("/api/v1/queues/sales/callers/c1/transfer", {"username": "alice"})
    assert resp.status == 200
    [asked] = calls.requests
    assert (asked.op, asked.target_device, asked.queue, asked.caller) == (
        "transfer", ALICE_DEV, "sales", "c1"
    )  # fmt: skip


async def test_a_session_id_is_checked(logged_in: Login, calls: FakeCalls) -> None:
    sue = await logged_in("sue")
    resp = await sue.post("/api/v1/spy/..%2f/mode", {"mode": "listen"})
    assert (await error_code(resp))[0] in (400, 404)
    resp = await sue.request("DELETE", "/api/v1/spy/1700000000.5", None)
    assert resp.status == 200 and calls.requests[-1].session == "1700000000.5"


async def test_the_listening_sessions_are_in_the_audit(
    logged_in: Login, engine: AsyncEngine
) -> None:
    def log(event: str, mode: str, at: float) -> SpyLogged:
        return SpyLogged("200.1", event, "sue", "PJSIP/sup2001", ALICE_DEV,  # type: ignore[arg-type]
                         f"{ALICE_DEV}-0000000a", "sales", mode, at)  # fmt: skip

    await HistoryStore(engine).write(
        [log("start", "listen", T0), log("mode", "barge", T0 + 5), log("end", "barge", T0 + 9)]
    )
    resp = await (await logged_in("ada")).get("/api/v1/admin/audit/spy")
    assert resp.status == 200
    entries = (await resp.json())["entries"]
    assert [(e["event"], e["mode"], e["supervisor"], e["agent_name"]) for e in entries] == [
        ("end", "barge", "sue", "alice"),
        ("mode", "barge", "sue", "alice"),
        ("start", "listen", "sue", "alice"),
    ]
    # The audit is the admin's (admin.audit.view): not the supervisor's who listened.
    resp = await (await logged_in("sue")).get("/api/v1/admin/audit/spy")
    assert (await error_code(resp))[0] == 403
