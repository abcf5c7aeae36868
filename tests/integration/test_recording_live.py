"""Queue call recording on the real Asterisk (CF-2): a queue configured to record, a sipp
caller answered by a sipp agent phone that talks, and afterwards the call's WAV file exists,
holds the conversation, is listed with the call in the history and plays, through the web
API, to a supervisor of the queue, not to the agent."""

from __future__ import annotations

import struct
import wave
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp.test_utils import TestServer
from ami_raw import RawAMI
from argon2 import PasswordHasher
from live import ApiUser, asterisk_view, eventually, sql_rows

from standardiste.accounts import Accounts
from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.pbx.render import render
from standardiste.pbx.store import ConfigStore
from standardiste.tools import sandbox as sb
from standardiste.tools.demo_config import DEMO_QUEUES, demo_files
from standardiste.tools.sipp import SPEECH, AgentPhone, place_call
from standardiste.web.app import init_app
from standardiste.web.process import web_deps

ALICE = "PJSIP/agent1001"
PASSWORD = "a long enough password"
HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)


@pytest.fixture
def sales_records(sandbox: sb.SandboxInfo) -> Iterator[None]:
    """The admin ticked "record" on sales: the generated files say so. The dialplan reads
    routes.conf again on the next call; the demo's files are put back afterwards."""
    queues = [replace(q, record=q.name == "sales") for q in DEMO_QUEUES]
    assert [q.name for q in queues if q.record] == ["sales"]
    sb.install_generated(sandbox.root, render(queues, queue_options="r").by_name())
    try:
        yield
    finally:
        sb.install_generated(sandbox.root, demo_files().by_name())


@pytest.fixture
def monitor(sandbox: sb.SandboxInfo) -> Path:
    """Asterisk's monitor directory in the sandbox (where MixMonitor writes)."""
    return sandbox.root / "var/spool/asterisk/monitor"


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


def audio_of(path: Path) -> tuple[float, int]:
    """A WAV file's duration (s) and its loudest sample (16-bit)."""
    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        frames = audio.readframes(audio.getnframes())
        samples = struct.unpack(f"<{len(frames) // 2}h", frames)
        return audio.getnframes() / audio.getframerate(), max(map(abs, samples), default=0)


@pytest.mark.usefixtures("sales_records")
async def test_a_recorded_call_is_kept_listed_and_played_to_its_supervisor(
    bridge: Bridge, ami: RawAMI, web: str, monitor: Path, tmp_path: Path
) -> None:
    assert await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice")) == ["sales"]
    async with AgentPhone("1001", 5071, answer_delay_s=0.5, talk=SPEECH, log_dir=tmp_path):
        caller = await place_call("5000", "0611111111", hangup_after_s=5, log_dir=tmp_path)
        view = await eventually(
            lambda: asterisk_view(ami), lambda v: bool(v.calls), 10, "call answered"
        )
        (call_id,) = view.calls  # the caller channel's uniqueid: the call's id
        result = await caller.wait_result(30)
        assert result.answered and result.ended_by == "local"

    recording = monitor / "standardiste" / f"{call_id}.wav"
    try:
        # Asterisk finishes the file (its WAV header) once the channels are gone.
        duration, loudest = await eventually(
            lambda: _audio_when_done(recording), lambda a: a[0] > 0, 10, "recording written"
        )
        await bridge.history.flushed()
        [row] = await sql_rows(
            bridge.settings.database.url,
            "select outcome, agent, talk from queue_calls where uniqueid = :u",
            u=call_id,
        )
        assert (row["outcome"], row["agent"]) == ("answered", ALICE)
        # The conversation, and only it (MixMonitor's b: from the answer): the agent spoke.
        assert 1.0 < duration <= row["talk"] + 1.0, (duration, row["talk"])
        assert loudest > 1000

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
    assert await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice")) == ["sales"]
    async with AgentPhone("1001", 5071, answer_delay_s=0.5, talk=SPEECH, log_dir=tmp_path):
        caller = await place_call("5000", "0622222222", hangup_after_s=3, log_dir=tmp_path)
        view = await eventually(
            lambda: asterisk_view(ami), lambda v: bool(v.calls), 10, "call answered"
        )
        (call_id,) = view.calls
        assert (await caller.wait_result(30)).answered
    await bridge.history.flushed()
    [row] = await sql_rows(
        bridge.settings.database.url,
        "select outcome from queue_calls where uniqueid = :u",
        u=call_id,
    )
    assert row["outcome"] == "answered"
    assert not (monitor / "standardiste" / f"{call_id}.wav").exists()


async def _audio_when_done(path: Path) -> tuple[float, int]:
    try:
        return audio_of(path)
    except (FileNotFoundError, EOFError, wave.Error):  # not there yet, header not final
        return 0.0, 0
