"""The campaigns' pure core: numbers, schedules and call windows, retries, SV-7 status."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from standardiste.dialer.campaign import CampaignDef, Status, campaign_status
from standardiste.dialer.contacts import (
    InvalidNumber,
    Outcome,
    dial_digits,
    normalise_number,
    outcome_from_dialstatus,
    region_timezone,
)
from standardiste.dialer.retry import ContactStatus, Progress, RetryRules, after_attempt, is_due
from standardiste.dialer.schedule import CallWindow, Schedule
from standardiste.errors import InvalidInput


@pytest.mark.parametrize(
    "raw",
    ["06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678", "+33612345678", "06.12.34.56.78"],
)
def test_one_person_typed_several_ways_is_one_number(raw: str) -> None:
    assert normalise_number(raw, "FR") == "+33612345678"


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        ("", "empty"),
        ("12", "wrong length"),
        ("hello", "not a phone number"),
        ("+999 123456789", "not a phone number"),
        ("06 12 34 56 78 99 99", "wrong length"),
    ],
)
def test_a_bad_number_is_refused_with_the_reason(raw: str, why: str) -> None:
    with pytest.raises(InvalidNumber, match=why):
        normalise_number(raw, "FR")


def test_the_dialplan_gets_digits_only_and_the_zone_follows_the_number() -> None:
    assert dial_digits("+33612345678") == "33612345678"
    with pytest.raises(InvalidNumber):
        dial_digits("33612345678;Hangup")
    assert region_timezone("+33612345678", "UTC") == "Europe/Paris"
    assert region_timezone("+16502530000", "UTC") == "America/Los_Angeles"


def test_dialstatus_maps_to_outcomes() -> None:
    assert outcome_from_dialstatus("ANSWER") is Outcome.ANSWERED
    assert outcome_from_dialstatus("NOANSWER") is Outcome.NO_ANSWER
    assert outcome_from_dialstatus("BUSY") is Outcome.BUSY
    assert outcome_from_dialstatus("CHANUNAVAIL") is Outcome.FAILED


PARIS_WEEKDAY_10H = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # Tuesday 10:00 in Paris


def test_schedule_is_read_in_the_campaign_zone() -> None:
    s = Schedule.parse({"timezone": "Europe/Paris"})
    assert s.is_open(PARIS_WEEKDAY_10H)
    assert not s.is_open(PARIS_WEEKDAY_10H + timedelta(hours=9))  # 19:00 Paris
    assert not s.is_open(datetime(2026, 12, 5, 9, 0, tzinfo=UTC))  # Saturday
    ny = Schedule.parse({"timezone": "America/New_York"})
    assert not ny.is_open(PARIS_WEEKDAY_10H)  # 04:00 in New York


def test_closed_days_and_dates_of_the_calendar() -> None:
    s = Schedule.parse({"closed": ["2026-12-01"], "end_date": "2026-12-31"})
    assert not s.is_open(PARIS_WEEKDAY_10H)
    assert s.is_open(PARIS_WEEKDAY_10H + timedelta(days=1))
    assert s.is_over(datetime(2027, 1, 2, 9, tzinfo=UTC))
    assert s.next_open(PARIS_WEEKDAY_10H) == datetime(2026, 12, 2, 8, 0, tzinfo=UTC)  # 09:00 Paris


def test_call_window_is_the_contacts_local_time() -> None:
    w = CallWindow.parse({"start": "09:00", "end": "20:00"})
    assert w.allows("Europe/Paris", PARIS_WEEKDAY_10H)
    assert not w.allows("America/Los_Angeles", PARIS_WEEKDAY_10H)  # 01:00 there


@pytest.mark.parametrize(
    ("data", "field"),
    [
        ({"hours": {"mon": [{"start": "18:00", "end": "09:00"}]}}, "schedule.hours.mon[0]"),
        ({"hours": {"mon": [{"start": "9h", "end": "18:00"}]}}, "schedule.hours.mon[0].start"),
        ({"timezone": "Mars/Olympus"}, "schedule.timezone"),
        ({"closed": ["2026-13-01"]}, "schedule.closed[0]"),
    ],
)
def test_schedule_errors_name_the_field(data: dict[str, object], field: str) -> None:
    with pytest.raises(InvalidInput, match=field.replace("[", r"\[").replace("]", r"\]")):
        Schedule.parse(data)


def test_retries_follow_the_rules_and_the_cap() -> None:
    rules = RetryRules(max_attempts=3, no_answer_delay=600, busy_delay=60)
    t = datetime(2026, 12, 1, 9, tzinfo=UTC)
    p = after_attempt(Progress(), Outcome.NO_ANSWER, t, rules)
    assert (p.status, p.attempts, p.next_at) == (
        ContactStatus.PENDING,
        1,
        t + timedelta(seconds=600),
    )
    assert not is_due(p, t + timedelta(seconds=599)) and is_due(p, t + timedelta(seconds=600))
    p = after_attempt(p, Outcome.BUSY, t, rules)
    assert (p.attempts, p.next_at) == (2, t + timedelta(seconds=60))
    p = after_attempt(p, Outcome.NO_ANSWER, t, rules)
    assert p.status is ContactStatus.EXHAUSTED and not is_due(p, t + timedelta(days=9))


def test_an_agent_who_does_not_answer_costs_the_contact_no_attempt() -> None:
    t = datetime(2026, 12, 1, 9, tzinfo=UTC)
    p = after_attempt(Progress(), Outcome.AGENT_NO_ANSWER, t, RetryRules())
    assert p.attempts == 0 and p.status is ContactStatus.PENDING


def test_a_dropped_number_is_locked_out_for_72_hours() -> None:
    t = datetime(2026, 12, 1, 9, tzinfo=UTC)
    p = after_attempt(Progress(), Outcome.DROPPED, t, RetryRules())
    assert not is_due(p, t + timedelta(hours=71)) and is_due(p, t + timedelta(hours=72))


def test_answered_is_done() -> None:
    p = after_attempt(Progress(), Outcome.ANSWERED, datetime(2026, 12, 1, tzinfo=UTC), RetryRules())
    assert p.status is ContactStatus.DONE


def test_campaign_definition_is_validated_field_by_field() -> None:
    c = CampaignDef.parse({"name": "winter", "queue": "sales", "caller_id": "01 23 45 67 89"})
    assert c.caller_id == "+33123456789" and c.mode == "progressive" and c.ring_timeout >= 15
    assert CampaignDef.parse(c.to_dict()) == c
    for data, field in [
        ({"name": "Winter!", "queue": "sales"}, "name"),
        ({"name": "w", "queue": "sales", "mode": "blast"}, "mode"),
        ({"name": "w", "queue": "sales", "ring_timeout": 10}, "ring_timeout"),
        ({"name": "w", "queue": "sales", "drop_cap": 0.05}, "drop_cap"),
        ({"name": "w", "queue": "sales", "retry": {"max_attempts": 0}}, "retry.max_attempts"),
        ({"name": "w", "queue": "sales", "colour": "red"}, "colour"),
        ({"name": "w", "queue": "a b"}, "queue"),
    ]:
        with pytest.raises(InvalidInput, match=f"^{field}"):
            CampaignDef.parse(data)


def test_sv7_status() -> None:
    c = CampaignDef.parse({"name": "w", "queue": "sales", "schedule": {"end_date": "2026-12-31"}})
    now = PARIS_WEEKDAY_10H

    def st(**kw: object) -> tuple[Status, str]:
        args: dict[str, object] = {"paused": False, "contacts_left": 5, "agents_logged_in": 1}
        args.update(kw)
        s = campaign_status(c, now=args.pop("now", now), **args)  # type: ignore[arg-type]
        return s.status, s.reason

    assert st() == (Status.ACTIVE, "")
    assert st(paused=True) == (Status.PAUSED, "paused")
    assert st(contacts_left=0) == (Status.INACTIVE, "no_contacts")
    assert st(agents_logged_in=0) == (Status.INACTIVE, "no_agents")
    assert st(now=now + timedelta(hours=10)) == (Status.INACTIVE, "outside_schedule")
    assert st(now=datetime(2027, 1, 5, 9, tzinfo=UTC)) == (Status.INACTIVE, "ended")
    assert date(2026, 12, 31) == c.schedule.end_date
