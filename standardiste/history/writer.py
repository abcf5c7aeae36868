"""Idempotent, order-independent writes of history records to SQL.

Why the merge looks the way it does: the records of one queue call (entered, answered,
left, completed) are produced live, but across a bridge restart or a replay of the disk
buffer they can reach the database in any order and more than once. Each ``queue_calls``
column is therefore merged as a *join*: a commutative, associative, idempotent function of
the current value and the incoming one, so any order and any repetition converge to the
same row. The rules, per column:

* a column filled by one kind of record only keeps the earliest timestamp
  (``entered_at``, ``answered_at``) or the greatest value (text, durations) when two
  records disagree (which only happens if the model contradicts itself);
* ``outcome`` and ``wait``: an *answered* record beats a *left* record, whatever the order
  (the answered fact is the stronger one);
* ``agent``: the answered record's agent beats the completed record's;
* ``completed_at``: the completed record's time beats the left record's;
* guesses give way to facts: an ``exited`` outcome without its queue_log event (what a
  resync writes for a caller who vanished while the bridge was not looking) is weaker than
  any other left outcome (EXITWITHKEY, EXITEMPTY are facts), and
  ``ended_by = unknown`` (a call that vanished) weaker than a known end; the stronger record
  brings its own ``wait`` / ``talk`` / ``completed_at`` with it. The earliest answer brings
  its ``wait``. This is how the queue_log recovery corrects a resync's guesses; within one
  class the values still merge by ``greatest``, so the merge stays a join.

"Which record filled this column" is read from columns only that record fills:
``answered_at`` is set iff an answered record was merged, ``ended_by`` iff a completed one
was. In an ``ON CONFLICT DO UPDATE`` every expression sees the row as it was before the
update, on both PostgreSQL and SQLite, so the rules can refer to those marker columns.

The columns only the queue_log export reads (``position``, ``left_position``,
``agent_uniqueid``, ``ring_time``, ``completed_wait``, ``transfer``) merge by ``greatest``
(NULL = not known), except the answering member's channel and ring time, which go with
the earliest answer like its wait, and an exit's queue_log event and data (``exit_event``,
``exit_data``), which go with the outcome like its wait.

``agent_events``, ``ring_no_answers`` and ``device_calls`` are facts with a natural key:
insert-or-ignore. ``agent_states``: one row per agent and instant, the last transition
written at that instant wins (records are written in the order the model made them,
replays included).

``callback_passages`` (a callback placeholder's passage through its queue, uniqueid
``cb-<id>``) is merged by the same rules as ``queue_calls``, from the same records.

``callback_requests`` rows are created by the callback service when a caller asks
(``standardiste.callbacks``); the model's :class:`CallbackProgress` records only update them,
by the same kind of join: the status moves forward only (``acd.callbacks.RANK``), the first
agent, calling time, answer time, end time and detail stay.
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Integer,
    Text,
    bindparam,
    case,
    func,
    null,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine
from sqlalchemy.sql.dml import Insert

from standardiste.acd.agent_states import AgentState
from standardiste.acd.callbacks import OUTCOME_UNKNOWN, RANK, callback_of
from standardiste.acd.records import (
    AgentEvent,
    AgentStateChanged,
    CallbackProgress,
    CannedLogged,
    DeviceCall,
    QueueCallAnswered,
    QueueCallCompleted,
    QueueCallEntered,
    QueueCallLeft,
    Record,
    RingNoAnswer,
    SpyLogged,
)
from standardiste.history import report_units
from standardiste.history.models import (
    AgentEventRow,
    AgentStateRow,
    CallbackPassage,
    CannedLogRow,
    DeviceCallRow,
    QueueCall,
    RingNoAnswerRow,
    SpyLogRow,
    UTCDateTime,
)
from standardiste.history.report_units import AGENT, QUEUE, Span
from standardiste.history.urls import async_url
from standardiste.outbound.tables import CallbackRow

_QC = QueueCall.__table__.c
_QUEUE_CALL_KEY = ("uniqueid", "queue")


@dataclass(frozen=True, slots=True)
class QueueCounts:
    """How many calls a queue handled, lost to abandon and lost to timeout in a period."""

    handled: int = 0
    abandoned: int = 0
    timed_out: int = 0
    transferred: int = 0


def _ts(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def _row(record: Record) -> dict[str, Any]:
    """The columns a record fills, as statement parameters."""
    match record:
        case QueueCallEntered():
            return {
                "uniqueid": record.uniqueid,
                "queue": record.queue,
                "caller_number": record.caller_number,
                "caller_name": record.caller_name,
                "entered_at": _ts(record.at),
                "position": record.position,
            }
        case QueueCallAnswered():
            return {
                "uniqueid": record.uniqueid,
                "queue": record.queue,
                "agent": record.agent,
                "member_name": record.member_name,
                "wait": record.wait,
                "answered_at": _ts(record.at),
                "outcome": "answered",
                "agent_uniqueid": record.agent_uniqueid or None,
                "ring_time": record.ring_time,
            }
        case QueueCallLeft():
            return {
                "uniqueid": record.uniqueid,
                "queue": record.queue,
                "outcome": record.outcome,
                "wait": record.wait,
                "completed_at": _ts(record.at),
                "left_position": record.position,
                "exit_event": record.event or None,
                "exit_data": record.data or None,
            }
        case QueueCallCompleted():
            return {
                "uniqueid": record.uniqueid,
                "queue": record.queue,
                "agent": record.agent,
                "talk": record.talk,
                "hold": record.hold,
                "ended_by": record.ended_by,
                "completed_at": _ts(record.at),
                "completed_wait": record.wait,
                "transfer": record.transfer or None,
            }
        case AgentEvent():
            return {
                "key": record.key,
                "agent": record.agent,
                "queue": record.queue,
                "action": record.action,
                "reason": record.reason,
                "by": record.by,
                "forced": record.forced,
                "at": _ts(record.at),
                "member_name": record.member_name or None,
                "paused": record.paused,
            }
        case RingNoAnswer():
            return {
                "key": record.key,
                "uniqueid": record.uniqueid,
                "queue": record.queue,
                "agent": record.agent,
                "member_name": record.member_name,
                "ring_ms": record.ring_ms,
                "at": _ts(record.at),
            }
        case AgentStateChanged():
            return {
                "key": record.key,
                "agent": record.agent,
                "at": _ts(record.at),
                "state": record.state,
                "reason": record.reason,
                "queue": record.queue,
            }
        case SpyLogged():
            return {
                "key": record.key,
                "session": record.session,
                "event": record.event,
                "supervisor": record.supervisor,
                "device": record.device,
                "agent": record.agent,
                "target_channel": record.target_channel,
                "queue": record.queue,
                "mode": record.mode,
                "at": _ts(record.at),
            }
        case CannedLogged():
            return {
                "key": record.key,
                "session": record.session,
                "event": record.event,
                "message": record.message,
                "name": record.name,
                "by": record.by,
                "agent": record.agent,
                "target_channel": record.target_channel,
                "queue": record.queue,
                "stopped_by": record.stopped_by,
                "at": _ts(record.at),
            }
        case CallbackProgress():
            return {
                "b_id": record.request,
                "b_status": record.status,
                "b_rank": RANK.get(record.status, -1),
                "b_agent": record.agent or None,
                "b_answered": _ts(record.at)
                if record.status == "connected" and not record.ended
                else None,
                "b_ended": _ts(record.at) if record.ended else None,
                "b_calling": _ts(record.at) if record.status == "calling" else None,
                "b_detail": record.detail or None,
            }
        case DeviceCall():
            return {
                "uniqueid": record.uniqueid,
                "device": record.device,
                "direction": record.direction,
                "peer_number": record.peer_number,
                "answered": record.answered,
                "talk": record.talk,
                "started_at": _ts(record.started_at),
                "ended_at": _ts(record.ended_at),
            }
    raise TypeError(f"not a history record: {record!r}")


_Expr = ColumnElement[Any]
_SetRule = Callable[[Any], Mapping[str, Any]]


def _sqlite_max(a: Any, b: Any) -> _Expr:
    # SQLite's scalar max()/min() return NULL if any argument is NULL, unlike PostgreSQL's
    # greatest()/least(), which ignore NULLs; coalescing both ways gives the same result.
    return func.max(func.coalesce(a, b), func.coalesce(b, a))


def _sqlite_min(a: Any, b: Any) -> _Expr:
    return func.min(func.coalesce(a, b), func.coalesce(b, a))


class _Statements:
    """The upsert statements of one SQL dialect, built once."""

    def __init__(self, dialect: str) -> None:
        insert: Callable[[Any], Any]
        self._two_arg_max: Callable[[Any, Any], _Expr]
        self._two_arg_min: Callable[[Any, Any], _Expr]
        if dialect == "postgresql":
            insert = postgresql.insert
            self._two_arg_max = func.greatest
            self._two_arg_min = func.least
        elif dialect == "sqlite":
            insert = sqlite.insert
            self._two_arg_max = _sqlite_max
            self._two_arg_min = _sqlite_min
        else:
            raise ValueError(f"history store supports PostgreSQL and SQLite, not {dialect!r}")
        self._t: Any = _QC  # the passage table the merge rules are being built for

        rules: dict[type[Record], _SetRule] = {
            QueueCallEntered: self._entered,
            QueueCallAnswered: self._answered,
            QueueCallLeft: self._left,
            QueueCallCompleted: self._completed,
        }
        self.by_kind: dict[type[Record], Insert] = {}
        # A callback placeholder's passage: the same records and rules, its own table.
        self.passages: dict[type[Record], Insert] = {}
        for table, statements in ((QueueCall, self.by_kind), (CallbackPassage, self.passages)):
            self._t = table.__table__.c
            for kind, rule in rules.items():
                stmt = insert(table)
                statements[kind] = stmt.on_conflict_do_update(
                    index_elements=list(_QUEUE_CALL_KEY), set_=rule(stmt.excluded)
                )
        self.by_kind[AgentEvent] = insert(AgentEventRow).on_conflict_do_nothing(
            index_elements=["key"]
        )
        self.by_kind[RingNoAnswer] = insert(RingNoAnswerRow).on_conflict_do_nothing(
            index_elements=["key"]
        )
        # The later transition at the same instant is the state (see AgentStateChanged).
        states = insert(AgentStateRow)
        self.by_kind[AgentStateChanged] = states.on_conflict_do_update(
            index_elements=["key"],
            set_={
                "state": states.excluded.state,
                "reason": states.excluded.reason,
                "queue": states.excluded.queue,
            },
        )
        self.by_kind[SpyLogged] = insert(SpyLogRow).on_conflict_do_nothing(index_elements=["key"])
        self.by_kind[CannedLogged] = insert(CannedLogRow).on_conflict_do_nothing(
            index_elements=["key"]
        )
        self.by_kind[DeviceCall] = insert(DeviceCallRow).on_conflict_do_nothing(
            index_elements=["uniqueid"]
        )
        self.by_kind[CallbackProgress] = _callback_update()

    def _greatest(self, column: str, new: Any) -> _Expr:
        return self._two_arg_max(self._t[column], new[column])

    def _least(self, column: str, new: Any) -> _Expr:
        return self._two_arg_min(self._t[column], new[column])

    def _unless(self, marker: str, column: str, new: Any) -> _Expr:
        """Keep the current value if ``marker`` shows a stronger record already set it."""
        return case(
            (self._t[marker].is_not(None), self._t[column]), else_=self._greatest(column, new)
        )

    def _over(self, marker: str, column: str, new: Any) -> _Expr:
        """Replace a weaker record's value unless ``marker`` shows a peer already set it."""
        return case((self._t[marker].is_(None), new[column]), else_=self._greatest(column, new))

    def _entered(self, new: Any) -> Mapping[str, Any]:
        return {
            "entered_at": self._least("entered_at", new),
            "caller_number": self._greatest("caller_number", new),
            "caller_name": self._greatest("caller_name", new),
            "position": self._greatest("position", new),
        }

    def _ranked(self, marker: str, guess: str, column: str, new: Any) -> _Expr:
        """``column`` of whichever record is stronger by ``marker``: a value equal to
        ``guess`` (or NULL) is weaker than any other; equals merge by ``greatest``."""
        current_weak = self._t[marker].is_(None) | (self._t[marker] == guess)
        return case(
            ((new[marker] != guess) & current_weak, new[column]),
            ((new[marker] == guess) & ~current_weak, self._t[column]),
            else_=self._greatest(column, new),
        )

    def _answered(self, new: Any) -> Mapping[str, Any]:
        earlier = self._t.answered_at.is_(None) | (new["answered_at"] < self._t.answered_at)
        later = new["answered_at"] > self._t.answered_at
        return {
            "answered_at": self._least("answered_at", new),
            "member_name": self._greatest("member_name", new),
            "agent": self._over("answered_at", "agent", new),
            # The wait belongs to the earliest answer (a resync's "answered at resync time"
            # overstates it; queue_log's CONNECT has the real one).
            "wait": case(
                (earlier, new["wait"]), (later, self._t.wait), else_=self._greatest("wait", new)
            ),
            "outcome": new["outcome"],  # always "answered"
            # An answer is stronger than any exit: the exit's event goes with it.
            "exit_event": null(),
            "exit_data": null(),
            # The earliest answer's channel and ring time, like its wait.
            "agent_uniqueid": case(
                (earlier, func.coalesce(new["agent_uniqueid"], self._t.agent_uniqueid)),
                (later, func.coalesce(self._t.agent_uniqueid, new["agent_uniqueid"])),
                else_=self._greatest("agent_uniqueid", new),
            ),
            "ring_time": case(
                (earlier, func.coalesce(new["ring_time"], self._t.ring_time)),
                (later, func.coalesce(self._t.ring_time, new["ring_time"])),
                else_=self._greatest("ring_time", new),
            ),
        }

    def _left_ranked(self, column: str, new: Any) -> _Expr:
        """``column`` of the stronger left record: an ``exited`` without its queue_log
        event (a resync's guess) is weaker than any other; an exit with a key (EXITWITHKEY:
        the caller took the callback offer's key, and comes back to the queue under the
        same uniqueid if they decline it) is weaker than any other fact, so the passage ends
        as its last part did; equals merge by ``greatest``."""
        t = self._t

        def strength(outcome: Any, event: Any) -> _Expr:
            return case(
                (outcome.is_(None) | ((outcome == "exited") & event.is_(None)), 0),
                ((outcome == "exited") & (event == "EXITWITHKEY"), 1),
                else_=2,
            )

        current = strength(t.outcome, t.exit_event)
        incoming = strength(new["outcome"], new["exit_event"])
        return case(
            (incoming > current, new[column]),
            (incoming < current, t[column]),
            else_=self._greatest(column, new),
        )

    def _left(self, new: Any) -> Mapping[str, Any]:
        answered = self._t.answered_at.is_not(None)
        return {
            "outcome": case((answered, self._t.outcome), else_=self._left_ranked("outcome", new)),
            "wait": case((answered, self._t.wait), else_=self._left_ranked("wait", new)),
            "completed_at": case(
                (self._t.ended_by.is_not(None), self._t.completed_at),
                (answered, self._greatest("completed_at", new)),
                else_=self._left_ranked("completed_at", new),
            ),
            "left_position": self._greatest("left_position", new),
            # They go with the outcome they describe.
            "exit_event": case(
                (answered, self._t.exit_event), else_=self._left_ranked("exit_event", new)
            ),
            "exit_data": case(
                (answered, self._t.exit_data), else_=self._left_ranked("exit_data", new)
            ),
        }

    def _completed(self, new: Any) -> Mapping[str, Any]:
        return {
            "agent": self._unless("answered_at", "agent", new),
            "talk": self._ranked("ended_by", "unknown", "talk", new),
            "hold": self._greatest("hold", new),
            "ended_by": self._ranked("ended_by", "unknown", "ended_by", new),
            "completed_at": case(
                (self._t.ended_by.is_(None), new["completed_at"]),
                else_=self._ranked("ended_by", "unknown", "completed_at", new),
            ),
            "completed_wait": self._greatest("completed_wait", new),
            "transfer": self._greatest("transfer", new),
        }


def _callback_update() -> Any:
    """The update of a callback request by a :class:`CallbackProgress` (never an insert:
    the callback service wrote the row before the placeholder existed)."""
    c = CallbackRow
    rank = case(RANK, value=c.status, else_=-1)
    new_rank = bindparam("b_rank", type_=Integer())
    detail = bindparam("b_detail", type_=Text())
    ended = bindparam("b_ended", type_=UTCDateTime())
    # A status the service guessed (the placeholder vanished unseen) gives way to a fact.
    guessed = (c.detail == OUTCOME_UNKNOWN) & (new_rank >= RANK["connected"])
    return (
        update(CallbackRow)
        .where(c.id == bindparam("b_id", type_=Text()))
        .values(
            status=case(
                ((new_rank > rank) | guessed, bindparam("b_status", type_=Text())),
                else_=c.status,
            ),
            agent=func.coalesce(c.agent, bindparam("b_agent", type_=Text())),
            answered_at=func.coalesce(c.answered_at, bindparam("b_answered", type_=UTCDateTime())),
            calling_at=func.coalesce(c.calling_at, bindparam("b_calling", type_=UTCDateTime())),
            ended_at=case(
                (guessed, func.coalesce(ended, c.ended_at)), else_=func.coalesce(c.ended_at, ended)
            ),
            detail=case(
                (guessed, func.coalesce(detail, "")),
                ((c.detail == "") & detail.is_not(None), detail),
                else_=c.detail,
            ),
        )
    )


_PASSAGE_RECORDS = (QueueCallEntered, QueueCallAnswered, QueueCallLeft, QueueCallCompleted)


def _is_passage(record: Record) -> bool:
    """A callback placeholder's queue record (uniqueid cb-<id>): ``callback_passages``."""
    return isinstance(record, _PASSAGE_RECORDS) and callback_of(record.uniqueid) is not None


# Each agent state row's ``ended_at``: the agent's next transition's ``at`` (one row per agent
# and instant, so the next is the smallest later ``at``), for the rows from the agent's last
# one before the batch's first on: exact whatever the order the transitions arrive in.
_AS = AgentStateRow.__table__
_STATE_ENDS = text(
    """
    UPDATE agent_states SET ended_at = (
        SELECT min(n.at) FROM agent_states n
        WHERE n.agent = agent_states.agent AND n.at > agent_states.at)
    WHERE agent = :agent AND at >= coalesce(
        (SELECT max(p.at) FROM agent_states p WHERE p.agent = :agent AND p.at < :lo), :lo)
    """
).bindparams(bindparam("lo", type_=_AS.c.at.type))


async def _touched_calls(conn: AsyncConnection, uniqueids: Sequence[str]) -> list[Span]:
    """The report spans of these calls as stored (read before and after a write: a merge
    may move a call's entry or answer): its queue's hour, its agent's."""
    out: list[Span] = []
    for i in range(0, len(uniqueids), 500):
        query = select(_QC.queue, _QC.entered_at, _QC.agent, _QC.answered_at).where(
            _QC.uniqueid.in_(uniqueids[i : i + 500])
        )
        for queue, entered, agent, answered in (await conn.execute(query)).all():
            if entered is not None:
                out.append((QUEUE, queue, entered.timestamp(), entered.timestamp()))
            if agent and answered is not None:
                out.append((AGENT, agent, answered.timestamp(), answered.timestamp()))
    return out


async def _replaced_states(conn: AsyncConnection, keys: Sequence[str]) -> list[Span]:
    """Before a write: the wrap-ups the write may replace (a later transition at the same
    instant takes the row): their queue hours."""
    a = AgentStateRow.__table__.c
    out: list[Span] = []
    for i in range(0, len(keys), 500):
        query = select(a.at, a.queue).where(a.key.in_(keys[i : i + 500]), a.state == "wrapup")
        out.extend(
            (QUEUE, q, at.timestamp(), at.timestamp()) for at, q in await conn.execute(query)
        )
    return out


async def _touched_states(conn: AsyncConnection, ends: Sequence[dict[str, Any]]) -> list[Span]:
    """After a write: the report spans of the agents' state rows from their last one before
    the batch on (one query): each agent's from their first transition written to their
    next after the batch (or an hour past now: the days an agent's last state runs into),
    and each wrap-up's queue hour (its after-call work counts once it has ended)."""
    if not ends:
        return []
    a = AgentStateRow.__table__.c
    p = AgentStateRow.__table__.alias("p")
    lo = min(e["lo"] for e in ends)
    prev = select(func.max(p.c.at)).where(p.c.agent == a.agent, p.c.at < lo).scalar_subquery()
    query = select(a.agent, a.at, a.state, a.queue, a.ended_at).where(
        a.agent.in_([e["agent"] for e in ends]), a.at >= func.coalesce(prev, lo)
    )
    last: dict[str, float] = {}
    out: list[Span] = []
    for agent, at, state, queue, ended in await conn.execute(query):
        last[agent] = max(last.get(agent, 0.0), (ended or at).timestamp())
        if state == "wrapup" and queue:
            out.append((QUEUE, queue, at.timestamp(), at.timestamp()))
    now = time.time()
    for e in ends:
        first = e["lo"].timestamp()
        out.append((AGENT, e["agent"], first, max(last.get(e["agent"], first), now) + 3600.0))
    return out


def _state_ends(records: Sequence[Record]) -> list[dict[str, Any]]:
    """Per agent in ``records``: the first instant of theirs written (``_STATE_ENDS``)."""
    first: dict[str, float] = {}
    for r in records:
        if isinstance(r, AgentStateChanged):
            first[r.agent] = min(r.at, first.get(r.agent, r.at))
    return [{"agent": agent, "lo": _ts(at)} for agent, at in first.items()]


def _rounds(
    records: Sequence[Record],
) -> list[tuple[type[Record], bool, list[dict[str, Any]]]]:
    """Group records into executemany rounds of one kind with at most one row per key.

    A multi-row ``INSERT ... ON CONFLICT DO UPDATE`` may not touch the same row twice on
    PostgreSQL, and a driver is free to batch an executemany into one such statement; one
    row per key per round sidesteps that. Order between rounds is irrelevant because the
    merge is order-independent; exact duplicates are dropped up front.
    """
    rounds: dict[tuple[type[Record], bool, int], list[dict[str, Any]]] = defaultdict(list)
    seen: dict[tuple[type[Record], str], int] = defaultdict(int)
    for record in dict.fromkeys(records):
        row = _row(record)  # first: raises TypeError for anything that is not a record
        kind = type(record)
        occurrence = seen[kind, record.key]
        seen[kind, record.key] += 1
        rounds[kind, _is_passage(record), occurrence].append(row)
    return [(kind, passage, rows) for (kind, passage, _), rows in rounds.items()]


class HistoryStore:
    """Writes records to, and reads start-up figures from, the history database."""

    def __init__(self, database: str | AsyncEngine, **engine_options: Any) -> None:
        """``database``: a URL (the store creates, owns and disposes its engine) or an engine.

        For a URL, ``pool_pre_ping`` makes the pool notice connections killed by a database
        restart instead of failing the next write on them, and the asyncpg connect timeout
        keeps an unreachable server from holding a write for asyncpg's default 60 s.
        ``engine_options`` override these.
        """
        if isinstance(database, AsyncEngine):
            if engine_options:
                raise TypeError("engine_options only apply when the store creates the engine")
            self._engine, self._owns_engine = database, False
        else:
            url = async_url(database)
            options: dict[str, Any] = {"pool_pre_ping": True}
            if url.startswith("postgresql+asyncpg"):
                options["connect_args"] = {"timeout": 5}
            options.update(engine_options)
            self._engine, self._owns_engine = create_async_engine(url, **options), True
        self._statements = _Statements(self._engine.dialect.name)

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    async def aclose(self) -> None:
        """Dispose of the engine if the store created it."""
        if self._owns_engine:
            await self._engine.dispose()

    async def write(self, records: Sequence[Record]) -> None:
        """Write ``records`` in one transaction; replays and reorderings change nothing."""
        if not records:
            return
        plan = _rounds(records)
        ends = _state_ends(records)
        calls = sorted(
            {r.uniqueid for r in records if isinstance(r, _PASSAGE_RECORDS) and not _is_passage(r)}
        )
        state_keys = [r.key for r in records if isinstance(r, AgentStateChanged)]
        async with self._engine.begin() as conn:
            touched = await _touched_calls(conn, calls)
            touched += await _replaced_states(conn, state_keys)
            for kind, passage, rows in plan:
                statements = self._statements.passages if passage else self._statements.by_kind
                await conn.execute(statements[kind], rows)
            if ends:  # in the same transaction: an interval's end is never missing
                await conn.execute(_STATE_ENDS, ends)
            touched += await _touched_calls(conn, calls)
            touched += await _touched_states(conn, ends)
            touched += [
                (AGENT, r.device, r.started_at, r.ended_at)
                for r in records
                if isinstance(r, DeviceCall)
            ]
            await report_units.mark(conn, touched)  # last: see report_units

    async def last_agent_states(self) -> dict[str, AgentState]:
        """Each agent's last stored state (the latest transition), for a restarted bridge:
        its resync then writes only what changed while it was away."""
        return {agent: state for agent, (state, _) in (await self.last_agent_transitions()).items()}

    async def last_agent_transitions(self) -> dict[str, tuple[AgentState, float]]:
        """Each agent's last stored state and when they entered it (Unix time): a restarted
        bridge also knows when a wrap-up under way started (its after-call work)."""
        a = AgentStateRow.__table__.c
        rank = (
            func.row_number()
            .over(partition_by=a.agent, order_by=(a.at.desc(), a.id.desc()))
            .label("rank")
        )
        latest = select(a.agent, a.state, a.reason, a.queue, a.at, rank).subquery()
        query = select(
            latest.c.agent, latest.c.state, latest.c.reason, latest.c.queue, latest.c.at
        ).where(latest.c.rank == 1)
        async with self._engine.connect() as conn:
            rows = (await conn.execute(query)).all()
        return {
            agent: (AgentState(state, reason, queue), at.timestamp())
            for agent, state, reason, queue, at in rows
        }

    async def today_counts(self, since: datetime) -> dict[str, QueueCounts]:
        """Per queue: calls answered, abandoned, timed out and transferred out since ``since``.

        Each call counts at the moment of its outcome (answer, or leaving the queue), as a
        live counter would have, so a call that entered before ``since`` and was answered
        after it counts. Queues without any such call are absent from the result.
        """
        if since.tzinfo is None or since.utcoffset() is None:
            raise ValueError(f"naive datetime {since!r}: pass a tz-aware instant")

        def count(condition: ColumnElement[bool]) -> ColumnElement[int]:
            return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

        answered = (_QC.outcome == "answered") & (_QC.answered_at >= since)
        left_since = _QC.completed_at >= since
        query = (
            select(
                _QC.queue,
                count(answered),
                count((_QC.outcome == "abandoned") & left_since),
                count((_QC.outcome == "timed_out") & left_since),
                count((_QC.outcome == "transferred") & left_since),
            )
            .where((_QC.answered_at >= since) | left_since)
            .group_by(_QC.queue)
        )
        async with self._engine.connect() as conn:
            result = await conn.execute(query)
            rows = result.all()
        counts: dict[str, QueueCounts] = {}
        for queue, handled, abandoned, timed_out, transferred in rows:
            if handled or abandoned or timed_out or transferred:
                counts[queue] = QueueCounts(
                    int(handled), int(abandoned), int(timed_out), int(transferred)
                )
        return counts


__all__ = ["HistoryStore", "QueueCounts"]
