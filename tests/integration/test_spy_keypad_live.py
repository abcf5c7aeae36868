"""A supervisor switches a listening session to whisper, then to barge, from the phone's
keypad: the supervisor's sipp phone sends the keys 5 and 6 as RFC 4733 events (sip-tester's
dtmf_2833_<digit>.pcap) in the middle of the session, then hangs up. Asterisk reports the
digits received on the supervisor's channel (DTMFEnd), ChanSpy (option d) switches, the live
model follows and the audit (spy_log) has each mode. Proven by ear as in test_spy_live.py:
the phone's 1 kHz tone reaches the agent from the whisper key on, the caller only from the
barge key on. The browser's way (PlayDTMF Receive) is test_spy_live.py's."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest
from ami_raw import RawAMI
from audio import Heard, analyse, speech_fixture, tone_fixture  # noqa: F401
from live import eventually, sql_rows
from rtp_tap import RtpTap, rtp_source, tap_fixture  # noqa: F401

from standardiste.agent_state import Actor
from standardiste.call_control import CallRequest
from standardiste.composition import BridgeProcess as Bridge
from standardiste.permissions import Scope
from standardiste.tools.sipp import AgentPhone, place_call

sqlite_only = pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
ALICE, SUP = "PJSIP/agent1001", "PJSIP/sup2001"
SUE = Scope("sue", False, frozenset({"sales"}), frozenset(), (SUP,))
ALICE_SCOPE = Scope("alice", False, frozenset(), frozenset({"sales"}), (ALICE,))
# The supervisor's keys, in seconds after the phone answers: each mode gets about 3 s of ear.
KEYS = [(3.5, "5"), (7.0, "6")]
HANGUP_AFTER_S = 4.5  # after the last key: leaves the barge its SETTLE_S + LISTEN_S
SETTLE_S, LISTEN_S, EDGE_S = 0.5, 2.5, 0.3
HEARS = {"listen": (False, False), "whisper": (True, False), "barge": (True, True)}


@sqlite_only
async def test_the_supervisor_switches_mode_from_the_phone_keypad(
    bridge: Bridge, ami: RawAMI, tap: RtpTap, tone: Path, speech: Path, tmp_path: Path
) -> None:
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

            def ears(label: str, since: float, until: float) -> tuple[bool, bool]:
                agent: Heard = analyse(
                    tap.wav(agent_ear, tmp_path / f"{label}-agent.wav", since, until)
                )
                caller: Heard = analyse(
                    tap.wav(caller_ear, tmp_path / f"{label}-caller.wav", since, until)
                )
                assert agent.sound and caller.sound, (label, agent, caller)  # ears were live
                return agent.tone, caller.tone

            async with AgentPhone(
                "2001",
                5081,
                answer_delay_s=0.2,
                talk=tone,
                keys=KEYS,
                hangup_after_s=HANGUP_AFTER_S,
                log_dir=tmp_path,
            ) as phone:
                mark = len(ami.messages)
                await bridge.calls.act(
                    CallRequest("spy", SUE, mode="listen", device=SUP, target=ALICE_SCOPE)
                )
                started = await ami.wait_event("ChanSpyStart", 15, mark, SpyeeChannel=agent_chan)
                listening = time.monotonic()
                session, spyer = started["SpyerUniqueid"], started["SpyerChannel"]
                assert spyer.startswith(f"{SUP}-")
                await eventually(
                    lambda: _mode(bridge, session), lambda m: m == "listen", 5, "listen"
                )
                switched = {"listen": listening}
                for digit, mode in (("5", "whisper"), ("6", "barge")):
                    # The phone's key, as Asterisk saw it on the supervisor's channel.
                    await ami.wait_event(
                        "DTMFEnd", 15, mark, Channel=spyer, Digit=digit, Direction="Received"
                    )
                    switched[mode] = time.monotonic()
                    await eventually(
                        lambda: _mode(bridge, session), lambda m, mode=mode: m == mode, 5, mode
                    )
                await asyncio.sleep(SETTLE_S + LISTEN_S)
                assert [o.detail for o in phone.outcomes() if o.outcome == "KEY"] == ["5", "6"]
                # The supervisor hangs up: the session ends.
                await phone.wait_outcome("LOCAL_BYE", timeout=10)
                await eventually(lambda: _mode(bridge, session), lambda m: m is None, 5, "end")
            ends = {
                "listen": switched["whisper"] - EDGE_S,
                "whisper": switched["barge"] - EDGE_S,
                "barge": switched["barge"] + SETTLE_S + LISTEN_S,
            }
            heard = {mode: ears(mode, switched[mode] + SETTLE_S, ends[mode]) for mode in HEARS}
            assert heard == HEARS, heard
    await bridge.history.flushed()
    rows = await sql_rows(
        bridge.settings.database.url,
        "select event, mode, supervisor, agent, queue from spy_log where session = :s order by at",
        s=session,
    )
    assert [(r["event"], r["mode"]) for r in rows] == [
        ("start", "listen"), ("mode", "whisper"), ("mode", "barge"), ("end", "barge")
    ]  # fmt: skip
    assert {(r["supervisor"], r["agent"], r["queue"]) for r in rows} == {("sue", ALICE, "sales")}


async def _answered(bridge: Bridge, channel: str) -> bool:
    return any(c.channel == channel and c.answered_at for c in bridge.model.channels.values())


async def _mode(bridge: Bridge, session: str) -> str | None:
    spy = bridge.model.spies.sessions.get(session)
    return spy.mode if spy else None
