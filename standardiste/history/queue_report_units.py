"""The queue report's rows (:func:`queue_report.report_rows`) and after-call work
(:func:`queue_report.acw_by_queue`), each closed local day of each queue read from its
report unit (:mod:`standardiste.history.report_units`) once computed: a year's report reads
~365 units per queue instead of a year of calls and wrap-ups. Today, and the days whose
unit is missing or was dropped by a write, are computed from the history by the same two
functions (one query each over the span they cover) and their closed days stored.

A unit holds a day's rows as :func:`report_rows` gives them (queue, UTC hour, tally keyed
by the wait edges of the settings: the edges and the zone are the unit's parameters) and its
after-call rows. Ranges bucketed by a quarter of an hour (zones with a half-hour offset) and
agent-filtered reports are computed from the history directly.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import time
from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.acd.metrics import QueueSettings, Tally
from standardiste.history import report_units
from standardiste.history.queue_report import (
    AcwRow,
    ReportQuery,
    Row,
    acw_by_queue,
    report_rows,
    wait_edges,
)
from standardiste.history.report_units import ALL, QUEUE, SETTLE, Unit

KIND = "queue_day"


def _tally(data: Mapping[str, Any]) -> Tally:
    fields = dict(data)
    fields["waits_answered"] = {int(k): int(v) for k, v in data["waits_answered"].items()}
    fields["waits_abandoned"] = {int(k): int(v) for k, v in data["waits_abandoned"].items()}
    return Tally(**fields)


async def rows_and_acw(
    engine: AsyncEngine,
    q: ReportQuery,
    settings: Mapping[str, QueueSettings],
    now: float | None = None,
) -> tuple[list[Row], list[AcwRow]]:
    """What :func:`report_rows` and :func:`acw_by_queue` give for ``q``, the same rows."""
    now = time.time() if now is None else now
    if q.agents or q.bucket_seconds() != 3600:
        return await report_rows(engine, q, settings), await acw_by_queue(engine, q)
    zone = q.zone
    params = json.dumps({"tz": q.tz, "edges": list(wait_edges(settings))})
    keys = [ALL] if q.queues is None else sorted(q.queues)
    spans = {d: tuple(t.timestamp() for t in ReportQuery(d, d, q.tz).bounds()) for d in q.days()}
    closed = [d for d, (_, hi) in spans.items() if hi <= now - SETTLE]
    seq = await report_units.current_seq(engine)
    started = time.time()
    have = await report_units.read(engine, KIND, params, keys, closed)
    missing = [(k, d) for k in keys for d in closed if (k, d) not in have]
    open_days = [d for d, (_, hi) in spans.items() if hi > now - SETTLE]
    parts: dict[tuple[str, dt.date], Any] = dict(have)
    need_days = sorted({d for _, d in missing} | set(open_days))
    if need_days:
        need_keys = sorted({k for k, _ in missing}) or keys
        sub = ReportQuery(
            need_days[0], need_days[-1], q.tz, None if need_keys == [ALL] else tuple(need_keys)
        )
        per: dict[tuple[str, dt.date], dict[str, list[Any]]] = defaultdict(
            lambda: {"rows": [], "acw": []}
        )
        for queue, bucket, t in await report_rows(engine, sub, settings):
            day = dt.datetime.fromtimestamp(bucket * 3600, zone).date()
            key = ALL if keys == [ALL] else queue
            per[key, day]["rows"].append([queue, bucket, dataclasses.asdict(t)])
        for queue, bucket, seconds, n in await acw_by_queue(engine, sub):
            day = dt.datetime.fromtimestamp(bucket * 3600, zone).date()
            key = ALL if keys == [ALL] else queue
            per[key, day]["acw"].append([queue, bucket, seconds, n])
        computed = {
            Unit(KIND, params, QUEUE, k, d, spans[d][0], spans[d][1]): per.get(
                (k, d), {"rows": [], "acw": []}
            )
            for k, d in missing
        }
        await report_units.store(engine, computed, seq, started)
        for u, data in computed.items():
            parts[u.key, u.day] = data
        for k in keys:
            for d in open_days:
                parts[k, d] = per.get((k, d), {"rows": [], "acw": []})
    rows: list[Row] = []
    acw: list[AcwRow] = []
    for data in parts.values():
        rows.extend((str(r[0]), int(r[1]), _tally(r[2])) for r in data["rows"])
        acw.extend((str(a[0]), int(a[1]), float(a[2]), int(a[3])) for a in data["acw"])
    return rows, acw


__all__ = ["KIND", "rows_and_acw"]
