"""The reports' API models (AN-1): the queue callers' report and the list behind its missed
calls. The metrics are acd/metrics.py's (web.schemas.QueueMetricsOut), as on the live cards."""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field

from standardiste.web.schemas import Input, Model, QueueMetricsOut

_LIST = "comma-separated"


class QueueReportQuery(Input):
    queues: str | None = Field(
        default=None,
        description=f"{_LIST} queue names; none: every queue the user may see (an admin: all, "
        "a supervisor: the queues they supervise)",
    )
    from_: dt.date = Field(alias="from", description="first local day, YYYY-MM-DD")
    to: dt.date = Field(description="last local day, YYYY-MM-DD (inclusive; at most 400 days)")
    tz: str | None = Field(
        default=None,
        description="IANA time zone the days and hours are in; none: the center's (timezone)",
    )
    hours: str | None = Field(
        default=None,
        description="local hours of the day, start inclusive, end exclusive: 8-18",
        pattern=r"^\d{1,2}-\d{1,2}$",
    )
    agents: str | None = Field(
        default=None,
        description=f"{_LIST} user names or devices: only the calls they answered",
    )


class MissedQuery(QueueReportQuery):
    day: dt.date | None = Field(default=None, description="one local day of the range")
    page: int = Field(default=1, ge=1, le=100000)


class _Aliased(Model):
    """An answer with a field named ``from`` (a Python keyword: ``from_`` here)."""

    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True)


class ReportFilters(_Aliased):
    queues: list[str]
    from_: str = Field(alias="from")
    to: str
    tz: str
    hours: list[int] | None
    agents: list[str] = Field(description="the devices the calls were answered on")


class ReportSettings(Model):
    sl_threshold: int = Field(description="T, s")
    sl_variant: int = Field(description="1-4 (acd/metrics.py)")
    sl_target: int = Field(description="%")
    short_abandon: int = Field(description="s; 0: none")


class QueueMetricsRow(QueueMetricsOut):
    queue: str


class DayMetricsRow(QueueMetricsOut):
    day: str = Field(description="local day, YYYY-MM-DD")


class Heatmap(Model):
    weekdays: list[str]
    hours: list[int]
    offered: list[list[int]] = Field(description="[weekday][local hour] -> calls offered")
    days_counted: list[int] = Field(description="how many of each weekday the range holds")


class WaitBucket(_Aliased):
    from_: int = Field(alias="from", description="s, exclusive (the first bucket includes 0)")
    to: int | None = Field(description="s, inclusive; null: no upper bound")
    count: int


class MissedDay(Model):
    day: str
    abandoned: int
    timed_out: int


class CallbackFigures(Model):
    requested: int
    connected: int
    expired: int
    failed: int


class CampaignFigures(Model):
    campaign: str
    attempts: int
    answered: int = Field(description="attempts a person answered")
    dropped: int
    drop_rate: float | None = Field(description="dropped / answered, %")
    contacts: int
    contacts_dialled: int = Field(description="contacts with an attempt in the range")
    list_penetration: float | None = Field(description="contacts dialled / contacts, %")


class QueueReport(Model):
    """The queue callers' report. Calls count on the local day and hour they entered the
    queue. Percentages 0-100 and seconds rounded to 0.1, null where undefined."""

    filters: ReportFilters
    settings: dict[str, ReportSettings] = Field(description="queue -> the settings in force")
    totals: QueueMetricsOut
    by_queue: list[QueueMetricsRow]
    by_day: list[DayMetricsRow] = Field(description="every day of the range, zeros included")
    heatmap: Heatmap
    wait_answered: list[WaitBucket]
    wait_abandoned: list[WaitBucket]
    missed_by_day: list[MissedDay]
    callbacks: CallbackFigures = Field(description="callback requests made in the range")
    campaigns: list[CampaignFigures] = Field(description="dial attempts made in the range")


class MissedCallOut(Model):
    queue: str
    caller_number: str
    caller_name: str
    entered_at: float = Field(description="epoch seconds")
    wait: float | None = Field(description="s")
    outcome: str = Field(description="abandoned or timed_out")


class MissedCalls(Model):
    calls: list[MissedCallOut] = Field(description="newest first")
    total: int
    page: int
    per_page: int
