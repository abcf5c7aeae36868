"""The reports' JSON routes (issue 10), in the one registry (:mod:`web.routes`)."""

from __future__ import annotations

from standardiste.web import report_api as api
from standardiste.web.endpoint import Reply, Route
from standardiste.web.report_schemas import (
    AgentReport,
    AgentReportQuery,
    AgentTimeline,
    TimelineQuery,
)

_WHO = (
    "Needs reports.view. An admin sees every agent; a supervisor the agents of the queues "
    "they supervise (by default, those queues' calls); an agent themself. A queue or agent "
    "beyond that: 403. A bad date, range, hours or time zone: 400."
)

REPORT_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/reports/agents",
        "report_agents",
        api.agents_report,
        "Agent performance (AN-2): time in each state, calls, AHT, occupancy",
        auth="session",
        description="Per agent (a device) and in total: seconds in each state (ready, "
        "ringing, talking, hold, wrapup, paused by reason, unavailable, logged_out) clipped "
        "to the local days from..to and the hours of the day; logged_in = every state but "
        "logged_out; calls taken by type (queue, direct in/out, campaign) and per queue with "
        "AHT = (talk incl. hold + after-call work) / calls; occupancy and utilisation (%). " + _WHO,
        query=AgentReportQuery,
        replies=(Reply(200, "the report", AgentReport),),
        errors=(400, 403),
        permission="reports.view",
    ),
    Route(
        "GET",
        "/api/v1/reports/agents/{agent}/timeline",
        "report_agent_timeline",
        api.agent_timeline_route,
        "An agent's state intervals (AN-2 timeline)",
        auth="session",
        description="agent: the device, URL-encoded (PJSIP%2Fagent1001). Its intervals "
        "clipped to the local days from..to (at most 31), consecutive ones of the same state "
        "and reason merged. " + _WHO,
        query=TimelineQuery,
        replies=(Reply(200, "the intervals, oldest first", AgentTimeline),),
        errors=(400, 403),
        permission="reports.view",
    ),
)
