"""When a campaign may dial: its schedule in its own time zone (weekly business hours and a
calendar of closed days, optional start and end dates) and the call window in the
*contact's* time zone (the rules count calling hours where the contact is). Pure: ``now`` is
always passed in, timezone-aware."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from standardiste.errors import InvalidInput

from .contacts import timezone_name

HHMM_RE = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _hhmm(name: str, value: Any) -> time:
    if not isinstance(value, str) or not HHMM_RE.fullmatch(value):
        raise InvalidInput(f"{name}: a time HH:MM is expected, got {value!r}")
    return time(int(value[:2]), int(value[3:]))


@dataclass(frozen=True, slots=True)
class Span:
    """``start`` ≤ t < ``end`` in local time, same day (``end`` 00:00 means midnight)."""

    start: time
    end: time

    def contains(self, t: time) -> bool:
        end_ok = t < self.end if self.end != time(0) else True
        return self.start <= t and end_ok

    def to_dict(self) -> dict[str, str]:
        return {"start": self.start.strftime("%H:%M"), "end": self.end.strftime("%H:%M")}

    @classmethod
    def parse(cls, name: str, data: Any) -> Span:
        if not isinstance(data, Mapping):
            raise InvalidInput(f"{name}: an object with start and end is expected")
        span = cls(_hhmm(f"{name}.start", data.get("start")), _hhmm(f"{name}.end", data.get("end")))
        if span.end != time(0) and span.end <= span.start:
            raise InvalidInput(f"{name}: end must be after start")
        return span


def _default_hours() -> dict[str, tuple[Span, ...]]:
    day = (Span(time(9), time(18)),)
    return {d: (day if d not in ("sat", "sun") else ()) for d in DAYS}


@dataclass(frozen=True, slots=True)
class Schedule:
    """A campaign's calendar, in ``timezone``."""

    timezone: str = "Europe/Paris"
    hours: Mapping[str, tuple[Span, ...]] = field(default_factory=_default_hours)
    closed: tuple[date, ...] = ()
    start_date: date | None = None
    end_date: date | None = None

    def local(self, now: datetime) -> datetime:
        return now.astimezone(ZoneInfo(self.timezone))

    def is_open(self, now: datetime) -> bool:
        local = self.local(now)
        day = local.date()
        if self.start_date and day < self.start_date:
            return False
        if self.end_date and day > self.end_date:
            return False
        if day in self.closed:
            return False
        return any(s.contains(local.time()) for s in self.hours.get(DAYS[local.weekday()], ()))

    def is_over(self, now: datetime) -> bool:
        return self.end_date is not None and self.local(now).date() > self.end_date

    def next_open(self, now: datetime, horizon_days: int = 14) -> datetime | None:
        """The next moment (to the minute) the schedule opens, within ``horizon_days``."""
        local = self.local(now).replace(second=0, microsecond=0)
        for offset in range(horizon_days + 1):
            day = (local + timedelta(days=offset)).date()
            if day in self.closed or (self.end_date and day > self.end_date):
                continue
            if self.start_date and day < self.start_date:
                continue
            for span in sorted(self.hours.get(DAYS[day.weekday()], ()), key=lambda s: s.start):
                at = datetime.combine(day, span.start, tzinfo=local.tzinfo)
                if at >= local or (offset == 0 and span.contains(local.time())):
                    return max(at, local).astimezone(UTC)
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "timezone": self.timezone,
            "hours": {d: [s.to_dict() for s in self.hours.get(d, ())] for d in DAYS},
            "closed": [d.isoformat() for d in self.closed],
            "start_date": self.start_date.isoformat() if self.start_date else None,
            "end_date": self.end_date.isoformat() if self.end_date else None,
        }

    @classmethod
    def parse(cls, data: Any, name: str = "schedule") -> Schedule:
        if not isinstance(data, Mapping):
            raise InvalidInput(f"{name}: an object is expected")
        tz = timezone_name(data.get("timezone", "Europe/Paris"), f"{name}.timezone")
        hours_in = data.get("hours", None)
        hours: dict[str, tuple[Span, ...]]
        if hours_in is None:
            hours = _default_hours()
        else:
            if not isinstance(hours_in, Mapping) or set(hours_in) - set(DAYS):
                raise InvalidInput(f"{name}.hours: an object keyed by {', '.join(DAYS)}")
            hours = {}
            for d in DAYS:
                spans = hours_in.get(d, [])
                if not isinstance(spans, Sequence) or isinstance(spans, str) or len(spans) > 8:
                    raise InvalidInput(f"{name}.hours.{d}: a list of at most 8 spans")
                hours[d] = tuple(
                    Span.parse(f"{name}.hours.{d}[{i}]", s) for i, s in enumerate(spans)
                )
        closed = tuple(
            _date(f"{name}.closed[{i}]", v)
            for i, v in enumerate(_list(data.get("closed", []), f"{name}.closed"))
        )
        start = _date(f"{name}.start_date", data["start_date"]) if data.get("start_date") else None
        end = _date(f"{name}.end_date", data["end_date"]) if data.get("end_date") else None
        if start and end and end < start:
            raise InvalidInput(f"{name}.end_date: before start_date")
        return cls(tz, hours, closed, start, end)


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list) or len(value) > 366:
        raise InvalidInput(f"{name}: a list of at most 366 dates is expected")
    return value


def _date(name: str, value: Any) -> date:
    try:
        return date.fromisoformat(value) if isinstance(value, str) else _bad(name, value)
    except ValueError:
        return _bad(name, value)


def _bad(name: str, value: Any) -> date:
    raise InvalidInput(f"{name}: a date YYYY-MM-DD is expected, got {value!r}")


@dataclass(frozen=True, slots=True)
class CallWindow:
    """The hours a contact may be called, in the contact's own time zone."""

    span: Span = field(default_factory=lambda: Span(time(9), time(20)))

    def allows(self, contact_tz: str, now: datetime) -> bool:
        return self.span.contains(now.astimezone(ZoneInfo(contact_tz)).time())

    def to_dict(self) -> dict[str, str]:
        return self.span.to_dict()

    @classmethod
    def parse(cls, data: Any, name: str = "call_window") -> CallWindow:
        return cls(Span.parse(name, data))
