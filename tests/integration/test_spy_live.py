"""A supervisor listens, then whispers, then barges on an agent's call through the product
(the bridge's call control, which the web's /api/v1/agents/{user}/spy forwards), proven by
ear: the supervisor's phone plays a 1 kHz tone and the RTP Asterisk sends each party is
taken off the wire (rtp_tap) and searched for it. Listen: neither hears it; whisper: the
agent only; barge: both. Asterisk reports the spy on the agent's exact channel; the live
model shows who listens and how; the audit (spy_log) has the start, each mode, the end."""

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
HEARS = {"listen": (False, False), "whisper": (True, False), "barge": (True, True)}
SETTLE_S, LISTEN_S = 0.5, 2.5


@sqlite_only
async def test_listen_then_whisper_then_barge_from_the_product(
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

            async def ears(label: str) -> tuple[bool, bool]:
                await asyncio.sleep(SETTLE_S)
                since = time.monotonic()
                await asyncio.sleep(LISTEN_S)
                until = time.monotonic()
                agent: Heard = analyse(
                    tap.wav(agent_ear, tmp_path / f"{label}-agent.wav", since, until)
                )
                caller: Heard = analyse(
                    tap.wav(caller_ear, tmp_path / f"{label}-caller.wav", since, until)
                )
                assert agent.sound and caller.sound, (label, agent, caller)  # ears were live
                return agent.tone, caller.tone

            async with AgentPhone("2001", 5081, answer_delay_s=0.2, talk=tone, log_dir=tmp_path):
                mark = len(ami.messages)
                asked = await bridge.calls.act(
                    CallRequest("spy", SUE, mode="listen", device=SUP, target=ALICE_SCOPE)
                )
                assert (asked["target_channel"], asked["queue"]) == (agent_chan, "sales")
                started = await ami.wait_event("ChanSpyStart", 15, mark, SpyeeChannel=agent_chan)
                session = started["SpyerUniqueid"]
                # Asterisk spies on the agent's exact channel, from the supervisor's phone.
                assert started["SpyerChannel"].startswith(f"{SUP}-")
                spy = await eventually(
                    lambda: _spy(bridge, session), lambda s: s is not None, 5, "spy in model"
                )
                assert spy is not None
                assert (spy["supervisor"], spy["agent"], spy["mode"]) == ("sue", ALICE, "listen")
                heard = {"listen": await ears("listen")}
                for mode in ("whisper", "barge"):
                    await bridge.calls.act(CallRequest("spy_mode", SUE, mode=mode, session=session))
                    assert bridge.model.spies.sessions[session].mode == mode
                    heard[mode] = await ears(mode)
                assert heard == HEARS, heard
                await bridge.calls.act(CallRequest("spy_stop", SUE, session=session))
                assert session not in bridge.model.spies.sessions
                # A session also ends with the agent's call (ChanSpy E): the caller hangs up.
                mark = len(ami.messages)
                await bridge.calls.act(
                    CallRequest("spy", SUE, mode="barge", device=SUP, target=ALICE_SCOPE)
                )
                second = (await ami.wait_event("ChanSpyStart", 15, mark))["SpyerUniqueid"]
                await eventually(
                    lambda: _spy(bridge, second), lambda s: s is not None, 5, "second session"
                )
                await ami.action("Hangup", Channel=caller_chan)
                await ami.wait_event("ChanSpyStop", 10, mark, SpyerUniqueid=second)
                await eventually(lambda: _spy(bridge, second), lambda s: s is None, 5, "ended")
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
    rows = await sql_rows(
        bridge.settings.database.url,
        "select event, mode from spy_log where session = :s order by at",
        s=second,
    )
    assert [(r["event"], r["mode"]) for r in rows] == [("start", "barge"), ("end", "barge")]


async def _answered(bridge: Bridge, channel: str) -> bool:
    return any(c.channel == channel and c.answered_at for c in bridge.model.channels.values())


async def _spy(bridge: Bridge, session: str) -> dict[str, object] | None:
    spy = bridge.model.spies.sessions.get(session)
    return spy.to_dict() if spy else None
