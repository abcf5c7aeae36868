"""The live entities, defined once: what the mirror stores, what the permissions filter and
what the browser receives.

Each kind names the field that says which queue an entity belongs to (None: it belongs to no
queue, like a device) and the field that names the agent device it concerns (so that agent
sees their own rows of a queue they do not supervise). Adding an entity (a campaign, a spy
session) is one line here: the Redis keys (``standardiste.redis_keys``), the mirror, the
permission filter (``standardiste.permissions``) and the browser (which takes the entity
names from the snapshot it is sent) follow.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from standardiste.acd.state import Entity


@dataclass(frozen=True, slots=True)
class EntityKind:
    name: Entity
    queue_field: str | None  # the field holding the queue; None: no queue
    device_field: str | None  # the field holding the agent device it concerns, if any
    # Who sees it beyond those who see its queue in full: the queue's agents (its figures)
    # or only the device's owner.
    seen_by_queue_agents: bool = False


KINDS: tuple[EntityKind, ...] = (
    EntityKind("queue", "name", None, seen_by_queue_agents=True),
    EntityKind("member", "queue", "interface"),
    EntityKind("caller", "queue", None),
    EntityKind("call", "queue", "agent"),
    EntityKind("device", None, "device"),
    # Not the agent's own business: device_field None keeps it from the spied agent.
    EntityKind("spy", "queue", None),
    # An agent's non-queue calls: theirs, and their queues' supervisors' to see.
    EntityKind("direct", None, "device"),
    # A canned message playing into an agent's call: the agent sees their own (to stop it),
    # the supervisors of the call's queue see it too.
    EntityKind("canned", "queue", "agent"),
    # Outbound (written by the dialer, not the model): a campaign's card (SV-7/AG-4) is its
    # queue's business, agents of the queue included; a dial in flight (the contact's name
    # and number as it rings) is the agent's it rings and the queue's supervisors'.
    EntityKind("campaign", "queue", None, seen_by_queue_agents=True),
    EntityKind("dial", "queue", "device"),
)

BY_NAME: dict[str, EntityKind] = {k.name: k for k in KINDS}
ENTITIES: tuple[Entity, ...] = tuple(k.name for k in KINDS)


def queue_of(entity: str, value: Mapping[str, Any]) -> str | None:
    """The queue an entity belongs to; None for one that belongs to no queue."""
    kind = BY_NAME.get(entity)
    if kind is None or kind.queue_field is None:
        return None
    queue = value.get(kind.queue_field)
    return str(queue) if queue is not None else None


def device_of(entity: str, value: Mapping[str, Any]) -> str | None:
    """The agent device an entity concerns, if any."""
    kind = BY_NAME.get(entity)
    if kind is None or kind.device_field is None:
        return None
    device = value.get(kind.device_field)
    return str(device) if device is not None else None
