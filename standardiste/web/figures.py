"""Figures derived from the live state: queue cards (SV-6, AG-4) and member presence (SV-9).

Pure functions of the mirrored state and a clock. They are computed on the *full* state and
then shown per permission: an agent sees how many callers wait in their queue without seeing
who they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import fields
from typing import Any

from standardiste.acd.day import day_of
from standardiste.acd.metrics import QueueSettings, Tally, queue_metrics, sl_status
from standardiste.acd.state import Entity, Member

__all__ = ["day_of"]  # the pages and API ask for it here

State = Mapping[Entity, Mapping[str, Mapping[str, Any]]]

_MEMBER_FIELDS = frozenset(f.name for f in fields(Member))


def presence(member: Mapping[str, Any], now: float) -> str:
    """The member's presence as the model defines it (paused, in_call, ..., ready)."""
    return Member(**{k: v for k, v in member.items() if k in _MEMBER_FIELDS}).presence(now)


def member_view(member: Mapping[str, Any], now: float) -> dict[str, Any]:
    """A member row with its presence and how long it has been in it."""
    since = float(member.get("since") or 0.0)
    return {
        **member,
        "presence": presence(member, now),
        "time_in_status": max(0.0, now - since) if since else None,
    }


def _pct(part: int, total: int) -> float | None:
    return round(100.0 * part / total, 1) if total else None


def settings_for(record: Mapping[str, Any], configured: QueueSettings | None) -> QueueSettings:
    """The queue's metric settings: as configured in the admin, else the defaults with
    the service-level threshold Asterisk reports (a queue of queues.conf)."""
    if configured is not None:
        return configured
    return QueueSettings(sl_threshold=int(record.get("service_level") or 0) or 20)


def queue_figures(
    state: State,
    queue: str,
    now: float,
    today: str,
    settings: QueueSettings | None = None,
) -> dict[str, Any]:
    """One queue card: waiting, longest wait, agents, today's outcomes and their shares,
    and today's metrics (acd/metrics.py: the reports compute them the same way)."""
    callers = [c for c in state.get("caller", {}).values() if c["queue"] == queue]
    members = [m for m in state.get("member", {}).values() if m["queue"] == queue]
    calls = [c for c in state.get("call", {}).values() if c["queue"] == queue]
    record = state.get("queue", {}).get(queue, {})
    counters = record.get("today") or {}
    # Counters of another day are yesterday's: nothing happened today yet.
    current = counters.get("day") == today
    handled = int(counters.get("handled", 0)) if current else 0
    abandoned = int(counters.get("abandoned", 0)) if current else 0
    timed_out = int(counters.get("timed_out", 0)) if current else 0
    # Taken or transferred out by a supervisor: neither handled nor lost, counted apart.
    transferred = int(counters.get("transferred", 0)) if current else 0
    total = handled + abandoned + timed_out + transferred
    # Callback requests (BY-1) are not inbound calls: apart from the total and its shares.
    callbacks = {
        name: int(counters.get(name, 0)) if current else 0
        for name in (
            "callbacks_requested",
            "callbacks_connected",
            "callbacks_expired",
            "callbacks_failed",
        )
    }
    tally = Tally.from_mapping(counters) if current else Tally()
    chosen = settings_for(record, settings)
    metrics = queue_metrics(tally, chosen).as_dict()
    oldest = min((float(c["joined_at"]) for c in callers), default=None)
    presences = [presence(m, now) for m in members]
    return {
        "waiting": len(callers),
        "callbacks_waiting": sum(1 for c in callers if c.get("kind") == "callback"),
        "longest_wait": max(0.0, now - oldest) if oldest is not None else 0.0,
        "waiting_since": oldest,
        "talking": len(calls),
        "agents_logged_in": len(members),
        "agents_paused": presences.count("paused"),
        "agents_ready": presences.count("ready"),
        "agents_in_call": presences.count("in_call"),
        "handled": handled,
        "abandoned": abandoned,
        "timed_out": timed_out,
        "transferred": transferred,
        "total": total,
        "pct_handled": _pct(handled, total),
        "pct_abandoned": _pct(abandoned, total),
        "pct_timed_out": _pct(timed_out, total),
        **callbacks,
        "metrics": metrics,
        "sl": {
            "threshold": chosen.sl_threshold,
            "variant": chosen.sl_variant,
            "target": chosen.sl_target,
            "short_abandon": chosen.short_abandon,
            "status": sl_status(metrics["service_level"], chosen.sl_target),
        },
        "updated_at": record.get("updated_at"),
    }


def all_figures(
    state: State,
    queues: Iterable[str],
    now: float,
    today: str,
    settings: Mapping[str, QueueSettings] | None = None,
) -> dict[str, dict[str, Any]]:
    chosen = settings or {}
    return {q: queue_figures(state, q, now, today, chosen.get(q)) for q in sorted(queues)}
