"""The callback that keeps the caller's place (BY-1), on the real Asterisk with sipp phones.

A caller waits in sales (its only agent paused), hears the offer, presses 5 and is hung up
on; a placeholder "Callback" takes their place in Asterisk's queue. When the agent is back,
app_queue rings her for the placeholder, she answers, and the customer's phone (the sipp UAS
behind the trunk, 127.0.0.2:5090) rings and is answered: agent and customer are connected.
Checked on what Asterisk reports (the test's own AMI session, queue_log), the phones, the
SQL request and today's counters: a callback is counted apart, never as an answered or
abandoned inbound call.

Restarts: with the bridge killed (-9) while a request waits, and with Asterisk killed (-9)
while a request waits, the request ends up with exactly one placeholder (re-placed after
Asterisk's restart, kept after the bridge's) and the customer is called once.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from ami_raw import RawAMI
from live import eventually, sql_rows
from sqlalchemy.ext.asyncio import create_async_engine
from test_bridge_restart import BridgeProcess
from test_pbx_restart import persisted_members
from test_queue_log_export_live import EXPORTED, unmatched

from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.history.migrate import upgrade
from standardiste.history.queue_log_export import export_lines
from standardiste.history.urls import async_url
from standardiste.pbx.store import ConfigStore
from standardiste.tools import sandbox as sb
from standardiste.tools.demo_config import DEMO_QUEUES, demo_files
from standardiste.tools.sipp import AgentPhone, place_call

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ALICE = "PJSIP/agent1001"
# The demo's dial-out answers numbers ending in 0-6 on 127.0.0.2:5090 (the customer's phone).
NUMBER, E164, DIGITS = "0612345670", "+33612345670", "33612345670"
# The offer ("to call back, press 5") is played before the caller is in the queue, where
# the key counts: about 5 s after the answer.
KEY_AFTER_S = 9.0
# A call's queue_log events the export writes (test_queue_log_export_live), with the exits
# and our dialplan's INFO rows.
EXPORTED_CALL_EVENTS = EXPORTED | {"EXITWITHKEY", "EXITEMPTY", "WITHDRAW", "INFO"}


def customer_phone(tmp_path: Path, **kw: Any) -> AgentPhone:
    """The customer's phone behind the trunk (the pstn endpoint's contact)."""
    return AgentPhone("customer", 5090, host="127.0.0.2", log_dir=tmp_path, **kw)


async def placeholders(ami: RawAMI, queue: str = "sales") -> list[dict[str, str]]:
    """Asterisk's callers of ``queue`` that are callback placeholders (uniqueid cb-<id>)."""
    return [
        m
        for m in await ami.action_list("QueueStatus", Queue=queue)
        if m.get("Event") == "QueueEntry" and m.get("Uniqueid", "").startswith("cb-")
    ]


async def request_rows(db_url: str) -> list[dict[str, Any]]:
    return await sql_rows(db_url, "select * from callback_requests order by requested_at")


def queue_log_lines(root: Path, since: int) -> list[list[str]]:
    path = root / "var/log/asterisk/queue_log"
    rows = [line.split("|") for line in path.read_text(errors="replace").splitlines()]
    return [r for r in rows if len(r) >= 5 and r[0].isdigit() and int(r[0]) >= since]


@pytest.fixture
async def callbacks_on(bridge: Bridge, ami: RawAMI, sandbox: sb.SandboxInfo) -> AsyncIterator[None]:
    """sales offers callbacks to every caller (threshold 0 s); the demo files come back."""
    assert bridge.config is not None and bridge.agi is not None
    await bridge.config.store.adopt(DEMO_QUEUES, "test")
    await bridge.config.save_queue(
        {"name": "sales", "callback": True, "callback_threshold": 0, "callback_expiry": 600},
        "test",
        create=False,
    )
    await asyncio.wait_for(bridge.agi.listening.wait(), 5)
    try:
        yield
    finally:
        await demo_back(sandbox)


async def demo_back(sandbox: sb.SandboxInfo) -> None:
    """The shared sandbox gets the demo's generated files back (a connection of its own: a
    test may have restarted Asterisk)."""
    sb.install_generated(sandbox.root, demo_files().by_name())
    async with await RawAMI.connect(sandbox.ami_host, sandbox.ami_port) as client:
        await client.action("QueueReload", Parameters="yes", Rules="yes", Members="no")


@sqlite_only
async def test_a_caller_who_asks_for_a_callback_is_called_back_when_their_place_comes(
    bridge: Bridge, ami: RawAMI, callbacks_on: None, sandbox: sb.SandboxInfo, tmp_path: Path
) -> None:
    began = int(time.time())
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
    async with (
        AgentPhone("1001", 5071, answer_delay_s=0.5, log_dir=tmp_path) as alice,
        customer_phone(tmp_path, answer_delay_s=1.0, hangup_after_s=3.0) as customer,
    ):
        async with await place_call(
            "5000", NUMBER, hangup_after_s=40, keys=[(KEY_AFTER_S, "5")], log_dir=tmp_path
        ) as caller:
            result = await caller.wait_result(30)
        # The caller pressed 5, heard the confirmation and Asterisk hung up.
        assert result.answered and result.ended_by == "remote", result
        # Their place is kept: a placeholder waits in sales, shown as a callback request.
        [entry] = await eventually(lambda: placeholders(ami), lambda p: len(p) == 1, 10, "placed")
        assert (entry["CallerIDNum"], entry["CallerIDName"], entry["Position"]) == (
            DIGITS,
            "Callback",
            "1",
        )
        [row] = await request_rows(bridge.settings.database.url)
        assert (row["queue"], row["number"], row["status"], row["position"]) == (
            "sales",
            E164,
            "waiting",
            1,
        )
        request = str(row["id"])
        assert entry["Uniqueid"] == f"cb-{request}"
        waiting = bridge.model.callers[f"cb-{request}"]
        assert (waiting.kind, waiting.callback, waiting.caller_number) == (
            "callback",
            request,
            DIGITS,
        )
        # The agent is back: app_queue rings her for the placeholder, then the customer.
        await bridge.agents.resume(ALICE, ["sales"], by=Actor("alice"))
        await alice.wait_outcome("ANSWERED", timeout=15)
        await customer.wait_outcome("ANSWERED", timeout=15)
        assert bridge.model.calls[f"cb-{request}"].kind == "callback"
        await customer.wait_outcome("LOCAL_BYE", timeout=15)  # the customer hangs up
        await alice.wait_outcome("REMOTE_BYE", timeout=10)

    async def settled() -> dict[str, Any]:
        await bridge.history.flushed()
        return (await request_rows(bridge.settings.database.url))[0]

    row = await eventually(settled, lambda r: r["ended_at"] is not None, 10, "request settled")
    assert (row["status"], row["agent"], row["detail"]) == ("connected", ALICE, "ANSWER")
    assert row["answered_at"] is not None
    today = bridge.model.queues["sales"].today
    assert (today.callbacks_requested, today.callbacks_connected) == (1, 1)
    assert (today.handled, today.abandoned, today.timed_out, today.callbacks_failed) == (0,) * 4
    # The history: the original call left the queue (EXITWITHKEY, with the key); no inbound
    # call row for the placeholder (its passage is kept apart, for the queue_log export).
    calls = await sql_rows(
        bridge.settings.database.url,
        "select uniqueid, outcome, exit_event, exit_data from queue_calls",
    )
    assert [(c["outcome"], c["exit_event"], c["exit_data"]) for c in calls] == [
        ("exited", "EXITWITHKEY", "5")
    ], calls
    # queue_log: the custom rows QueueMetrics reads, for the original call and the callback.
    info = [
        (cols[1], cols[5] if len(cols) > 5 else "")
        for cols in queue_log_lines(sandbox.root, began)
        if cols[4] == "INFO"
    ]
    steps = [text for _, text in info]
    assert steps == ["CALLBACK_REQUESTED", "CALLBACK_CALLING", "CALLBACK_CONNECTED", "CALLBACK_END"]
    assert info[0][0] == calls[0]["uniqueid"]
    assert {callid for callid, _ in info[1:]} == {f"cb-{request}"}
    # The queue_log export (BY-6) writes the same lines for both calls as Asterisk did.
    callids = {str(calls[0]["uniqueid"]), f"cb-{request}"}
    theirs = [
        "|".join(cols)
        for cols in queue_log_lines(sandbox.root, began - 1)
        if cols[1] in callids and cols[4] in EXPORTED_CALL_EVENTS
    ]
    assert {x.split("|")[4] for x in theirs} >= {"EXITWITHKEY", "INFO", "CONNECT"}, theirs
    window = (
        dt.datetime.fromtimestamp(began - 2, dt.UTC),
        dt.datetime.fromtimestamp(time.time() + 2, dt.UTC),
    )
    engine = create_async_engine(async_url(bridge.settings.database.url))
    try:
        exported = "".join([c async for c in export_lines(engine, *window, ["sales"])])
    finally:
        await engine.dispose()
    ours = [x for x in exported.splitlines() if x.split("|")[1] in callids]
    extra, missing = unmatched(ours, theirs)
    assert (extra, missing) == ([], []), "\n".join(["ours:", *ours, "Asterisk's:", *theirs])


@sqlite_only
async def test_a_key_pressed_without_an_offer_keeps_the_caller_in_line(
    bridge: Bridge, ami: RawAMI, callbacks_on: None, sandbox: sb.SandboxInfo, tmp_path: Path
) -> None:
    assert bridge.config is not None
    # One agent taking calls, nobody waiting: an expected wait of about 3 minutes, under the
    # threshold. Her phone rings longer than the queue's ring timeout: the caller waits.
    await bridge.config.save_queue(
        {"name": "sales", "callback_threshold": 3600}, "test", create=False
    )
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    began = int(time.time())
    async with AgentPhone("1001", 5071, answer_delay_s=60, log_dir=tmp_path):
        start = len(ami.messages)
        async with await place_call(
            "5000", NUMBER, hangup_after_s=20, keys=[(4.0, "5")], log_dir=tmp_path
        ) as caller:
            joined = await ami.wait_event("QueueCallerJoin", 10, start, Queue="sales")
            await caller.wait_outcome("KEY", timeout=10)
            # Out with the key, back in at the same place: the same call, first in line.
            uniqueid = joined["Uniqueid"]
            leave = await ami.wait_event("QueueCallerLeave", 10, start, Uniqueid=uniqueid)
            left = next(i for i, m in enumerate(ami.messages) if m is leave)
            await ami.wait_event("QueueCallerJoin", 10, left, Uniqueid=uniqueid)
            entries = [
                (m["Uniqueid"], m["Position"])
                for m in await ami.action_list("QueueStatus", Queue="sales")
                if m.get("Event") == "QueueEntry"
            ]
            assert entries == [(joined["Uniqueid"], "1")]
            await caller.hangup_now()
    events = [
        c[4]
        for c in queue_log_lines(sandbox.root, began)
        if c[1] == joined["Uniqueid"] and not c[4].startswith("RING")
    ]
    assert events[:3] == ["ENTERQUEUE", "EXITWITHKEY", "ENTERQUEUE"], events
    assert "INFO" not in events
    assert await request_rows(bridge.settings.database.url) == []


@sqlite_only
async def test_a_request_expires_after_the_queues_setting_and_is_not_placed_again(
    bridge: Bridge, ami: RawAMI, callbacks_on: None, sandbox: sb.SandboxInfo, tmp_path: Path
) -> None:
    assert bridge.config is not None
    await bridge.config.save_queue({"name": "sales", "callback_expiry": 12}, "test", create=False)
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
    began = int(time.time())
    request = await ask_for_a_callback(ami, tmp_path)
    # Nobody answers: after its 12 s the placeholder leaves the queue, and stays gone.
    await eventually(lambda: placeholders(ami), lambda p: p == [], 20, "placeholder expired")

    async def status() -> str:
        await bridge.history.flushed()
        return str((await request_rows(bridge.settings.database.url))[0]["status"])

    assert await eventually(status, lambda s: s == "expired", 10, "request expired") == "expired"
    await asyncio.sleep(4)  # two more reconciliation passes
    assert await placeholders(ami) == []
    today = bridge.model.queues["sales"].today
    counted = (today.callbacks_requested, today.callbacks_expired, today.callbacks_connected)
    assert counted == (1, 1, 0)
    assert (today.abandoned, today.timed_out) == (0, 0)
    info = [c[5] for c in queue_log_lines(sandbox.root, began) if c[4] == "INFO"]
    assert info == ["CALLBACK_REQUESTED", "CALLBACK_EXPIRED"]
    entered = [
        c for c in queue_log_lines(sandbox.root, began)
        if c[1] == f"cb-{request}" and c[4] in ("ENTERQUEUE", "EXITWITHTIMEOUT")
    ]  # fmt: skip
    assert [c[4] for c in entered] == ["ENTERQUEUE", "EXITWITHTIMEOUT"]


@sqlite_only
async def test_a_customer_who_does_not_answer_ends_the_request_as_no_answer(
    bridge: Bridge, ami: RawAMI, callbacks_on: None, tmp_path: Path
) -> None:
    """No retry: the agent already gave the request their time; it shows as not reached."""
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
    async with (
        AgentPhone("1001", 5071, answer_delay_s=0.5, log_dir=tmp_path) as alice,
        customer_phone(tmp_path, answer_delay_s=60) as customer,
    ):
        request = await ask_for_a_callback(ami, tmp_path)
        await bridge.agents.resume(ALICE, ["sales"], by=Actor("alice"))
        await alice.wait_outcome("ANSWERED", timeout=15)
        await customer.wait_outcome("RINGING", timeout=10)
        # 30 s of ringing, then the agent's call ends.
        await alice.wait_outcome("REMOTE_BYE", timeout=40)
        await customer.wait_outcome("CANCELLED", timeout=5)

    async def row() -> dict[str, Any]:
        await bridge.history.flushed()
        return (await request_rows(bridge.settings.database.url))[0]

    done = await eventually(row, lambda r: r["ended_at"] is not None, 10, "request ended")
    assert (done["id"], done["status"], done["detail"]) == (request, "no_answer", "NOANSWER")
    assert done["answered_at"] is None
    await asyncio.sleep(3)
    assert await placeholders(ami) == []  # not placed again
    today = bridge.model.queues["sales"].today
    assert (today.callbacks_failed, today.callbacks_connected, today.handled) == (1, 0, 0)


@sqlite_only
async def test_asterisk_restarted_while_a_request_waits_places_it_again_once(
    bridge: Bridge, ami: RawAMI, callbacks_on: None, sandbox: sb.SandboxInfo, tmp_path: Path
) -> None:
    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    await bridge.agents.pause(ALICE, "lunch", ["sales"], by=Actor("alice"))
    began = int(time.time())
    async with (
        AgentPhone("1001", 5071, answer_delay_s=0.5, log_dir=tmp_path) as alice,
        customer_phone(tmp_path, answer_delay_s=0.5, hangup_after_s=2.0) as customer,
    ):
        request = await ask_for_a_callback(ami, tmp_path)

        async def persisted() -> str:
            return persisted_members(sandbox.root, "sales")

        await eventually(persisted, lambda v: ALICE in v and "lunch" in v, 10, "astdb sync")
        await asyncio.to_thread(sb.kill9, sandbox.root)
        await eventually(_up(bridge), lambda up: not up, 10, "the bridge sees Asterisk gone")
        await asyncio.to_thread(sb.start, sandbox.root)
        await eventually(_up(bridge), bool, 20, "the bridge is back in step")
        async with await RawAMI.connect(sandbox.ami_host, sandbox.ami_port) as fresh:
            # The request's place is taken again, once, however many passes go by.
            [entry] = await eventually(
                lambda: placeholders(fresh), lambda p: len(p) == 1, 15, "placed again"
            )
            assert entry["Uniqueid"] == f"cb-{request}"
            await asyncio.sleep(5)  # a few more reconciliation passes
            assert len(await placeholders(fresh)) == 1
            entered = [
                c for c in queue_log_lines(sandbox.root, began)
                if c[1] == f"cb-{request}" and c[4] == "ENTERQUEUE"
            ]  # fmt: skip
            assert len(entered) == 2, entered  # before and after the restart
            await bridge.agents.resume(ALICE, ["sales"], by=Actor("alice"))
            await customer.wait_outcome("LOCAL_BYE", timeout=20)
            await alice.wait_outcome("REMOTE_BYE", timeout=10)
        assert customer.count("RINGING") == 1
    await bridge.history.flushed()
    [row] = await request_rows(bridge.settings.database.url)
    assert (row["id"], row["status"]) == (request, "connected")


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_bridge_killed_while_a_request_waits_keeps_one_placeholder(
    sandbox: sb.SandboxInfo, ami: RawAMI, db_url: str, tmp_path: Path
) -> None:
    """The bridge as its own process, killed with -9 twice: with the placeholder alive
    (the new bridge adopts it: no second one), then after the placeholder was lost while no
    bridge ran (the new bridge places it again, once). The customer is called once."""
    await upgrade(db_url)
    engine = create_async_engine(db_url)
    try:
        store = ConfigStore(engine)
        await store.adopt(DEMO_QUEUES, "test")
        sales = (await store.queue("sales")).with_changes(
            {"callback": True, "callback_threshold": 0, "callback_expiry": 600}
        )
        await store.save_queue(sales, "test")
    finally:
        await engine.dispose()
    env = {k: v for k, v in os.environ.items() if not k.startswith("STANDARDISTE_")}
    env |= {
        "STANDARDISTE_AMI_PORT": str(sandbox.ami_port),
        "STANDARDISTE_AMI_PING_INTERVAL": "1",
        "STANDARDISTE_AMI_BACKOFF_MIN": "0.2",
        "STANDARDISTE_AMI_BACKOFF_MAX": "1",
        "STANDARDISTE_REDIS_PREFIX": f"test:{uuid.uuid4().hex[:8]}:",
        "STANDARDISTE_DATABASE_URL": db_url,
        "STANDARDISTE_DATABASE_BUFFER_PATH": str(tmp_path / "buffer.jsonl"),
        "STANDARDISTE_ASTERISK_QUEUE_LOG_ENABLED": "false",
    }
    bridge = BridgeProcess(env, tmp_path / "bridge.log")

    async def started() -> None:
        await bridge.start()
        await eventually(agi_listening, bool, 20, "the bridge's FastAGI server")

    began = int(time.time())
    try:
        await started()
        # The bridge applied the stored configuration: sales offers callbacks.
        await eventually(
            lambda: route_value(ami, "queue-sales", "callback"), lambda v: v == "yes", 20,
            "routes.conf from the stored configuration",
        )  # fmt: skip
        await ami.action("QueueAdd", Queue="sales", Interface=ALICE, Paused="true")
        async with (
            AgentPhone("1001", 5071, answer_delay_s=0.5, log_dir=tmp_path) as alice,
            customer_phone(tmp_path, answer_delay_s=0.5, hangup_after_s=2.0) as customer,
        ):
            request = await ask_for_a_callback(ami, tmp_path)

            def entered() -> int:
                return sum(
                    1 for c in queue_log_lines(sandbox.root, began)
                    if c[1] == f"cb-{request}" and c[4] == "ENTERQUEUE"
                )  # fmt: skip

            await bridge.stop(signal.SIGKILL)
            await started()
            await asyncio.sleep(6)  # the new bridge resynced and reconciled a few times
            assert [e["Uniqueid"] for e in await placeholders(ami)] == [f"cb-{request}"]
            assert entered() == 1  # adopted, not placed again

            await bridge.stop(signal.SIGKILL)
            # Lost while no bridge runs (an operator hung it up, say).
            await ami.action("Hangup", Channel=f"/^Local/{request}@/")
            await eventually(lambda: placeholders(ami), lambda p: p == [], 10, "placeholder gone")
            await started()
            [entry] = await eventually(
                lambda: placeholders(ami), lambda p: len(p) == 1, 15, "placed again"
            )
            assert entry["Uniqueid"] == f"cb-{request}"
            await asyncio.sleep(4)
            assert len(await placeholders(ami)) == 1 and entered() == 2

            await ami.action("QueuePause", Queue="sales", Interface=ALICE, Paused="false")
            await customer.wait_outcome("LOCAL_BYE", timeout=20)
            await alice.wait_outcome("REMOTE_BYE", timeout=10)
            assert customer.count("RINGING") == 1

            async def status() -> str:
                return str((await request_rows(db_url))[0]["status"])

            assert await eventually(status, lambda s: s == "connected", 15, "connected")
    finally:
        await bridge.stop(signal.SIGTERM)
        await demo_back(sandbox)


async def ask_for_a_callback(ami: RawAMI, tmp_path: Path) -> str:
    """A caller of sales asks for a callback and is hung up on; the request's id once its
    placeholder waits in Asterisk's queue."""
    async with await place_call(
        "5000", NUMBER, hangup_after_s=40, keys=[(KEY_AFTER_S, "5")], log_dir=tmp_path
    ) as caller:
        result = await caller.wait_result(30)
    assert result.ended_by == "remote", result
    [entry] = await eventually(lambda: placeholders(ami), lambda p: len(p) == 1, 10, "placed")
    return entry["Uniqueid"].removeprefix("cb-")


async def agi_listening() -> bool:
    try:
        _, writer = await asyncio.open_connection("127.0.0.1", 4573)
    except OSError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


async def route_value(ami: RawAMI, section: str, key: str) -> str:
    reply = await ami.action(
        "Getvar", Variable=f"AST_CONFIG(standardiste/routes.conf,{section},{key})"
    )
    return str(reply.get("Value", ""))


def _up(bridge: Bridge) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return bridge.ami.connected and bridge.synced.is_set()

    return probe
