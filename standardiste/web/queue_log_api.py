"""``GET /api/v1/reports/queue_log``: the history as Asterisk queue_log lines (BY-6), a
streamed text attachment for QueueMetrics, Asternic and the like
(:mod:`standardiste.history.queue_log_export` writes the lines)."""

from __future__ import annotations

import datetime as dt

import structlog
from aiohttp import web
from pydantic import Field

from standardiste.errors import InvalidInput
from standardiste.history.queue_log_export import BadRange, export_lines, parse_bound
from standardiste.permissions import scope_of
from standardiste.web.appkeys import DEPS
from standardiste.web.endpoint import Reply, Route, read_query
from standardiste.web.schemas import Input, QueueName, validate
from standardiste.web.security import current_user

log = structlog.get_logger(__name__)

TEXT = "text/plain"
MAX_QUEUES = 200


class QueueLogQuery(Input):
    start: str = Field(
        alias="from",
        description="the first local day (YYYY-MM-DD, the center's time zone) or an ISO 8601 "
        "instant with its offset",
    )
    end: str = Field(
        alias="to",
        description="the last local day, included (YYYY-MM-DD), or an ISO 8601 instant "
        "with its offset, excluded",
    )
    queues: str | None = Field(
        default=None,
        description="comma-separated queue names (default: every queue the user may see)",
    )


def _queue_names(text: str | None) -> list[str] | None:
    if text is None:
        return None
    names = [q for q in text.split(",") if q]
    if len(names) > MAX_QUEUES:
        raise InvalidInput(f"queues: at most {MAX_QUEUES}")
    for name in names:
        validate(_OneQueue, {"queue": name})
    return names


class _OneQueue(Input):
    queue: QueueName


def _range(query: QueueLogQuery, timezone: str) -> tuple[dt.datetime, dt.datetime]:
    try:
        start = parse_bound(query.start, timezone, end=False)
        end = parse_bound(query.end, timezone, end=True)
    except BadRange as exc:
        raise InvalidInput(f"from/to: {exc}") from None
    if end <= start:
        raise InvalidInput("from/to: the end of the range must be after its start")
    return start, end


async def queue_log(request: web.Request) -> web.StreamResponse:
    query = read_query(request, QueueLogQuery)
    deps = request.app[DEPS]
    start, end = _range(query, deps.settings.timezone)
    asked = _queue_names(query.queues)
    user = await current_user(request)
    scope = scope_of(user)
    queues: list[str] | None
    if scope.admin:
        queues = asked
    else:  # a supervisor's queues; what they asked for beyond them is left out
        allowed = scope.supervised
        queues = sorted(allowed if asked is None else allowed.intersection(asked))
    name = f"queue_log-{start:%Y%m%dT%H%M%SZ}-{end:%Y%m%dT%H%M%SZ}.txt"
    response = web.StreamResponse(
        headers={
            "Content-Type": f"{TEXT}; charset=utf-8",
            "Content-Disposition": f'attachment; filename="{name}"',
            "Cache-Control": "no-store",
        }
    )
    await response.prepare(request)
    lines = 0
    async for chunk in export_lines(deps.engine, start, end, queues):
        lines += chunk.count("\n")
        await response.write(chunk.encode("utf-8"))
    await response.write_eof()
    log.info("queue_log.exported", user=user.username, lines=lines, queues=queues)
    return response


QUEUE_LOG_ROUTES: tuple[Route, ...] = (
    Route(
        "GET",
        "/api/v1/reports/queue_log",
        "reports_queue_log",
        queue_log,
        "The call history as Asterisk queue_log lines (QueueMetrics, Asternic)",
        auth="session",
        permission="reports.view",
        description="Lines epoch|callid|queue|agent|EVENT|data..., in time order, of the "
        "range: ENTERQUEUE, RINGNOANSWER, CONNECT, COMPLETECALLER/COMPLETEAGENT, "
        "BLINDTRANSFER/ATTENDEDTRANSFER, ABANDON, EXITWITHTIMEOUT, ADDMEMBER/REMOVEMEMBER, "
        "PAUSE/UNPAUSE with the reason (README: queue_log export, for what is not "
        "reproduced). Streamed as an attachment. A supervisor gets the queues they "
        "supervise (those asked for beyond them are left out), an admin every queue. A "
        "date or instant that is not one, or a range that ends before it starts: 400.",
        query=QueueLogQuery,
        replies=(Reply(200, "the queue_log lines (UTF-8 text)", media_type=TEXT),),
    ),
)

__all__ = ["QUEUE_LOG_ROUTES", "QueueLogQuery"]
