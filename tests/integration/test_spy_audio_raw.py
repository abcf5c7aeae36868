"""ChanSpy's three modes, proven by ear, with raw AMI only (no product code): the ground the
supervisor's listen / whisper / barge stands on.

A caller (speech) to sales is answered by agent1001's phone (speech); the supervisor's phone
(sup2001) plays a 1 kHz tone and is originated into ``ChanSpy(<the agent's exact channel>,
qEud[w|B])``. The RTP Asterisk sends to the agent's and to the caller's phone is taken off the
wire (rtp_tap: a recording inside Asterisk cannot hear a whisper) and searched for the tone:
listen -> neither hears it, whisper -> the agent only, barge -> both. Both talk all along: a
whisper is mixed into the audio Asterisk sends a party, so a party that is sent nothing (a
silent peer) would hear no whisper either.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from ami_raw import Message, RawAMI
from audio import Heard, analyse, speech_fixture, tone_fixture  # noqa: F401
from rtp_tap import Address, RtpTap, rtp_source, tap_fixture  # noqa: F401

from standardiste.tools.sipp import AgentPhone, place_call

AGENT = "PJSIP/agent1001"
SUPERVISOR = "PJSIP/sup2001"
OPTIONS = "qEud"  # quiet, end with the agent's call, exact channel, keypad 4/5/6 switch modes
MODES = {"listen": "", "whisper": "w", "barge": "B"}  # the option letter that starts each mode
DIGITS = {"listen": "4", "whisper": "5", "barge": "6"}  # what switches to it (option d)
HEARS = {  # who hears the supervisor: (agent, caller)
    "listen": (False, False),
    "whisper": (True, False),
    "barge": (True, True),
}
SETTLE_S = 0.5  # after a mode starts, before listening (the audio takes a few frames)
LISTEN_S = 2.5


@dataclass(frozen=True)
class QueueCall:
    agent: str  # the agent's channel (the spied one)
    agent_uniqueid: str
    caller: str  # the caller's channel
    agent_ear: Address  # where Asterisk sends the agent's audio from
    caller_ear: Address


@asynccontextmanager
async def queue_call(ami: RawAMI, log_dir: Path, speech: Path) -> AsyncIterator[QueueCall]:
    """A caller to sales answered by agent1001, both talking; hung up on the way out."""
    assert (await ami.action("QueueAdd", Queue="sales", Interface=AGENT))["Response"] == "Success"
    async with AgentPhone("1001", 5071, answer_delay_s=0.3, talk=speech, log_dir=log_dir):
        start = len(ami.messages)
        async with await place_call(
            "5000", "0611111111", hangup_after_s=60, talk=speech, log_dir=log_dir
        ):
            connect = await ami.wait_event("AgentConnect", 15, start, Interface=AGENT)
            agent, caller = connect["DestChannel"], connect["Channel"]
            try:
                yield QueueCall(
                    agent,
                    connect["DestUniqueid"],
                    caller,
                    await rtp_source(ami, agent),
                    await rtp_source(ami, caller),
                )
            finally:
                await ami.action("Hangup", Channel=caller)


async def spy(ami: RawAMI, agent: str, options: str) -> Message:
    """Originate the supervisor's phone into ChanSpy on ``agent``; its ChanSpyStart."""
    start = len(ami.messages)
    resp = await ami.action(
        "Originate", Channel=SUPERVISOR, Application="ChanSpy", Data=f"{agent},{options}",
        Async="true",
    )  # fmt: skip
    assert resp["Response"] == "Success", resp
    return await ami.wait_event("ChanSpyStart", 10, start, SpyeeChannel=agent)


async def hang_up(ami: RawAMI, spyer: str) -> Message:
    """End the supervisor's call; its ChanSpyStop."""
    start = len(ami.messages)
    await ami.action("Hangup", Channel=spyer)
    return await ami.wait_event("ChanSpyStop", 10, start, SpyerChannel=spyer)


async def ears(tap: RtpTap, call: QueueCall, directory: Path, label: str) -> tuple[Heard, Heard]:
    """What the agent and the caller hear over the next LISTEN_S seconds."""
    await asyncio.sleep(SETTLE_S)
    since = time.monotonic()
    await asyncio.sleep(LISTEN_S)
    until = time.monotonic()
    agent = analyse(tap.wav(call.agent_ear, directory / f"{label}-agent.wav", since, until))
    caller = analyse(tap.wav(call.caller_ear, directory / f"{label}-caller.wav", since, until))
    # Both ears were live (the other party's speech reached them): no tone means not sent.
    assert agent.sound and caller.sound, (label, agent, caller)
    return agent, caller


async def test_each_mode_started_by_its_option_is_heard_by_the_right_parties(
    ami: RawAMI, tap: RtpTap, tone: Path, speech: Path, tmp_path: Path
) -> None:
    async with queue_call(ami, tmp_path, speech) as call:
        async with AgentPhone("2001", 5081, answer_delay_s=0.2, talk=tone, log_dir=tmp_path):
            heard = {}
            for mode, letter in MODES.items():
                started = await spy(ami, call.agent, OPTIONS + letter)
                # Asterisk names the spy and the exact channel spied on.
                assert started["SpyerChannel"].startswith(f"{SUPERVISOR}-")
                assert (started["SpyeeChannel"], started["SpyeeUniqueid"]) == (
                    call.agent,
                    call.agent_uniqueid,
                )
                heard[mode] = await ears(tap, call, tmp_path, mode)
                stopped = await hang_up(ami, started["SpyerChannel"])
                assert stopped["SpyeeChannel"] == call.agent
    assert {mode: (a.tone, c.tone) for mode, (a, c) in heard.items()} == HEARS, heard


async def test_received_digits_switch_modes_during_the_session(
    ami: RawAMI, tap: RtpTap, tone: Path, speech: Path, tmp_path: Path
) -> None:
    """PlayDTMF with Receive: yes on the supervisor's channel acts as a key pressed on their
    phone: ChanSpy's d switches to listen (4), whisper (5) or barge (6) without a new call."""
    async with queue_call(ami, tmp_path, speech) as call:
        async with AgentPhone("2001", 5081, answer_delay_s=0.2, talk=tone, log_dir=tmp_path):
            started = await spy(ami, call.agent, OPTIONS)
            spyer, session_start = started["SpyerChannel"], len(ami.messages)
            heard = {"listen": await ears(tap, call, tmp_path, "first-listen")}
            for mode in ("whisper", "barge", "listen"):
                resp = await ami.action(
                    "PlayDTMF", Channel=spyer, Digit=DIGITS[mode], Receive="yes"
                )
                assert resp["Response"] == "Success", resp
                heard[f"then {mode}"] = await ears(tap, call, tmp_path, mode)
            # One session throughout: ChanSpy neither stopped nor started again.
            assert not [
                m
                for m in ami.messages[session_start:]
                if m.get("Event") in ("ChanSpyStart", "ChanSpyStop")
            ]
            await hang_up(ami, spyer)
    assert {mode: (a.tone, c.tone) for mode, (a, c) in heard.items()} == {
        "listen": HEARS["listen"],
        "then whisper": HEARS["whisper"],
        "then barge": HEARS["barge"],
        "then listen": HEARS["listen"],
    }, heard
