"""The queue_log export against the queue_log Asterisk itself wrote (BY-6): real calls on the
sandbox, recorded by the bridge's live path (AMI, not the queue_log recovery), exported
from the history; every line of Asterisk's for those calls and members must be in the
export with the same fields, and the export has no line Asterisk did not write.

What is allowed to differ, and why (standardiste.history.queue_log_export's notes): the
epoch and the durations app_queue computes as ``time(NULL) - start`` (holdtime, waittime,
calltime), by one second at most: Asterisk reads its clock once for the AMI event the
history comes from and once more for the line. Lines the export deliberately leaves out
(RINGCANCELED, QUEUESTART, ...) are not compared.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import time
from collections import defaultdict
from pathlib import Path

import pytest
from ami_raw import RawAMI
from live import eventually
from sqlalchemy.ext.asyncio import create_async_engine

from standardiste.agent_state import Actor
from standardiste.bridge import Bridge
from standardiste.history.queue_log_export import export_lines
from standardiste.history.urls import async_url
from standardiste.tools import sandbox as sb
from standardiste.tools.demo_config import DEMO_QUEUES, demo_files
from standardiste.tools.sipp import AgentPhone, place_call

ALICE, BOB, CAROL = "PJSIP/agent1001", "PJSIP/agent1002", "PJSIP/agent1003"
RING_TIMEOUT = 15  # the sales and support queues' member ring timeout (timeout = 15)
EXPORTED = {
    "ENTERQUEUE", "CONNECT", "COMPLETECALLER", "COMPLETEAGENT", "ABANDON", "EXITWITHTIMEOUT",
    "RINGNOANSWER", "ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE", "BLINDTRANSFER",
    "ATTENDEDTRANSFER",
}  # fmt: skip
# Per event: the indexes of the data fields app_queue computes from time(NULL) twice.
CLOCK_FIELDS = {
    "CONNECT": {0},
    "COMPLETECALLER": {0, 1},
    "COMPLETEAGENT": {0, 1},
    "ABANDON": {2},
    "EXITWITHTIMEOUT": {2},
    "EXITEMPTY": {2},
    "EXITWITHKEY": {3},
    "WITHDRAW": {2},
}


def asterisk_lines(root: Path, since: int, numbers: set[str], members: set[str]) -> list[str]:
    """Asterisk's lines of this test: its callers' (by their numbers) and its members'."""
    lines = [
        line
        for line in (root / "var/log/asterisk/queue_log").read_text().splitlines()
        if line.split("|", 1)[0].isdigit() and int(line.split("|", 1)[0]) >= since - 1
    ]
    callids = {
        x.split("|")[1]
        for x in lines
        if x.split("|")[4] == "ENTERQUEUE" and x.split("|")[6] in numbers
    }
    return [
        x
        for x in lines
        if x.split("|")[4] in EXPORTED
        and (x.split("|")[1] in callids or x.split("|")[3] in members)
    ]


def same(ours: str, theirs: str) -> bool:
    a, b = ours.split("|"), theirs.split("|")
    if len(a) != len(b) or a[1:5] != b[1:5] or abs(int(a[0]) - int(b[0])) > 1:
        return False
    clock = CLOCK_FIELDS.get(a[4], set())
    for i, (x, y) in enumerate(zip(a[5:], b[5:], strict=True)):
        if x != y and not (
            i in clock and x.isdigit() and y.isdigit() and abs(int(x) - int(y)) <= 1
        ):
            return False
    return True


def unmatched(ours: list[str], theirs: list[str]) -> tuple[list[str], list[str]]:
    """Pair lines of the same callid, queue, agent and event in order; what is left over."""
    groups: dict[tuple[str, ...], list[str]] = defaultdict(list)
    for line in theirs:
        groups[tuple(line.split("|")[1:5])].append(line)
    extra = []
    for line in ours:
        group = groups[tuple(line.split("|")[1:5])]
        if group and same(line, group[0]):
            group.pop(0)
        else:
            extra.append(line)
    return extra, [line for group in groups.values() for line in group]


async def exported_matching(
    bridge: Bridge, started: float, ended: float, theirs: list[str]
) -> list[str]:
    """Our export of [started, ended] (a second's slack each side), line for line
    Asterisk's ``theirs``; returns it."""
    window = (
        dt.datetime.fromtimestamp(int(started) - 1, dt.UTC),
        dt.datetime.fromtimestamp(int(ended) + 2, dt.UTC),
    )
    engine = create_async_engine(async_url(bridge.settings.database.url))
    try:
        exported = "".join([c async for c in export_lines(engine, *window)])
    finally:
        await engine.dispose()
    ours = exported.splitlines()
    extra, missing = unmatched(ours, theirs)
    assert (extra, missing) == ([], []), "\n".join(["ours:", *ours, "Asterisk's:", *theirs])
    return ours


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_the_export_matches_the_queue_log_asterisk_wrote(
    bridge: Bridge, ami: RawAMI, sandbox: sb.SandboxInfo, tmp_path: Path
) -> None:
    tag = f"{random.randrange(10**4):04d}"
    kinds = ("agent", "caller", "abandon", "timeout", "rna")
    number = {k: f"06{n}{tag}0{n}" for n, k in enumerate(kinds, 1)}
    started = time.time()
    bob = Actor("bob")
    async with (
        AgentPhone("1001", 5071, answer_delay_s=0.5, hangup_after_s=2, log_dir=tmp_path),
        AgentPhone("1002", 5072, answer_delay_s=0.5, log_dir=tmp_path),
        AgentPhone("1003", 5073, answer_delay_s=RING_TIMEOUT + 10, log_dir=tmp_path),
    ):
        await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"), member_name="Alice")
        # Bob has no member name: queue_log names him by his interface.
        await bridge.agents.log_in(BOB, ["support"], by=bob)
        # 1. Alice hangs up her call after 2 s (COMPLETEAGENT); Bob's caller hangs up
        #    (COMPLETECALLER).
        calls = [
            await place_call("5000", number["agent"], hangup_after_s=20, log_dir=tmp_path),
            await place_call("5001", number["caller"], hangup_after_s=4, log_dir=tmp_path),
        ]
        try:
            for call in calls:
                await call.wait_result(40)
            # 2. Bob pauses for lunch: one caller gives up (ABANDON), one waits out the 8 s
            #    of 95001 (EXITWITHTIMEOUT); then Bob is back and logs out.
            await bridge.agents.pause(BOB, "lunch", by=bob)
            calls += [
                await place_call("5001", number["abandon"], hangup_after_s=3, log_dir=tmp_path),
                await place_call("95001", number["timeout"], hangup_after_s=20, log_dir=tmp_path),
            ]
            for call in calls[2:]:
                await call.wait_result(40)
            await bridge.agents.resume(BOB, by=bob)
            await bridge.agents.log_out(BOB, None, by=bob)
            # 3. Alice leaves; Carol joins paused (ADDMEMBER|PAUSED), resumes, and does not
            #    answer (RINGNOANSWER after the queue's ring timeout); the caller gives up.
            await bridge.agents.log_out(ALICE, None, by=Actor("alice"))
            await ami.action(
                "QueueAdd", Queue="sales", Interface=CAROL, MemberName="Carol", Paused="true"
            )
            await eventually(
                lambda: asyncio.sleep(0, set(bridge.model.members)),
                lambda m: f"sales|{CAROL}" in m,
                10,
                "Carol known to the bridge",
            )
            await bridge.agents.resume(CAROL, by=Actor("carol"))
            calls.append(
                await place_call(
                    "5000", number["rna"], hangup_after_s=RING_TIMEOUT + 3, log_dir=tmp_path
                )
            )
            await calls[-1].wait_result(RING_TIMEOUT + 40)
            await bridge.agents.log_out(CAROL, None, by=Actor("carol"))
        finally:
            for call in calls:
                await call.stop()
    await bridge.history.flushed()
    ended = time.time()

    theirs = asterisk_lines(
        sandbox.root, int(started), set(number.values()), {"Alice", BOB, "Carol"}
    )
    assert {x.split("|")[4] for x in theirs} >= {
        "ENTERQUEUE", "CONNECT", "COMPLETEAGENT", "COMPLETECALLER", "ABANDON", "EXITWITHTIMEOUT",
        "RINGNOANSWER", "ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE",
    }, theirs  # fmt: skip
    ours = await exported_matching(bridge, started, ended, theirs)
    epochs = [int(x.split("|", 1)[0]) for x in ours]
    assert epochs == sorted(epochs)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
async def test_exits_are_exported_as_asterisk_wrote_them(
    bridge: Bridge, ami: RawAMI, sandbox: sb.SandboxInfo, tmp_path: Path
) -> None:
    """EXITEMPTY (support leaves callers when it has no member: leavewhenempty) and
    WITHDRAW (a waiting caller of sales taken out of the queue, with its info)."""
    assert bridge.config is not None
    await bridge.config.store.adopt(DEMO_QUEUES, "test")
    await bridge.config.save_queue(
        {"name": "support", "leavewhenempty": True}, "test", create=False
    )
    tag = f"{random.randrange(10**4):04d}"
    number = {"empty": f"0671{tag}01", "withdraw": f"0672{tag}02"}
    started = time.time()
    try:
        calls = [await place_call("5001", number["empty"], hangup_after_s=8, log_dir=tmp_path)]
        waiting = await place_call("5000", number["withdraw"], hangup_after_s=20, log_dir=tmp_path)
        calls.append(waiting)
        try:
            caller = await eventually(
                lambda: asyncio.sleep(0, bridge.model.callers),
                lambda c: any(x.caller_number == number["withdraw"] for x in c.values()),
                15,
                "the sales caller waiting",
            )
            [channel] = [
                x.channel for x in caller.values() if x.caller_number == number["withdraw"]
            ]
            # Nobody's phone: the dialplan's Dial() fails and the call ends.
            await ami.action(
                "QueueWithdrawCaller", Queue="sales", Caller=channel, WithdrawInfo="dev:agent1009"
            )
            for call in calls:
                await call.wait_result(30)
        finally:
            for call in calls:
                await call.stop()
    finally:
        sb.install_generated(sandbox.root, demo_files().by_name())
        await ami.action("QueueReload", Parameters="yes", Rules="yes", Members="no")
    await bridge.history.flushed()
    ended = time.time()
    theirs = [
        x
        for x in asterisk_lines(sandbox.root, int(started), set(number.values()), set())
        if x.split("|")[4] != "INFO"
    ]
    theirs += [
        x
        for x in (sandbox.root / "var/log/asterisk/queue_log").read_text().splitlines()
        if x.split("|")[4:5] in (["EXITEMPTY"], ["WITHDRAW"])
        and x.split("|")[1] in {y.split("|")[1] for y in theirs}
    ]
    assert {x.split("|")[4] for x in theirs} >= {"ENTERQUEUE", "EXITEMPTY", "WITHDRAW"}, theirs
    assert [x.split("|")[-1] for x in theirs if "|WITHDRAW|" in x] == ["dev:agent1009"]
    await exported_matching(bridge, started, ended, theirs)
