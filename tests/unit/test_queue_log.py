"""The queue_log parser on lines recorded from the sandbox (tests/transcripts/queue_log.txt)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from standardiste.acd.records import (
    AgentEvent,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    Record,
    RingNoAnswer,
)
from standardiste.history.queue_log import (
    BadLine,
    UnknownAgent,
    parse_line,
    records_of,
)

RECORDED = Path(__file__).parents[1] / "transcripts" / "queue_log.txt"
NAMES = {
    "Alice": "PJSIP/agent1001",
    "Bob": "PJSIP/agent1002",
    "alice": "PJSIP/agent1001",
    "bruno": "PJSIP/agent1002",
    "chloe": "PJSIP/agent1003",
    "david": "PJSIP/agent1004",
}


def records(text: str, names: dict[str, str] = NAMES) -> list[Record]:
    return records_of(parse_line(text), names.get)


def test_every_recorded_line_parses_and_calls_match_their_counts() -> None:
    lines = RECORDED.read_text().splitlines()
    events = Counter(line.split("|")[4] for line in lines)
    kinds: Counter[str] = Counter()
    outcomes: Counter[str] = Counter()
    for line in lines:
        for record in records(line):
            kinds[record.kind] += 1
            if isinstance(record, QueueCallLeft):
                outcomes[record.outcome] += 1
    assert kinds["queue_call_entered"] == events["ENTERQUEUE"]
    assert kinds["queue_call_answered"] == events["CONNECT"]
    assert kinds["queue_call_completed"] == events["COMPLETECALLER"] + events["COMPLETEAGENT"]
    assert outcomes["abandoned"] == events["ABANDON"] > 0
    assert outcomes["timed_out"] == events["EXITWITHTIMEOUT"] > 0
    # PAUSEALL is written besides the per-queue PAUSE lines: only the latter count.
    assert kinds["agent_event"] == sum(
        events[e] for e in ("ADDMEMBER", "REMOVEMEMBER", "PAUSE", "UNPAUSE")
    )


def test_call_lines_give_the_live_records_with_the_same_keys() -> None:
    entered = records("1795927133|1795927133.1|sales|NONE|ENTERQUEUE||0611000001|1")
    assert entered == [
        QueueCallEntered("1795927133.1", "sales", "0611000001", "", 1795927133.0, position=1)
    ]
    # The live record of the same call is keyed on the caller's Uniqueid and the queue.
    assert entered[0].key == "1795927133.1|sales"
    assert records("1795927134|1795927133.1|sales|Alice|CONNECT|1|1795927133.2|1") == [
        QueueCallAnswered(
            "1795927133.1",
            "sales",
            "PJSIP/agent1001",
            "Alice",
            1.0,
            1795927134.0,
            agent_uniqueid="1795927133.2",
            ring_time=1.0,
        )
    ]
    assert records("1795927137|1795927133.1|sales|Alice|COMPLETECALLER|1|3|1") == [
        QueueCallCompleted(
            "1795927133.1", "sales", "PJSIP/agent1001", 3.0, 0.0, "caller", 1795927137.0, 1.0
        )
    ]
    # A member added without a name is named by its interface.
    [done] = records("1795927136|1795927133.0|support|PJSIP/agent1002|COMPLETEAGENT|1|2|1", {})
    assert isinstance(done, QueueCallCompleted)
    assert (done.agent, done.talk, done.ended_by) == ("PJSIP/agent1002", 2.0, "agent")
    assert records("1795927141|1795927138.5|sales|NONE|ABANDON|1|1|3") == [
        QueueCallLeft("1795927138.5", "sales", "abandoned", 3.0, 1795927141.0, position=1)
    ]
    assert records("1795927146|1795927138.4|support|NONE|EXITWITHTIMEOUT|1|1|8") == [
        QueueCallLeft("1795927138.4", "support", "timed_out", 8.0, 1795927146.0, position=1)
    ]
    [key] = records("10|c1|sales|NONE|EXITWITHKEY|5|1|1|12")
    assert isinstance(key, QueueCallLeft) and (key.outcome, key.wait) == ("exited", 12.0)
    assert (key.event, key.data, key.position) == ("EXITWITHKEY", "5", 1)
    [empty] = records("10|c1|sales|NONE|EXITEMPTY|2|3|9")
    assert isinstance(empty, QueueCallLeft)
    assert (empty.outcome, empty.event, empty.data, empty.position) == (
        "exited",
        "EXITEMPTY",
        "",
        2,
    )
    [withdraw] = records("10|c1|sales|NONE|WITHDRAW|1|2|9|ext:2001")
    assert isinstance(withdraw, QueueCallLeft)
    assert (withdraw.outcome, withdraw.event, withdraw.data) == (
        "transferred",
        "WITHDRAW",
        "ext:2001",
    )
    [xfer] = records("10|c1|sales|Bob|BLINDTRANSFER|200|default|4|33|1")
    assert isinstance(xfer, QueueCallCompleted) and (xfer.talk, xfer.ended_by) == (
        33.0,
        "transfer",
    )
    [att] = records("10|c1|sales|Bob|ATTENDEDTRANSFER|BRIDGE|abc-123|4|21|1")
    assert isinstance(att, QueueCallCompleted) and att.talk == 21.0
    # What the export needs to write them again.
    assert (xfer.transfer, xfer.wait) == ("BLINDTRANSFER|200|default", 4.0)
    assert att.transfer == "ATTENDEDTRANSFER|BRIDGE|abc-123"
    [rna] = records("1795927135|1795927133.1|sales|Alice|RINGNOANSWER|15000")
    assert rna == RingNoAnswer(
        "1795927133.1", "sales", "PJSIP/agent1001", "Alice", 15000, 1795927135.0
    )


def test_agent_lines() -> None:
    assert records("1795927137|NONE|sales|Alice|PAUSE|lunch") == [
        AgentEvent(
            "PJSIP/agent1001", "sales", "pause", "lunch", "pbx", False, 1795927137.0, "Alice"
        )
    ]
    [login] = records("1795927133|MANAGER|support|PJSIP/agent1002|ADDMEMBER|", {})
    assert isinstance(login, AgentEvent) and login.action == "login" and not login.paused
    [paused] = records("1795927133|MANAGER|support|PJSIP/agent1002|ADDMEMBER|PAUSED", {})
    assert isinstance(paused, AgentEvent) and paused.paused
    assert records("1795927137|NONE|NONE|PJSIP/agent1002|PAUSEALL|break") == []
    assert records("1795926912|NONE|NONE|NONE|QUEUESTART|") == []
    assert records("1795926912|c1|sales|Alice|RINGCANCELED|1200") == []


def test_a_name_without_interface_is_reported() -> None:
    with pytest.raises(UnknownAgent) as caught:
        records("1795927134|1795927133.1|sales|Carol|CONNECT|1|1795927133.2|1")
    assert caught.value.name == "Carol"


@pytest.mark.parametrize(
    "line",
    [
        "",
        "garbage",
        "1795927134|c1|sales|Alice",  # truncated
        "17959x7134|c1|sales|Alice|CONNECT|1|x|1",  # bad time
        "1795927134|c1|sales|Alice|CONN ECT|1|x|1",  # bad event name
        "1795927134|c1|sales|Alice|CONNECT|soon|x|1",  # bad hold time
        "1795927134|c1|sales|Alice|CONNECT",  # no hold time
        "1795927134|NONE|sales|NONE|ENTERQUEUE||0611|1",  # no call id
        "1795927134|c1|NONE|NONE|ABANDON|1|1|3",  # no queue
        "1795927134|c1|sales|NONE|ABANDON|1|1|-3",  # negative wait
        "1795927134|c1|sales|Bob|BLINDTRANSFER|1",  # too short
        "1795927134|NONE|sales|NONE|PAUSE|lunch",  # no member
    ],
)
def test_bad_lines_are_refused_with_a_reason(line: str) -> None:
    with pytest.raises(BadLine):
        records(line)
