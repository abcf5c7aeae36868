"""Support for the recording tests (live API and browser): a queue that records, and one
recorded call through the real Asterisk."""

from __future__ import annotations

import struct
import wave
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from ami_raw import RawAMI
from live import asterisk_view, eventually

from standardiste.agent_state import Actor
from standardiste.composition import BridgeProcess as Bridge
from standardiste.pbx.render import render
from standardiste.tools import sandbox as sb
from standardiste.tools.demo_config import DEMO_QUEUES, demo_files
from standardiste.tools.sipp import SPEECH, AgentPhone, place_call

ALICE = "PJSIP/agent1001"


@pytest.fixture(name="sales_records")
def sales_records_fixture(sandbox: sb.SandboxInfo) -> Iterator[None]:
    """The admin ticked "record" on sales: the generated files say so. The dialplan reads
    routes.conf again on the next call; the demo's files are put back afterwards."""
    queues = [replace(q, record=q.name == "sales") for q in DEMO_QUEUES]
    sb.install_generated(sandbox.root, render(queues, queue_options="r").by_name())
    try:
        yield
    finally:
        sb.install_generated(sandbox.root, demo_files().by_name())


@pytest.fixture(name="monitor")
def monitor_fixture(sandbox: sb.SandboxInfo) -> Path:
    """Asterisk's monitor directory in the sandbox (where MixMonitor writes)."""
    return sandbox.root / "var/spool/asterisk/monitor"


@dataclass(frozen=True)
class Audio:
    duration: float  # seconds
    loudest: int  # the largest absolute 16-bit sample


def audio_of(path: Path) -> Audio:
    with wave.open(str(path)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        frames = audio.readframes(audio.getnframes())
        samples = struct.unpack(f"<{len(frames) // 2}h", frames)
        return Audio(audio.getnframes() / audio.getframerate(), max(map(abs, samples), default=0))


async def _finished(path: Path) -> Audio | None:
    try:
        audio = audio_of(path)
    except (FileNotFoundError, EOFError, wave.Error):
        return None
    return audio if audio.duration > 0 else None  # the header is final when the call is


async def queue_call_to_alice(
    bridge: Bridge, ami: RawAMI, log_dir: Path, number: str, *, talk_s: float = 5.0
) -> str:
    """A caller to sales (5000) answered by alice's phone, which talks; returns the call's
    id (the caller channel's uniqueid) once the call has ended."""
    assert await bridge.agents.log_in(ALICE, ["sales"], by=Actor("alice")) == ["sales"]
    async with AgentPhone("1001", 5071, answer_delay_s=0.5, talk=SPEECH, log_dir=log_dir):
        async with await place_call(
            "5000", number, hangup_after_s=talk_s, log_dir=log_dir
        ) as caller:
            view = await eventually(
                lambda: asterisk_view(ami), lambda v: bool(v.calls), 10, "call answered"
            )
            (call_id,) = view.calls
            result = await caller.wait_result(30)
            assert result.answered and result.ended_by == "local"
    await bridge.history.flushed()
    return call_id


async def recording_of(monitor: Path, call_id: str) -> tuple[Path, Audio]:
    """The call's recording once Asterisk has finished writing it."""
    path = monitor / "standardiste" / f"{call_id}.wav"
    audio = await eventually(lambda: _finished(path), bool, 10, f"{path} written")
    assert audio is not None
    return path, audio
