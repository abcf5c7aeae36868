"""The sipp scenario templates render to well-formed scenarios that go on hold, or press keys,
only when asked (the live tests run them against Asterisk)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from standardiste.tools.sipp import (
    AGENT_SCENARIO,
    CALLER_SCENARIO,
    KEY_S,
    Hold,
    Key,
    hold_values,
    key_steps,
    render_scenario,
)

COMMON = {"ANSWER_MS": "500", "HANGUP_MS": "2000", "ON_ANSWER": ""}
CALLER = {"CALLER": "0611111111", "CALLER_NAME": "Bob", "HANGUP_MS": "2000"}


@pytest.mark.parametrize("name", [AGENT_SCENARIO, CALLER_SCENARIO])
@pytest.mark.parametrize("hold", [None, Hold(after_s=1.0, for_s=2.5)])
def test_the_answer_leads_to_the_hold_only_when_asked(
    name: str, hold: Hold | None, tmp_path: Path
) -> None:
    values = COMMON if name == AGENT_SCENARIO else CALLER
    path = render_scenario(name, tmp_path, **values, **hold_values(hold))
    root = ET.parse(path).getroot()
    # Only the answer's step can jump to the hold.
    assert ("hold" in {e.get("next") for e in root}) == (hold is not None)
    pauses = [p.get("milliseconds") for p in root.iter("pause")]
    assert pauses == (["1000", "2500"] if hold else ["1", "1"])
    offers = [e.findtext(".") or "" for e in root.iter("send")]
    assert sum("a=sendonly" in o for o in offers) == sum("a=sendrecv" in o for o in offers) == 1


@pytest.mark.parametrize("after_s, for_s", [(-1.0, 2.0), (1.0, 0.0)])
def test_a_hold_needs_a_start_and_a_length(after_s: float, for_s: float) -> None:
    with pytest.raises(ValueError, match="hold"):
        Hold(after_s, for_s)


@pytest.mark.parametrize("hold", [None, Hold(after_s=1.0, for_s=2.5)])
@pytest.mark.parametrize("talk", [None, Path("/tmp/tone.pcap")])
def test_the_keys_are_pressed_after_the_answer_then_the_call_goes_on(
    hold: Hold | None, talk: Path | None, tmp_path: Path
) -> None:
    after = hold_values(hold)
    keys = key_steps((Key(3.5, "5"), Key(7.0, "#")), talk, after["AFTER_ANSWER"])
    path = render_scenario(
        AGENT_SCENARIO, tmp_path, **COMMON, **{**after, "AFTER_ANSWER": "keys"}, KEYS=keys
    )
    root = ET.parse(path).getroot()
    steps = list(root)
    first = next(i for i, e in enumerate(steps) if e.get("id") == "keys")
    keys_part = steps[first + 1 : next(i for i, e in enumerate(steps) if e.get("id") == "hold")]
    played = [x.get("play_pcap_audio") for step in keys_part for x in step.iter("exec")]
    voice = [str(talk)] if talk else []
    assert played == ["/usr/share/sip-tester/dtmf_2833_5.pcap", *voice] + [
        "/usr/share/sip-tester/dtmf_2833_pound.pcap",
        *voice,
    ]
    assert [p.get("milliseconds") for p in keys_part if p.tag == "pause"] == [
        "3500",
        str(round(KEY_S * 1000)),
        str(round((7.0 - 3.5 - KEY_S) * 1000)),
        str(round(KEY_S * 1000)),
    ]
    assert [e.get("message") for e in root.iter("log") if "KEY" in (e.get("message") or "")] == [
        "[call_id] KEY 5",
        "[call_id] KEY #",
    ]
    # The answer jumps to the keys, and the keys go on to the hold or the call.
    assert "keys" in {e.get("next") for e in steps}
    assert keys_part[-1].get("next") == ("hold" if hold else "incall")


def test_without_keys_the_answer_goes_straight_on(tmp_path: Path) -> None:
    path = render_scenario(AGENT_SCENARIO, tmp_path, **COMMON, **hold_values(None))
    root = ET.parse(path).getroot()
    assert "keys" not in {e.get("next") for e in root}
    assert not [e for e in root.iter("exec")]


def test_the_phone_offers_telephone_events(tmp_path: Path) -> None:
    """Every SDP of the agent's phone offers RFC 4733 events (payload type 101, sip-tester's)."""
    path = render_scenario(AGENT_SCENARIO, tmp_path, **COMMON, **hold_values(Hold(1.0, 1.0)))
    bodies = [e.findtext(".") or "" for e in ET.parse(path).getroot().iter("send")]
    sdps = [b for b in bodies if "m=audio" in b]
    assert len(sdps) == 4
    assert all("RTP/AVP 0 8 101" in s and "a=rtpmap:101 telephone-event/8000" in s for s in sdps)


@pytest.mark.parametrize(
    "keys",
    [
        (Key(2.0, "5"), Key(1.0, "6")),  # out of order
        (Key(2.0, "5"), Key(2.0 + KEY_S / 2, "6")),  # the second before the first is over
    ],
)
def test_keys_come_in_time_order(keys: tuple[Key, ...]) -> None:
    with pytest.raises(ValueError, match="keys"):
        key_steps(keys, None, "incall")


@pytest.mark.parametrize("after_s, digit", [(-1.0, "5"), (1.0, "A"), (1.0, "56"), (1.0, "")])
def test_a_key_is_one_digit_after_the_answer(after_s: float, digit: str) -> None:
    with pytest.raises(ValueError, match="key"):
        Key(after_s, digit)
