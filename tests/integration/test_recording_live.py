"""Queue call recording on the real Asterisk (CF-2): a queue configured to record, a sipp
caller answered by a sipp agent phone that talks, and afterwards the call's WAV file exists,
holds the conversation, is listed with the call in the history and plays, through the web
API, to a supervisor of the queue, not to the agent."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from ami_raw import RawAMI
from argon2 import PasswordHasher
from live import ApiUser, sql_rows
from recorded import (
    ALICE,
    monitor_fixture,  # noqa: F401
    queue_call_to_alice,
    recording_of,
    sales_records_fixture,  # noqa: F401
)

from standardiste.accounts import Accounts
from standardiste.composition import BridgeProcess as Bridge
from standardiste.pbx.store import ConfigStore
from standardiste.web.app import init_app
from standardiste.web.process import web_deps

PASSWORD = "a long enough password"
HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture
async def web(bridge: Bridge, monitor: Path) -> AsyncIterator[str]:
    """The web app on the bridge's Redis and database, reading the sandbox's recordings."""
    accounts = Accounts(bridge.history.store.engine, HASHER)
    await accounts.create_user(
        "sue", PASSWORD, role="supervisor", display_name="Sue", queues={"sales": "supervisor"}
    )
    await accounts.create_user(
        "sam", PASSWORD, role="supervisor", display_name="Sam", queues={"support": "supervisor"}
    )
    await accounts.create_user(
        "alice", PASSWORD, display_name="Alice", devices=[ALICE], queues={"sales": "agent"}
    )
    settings = replace(
        bridge.settings, asterisk=replace(bridge.settings.asterisk, recordings_dir=monitor)
    )
    deps = replace(web_deps(settings, bridge.redis, bridge.history.store.engine), hasher=HASHER)
    async with TestServer(init_app(deps)) as server:
        yield str(server.make_url(""))


@pytest.mark.usefixtures("sales_records")
async def test_a_recorded_call_is_kept_listed_and_played_to_its_supervisor(
    bridge: Bridge, ami: RawAMI, web: str, monitor: Path, tmp_path: Path
) -> None:
    call_id = await queue_call_to_alice(bridge, ami, tmp_path, "0611111111")
    recording, audio = await recording_of(monitor, call_id)
    try:
        [row] = await sql_rows(
            bridge.settings.database.url,
            "select outcome, agent, talk from queue_calls where uniqueid = :u",
            u=call_id,
        )
        assert (row["outcome"], row["agent"]) == ("answered", ALICE)
        # The conversation, and only it (MixMonitor's b: from the answer): the agent spoke.
        assert 1.0 < audio.duration <= row["talk"] + 1.0, (audio, row["talk"])
        assert audio.loudest > 1000

        sue, alice, sam = ApiUser(web, PASSWORD), ApiUser(web, PASSWORD), ApiUser(web, PASSWORD)
        try:
            for user, name in ((sue, "sue"), (alice, "alice"), (sam, "sam")):
                await user.login(name)
            # The call is listed with its recording...
            status, listed = await sue.call("GET", "/api/v1/calls?queue=sales")
            assert status == 200 and listed["can_play"] is True
            [entry] = [c for c in listed["calls"] if c["call_id"] == call_id]
            assert (entry["recording"], entry["agent_name"]) == (True, "Alice")
            # ...and plays: the file Asterisk wrote, as WAV.
            async with sue.http.get(f"{sue.base}/api/v1/recordings/{call_id}") as resp:
                assert resp.status == 200
                assert resp.headers["Content-Type"] == "audio/wav"
                assert await resp.read() == recording.read_bytes()
            # The agent who took the call may not play it; a supervisor of another queue is
            # not told it exists.
            status, body = await alice.call("GET", f"/api/v1/recordings/{call_id}")
            assert (status, body["error"]["code"]) == (403, "forbidden")
            status, body = await sam.call("GET", f"/api/v1/recordings/{call_id}")
            assert (status, body["error"]["code"]) == (404, "not_found")
            played = await ConfigStore(bridge.history.store.engine).audit()
            assert [(e.actor, e.action, e.subject) for e in played] == [
                ("sue", "recording.play", call_id)
            ]
        finally:
            for user in (sue, alice, sam):
                await user.http.close()
    finally:
        recording.unlink(missing_ok=True)


async def test_a_queue_that_does_not_record_leaves_no_file(
    bridge: Bridge, ami: RawAMI, monitor: Path, tmp_path: Path
) -> None:
    # The demo's files: no queue records.
    call_id = await queue_call_to_alice(bridge, ami, tmp_path, "0622222222", talk_s=3)
    [row] = await sql_rows(
        bridge.settings.database.url,
        "select outcome from queue_calls where uniqueid = :u",
        u=call_id,
    )
    assert row["outcome"] == "answered"
    assert not (monitor / "standardiste" / f"{call_id}.wav").exists()
