"""Asterisk killed (kill -9) while callers wait, then started again.

The bridge must notice, reconnect, resync, and converge to what the new Asterisk reports; the
history must close the lost callers exactly once; and an action asked for while Asterisk was
down must fail clearly and never be sent later behind the operator's back.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

from ami_raw import RawAMI
from live import asterisk_view, converged, eventually, sql_rows
from test_bridge_live import SUE

from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.errors import PbxUnavailable
from standardiste.mirror import MirrorReader
from standardiste.tools import sandbox as sb
from standardiste.tools.sipp import place_call

CAROL = "PJSIP/agent1003"


def persisted_members(root: Path, queue: str) -> str:
    """What Asterisk has committed to astdb for ``queue`` (its sync thread lags ~1 s)."""
    db = sqlite3.connect(f"file:{root / 'var/lib/asterisk/astdb.sqlite3'}?mode=ro", uri=True)
    try:
        row = db.execute(
            "select value from astdb where key = ?", (f"/Queue/PersistentMembers/{queue}",)
        ).fetchone()
        return str(row[0]) if row else ""
    finally:
        db.close()


def queue_log(root: Path) -> list[str]:
    path = root / "var/log/asterisk/queue_log"
    return path.read_text().splitlines() if path.exists() else []


async def test_asterisk_killed_while_callers_wait(
    sandbox: sb.SandboxInfo, bridge: Bridge, reader: MirrorReader, ami: RawAMI, tmp_path: Path
) -> None:
    # Carol is logged in and paused, so the callers wait in line.
    await bridge.agents.log_in(CAROL, ["sales"], by=Actor("carol"))
    await bridge.agents.pause(CAROL, "training", by=SUE)
    callers = [
        await place_call("5000", number, hangup_after_s=90, log_dir=tmp_path)
        for number in ("0644444444", "0655555555")
    ]
    try:
        view = await eventually(
            lambda: asterisk_view(ami), lambda v: len(v.callers) == 2, 10, "two callers waiting"
        )
        assert await converged(ami, reader) == view
        lost = set(view.callers)
        # A real restart keeps what Asterisk had committed: wait for the paused member there.

        async def persisted() -> str:
            return persisted_members(sandbox.root, "sales")

        await eventually(persisted, lambda v: CAROL in v and "training" in v, 10, "astdb sync")
        log_before = queue_log(sandbox.root)
        reconnects = bridge.ami.reconnects

        await asyncio.to_thread(sb.kill9, sandbox.root)
        await eventually(
            _connected(bridge), lambda up: not up, 10, "bridge notices Asterisk is gone"
        )
        # An operator acts while the PBX is down: a clear error, and nothing queued for later.
        try:
            await bridge.agents.resume(CAROL, by=SUE)
        except PbxUnavailable:
            pass
        else:
            raise AssertionError("resume while Asterisk is down should fail")

        await asyncio.to_thread(sb.start, sandbox.root)
        await eventually(_connected(bridge), bool, 20, "bridge reconnects")
        async with await RawAMI.connect(sandbox.ami_host, sandbox.ami_port) as fresh:
            view = await converged(fresh, reader, timeout=20)
        # The callers died with Asterisk; Carol is still a (persistent) member, still paused:
        # the resume asked for during the outage was not sent after the reconnect.
        assert not view.callers and not view.calls
        assert view.members == {("sales", CAROL): (True, "training")}
        assert bridge.ami.reconnects > reconnects
        new_lines = queue_log(sandbox.root)[len(log_before) :]
        assert not [line for line in new_lines if "UNPAUSE" in line and CAROL in line]
        assert not [line for line in new_lines if "ADDMEMBER" in line and CAROL in line]

        await bridge.history.flushed()
        url = bridge.settings.database.url
        rows = await sql_rows(url, "select uniqueid, outcome from queue_calls")
        mine = [r for r in rows if r["uniqueid"] in lost]
        assert sorted(r["outcome"] for r in mine) == ["exited", "exited"]
        dupes = await sql_rows(
            url,
            "select uniqueid, queue, count(*) as n from queue_calls "
            "group by uniqueid, queue having count(*) > 1",
        )
        assert dupes == []
        events = await sql_rows(
            url, "select action from agent_events where agent = :a order by at", a=CAROL
        )
        assert [e["action"] for e in events] == ["login", "pause"]
    finally:
        for call in callers:
            await call.stop()
        async with await RawAMI.connect(sandbox.ami_host, sandbox.ami_port) as fresh:
            await fresh.action("QueueRemove", Queue="sales", Interface=CAROL)


def _connected(b: Bridge) -> Callable[[], Awaitable[bool]]:
    async def probe() -> bool:
        return b.ami.connected and b.synced.is_set()

    return probe
