"""The queue_log lines the export writes from history rows: each event's fields as
app_queue writes them, what is left out, the order of lines of the same instant, ranges."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest

from standardiste.history.queue_log_export import (
    BadRange,
    agent_line,
    callback_lines,
    connect_line,
    day_range,
    end_line,
    entered_line,
    parse_bound,
    ring_line,
)

T = dt.datetime(2026, 11, 29, 9, 0, 0, 250000, tzinfo=dt.UTC)
E = int(T.timestamp())


def at(seconds: float) -> dt.datetime:
    return T + dt.timedelta(seconds=seconds)


def call(**values: Any) -> SimpleNamespace:
    row: dict[str, Any] = {
        "uniqueid": "1795.7",
        "queue": "sales",
        "caller_number": "0611000001",
        "entered_at": T,
        "answered_at": None,
        "agent": "PJSIP/agent1001",
        "member_name": "Alice",
        "wait": None,
        "outcome": None,
        "talk": None,
        "ended_by": None,
        "completed_at": None,
        "position": 2,
        "left_position": None,
        "agent_uniqueid": None,
        "ring_time": None,
        "completed_wait": None,
        "transfer": None,
        "exit_event": None,
        "exit_data": None,
    }
    row.update(values)
    return SimpleNamespace(**row)


ANSWERED = {
    "answered_at": at(6.5),
    "wait": 6.0,
    "outcome": "answered",
    "agent_uniqueid": "1795.8",
    "ring_time": 2.0,
}


def test_a_completed_call_gives_enterqueue_connect_and_complete() -> None:
    row = call(**ANSWERED, talk=31.0, ended_by="caller", completed_at=at(37.9), completed_wait=7.0)
    assert entered_line(row).text == f"{E}|1795.7|sales|NONE|ENTERQUEUE||0611000001|2"
    assert connect_line(row).text == f"{E + 6}|1795.7|sales|Alice|CONNECT|6|1795.8|2"
    # COMPLETE*'s holdtime is app_queue's own figure at the end, origpos the join position.
    done = end_line(row)
    assert done is not None and done.text == f"{E + 38}|1795.7|sales|Alice|COMPLETECALLER|7|31|2"
    by_agent = end_line(call(**ANSWERED, talk=5.0, ended_by="agent", completed_at=at(12)))
    assert by_agent is not None
    assert by_agent.text == f"{E + 12}|1795.7|sales|Alice|COMPLETEAGENT|6|5|2"


def test_the_agent_column_is_the_member_name_else_the_interface() -> None:
    row = call(**ANSWERED | {"member_name": None})
    assert connect_line(row).text.split("|")[3] == "PJSIP/agent1001"


def test_transfers_carry_their_leading_fields() -> None:
    blind = call(
        **ANSWERED,
        talk=20.0,
        ended_by="transfer",
        completed_at=at(30),
        completed_wait=6.0,
        transfer="BLINDTRANSFER|2001|from-internal",
    )
    line = end_line(blind)
    assert line is not None
    assert line.text == f"{E + 30}|1795.7|sales|Alice|BLINDTRANSFER|2001|from-internal|6|20|2"
    # AMI said "transfer" but queue_log has not told how yet: no line rather than a wrong one.
    assert end_line(call(**ANSWERED, talk=20.0, ended_by="transfer", completed_at=at(30))) is None
    assert end_line(call(**ANSWERED, talk=20.0, ended_by="unknown", completed_at=at(30))) is None


@pytest.mark.parametrize(
    ("outcome", "event"), [("abandoned", "ABANDON"), ("timed_out", "EXITWITHTIMEOUT")]
)
def test_callers_who_left_unanswered(outcome: str, event: str) -> None:
    row = call(outcome=outcome, wait=14.0, completed_at=at(14.1), left_position=1, position=3)
    line = end_line(row)
    assert line is not None and line.text == f"{E + 14}|1795.7|sales|NONE|{event}|1|3|14"


@pytest.mark.parametrize(
    ("outcome", "event", "data", "fields"),
    [
        ("exited", "EXITEMPTY", None, "1|3|14"),
        ("exited", "EXITWITHKEY", "5", "5|1|3|14"),
        ("transferred", "WITHDRAW", "dev:sup2001", "1|3|14|dev:sup2001"),
        ("transferred", "WITHDRAW", None, "1|3|14|"),
    ],
)
def test_exits_kept_with_their_event(
    outcome: str, event: str, data: str | None, fields: str
) -> None:
    row = call(
        outcome=outcome,
        wait=14.0,
        completed_at=at(14.1),
        left_position=1,
        position=3,
        exit_event=event,
        exit_data=data,
    )
    line = end_line(row)
    assert line is not None and line.text == f"{E + 14}|1795.7|sales|NONE|{event}|{fields}"


def test_outcomes_the_history_cannot_tell_apart_are_not_exported() -> None:
    for outcome in ("exited", "transferred", None):
        assert end_line(call(outcome=outcome, wait=3.0, completed_at=at(3))) is None
    # An event that does not go with the outcome (a later fact replaced the outcome).
    mismatched = call(outcome="exited", exit_event="WITHDRAW", wait=3.0, completed_at=at(3))
    assert end_line(mismatched) is None


def test_an_unknown_caller_number_is_written_empty() -> None:
    assert entered_line(call(caller_number="<unknown>")).text.endswith("|ENTERQUEUE|||2")


def test_rows_older_than_the_export_columns_leave_those_fields_empty() -> None:
    row = call(**ANSWERED | {"agent_uniqueid": None, "ring_time": None}, position=None)
    assert entered_line(row).text.endswith("|ENTERQUEUE||0611000001|")
    assert connect_line(row).text.endswith("|CONNECT|6||")


def test_agent_lines() -> None:
    def event(action: str, reason: str = "", paused: bool = False) -> SimpleNamespace:
        return SimpleNamespace(
            agent="PJSIP/agent1001",
            member_name="Alice",
            queue="sales",
            action=action,
            reason=reason,
            paused=paused,
            at=at(1),
        )

    assert agent_line(event("login")).text == f"{E + 1}|MANAGER|sales|Alice|ADDMEMBER|"
    assert agent_line(event("login", paused=True)).text.endswith("|ADDMEMBER|PAUSED")
    assert agent_line(event("logout")).text == f"{E + 1}|MANAGER|sales|Alice|REMOVEMEMBER|"
    assert agent_line(event("pause", "lunch")).text == f"{E + 1}|NONE|sales|Alice|PAUSE|lunch"
    assert agent_line(event("resume")).text == f"{E + 1}|NONE|sales|Alice|UNPAUSE|"


def test_ring_no_answer_is_in_milliseconds() -> None:
    row = SimpleNamespace(
        uniqueid="1795.7",
        queue="sales",
        agent="PJSIP/agent1002",
        member_name="Bob",
        ring_ms=15004,
        at=at(17),
    )
    assert ring_line(row).text == f"{E + 17}|1795.7|sales|Bob|RINGNOANSWER|15004"


def test_lines_of_the_same_instant_sort_in_app_queues_order() -> None:
    # queue_log's whole seconds (what the recovery wrote): everything at E.
    second = T.replace(microsecond=0)
    row = call(
        **ANSWERED | {"answered_at": second},
        entered_at=second,
        talk=0.0,
        ended_by="caller",
        completed_at=second,
    )
    ring = SimpleNamespace(
        uniqueid="1795.7", queue="sales", agent="x", member_name="Bob", ring_ms=1, at=second
    )
    login = SimpleNamespace(
        agent="x", member_name="Bob", queue="sales", action="login", reason="", paused=False,
        at=second,
    )  # fmt: skip
    done = end_line(row)
    assert done is not None
    lines = [done, connect_line(row), ring_line(ring), entered_line(row), agent_line(login)]
    events = [line.text.split("|")[4] for line in sorted(lines, key=lambda x: x.sort_key())]
    assert events == ["ADDMEMBER", "ENTERQUEUE", "RINGNOANSWER", "CONNECT", "COMPLETECALLER"]
    # Sub-second times (the live path) order lines of one second as they happened.
    early = entered_line(call(entered_at=at(0.1)))
    late_login = agent_line(SimpleNamespace(**vars(login) | {"at": at(0.6)}))
    assert sorted([late_login, early], key=lambda x: x.sort_key())[0] is early


def test_ranges() -> None:
    start, end = day_range(dt.date(2026, 3, 29), dt.date(2026, 3, 29), "Europe/Paris")
    # The day the clocks go forward is 23 hours long.
    assert (start.isoformat(), end - start) == ("2026-03-28T23:00:00+00:00", dt.timedelta(hours=23))
    assert parse_bound("2026-03-29", "Europe/Paris", end=True) == end
    assert parse_bound("2026-03-29T10:00:00Z", "Europe/Paris", end=False) == dt.datetime(
        2026, 3, 29, 10, tzinfo=dt.UTC
    )
    for bad in ("2026-03-29T10:00:00", "29/03/2026", "", "2026-02-30"):
        with pytest.raises(BadRange):
            parse_bound(bad, "Europe/Paris", end=False)
    with pytest.raises(BadRange):
        day_range(dt.date(2026, 3, 29), dt.date(2026, 3, 28), "UTC")


REQUEST = "641f1422433440a796f127ab9bdbc491"


def request(**values: Any) -> SimpleNamespace:
    row: dict[str, Any] = {
        "id": REQUEST,
        "queue": "sales",
        "original_uniqueid": "1795.2",
        "requested_at": at(4.5),
        "position": 1,
        "status": "waiting",
        "calling_at": None,
        "answered_at": None,
        "ended_at": None,
        "detail": "",
    }
    row.update(values)
    return SimpleNamespace(**row)


def test_a_callback_requests_info_lines() -> None:
    cb = f"cb-{REQUEST}"
    done = request(
        status="connected",
        calling_at=at(8.1),
        answered_at=at(9.2),
        ended_at=at(12.3),
        detail="ANSWER",
    )
    assert [x.text for x in callback_lines(done)] == [
        f"{E + 4}|1795.2|sales|NONE|INFO|CALLBACK_REQUESTED|{REQUEST}|1",
        f"{E + 8}|{cb}|sales|NONE|INFO|CALLBACK_CALLING|{REQUEST}",
        f"{E + 9}|{cb}|sales|NONE|INFO|CALLBACK_CONNECTED|{REQUEST}",
        f"{E + 12}|{cb}|sales|NONE|INFO|CALLBACK_END|{REQUEST}|ANSWER",
    ]
    busy = request(status="no_answer", calling_at=at(8), ended_at=at(9), detail="BUSY")
    assert callback_lines(busy)[-1].text.endswith(f"|CALLBACK_END|{REQUEST}|BUSY")
    expired = request(status="expired", ended_at=at(60), detail="TIMEOUT")
    assert callback_lines(expired)[-1].text == (
        f"{E + 60}|{cb}|sales|NONE|INFO|CALLBACK_EXPIRED|{REQUEST}"
    )
    # Ends our dialplan did not log: the bridge's own (a cancel, a guess, an expiry with
    # no placeholder in the queue).
    for status, detail in (("cancelled", "by supervisor"), ("failed", "outcome_unknown")):
        ended = request(status=status, ended_at=at(30), detail=detail)
        assert [x.text.split("|")[5] for x in callback_lines(ended)] == ["CALLBACK_REQUESTED"]


def test_a_callbacks_lines_of_the_same_second_in_the_dialplans_order() -> None:
    row = call(
        uniqueid=f"cb-{REQUEST}",
        answered_at=at(8.1),
        wait=4.0,
        outcome="answered",
        talk=4.0,
        ended_by="caller",
        completed_at=at(12.1),
        completed_wait=4.0,
        position=1,
    )
    done = request(
        status="connected",
        calling_at=at(8.1),
        answered_at=at(9.2),
        ended_at=at(12.1),
        detail="ANSWER",
    )
    lines = [connect_line(row), end_line(row), *callback_lines(done)]
    order = [x.text.split("|")[4:6] for x in sorted(lines, key=lambda x: x.sort_key())]
    assert order == [
        ["INFO", "CALLBACK_REQUESTED"],
        ["INFO", "CALLBACK_CALLING"],
        ["CONNECT", "4"],
        ["INFO", "CALLBACK_CONNECTED"],
        ["INFO", "CALLBACK_END"],
        ["COMPLETECALLER", "4"],
    ]
