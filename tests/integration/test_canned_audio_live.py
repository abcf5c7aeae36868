"""A canned audio message played into an agent's call is heard by both parties, and stops
when the agent stops it (AG-3), proven by ear as the supervisor's barge is
(test_spy_live.py): the message is a 1 kHz tone, and the RTP Asterisk sends the caller and
the agent (both talking, so their legs carry audio) is taken off the wire and searched for
it."""

from __future__ import annotations

import asyncio
import subprocess
import time
from pathlib import Path

import pytest
from ami_raw import RawAMI
from audio import TONE_HZ, Heard, analyse, speech_fixture  # noqa: F401
from live import eventually, sql_rows
from rtp_tap import RtpTap, rtp_source, tap_fixture  # noqa: F401

from standardiste.agent_state import Actor
from standardiste.call_control import CallRequest
from standardiste.composition import BridgeProcess as Bridge
from standardiste.pbx.canned_audio import CannedAudioStore
from standardiste.pbx.sound import convert
from standardiste.permissions import Scope
from standardiste.tools.sipp import AgentPhone, place_call

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ALICE = "PJSIP/agent1001"
ALICE_SCOPE = Scope("alice", False, frozenset(), frozenset({"sales"}), (ALICE,))
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


@sqlite_only
async def test_a_canned_message_is_heard_by_both_parties_until_stopped(
    bridge: Bridge, ami: RawAMI, tap: RtpTap, speech: Path, tmp_path: Path
) -> None:
    assert bridge.canned is not None and bridge.canned_files is not None
    store = CannedAudioStore(bridge.history.store.engine)
    sound = convert(tone_file(tmp_path / "tone.wav", MESSAGE_S))
    message = await store.add("Tone", "en", sound, "ada")
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
            played = await bridge.canned.act(
                CallRequest("canned_play", ALICE_SCOPE, message=str(message.id))
            )
            assert (played["target_channel"], played["queue"]) == (agent_chan, "sales")
            started = await ami.wait_event("ChanSpyStart", 15, mark, SpyeeChannel=agent_chan)
            assert started["SpyerChannel"].startswith(f"Local/{message.id}@standardiste-canned-")
            session = played["session"]
            assert started["SpyerUniqueid"] == session
            canned = bridge.model.canned.sessions[session]
            assert (canned.by, canned.name, canned.agent) == ("alice", "Tone", ALICE)
            assert session not in bridge.model.spies.sessions  # not a supervisor's barge
            during = await ears("during")
            assert during[0].tone and during[1].tone, during
            await bridge.canned.act(CallRequest("canned_stop", ALICE_SCOPE, session=session))
            assert session not in bridge.model.canned.sessions
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
        (message.id, "Tone", ALICE, "sales")
    }


async def _answered(bridge: Bridge, channel: str) -> bool:
    return any(c.channel == channel and c.answered_at for c in bridge.model.channels.values())
