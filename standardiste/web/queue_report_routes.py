"""The reports' routes (AN-1), in the one registry (:mod:`web.routes`)."""

from __future__ import annotations

from standardiste.web import queue_report_api as api
from standardiste.web.endpoint import Reply, Route
from standardiste.web.queue_report_schemas import (
    MissedCalls,
    MissedQuery,
    QueueReport,
    QueueReportQuery,
)

_WHO = (
    "Needs reports.view (supervisors and admins by default). An admin reports on any queue, "
    "a supervisor on the queues they supervise (another queue asked for: 403). Days and hours "
    "are local to tz (default: the center's time zone; not a time zone: 400). A call counts "
    "on the day and hour it entered the queue. from..to: at most 400 days, else 400."
)

QUEUE_REPORT_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/reports/queues",
        "report_queues",
        api.queue_report,
        "The queue callers' report: volume, service level, waits, missed calls (AN-1)",
        auth="session",
        description=_WHO + " Metrics as defined in acd/metrics.py, the live cards' own.",
        query=QueueReportQuery,
        replies=(Reply(200, "the report", QueueReport),),
        errors=(400, 403),
        permission="reports.view",
    ),
    Route(
        "GET",
        "/api/v1/reports/queues/missed",
        "report_queues_missed",
        api.missed_list,
        "The abandoned and timed-out calls behind the report's missed figure",
        auth="session",
        description=_WHO + " day: one day of the range; 50 calls a page, newest first.",
        query=MissedQuery,
        replies=(Reply(200, "one page of the missed calls", MissedCalls),),
        errors=(400, 403),
        permission="reports.view",
    ),
)
