"""A canned audio message, end to end on the real Asterisk (AG-3): an admin uploads it over
the API (converted with sox), the bridge writes it where Asterisk plays it from; an agent in
a queue call plays it from the API and both parties hear it, then stops it and it stops.
Proven by ear as the supervisor's barge is (test_spy_live.py): the message is a 1 kHz
tone, and the RTP Asterisk sends the caller and the agent (both talking, so their legs carry
audio) is taken off the wire and searched for it. The playback is not a supervisor's
barge, shows in the agent's live state, and its start and end are audited."""

from __future__ import annotations

import asyncio
import io
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from ami_raw import RawAMI
from argon2 import PasswordHasher
from audio import TONE_HZ, Heard, analyse, speech_fixture  # noqa: F401
from live import ApiUser, eventually, sql_rows
from rtp_tap import RtpTap, rtp_source, tap_fixture  # noqa: F401

from standardiste.accounts import Accounts
from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.config import WebSettings
from standardiste.tools.sipp import AgentPhone, place_call
from standardiste.web.app import init_app
from standardiste.web.process import web_deps

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ALICE = "PJSIP/agent1001"
PASSWORD = "a long enough password"
HASHER = PasswordHasher(time_cost=1, memory_cost=64, parallelism=1)
SETTLE_S, LISTEN_S = 0.5, 2.5
MESSAGE_S = 20


def tone_file(path: Path, seconds: float) -> bytes:
    """The message as an admin would upload it: a 44.1 kHz stereo WAV of the tone."""
    subprocess.run(
        ["sox", "-n", "-r", "44100", "-c", "2", "-b", "16", str(path),
         "synth", f"{seconds:g}", "sine", f"{TONE_HZ:g}", "gain", "-6"],
        check=True, capture_output=True,
    )  # fmt: skip
    return path.read_bytes()


@pytest.fixture
async def site(bridge: Bridge) -> AsyncIterator[tuple[ApiUser, ApiUser]]:
    """ada (admin) and alice (agent of sales, phone 1001) on the web app of the live bridge."""
    accounts = Accounts(bridge.history.store.engine, HASHER)
    await accounts.create_user("ada", PASSWORD, role="admin", display_name="Ada")
    await accounts.create_user(
        "alice", PASSWORD, display_name="Alice", devices=[ALICE], queues={"sales": "agent"}
    )
    deps = replace(
        web_deps(bridge.settings, bridge.redis, bridge.history.store.engine, web=WebSettings()),
        hasher=HASHER,
    )
    async with TestServer(init_app(deps)) as server:
        base = str(server.make_url(""))
        ada, alice = ApiUser(base, PASSWORD), ApiUser(base, PASSWORD)
        try:
            await ada.login("ada")
            await alice.login("alice")
            yield ada, alice
        finally:
            await ada.http.close()
            await alice.http.close()


async def ok(user: ApiUser, method: str, path: str, body: Any = None, status: int = 200) -> Any:
    got, answer = await user.call(method, path, body)
    assert got == status, (method, path, got, answer)
    return answer


async def upload(user: ApiUser, data: bytes, name: str) -> dict[str, Any]:
    headers = {"Origin": user.base, "X-CSRF-Token": user.csrf, "Content-Type": "audio/wav"}
    url = f"{user.base}/api/v1/admin/canned-audio?name={name}&language=en"
    async with user.http.post(url, data=io.BytesIO(data), headers=headers) as resp:
        answer: dict[str, Any] = await resp.json()
        assert resp.status == 201, answer
    return next(m for m in answer["messages"] if m["name"] == name)


async def wav_of(user: ApiUser, message: int) -> bytes:
    url = f"{user.base}/api/v1/admin/canned-audio/{message}/audio"
    async with user.http.get(url) as resp:
        assert resp.status == 200
        return await resp.read()


@sqlite_only
async def test_a_canned_message_uploaded_then_played_is_heard_by_both_parties_until_stopped(
    bridge: Bridge,
    ami: RawAMI,
    site: tuple[ApiUser, ApiUser],
    tap: RtpTap,
    speech: Path,
    tmp_path: Path,
) -> None:
    ada, alice = site
    message = await upload(ada, tone_file(tmp_path / "tone.wav", MESSAGE_S), "Tone")
    assert message["seconds"] == MESSAGE_S
    # The bridge wrote the converted sound where Asterisk plays it from.
    assert bridge.canned_files is not None
    played_file = bridge.canned_files.path(message["id"])
    sounds = bridge.settings.asterisk.sounds(bridge.settings.sandbox)
    assert played_file == sounds / "standardiste" / "canned" / f"{message['id']}.wav"
    assert played_file.read_bytes() == await wav_of(ada, message["id"])
    listed = await ok(alice, "GET", "/api/v1/canned-audio")
    assert [m["name"] for m in listed["messages"]] == ["Tone"]

    await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice"))
    async with AgentPhone("1001", 5071, answer_delay_s=0.3, talk=speech, log_dir=tmp_path):
        start = len(ami.messages)
        async with await place_call(
            "5000", "0611111111", hangup_after_s=60, talk=speech, log_dir=tmp_path
        ):
            connect = await ami.wait_event("AgentConnect", 15, start, Interface=ALICE)
            agent_chan, caller_chan = connect["DestChannel"], connect["Channel"]
            agent_ear = await rtp_source(ami, agent_chan)
            caller_ear = await rtp_source(ami, caller_chan)
            await eventually(lambda: _answered(bridge, agent_chan), bool, 5, "model has call")

            async def ears(label: str) -> tuple[Heard, Heard]:
                await asyncio.sleep(SETTLE_S)
                since = time.monotonic()
                await asyncio.sleep(LISTEN_S)
                until = time.monotonic()
                agent = analyse(tap.wav(agent_ear, tmp_path / f"{label}-agent.wav", since, until))
                caller = analyse(
                    tap.wav(caller_ear, tmp_path / f"{label}-caller.wav", since, until)
                )
                assert agent.sound and caller.sound, (label, agent, caller)  # ears were live
                return agent, caller

            before = await ears("before")
            assert not (before[0].tone or before[1].tone), before
            mark = len(ami.messages)
            played = await ok(alice, "POST", f"/api/v1/canned-audio/{message['id']}/play", {})
            assert (played["target_channel"], played["queue"]) == (agent_chan, "sales")
            started = await ami.wait_event("ChanSpyStart", 15, mark, SpyeeChannel=agent_chan)
            # Asterisk barges in on the agent's exact channel from our Local channel.
            assert started["SpyerChannel"].startswith(f"Local/{message['id']}@standardiste-canned-")
            session = played["session"]
            assert started["SpyerUniqueid"] == session
            assert session not in bridge.model.spies.sessions  # not a supervisor's barge
            # The agent's live state shows it (what her workspace's Stop button acts on).
            live = await ok(alice, "GET", "/api/v1/overview")
            assert (live["state"]["canned"][session]["name"], live["state"]["spy"]) == ("Tone", {})
            during = await ears("during")
            assert during[0].tone and during[1].tone, during
            stopped = await ok(alice, "DELETE", f"/api/v1/canned-audio/playing/{session}")
            assert stopped == {"session": session, "ended": True}
            after = await ears("after")
            assert not (after[0].tone or after[1].tone), after
    await bridge.history.flushed()
    rows = await sql_rows(
        bridge.settings.database.url,
        "select event, message, name, by, agent, queue, stopped_by from canned_log "
        "where session = :s order by at",
        s=session,
    )
    assert [(r["event"], r["by"], r["stopped_by"]) for r in rows] == [
        ("start", "alice", ""), ("end", "alice", "alice")
    ]  # fmt: skip
    assert {(r["message"], r["name"], r["agent"], r["queue"]) for r in rows} == {
        (message["id"], "Tone", ALICE, "sales")
    }
    audit = await ok(ada, "GET", "/api/v1/admin/audit/canned")
    assert [(e["event"], e["name"], e["stopped_by"]) for e in audit["entries"]] == [
        ("end", "Tone", "alice"), ("start", "Tone", "")
    ]  # fmt: skip
    # Deleted, the message leaves Asterisk's sounds too.
    headers = {"Origin": ada.base, "X-CSRF-Token": ada.csrf}
    url = f"{ada.base}/api/v1/admin/canned-audio/{message['id']}"
    async with ada.http.delete(url, headers=headers) as resp:
        assert resp.status == 204
    assert not played_file.exists()


async def _answered(bridge: Bridge, channel: str) -> bool:
    return any(c.channel == channel and c.answered_at for c in bridge.model.channels.values())
