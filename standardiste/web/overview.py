"""The filtered picture a user gets: the overview (HTTP and websocket snapshot) and the
change batches that keep it current.

Both carry the mirror's entities keyed as in Redis (``state[entity][key]``), so a client
applies a change ``[entity, key, value-or-null]`` with one assignment, plus the queue
figures and the owners of the devices shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from standardiste.acd.entities import ENTITIES
from standardiste.acd.metrics import QueueSettings
from standardiste.acd.state import Entity
from standardiste.permissions import View, can_see_queue, filter_change, filter_state, queue_of
from standardiste.web.figures import State, all_figures, member_view

Directory = Mapping[str, Mapping[str, str]]


def enrich(entity: Entity, value: Mapping[str, Any], now: float) -> dict[str, Any]:
    return member_view(value, now) if entity == "member" else dict(value)


def _owners(
    entities: Mapping[Entity, Mapping[str, Mapping[str, Any]]], directory: Directory
) -> dict[str, Mapping[str, str]]:
    devices = {m["interface"] for m in entities.get("member", {}).values()}
    devices |= {c["agent"] for c in entities.get("call", {}).values()}
    devices |= {d["device"] for d in entities.get("direct", {}).values()}
    devices |= {s["device"] for s in entities.get("spy", {}).values()}  # phone-started ones
    return {d: directory[d] for d in sorted(devices) if d in directory}


def overview(
    view: View,
    state: State,
    *,
    seq: int,
    now: float,
    today: str,
    directory: Directory,
    settings: Mapping[str, QueueSettings] | None = None,
) -> dict[str, Any]:
    """Everything ``view`` may see of ``state``, with figures for its queues."""
    visible = filter_state(view, state)
    shown: dict[Entity, dict[str, dict[str, Any]]] = {
        entity: {k: enrich(entity, v, now) for k, v in visible.get(entity, {}).items()}
        for entity in ENTITIES
    }
    return {
        "seq": seq,
        "server_time": now,
        "day": today,
        "state": shown,
        "figures": all_figures(state, shown["queue"], now, today, settings),
        "users": _owners(shown, directory),
    }


@dataclass(frozen=True, slots=True)
class Batch:
    """One stream batch as every client needs it, computed once for all of them."""

    seq: int
    now: float
    changes: Sequence[tuple[Entity, str, dict[str, Any] | None, dict[str, Any] | None]]
    figures: Mapping[str, dict[str, Any]]  # the queues this batch touched, on the full state


def changes_message(view: View, batch: Batch, directory: Directory) -> dict[str, Any] | None:
    """The batch as ``view`` sees it, or None when nothing in it concerns that view."""
    changes = [
        c
        for entity, key, old, new in batch.changes
        if (c := filter_change(view, entity, key, old, new)) is not None
    ]
    figures = {
        q: f
        for q, f in batch.figures.items()
        if can_see_queue(view.scope, q) and (view.only is None or q in view.only)
    }
    if not changes and not figures:
        return None
    devices = {c[2]["interface"] for c in changes if c[0] == "member" and c[2] is not None}
    devices |= {c[2]["agent"] for c in changes if c[0] == "call" and c[2] is not None}
    devices |= {c[2]["device"] for c in changes if c[0] in ("direct", "spy") and c[2] is not None}
    return {
        "type": "changes",
        "seq": batch.seq,
        "server_time": batch.now,
        "changes": changes,
        "figures": figures,
        "users": {d: directory[d] for d in sorted(devices) if d in directory},
    }


def touched_queues(
    changes: Iterable[tuple[Entity, str, dict[str, Any] | None, dict[str, Any] | None]],
) -> set[str]:
    queues = set()
    for entity, _key, old, new in changes:
        for value in (old, new):
            if value is not None and (queue := queue_of(entity, value)) is not None:
                queues.add(queue)
    return queues
