"""Canned audio messages (AG-3): a playback in the live model (not a supervisor's barge), who
played and who stopped it in the audit, the Originate that plays it, and the conversion of
an admin's file (with the real sox, as scripts/setup.sh installs it)."""

from __future__ import annotations

import io
import math
import struct
import wave
from collections.abc import Mapping

import pytest

from standardiste.acd import events as ev
from standardiste.acd.canned import local_device, message_of
from standardiste.acd.model import ContactCenter
from standardiste.acd.records import CannedLogged, SpyLogged
from standardiste.acd.state import Reset
from standardiste.ami_bridge.commands import AmiCommands
from standardiste.errors import InvalidInput
from standardiste.journal import CommandJournal
from standardiste.pbx.sound import convert
from standardiste.permissions import Scope, can_see

T0 = 1_700_000_000.0
AGENT_CHAN = "PJSIP/agent1001-0000000a"
PLAYER = "Local/7@standardiste-canned-0000001f;1"


def answered_call(cc: ContactCenter) -> None:
    cc.apply(ev.CallerJoined("sales", "100.1", "PJSIP/pstn-1", "0611111111", "Bob", 1, T0))
    cc.apply(ev.ChannelCreated("100.2", "100.1", AGENT_CHAN, "1001", "", "s", "", T0 + 1))
    cc.apply(ev.ChannelAnswered("100.2", "0611111111", T0 + 2))
    cc.apply(ev.CallerLeft("sales", "100.1", T0 + 2))
    cc.apply(
        ev.AgentConnected(
            "sales", "100.1", "PJSIP/agent1001", "Alice", 2.0, "100.2", AGENT_CHAN, T0 + 2
        )
    )


def logs(cc: ContactCenter, *events: ev.Event) -> list[tuple[str, str, str]]:
    out = []
    for e in events:
        records = cc.apply(e).records
        assert not [r for r in records if isinstance(r, SpyLogged)], "not a supervisor's spy"
        out += [(r.event, r.by, r.stopped_by) for r in records if isinstance(r, CannedLogged)]
    return out


def test_only_our_playing_channels_are_canned_messages() -> None:
    assert message_of(PLAYER) == 7
    assert local_device(7) == "Local/7@standardiste-canned"
    for other in (
        "Local/7@standardiste-canned-0000001f;2",  # the half that plays, not the one that spies
        "Local/7@elsewhere-0000001f;1",
        "PJSIP/sup2001-0000000c",
        "Local/x7@standardiste-canned-0000001f;1",
    ):
        assert message_of(other) is None, other


def test_a_message_played_from_the_browser_shows_and_is_audited_start_and_stop() -> None:
    cc, journal = ContactCenter(), CommandJournal()
    answered_call(cc)
    journal.expect_canned(local_device(7), AGENT_CHAN, by="alice", name="Hold on", queue="sales")
    start = journal.attribute(ev.SpyStarted("300.1", PLAYER, "100.2", AGENT_CHAN, T0 + 5))
    assert logs(cc, start) == [("start", "alice", "")]
    playing = cc.state()["canned"]["300.1"]
    assert (playing["message"], playing["name"], playing["by"], playing["agent"]) == (
        7, "Hold on", "alice", "PJSIP/agent1001"
    )  # fmt: skip
    assert (playing["queue"], playing["target_channel"]) == ("sales", AGENT_CHAN)
    assert cc.state()["spy"] == {}  # no supervisor barges in
    # A digit the playing channel receives changes nothing (it is no supervisor's session).
    assert logs(cc, ev.DigitReceived("300.1", "4", T0 + 6)) == []
    journal.expect_stop("300.1", by="alice")
    stop = journal.attribute(ev.SpyStopped("300.1", T0 + 8))
    assert logs(cc, stop, ev.ChannelHungUp("300.1", 16, T0 + 8)) == [("end", "alice", "alice")]
    assert cc.state()["canned"] == {}
    assert cc.apply(ev.SpyStopped("300.1", T0 + 9)).records == []  # ended once


def test_a_message_that_plays_to_its_end_has_nobody_as_stopper() -> None:
    cc = ContactCenter()
    answered_call(cc)
    cc.apply(ev.SpyStarted("300.1", PLAYER, "100.2", AGENT_CHAN, T0 + 5, "alice", label="Hi"))
    assert logs(cc, ev.ChannelHungUp("300.1", 16, T0 + 20)) == [("end", "alice", "")]


def test_a_resync_finds_a_message_playing_and_ends_one_gone() -> None:
    cc = ContactCenter()
    answered_call(cc)
    cc.apply(ev.SpyStarted("300.1", PLAYER, "100.2", AGENT_CHAN, T0 + 5, "alice", label="Hi"))

    def channel(uid: str, name: str, app: str = "", data: str = "") -> ev.ActiveChannel:
        return ev.ActiveChannel(uid, uid, name, "", "", "", "", "", "Up", app, "", 10.0, data)

    listed = (
        channel("100.2", AGENT_CHAN),
        channel("300.1", PLAYER, "ChanSpy", f"{AGENT_CHAN},qBEu"),
        channel("300.2", "Local/7@standardiste-canned-0000001f;2", "Playback", "x"),
    )
    out = cc.replace(ev.Snapshot(T0 + 15, channels=listed))
    [reset] = [c for c in out.changes if isinstance(c, Reset)]
    assert set(reset.state["canned"]) == {"300.1"} and reset.state["spy"] == {}
    assert reset.state["canned"]["300.1"]["by"] == "alice"  # the one we knew keeps who
    out = cc.replace(ev.Snapshot(T0 + 25, channels=listed[:1]))
    assert [(r.session, r.event) for r in out.records if isinstance(r, CannedLogged)] == [
        ("300.1", "end")
    ]


def test_the_agent_and_the_queues_supervisors_see_it_other_agents_do_not() -> None:
    cc = ContactCenter()
    answered_call(cc)
    cc.apply(ev.SpyStarted("300.1", PLAYER, "100.2", AGENT_CHAN, T0 + 5, "alice", label="Hi"))
    playing = cc.state()["canned"]["300.1"]
    alice = Scope("alice", False, frozenset(), frozenset({"sales"}), ("PJSIP/agent1001",))
    sue = Scope("sue", False, frozenset({"sales"}), frozenset(), ("PJSIP/sup2001",))
    carol = Scope("carol", False, frozenset(), frozenset({"sales"}), ("PJSIP/agent1003",))
    sam = Scope("sam", False, frozenset({"support"}), frozenset(), ())
    seen = {s.username: can_see(s, "canned", playing) for s in (alice, sue, carol, sam)}
    assert seen == {"alice": True, "sue": True, "carol": False, "sam": False}


class Recorder:
    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, str], bool]] = []

    async def send(
        self, name: str, headers: Mapping[str, str], *, timeout: float = 10.0,
        idempotent: bool = True,
    ) -> object:  # fmt: skip
        self.sent.append((name, dict(headers), idempotent))
        return None


async def test_playing_is_an_originate_of_chanspy_barging_from_a_local_channel() -> None:
    conn = Recorder()
    await AmiCommands(conn).play_into(7, AGENT_CHAN)
    assert conn.sent == [
        (
            "Originate",
            {
                "Channel": "Local/7@standardiste-canned",
                "Application": "ChanSpy",
                "Data": f"{AGENT_CHAN},qBEu",
                "Async": "true",
                "Timeout": "10000",
            },
            False,
        )
    ]


@pytest.mark.parametrize(
    ("message", "channel"),
    [
        (0, AGENT_CHAN),
        (-1, AGENT_CHAN),
        (True, AGENT_CHAN),
        ("7", AGENT_CHAN),
        (7, "PJSIP/agent1001-0000000a,qw"),  # more options through the channel
        (7, "SIP/../etc"),
        (7, f"{AGENT_CHAN}\r\nAction: Command"),
    ],
)
async def test_nothing_but_an_id_and_an_exact_channel_reaches_originate(
    message: object, channel: str
) -> None:
    conn = Recorder()
    with pytest.raises(ValueError, match="not allowed"):
        await AmiCommands(conn).play_into(message, channel)  # type: ignore[arg-type]
    assert conn.sent == []


def _wav(seconds: float, rate: int, channels: int, frequency: float = 440.0) -> bytes:
    out = io.BytesIO()
    with wave.open(out, "wb") as audio:
        audio.setnchannels(channels)
        audio.setsampwidth(2)
        audio.setframerate(rate)
        frames = (
            struct.pack("<h", int(8000 * math.sin(2 * math.pi * frequency * i / rate))) * channels
            for i in range(int(rate * seconds))
        )
        audio.writeframes(b"".join(frames))
    return out.getvalue()


def test_a_sound_file_is_converted_to_what_asterisk_plays() -> None:
    converted = convert(_wav(1.25, 44100, 2))
    assert converted.seconds == 1.25
    with wave.open(io.BytesIO(converted.wav)) as audio:
        assert (audio.getframerate(), audio.getnchannels(), audio.getsampwidth()) == (8000, 1, 2)
    assert len(converted.sha256) == 64


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (b"", "the sound file is empty"),
        (b"GIF89a not a sound", "not a sound file sox can read"),
        (b"#EXTM3U\n/etc/passwd\n", "not a sound file sox can read"),  # no playlist followed
        (_wav(61.0, 8000, 1), "more than 60 s"),
        (_wav(0.0, 8000, 1), "holds no audio"),
    ],
)
def test_what_cannot_be_played_is_refused_saying_why(data: bytes, problem: str) -> None:
    with pytest.raises(InvalidInput, match=problem):
        convert(data)


def test_a_conversion_that_takes_too_long_is_stopped() -> None:
    with pytest.raises(InvalidInput, match="could not be converted within"):
        convert(_wav(30.0, 44100, 2), timeout=0.001)
