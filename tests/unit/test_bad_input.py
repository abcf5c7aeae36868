"""Bad input gets a clear error and loses nothing: nonsense AMI events, a bad setting."""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from standardiste import cli
from standardiste.ami_bridge.translate import BadMessage, translate
from standardiste.ami_bridge.wire import AmiMessage, Framer


def msg(**headers: str) -> AmiMessage:
    return AmiMessage(list(headers.items()))


@pytest.mark.parametrize(
    ("headers", "complaint"),
    [
        ({"Event": "QueueCallerJoin", "Uniqueid": "1.1", "Position": "1"}, "Queue is missing"),
        (
            {"Event": "QueueCallerJoin", "Queue": "sales", "Uniqueid": "1.1", "Position": "x"},
            "Position='x' is not an integer",
        ),
        ({"Event": "AgentComplete", "Queue": "sales", "Uniqueid": "1.1"}, "Interface is missing"),
        (
            {"Event": "QueueCallerAbandon", "Queue": "s", "Uniqueid": "1", "HoldTime": "soon"},
            "HoldTime='soon' is not a number",
        ),
    ],
)
def test_nonsense_events_are_named(headers: dict[str, str], complaint: str) -> None:
    with pytest.raises(BadMessage, match=complaint):
        translate(msg(**headers), 0.0)


class _Sink:
    """Stands in for the SQL history in this unit test: keeps what it is given."""

    healthy, buffered = True, 0

    def __init__(self) -> None:
        self.records: list[object] = []

    def submit(self, records: list[object]) -> None:
        self.records.extend(records)


async def test_the_bridge_keeps_going_after_a_bad_message() -> None:
    """A garbled message between two good ones costs only itself, and says what was wrong."""
    from standardiste.acd.model import ContactCenter
    from standardiste.bridge import Bridge
    from standardiste.journal import CommandJournal

    stream = (
        b"Event: QueueCallerJoin\r\nQueue: sales\r\nUniqueid: 1.1\r\nPosition: 1\r\n\r\n"
        b"Event: QueueCallerJoin\r\nQueue: sales\r\nUniqueid: 1.2\r\nPosition: one\r\n\r\n"
        b"Event: QueueCallerJoin\r\nQueue: sales\r\nUniqueid: 1.3\r\nPosition: 2\r\n\r\n"
    )
    sink = _Sink()
    bridge = Bridge(
        ContactCenter(),
        mirror=_Sink(),
        history=sink,
        journal=CommandJournal(),  # type: ignore[arg-type]
    )
    with capture_logs() as logs:
        for m in Framer().feed(stream):
            bridge.on_message(m)
    assert set(bridge.model.callers) == {"1.1", "1.3"}
    assert bridge.bad_messages == 1
    [warning] = [entry for entry in logs if entry["event"] == "ami.bad_message"]
    assert "Position='one' is not an integer" in warning["error"]
    assert len(sink.records) == 2  # both good callers reach the history


def test_a_bad_setting_stops_start_up_naming_it(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("STANDARDISTE_AMI_PORT", "not-a-port")
    assert cli.main(["db", "upgrade"]) == 2
    err = capsys.readouterr().err
    assert "ami.port" in err and "not-a-port" in err
