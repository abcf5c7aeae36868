"""The agent performance report's API models (AN-2): its query and answers."""

from __future__ import annotations

import datetime as dt

from pydantic import ConfigDict, Field

from standardiste.web.schemas import Input, Model


class AgentReportQuery(Input):
    queues: str = Field(
        default="",
        description="comma-separated queue names: the agents who were members of them and "
        "the calls of those queues (none: every queue the user may see)",
    )
    from_: dt.date = Field(alias="from", description="first local day (YYYY-MM-DD)")
    to: dt.date = Field(description="last local day, inclusive (YYYY-MM-DD)")
    tz: str = Field(
        default="",
        description="IANA time zone of the days and hours (none: the center's `timezone`)",
    )
    hours: str = Field(
        default="", description="hours of the local day, FROM-TO (e.g. 8-18: 08:00 to 18:00)"
    )
    agents: str = Field(
        default="", description="comma-separated agent devices (e.g. PJSIP/agent1001)"
    )


class TimelineQuery(Input):
    from_: dt.date = Field(alias="from", description="first local day (YYYY-MM-DD)")
    to: dt.date = Field(description="last local day, inclusive; at most 31 days")
    tz: str = Field(default="", description="IANA time zone (none: the center's `timezone`)")


class ReportFiltersOut(Model):
    """The filters as given (``tz``: the one used)."""

    model_config = ConfigDict(extra="forbid", serialize_by_alias=True, validate_by_name=True)

    queues: list[str]
    from_: str = Field(alias="from")
    to: str
    tz: str
    hours: str | None
    agents: list[str]


class StateSeconds(Model):
    ready: float
    ringing: float
    talking: float
    hold: float
    wrapup: float
    paused: float
    unavailable: float = Field(description="logged in, the phone unreachable")
    logged_out: float


class CallCounts(Model):
    queue: int
    direct_in: int
    direct_out: int
    campaign: int
    total: int


class HandleTimes(Model):
    queue: float | None
    direct_in: float | None
    direct_out: float | None
    campaign: float | None
    all: float | None


class QueueFigures(Model):
    queue: str
    calls: int
    aht: float | None = Field(description="(talk + after-call work) / calls, seconds")
    talk: float = Field(description="seconds, hold included")
    hold: float
    acw: float = Field(description="after-call work: the wrap-ups after these calls")


class AgentFigures(Model):
    states: StateSeconds = Field(description="seconds in each state, in the range and hours")
    paused_by_reason: dict[str, float]
    logged_in: float = Field(description="seconds: every state but logged_out")
    calls: CallCounts
    aht: HandleTimes = Field(description="seconds per call type; none: no call")
    by_queue: list[QueueFigures]
    occupancy: float | None = Field(description="% handling / (handling + ready)")
    utilisation: float | None = Field(description="% handling / logged in")


class AgentPerformance(AgentFigures):
    agent: str = Field(description="the agent's device")
    name: str = Field(description="the user's display name, else the member name")
    username: str | None


class AgentReport(Model):
    filters: ReportFiltersOut
    agents: list[AgentPerformance]
    totals: AgentFigures


class StateInterval(Model):
    state: str
    reason: str = Field(description="a pause's reason, else empty")
    queue: str | None = Field(description="the queue of the call (talking, hold, ringing, wrapup)")
    start: str = Field(description="ISO 8601, in tz")
    end: str


class AgentTimeline(Model):
    agent: str
    tz: str
    intervals: list[StateInterval]
