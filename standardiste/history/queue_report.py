"""The queue callers' report (AN-1) and today's tallies, from the SQL history.

The figures come from :mod:`standardiste.acd.metrics`, the module the live queue cards use,
fed with :class:`~standardiste.acd.metrics.Tally` objects built here from SQL aggregates.

Days and hours are local to the user's time zone, with no time-zone function in SQL (SQLite
has none): SQL groups the calls by UTC time bucket (an hour, or a quarter of an hour for
zones whose offset is not whole hours), with the outcome and the wait in whole seconds
rounded up (what :class:`Tally` keys its histograms by); Python maps each bucket to its local
day and hour, which is exact because every bucket lies inside one local hour. A DST day has
23 or 25 hours, and its calls all land on it.

Calls count on the day and hour they ENTERED the queue (so a call answered after midnight
belongs to the day its caller started waiting). Today's tallies for the live counters count
each call when its outcome happened, as the live model does; the two agree on every call
that entered and ended on the same day.

After-call work (:func:`acw_by_queue`, :func:`today_tallies`): the ``wrapup`` rows of
``agent_states`` (each holds its end, ``ended_at``: the agent's next transition) of the
queue they name, each counted whole on the local day and hour it STARTED and only once it
has ended — the rule of the live model (acd/model.py), so reports and live cards agree on
every wrap-up, midnight included.

Runs in the web process (reports) or once at the bridge's start (today's tallies); the
Python aggregation of a report is synchronous and meant for ``asyncio.to_thread``.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Float,
    Integer,
    and_,
    case,
    cast,
    func,
    literal,
    select,
)
from sqlalchemy.ext.asyncio import AsyncEngine

from standardiste.acd.metrics import (
    WAIT_KEY_CAP,
    QueueSettings,
    Tally,
    combined_metrics,
    drop_rate,
    list_penetration,
    wait_bucket,
)
from standardiste.history.models import AgentStateRow, QueueCall
from standardiste.outbound.tables import (
    AttemptRow,
    CallbackRow,
    CampaignRow,
    ContactRow,
)

_QC = QueueCall.__table__.c
_AS = AgentStateRow.__table__.c

WAIT_EDGES = (10, 20, 30, 45, 60, 90, 120, 180, 300, 600)  # the distributions' buckets, s
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
MAX_DAYS = 400
MISSED_PER_PAGE = 50


# -------------------------------------------------------------------- SQL expressions
def _wait_key(dialect: str) -> ColumnElement[int]:
    """ceil(wait) in whole seconds, capped, for answered and abandoned calls; -1 otherwise."""
    wait = func.coalesce(_QC.wait, 0.0)
    if dialect == "postgresql":
        ceiling: ColumnElement[Any] = cast(func.ceil(wait), Integer)
    else:  # SQLite: CAST truncates (waits are >= 0)
        truncated = cast(wait, Integer)
        ceiling = truncated + case((wait > truncated, 1), else_=0)
    capped = case((ceiling > WAIT_KEY_CAP, WAIT_KEY_CAP), else_=ceiling)
    return case((_QC.outcome.in_(("answered", "abandoned")), capped), else_=-1)


def wait_edges(settings: Mapping[str, QueueSettings]) -> tuple[int, ...]:
    """Every wait (whole seconds) a figure of the report compares a call's wait with: the
    distributions' edges and each queue's thresholds (the defaults' too, for queues without
    settings). Histograms keyed by the smallest of them at or above each wait give the
    same figures as exact ones (:meth:`Tally.answered_within` etc. at these only)."""
    edges = set(WAIT_EDGES)
    for s in (*settings.values(), QueueSettings()):
        edges |= {s.sl_threshold, s.short_abandon, min(s.short_abandon, s.sl_threshold)}
    return tuple(sorted(e for e in edges if 0 <= e < WAIT_KEY_CAP))


def _bucket(dialect: str, seconds: int) -> ColumnElement[int]:
    """The UTC time bucket (Unix time // ``seconds``) a call entered the queue in."""
    if dialect == "postgresql":
        epoch: ColumnElement[Any] = func.date_part("epoch", _QC.entered_at)
        return cast(func.floor(epoch / seconds), Integer)
    epoch = cast(func.strftime("%s", _QC.entered_at), Integer)
    return cast(epoch / seconds, Integer)  # integer division, floor for times after 1970


def _n(condition: ColumnElement[bool]) -> ColumnElement[int]:
    """How many rows meet ``condition`` (an aggregate FILTER: cheaper than a CASE sum)."""
    return func.count().filter(condition)


def _sum(value: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(value), 0)


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _add(tally: Tally, outcome: str | None, key: int, n: int, waits: float, longest: float,
         completed: int, talk: float, hold: float) -> None:  # fmt: skip
    """Aggregated calls of one outcome and wait key into ``tally`` (as Tally's own adders)."""
    tally.offered += n
    if outcome is None:
        return  # still waiting
    tally.longest_wait = max(tally.longest_wait, longest)
    if outcome == "answered":
        tally.handled += n
        tally.answered_wait += waits
        tally.waits_answered[key] = tally.waits_answered.get(key, 0) + n
        tally.completed += completed
        tally.talk += talk
        tally.hold += hold
    elif outcome == "abandoned":
        tally.abandoned += n
        tally.waits_abandoned[key] = tally.waits_abandoned.get(key, 0) + n
    elif outcome == "timed_out":
        tally.timed_out += n
    elif outcome == "transferred":
        tally.transferred += n
    else:
        tally.exited += n


# -------------------------------------------------------------------- after-call work
def _epoch(dialect: str, column: ColumnElement[Any]) -> ColumnElement[Any]:
    """Unix time of a timestamp column, to the microsecond (as the model's floats)."""
    if dialect == "postgresql":
        return func.date_part("epoch", column)
    # SQLite stores "YYYY-MM-DD HH:MM:SS.ffffff" (naive UTC): its date functions round to the
    # millisecond, so whole seconds from them and the fraction from the text.
    whole = cast(func.strftime("%s", func.substr(column, 1, 19)), Integer)
    return whole + cast(func.substr(column, 20), Float)


def _wrapups(
    dialect: str,
    since: dt.datetime,
    until: dt.datetime | None,
    queues: tuple[str, ...] | None = None,
    agents: tuple[str, ...] = (),
) -> tuple[Any, ColumnElement[Any], ColumnElement[Any]]:
    """The ended wrap-up intervals that started in [since, until): a query, their start
    and their length (s) as expressions (each row holds its end: ``ended_at``)."""
    where: list[ColumnElement[bool]] = [
        _AS.state == "wrapup",
        _AS.at >= since,
        _AS.queue != "",
        _AS.ended_at.is_not(None),
    ]
    if until is not None:
        where.append(_AS.at < until)
    if agents:
        where.append(_AS.agent.in_(agents))
    if queues is not None:
        where.append(_AS.queue.in_(queues) if queues else literal(False))
    start, end = _epoch(dialect, _AS.at), _epoch(dialect, _AS.ended_at)
    return select(_AS.queue).where(and_(*where)), start, end - start


AcwRow = tuple[str, int, float, int]  # queue, UTC bucket of the start, seconds, wrap-ups


async def acw_by_queue(engine: AsyncEngine, q: ReportQuery) -> list[AcwRow]:
    """The report's after-call work: per queue and UTC bucket (as :func:`report_rows`) of
    their start, the ended wrap-ups' seconds and count (of ``q.agents`` only, if given)."""
    dialect = engine.dialect.name
    start, end = q.bounds()
    base, began, length = _wrapups(dialect, start, end, q.queues, q.agents)
    seconds = q.bucket_seconds()
    if dialect == "postgresql":
        bucket: ColumnElement[Any] = cast(func.floor(began / seconds), Integer)
    else:  # integer division of whole seconds: floor for times after 1970
        bucket = cast(cast(began, Integer) / seconds, Integer)
    rows = base.add_columns(bucket.label("bucket"), length.label("length")).subquery()
    query = select(rows.c.queue, rows.c.bucket, _sum(rows.c.length), func.count()).group_by(
        rows.c.queue, rows.c.bucket
    )
    async with engine.connect() as conn:
        result = (await conn.execute(query)).all()
    return [(str(r[0]), int(r[1]), float(r[2]), int(r[3])) for r in result]


# -------------------------------------------------------------------- today (live counters)
async def today_tallies(engine: AsyncEngine, since: dt.datetime) -> dict[str, Tally]:
    """Per queue, since ``since``, as the live counters count: a caller is offered when they
    enter, handled when answered, counted in their outcome when they leave, and their talk
    when the call ends, and the after-call work of the wrap-ups that started since and have
    ended. Queues without any such call or wrap-up are absent."""
    if since.tzinfo is None or since.utcoffset() is None:
        raise ValueError(f"naive datetime {since!r}: pass a tz-aware instant")
    key = _wait_key(engine.dialect.name)
    answered = (_QC.outcome == "answered") & (_QC.answered_at >= since)
    left = (_QC.outcome != "answered") & (_QC.completed_at >= since)
    ended = (_QC.outcome == "answered") & (_QC.completed_at >= since) & _QC.talk.is_not(None)
    wait = func.coalesce(_QC.wait, 0.0)
    query = (
        select(
            _QC.queue,
            _QC.outcome,
            key,
            _count(_QC.entered_at >= since),
            _count(answered | left),
            _sum(case((answered, wait), else_=0.0)),
            func.max(case((answered | left, wait), else_=None)),
            _count(ended),
            _sum(case((ended, _QC.talk), else_=0.0)),
            _sum(case((ended, func.coalesce(_QC.hold, 0.0)), else_=0.0)),
        )
        .where((_QC.entered_at >= since) | answered | left | ended)
        .group_by(_QC.queue, _QC.outcome, key)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    tallies: dict[str, Tally] = {}
    for queue, outcome, wkey, entered, n, waits, longest, completed, talk, hold in rows:
        t = tallies.setdefault(queue, Tally())
        if outcome is not None and n:  # the outcome happened since: counted like a live one
            _add(t, outcome, int(wkey), int(n), float(waits), float(longest or 0.0),
                 0, 0.0, 0.0)  # fmt: skip
            t.offered -= int(n)  # offered counts when they entered, below
        t.offered += int(entered)
        t.completed += int(completed)
        t.talk += float(talk)
        t.hold += float(hold)
    # After-call work: the wrap-ups that started since, once ended (as the model counts).
    base, _, length = _wrapups(engine.dialect.name, since, None)
    acw = base.add_columns(length.label("length")).subquery()
    acw_query = select(acw.c.queue, _sum(acw.c.length), func.count()).group_by(acw.c.queue)
    async with engine.connect() as conn:
        for queue, seconds, n in (await conn.execute(acw_query)).all():
            t = tallies.setdefault(queue, Tally())
            t.acw += float(seconds)
            t.wrapups += int(n)
    return tallies


# -------------------------------------------------------------------- the report's query
@dataclass(frozen=True, slots=True)
class ReportQuery:
    """What a report covers. ``queues`` None: every queue (an admin without a filter);
    ``agents``: interfaces, the calls answered by them only."""

    first: dt.date
    last: dt.date  # inclusive
    tz: str
    queues: tuple[str, ...] | None = None
    hours: tuple[int, int] | None = None  # local, start inclusive, end exclusive
    agents: tuple[str, ...] = ()

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.tz)

    def bounds(self) -> tuple[dt.datetime, dt.datetime]:
        """The first instant of ``first`` and of the day after ``last``, local."""
        zone = self.zone
        start = dt.datetime.combine(self.first, dt.time(0), tzinfo=zone)
        end = dt.datetime.combine(self.last + dt.timedelta(days=1), dt.time(0), tzinfo=zone)
        return start.astimezone(dt.UTC), end.astimezone(dt.UTC)

    def days(self) -> list[dt.date]:
        return [self.first + dt.timedelta(days=i) for i in range((self.last - self.first).days + 1)]

    def bucket_seconds(self) -> int:
        """An hour when the zone's offsets over the range are whole hours, else 15 min."""
        zone = self.zone
        for day in (*self.days()[::7], self.last):
            offset = dt.datetime.combine(day, dt.time(12), tzinfo=zone).utcoffset()
            if offset is not None and offset.total_seconds() % 3600:
                return 900
        return 3600

    def in_hours(self, hour: int) -> bool:
        return self.hours is None or self.hours[0] <= hour < self.hours[1]


def _filters(q: ReportQuery) -> list[ColumnElement[bool]]:
    start, end = q.bounds()
    where: list[ColumnElement[bool]] = [_QC.entered_at >= start, _QC.entered_at < end]
    if q.queues is not None:
        where.append(_QC.queue.in_(q.queues) if q.queues else literal(False))
    if q.agents:
        where.append(_QC.agent.in_(q.agents))
    return where


Row = tuple[str, int, Tally]  # queue, UTC bucket, the tally of its calls


async def report_rows(
    engine: AsyncEngine, q: ReportQuery, settings: Mapping[str, QueueSettings]
) -> list[Row]:
    """The calls of the report tallied per queue and UTC bucket, in SQL: a row per queue and
    hour however many calls (a year: ~40k rows for 1M calls). The wait histograms are keyed
    by :func:`wait_edges` of ``settings`` (those :func:`build_report` is given): the
    same figures as exact keys, each histogram a handful of counts."""
    dialect = engine.dialect.name
    edges = wait_edges(settings)
    bucket = _bucket(dialect, q.bucket_seconds())
    wait = func.coalesce(_QC.wait, 0.0)
    answered = _QC.outcome == "answered"
    abandoned = _QC.outcome == "abandoned"
    ended = answered & _QC.talk.is_not(None)
    known = ("answered", "abandoned", "timed_out", "transferred")
    query = (
        select(
            _QC.queue,
            bucket,
            func.count(),
            _n(answered),
            _n(abandoned),
            _n(_QC.outcome == "timed_out"),
            _n(_QC.outcome == "transferred"),
            _n(_QC.outcome.is_not(None) & _QC.outcome.not_in(known)),
            _sum(case((answered, wait), else_=0.0)),
            func.coalesce(func.max(case((_QC.outcome.is_not(None), wait), else_=None)), 0.0),
            _n(ended),
            _sum(case((ended, _QC.talk), else_=0.0)),
            _sum(case((ended, func.coalesce(_QC.hold, 0.0)), else_=0.0)),
            # ceil(wait) <= e exactly when wait <= e (e whole seconds): no rounding here
            *(_n(answered & (wait <= e)) for e in edges),
            *(_n(abandoned & (wait <= e)) for e in edges),
        )
        .where(and_(*_filters(q)))
        .group_by(_QC.queue, bucket)
    )
    n = len(edges)
    out: list[Row] = []
    async with engine.connect() as conn:
        for r in (await conn.execute(query)).all():
            t = Tally(
                offered=int(r[2]), handled=int(r[3]), abandoned=int(r[4]), timed_out=int(r[5]),
                transferred=int(r[6]), exited=int(r[7]), answered_wait=float(r[8]),
                longest_wait=float(r[9]), completed=int(r[10]), talk=float(r[11]),
                hold=float(r[12]),
                waits_answered=_histogram(edges, r[13 : 13 + n], int(r[3])),
                waits_abandoned=_histogram(edges, r[13 + n :], int(r[4])),
            )  # fmt: skip
            out.append((str(r[0]), int(r[1]), t))
    return out


def _histogram(edges: Sequence[int], within: Sequence[int], total: int) -> dict[int, int]:
    """Counts at or under each edge (cumulative) as a histogram keyed by the edges."""
    hist: dict[int, int] = {}
    below = 0
    for edge, n in zip(edges, within, strict=True):
        if int(n) > below:
            hist[edge] = int(n) - below
            below = int(n)
    if total > below:
        hist[WAIT_KEY_CAP] = total - below
    return hist


async def callback_counts(engine: AsyncEngine, q: ReportQuery) -> dict[str, int]:
    """Callback requests made in the range (BY-1), by what became of them."""
    c = CallbackRow.__table__.c
    start, end = q.bounds()
    where = [c.requested_at >= start, c.requested_at < end]
    if q.queues is not None:
        where.append(c.queue.in_(q.queues) if q.queues else literal(False))
    query = select(
        func.count(),
        _count(c.status == "connected"),
        _count(c.status == "expired"),
        _count(c.status.in_(("no_answer", "failed"))),
    ).where(and_(*where))
    async with engine.connect() as conn:
        row = (await conn.execute(query)).one()
    return {
        "requested": int(row[0]),
        "connected": int(row[1] or 0),
        "expired": int(row[2] or 0),
        "failed": int(row[3] or 0),
    }


async def campaign_rows(engine: AsyncEngine, q: ReportQuery) -> list[dict[str, Any]]:
    """Per campaign of the queues: dial attempts made in the range, answered by a person,
    dropped; its contacts and how many were dialled in the range."""
    a = AttemptRow.__table__.c
    k = ContactRow.__table__.c
    cp = CampaignRow.__table__.c
    start, end = q.bounds()
    where = [a.created_at >= start, a.created_at < end]
    camp_where: list[ColumnElement[bool]] = []
    if q.queues is not None:
        camp_where.append(cp.queue.in_(q.queues) if q.queues else literal(False))
    attempts = (
        select(
            a.campaign_id,
            func.count(),
            _count(a.answered_at.is_not(None)),
            _count(a.outcome == "dropped"),
            func.count(func.distinct(a.contact_id)),
        )
        .where(and_(*where))
        .group_by(a.campaign_id)
        .subquery()
    )
    contacts = select(k.campaign_id, func.count().label("n")).group_by(k.campaign_id).subquery()
    query = (
        select(
            cp.name,
            attempts.c[1],
            attempts.c[2],
            attempts.c[3],
            attempts.c[4],
            func.coalesce(contacts.c.n, 0),
        )
        .join(attempts, attempts.c.campaign_id == cp.id)
        .outerjoin(contacts, contacts.c.campaign_id == cp.id)
        .where(and_(*camp_where) if camp_where else literal(True))
        .order_by(cp.name)
    )
    async with engine.connect() as conn:
        rows = (await conn.execute(query)).all()
    return [
        {
            "campaign": name,
            "attempts": int(n),
            "answered": int(answered),
            "dropped": int(dropped),
            "drop_rate": drop_rate(int(dropped), int(answered)),
            "contacts": int(total),
            "contacts_dialled": int(dialled),
            "list_penetration": list_penetration(int(dialled), int(total)),
        }
        for name, n, answered, dropped, dialled, total in rows
    ]


@dataclass(frozen=True, slots=True)
class MissedCall:
    queue: str
    caller_number: str
    caller_name: str
    entered_at: float
    wait: float | None
    outcome: str


async def missed_calls(
    engine: AsyncEngine, q: ReportQuery, *, page: int = 1, per_page: int = MISSED_PER_PAGE
) -> tuple[list[MissedCall], int]:
    """The abandoned and timed-out calls behind the missed figure (newest first), one page,
    and how many there are. ``q.first``/``q.last`` narrow it to one day when asked."""
    where = [*_filters(q), _QC.outcome.in_(("abandoned", "timed_out"))]
    rows_q = (
        select(
            _QC.queue, _QC.caller_number, _QC.caller_name, _QC.entered_at, _QC.wait, _QC.outcome
        )  # fmt: skip
        .where(and_(*where))
        .order_by(_QC.entered_at.desc(), _QC.id.desc())
    )
    zone = q.zone
    async with engine.connect() as conn:
        if q.hours is None:
            total = int((await conn.execute(select(func.count()).where(and_(*where)))).scalar_one())
            page_rows = (
                await conn.execute(rows_q.limit(per_page).offset((page - 1) * per_page))
            ).all()
        else:  # hours of the day are local: filtered here (the list is small: missed calls)
            kept = [
                r for r in (await conn.execute(rows_q)).all()
                if q.in_hours(r[3].astimezone(zone).hour)
            ]  # fmt: skip
            total = len(kept)
            page_rows = kept[(page - 1) * per_page : page * per_page]
    return [
        MissedCall(r[0], r[1] or "", r[2] or "", r[3].timestamp(), r[4], r[5]) for r in page_rows
    ], total


# -------------------------------------------------------------------- the aggregation
@dataclass(slots=True)
class _Grid:
    """The report's tallies: per queue, per local day per queue, per weekday and hour."""

    by_queue: dict[str, Tally] = field(default_factory=dict)
    by_day: dict[dt.date, dict[str, Tally]] = field(default_factory=dict)
    heat: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in range(7)])


def _round(x: float | None) -> float | None:
    return None if x is None else round(x, 1)


def _metrics(parts: Iterable[tuple[Tally, QueueSettings]]) -> dict[str, Any]:
    return combined_metrics(parts).as_dict()


def _distribution(histograms: Iterable[Mapping[int, int]]) -> list[dict[str, Any]]:
    """Calls per wait bucket: ``from < wait <= to`` (the first bucket includes 0)."""
    edges = (0, *WAIT_EDGES)
    counts = [0] * len(edges)
    for hist in histograms:
        for key, n in hist.items():
            i = next((j for j, edge in enumerate(WAIT_EDGES) if key <= edge), len(WAIT_EDGES))
            counts[i] += n
    return [
        {"from": edges[i], "to": WAIT_EDGES[i] if i < len(WAIT_EDGES) else None, "count": n}
        for i, n in enumerate(counts)
    ]


def _add_acw(
    grid: _Grid, wrapups: Iterable[AcwRow], q: ReportQuery, local_of: dict[int, dt.datetime]
) -> None:
    """After-call work into the tallies, by the local day and hour each wrap-up started."""
    zone, seconds = q.zone, q.bucket_seconds()
    for queue, bucket, acw, n in wrapups:
        local = local_of.get(bucket)
        if local is None:
            local = local_of[bucket] = dt.datetime.fromtimestamp(bucket * seconds, zone)
        if not q.in_hours(local.hour):
            continue
        for tally in (
            grid.by_queue.setdefault(queue, Tally()),
            grid.by_day.setdefault(local.date(), {}).setdefault(queue, Tally()),
        ):
            tally.acw += acw
            tally.wrapups += n


def build_report(
    rows: Sequence[Row],
    q: ReportQuery,
    settings: Mapping[str, QueueSettings],
    *,
    queues: Sequence[str],
    wrapups: Sequence[AcwRow] = (),
) -> dict[str, Any]:
    """The report's body (everything but callbacks and campaigns), from :func:`report_rows`
    and :func:`acw_by_queue` (``wrapups``).
    ``settings``: per queue (missing: the defaults); ``queues``: the queues reported."""
    zone, seconds = q.zone, q.bucket_seconds()
    grid = _Grid()
    local_of: dict[int, dt.datetime] = {}
    for queue, bucket, calls in rows:
        local = local_of.get(bucket)
        if local is None:
            local = local_of[bucket] = dt.datetime.fromtimestamp(bucket * seconds, zone)
        if not q.in_hours(local.hour):
            continue
        day = local.date()
        grid.by_queue.setdefault(queue, Tally()).merge(calls)
        grid.by_day.setdefault(day, {}).setdefault(queue, Tally()).merge(calls)
        grid.heat[local.weekday()][local.hour] += calls.offered
    _add_acw(grid, wrapups, q, local_of)
    shown = sorted(set(queues) | set(grid.by_queue))

    def setting(queue: str) -> QueueSettings:
        return settings.get(queue) or QueueSettings()

    days = q.days()
    days_counted = [0] * 7
    for day in days:
        days_counted[day.weekday()] += 1
    by_day = []
    missed = []
    for day in days:
        tallies = grid.by_day.get(day, {})
        by_day.append(
            {"day": day.isoformat(), **_metrics((t, setting(n)) for n, t in tallies.items())}
        )
        missed.append(
            {
                "day": day.isoformat(),
                "abandoned": sum(t.abandoned for t in tallies.values()),
                "timed_out": sum(t.timed_out for t in tallies.values()),
            }
        )
    return {
        "settings": {
            name: {
                "sl_threshold": setting(name).sl_threshold,
                "sl_variant": setting(name).sl_variant,
                "sl_target": setting(name).sl_target,
                "short_abandon": setting(name).short_abandon,
            }
            for name in shown
        },
        "totals": _metrics((t, setting(n)) for n, t in grid.by_queue.items()),
        "by_queue": [
            {"queue": name, **_metrics([(grid.by_queue.get(name, Tally()), setting(name))])}
            for name in shown
        ],
        "by_day": by_day,
        "heatmap": {
            "weekdays": list(WEEKDAYS),
            "hours": list(range(24)),
            "offered": grid.heat,
            "days_counted": days_counted,
        },
        "wait_answered": _distribution(t.waits_answered for t in grid.by_queue.values()),
        "wait_abandoned": _distribution(t.waits_abandoned for t in grid.by_queue.values()),
        "missed_by_day": missed,
    }


def tally_of_calls(
    calls: Iterable[tuple[str | None, float | None, float | None, float | None]],
) -> Tally:
    """A tally of (outcome, wait, talk, hold) rows, call by call with Tally's own adders:
    the reference the SQL aggregation is tested against."""
    tally = Tally()
    for outcome, wait, talk, hold in calls:
        tally.entered()
        if outcome is None:
            continue
        if outcome == "answered":
            tally.answered(wait or 0.0)
            if talk is not None:
                tally.ended(talk, hold or 0.0)
        else:
            tally.left(outcome, wait or 0.0)  # type: ignore[arg-type]
    return tally


__all__ = [
    "MAX_DAYS",
    "AcwRow",
    "acw_by_queue",
    "MISSED_PER_PAGE",
    "MissedCall",
    "ReportQuery",
    "build_report",
    "callback_counts",
    "campaign_rows",
    "missed_calls",
    "report_rows",
    "tally_of_calls",
    "today_tallies",
    "wait_edges",
    "wait_bucket",
]
