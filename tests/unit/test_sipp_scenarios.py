"""The sipp scenario templates render to well-formed scenarios that go on hold only when asked
(the live tests run them against Asterisk)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from standardiste.tools.sipp import (
    AGENT_SCENARIO,
    CALLER_SCENARIO,
    Hold,
    hold_values,
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
