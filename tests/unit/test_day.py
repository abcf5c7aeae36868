"""The contact center's day (acd/day.py): local dates and midnights, across DST."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from standardiste.acd.day import day_of, start_of_day

PARIS = zoneinfo.ZoneInfo("Europe/Paris")


def ts(*args: int) -> float:
    return dt.datetime(*args, tzinfo=PARIS).timestamp()


def test_late_evening_in_paris_is_still_today_there_but_tomorrow_in_utc() -> None:
    at = ts(2026, 11, 29, 23, 30)
    assert day_of("Europe/Paris")(at) == "2026-11-29"
    assert day_of("UTC")(at) == "2026-11-29"
    assert day_of("Asia/Tokyo")(at) == "2026-11-30"


def test_start_of_day_on_a_23_hour_day() -> None:
    # Clocks go forward on 2026-03-29 at 02:00 in Paris: that day lasts 23 hours.
    start = start_of_day("Europe/Paris", ts(2026, 3, 29, 12, 0))
    end = start_of_day("Europe/Paris", ts(2026, 3, 30, 12, 0))
    assert start == ts(2026, 3, 29, 0, 0)
    assert end - start == 23 * 3600
