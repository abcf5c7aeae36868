"""Who sees what and who may act on whom: pure functions, used by the web (every API handler
and the websocket filter) and by the bridge's agent use cases (which queues an action applies
to, decided against the live model).

- An **admin** sees and acts on everything.
- A **supervisor** sees the queues they supervise in full (the queue, its members, callers
  and calls) and acts on the agents of those queues (users linked to one of them as agent,
  or whose device is a member of one now), in those queues only.
- An **agent** sees the queue record (today's counters; the derived figures) of the queues
  they are assigned to, and their own member rows and calls, and acts on themself only.
- Device states (``device`` entities have no queue): one's own devices; a supervisor also
  those of the agents assigned to the queues they supervise; an admin all.

Roles per queue come from the accounts (``user_queues``); the global role only grants
admin. A user may be agent in one queue and supervisor of another.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from standardiste.acd.entities import BY_NAME, device_of, queue_of
from standardiste.acd.state import Entity

__all__ = ["queue_of"]  # re-exported: the web filters by it
from standardiste.errors import Forbidden, InvalidInput

Action = Literal["login", "logout", "pause", "resume"]
State = Mapping[Entity, Mapping[str, Mapping[str, Any]]]


@dataclass(frozen=True, slots=True)
class Scope:
    """What a user may see and do, as plain sets (hashable: views are cached by it)."""

    username: str
    admin: bool
    supervised: frozenset[str]
    assigned: frozenset[str]  # queues where the user is an agent
    devices: tuple[str, ...]
    watched_devices: frozenset[str] = frozenset()  # the devices of their queues' agents

    @property
    def linked(self) -> frozenset[str]:
        return self.supervised | self.assigned


def scope_to_wire(scope: Scope) -> dict[str, Any]:
    """A scope as JSON, for the command bus (the bridge re-checks against its model)."""
    return {
        "username": scope.username,
        "admin": scope.admin,
        "supervised": sorted(scope.supervised),
        "assigned": sorted(scope.assigned),
        "devices": list(scope.devices),
    }


def scope_from_wire(data: Mapping[str, Any]) -> Scope:
    return Scope(
        username=str(data["username"]),
        admin=bool(data["admin"]),
        supervised=frozenset(str(q) for q in data["supervised"]),
        assigned=frozenset(str(q) for q in data["assigned"]),
        devices=tuple(str(d) for d in data["devices"]),
    )


class Account(Protocol):
    """What the policy needs to know of a user account (``standardiste.accounts.User`` has it)."""

    @property
    def username(self) -> str: ...
    @property
    def is_admin(self) -> bool: ...
    @property
    def queues(self) -> Mapping[str, str]: ...
    @property
    def devices(self) -> tuple[str, ...]: ...


def scope_of(user: Account, watched_devices: frozenset[str] = frozenset()) -> Scope:
    """``watched_devices``: the devices of the agents of the queues ``user`` supervises."""
    return Scope(
        username=user.username,
        admin=user.is_admin,
        supervised=frozenset(q for q, r in user.queues.items() if r == "supervisor"),
        assigned=frozenset(q for q, r in user.queues.items() if r == "agent"),
        devices=user.devices,
        watched_devices=watched_devices,
    )


# -------------------------------------------------------------------- seeing
def can_see_queue(scope: Scope, queue: str) -> bool:
    return scope.admin or queue in scope.supervised or queue in scope.assigned


def sees_details(scope: Scope, queue: str) -> bool:
    """Members, callers and calls of ``queue``, whoever they are."""
    return scope.admin or queue in scope.supervised


def can_see(scope: Scope, entity: Entity, value: Mapping[str, Any]) -> bool:
    """The one visibility rule, over the entity registry (``acd.entities``)."""
    kind = BY_NAME.get(entity)
    if kind is None:
        return scope.admin  # an entity this code does not know yet
    if scope.admin:
        return True
    queue = queue_of(entity, value)
    device = device_of(entity, value)
    if kind.queue_field is None:  # no queue: one's own devices, and one's agents'
        return device is not None and (device in scope.devices or device in scope.watched_devices)
    if queue is None:
        return False
    if kind.seen_by_queue_agents:
        return can_see_queue(scope, queue)
    if sees_details(scope, queue):
        return True
    return device is not None and device in scope.devices


@dataclass(frozen=True, slots=True)
class View:
    """A user's scope narrowed to the queues they subscribed to (None: all they can see)."""

    scope: Scope
    only: frozenset[str] | None = None


def in_view(view: View, entity: Entity, value: Mapping[str, Any]) -> bool:
    if view.only is not None:
        queue = queue_of(entity, value)
        if queue is not None and queue not in view.only:
            return False
    return can_see(view.scope, entity, value)


def filter_state(view: View, state: State) -> dict[Entity, dict[str, dict[str, Any]]]:
    return {
        entity: {k: dict(v) for k, v in items.items() if in_view(view, entity, v)}
        for entity, items in state.items()
    }


def filter_change(
    view: View,
    entity: Entity,
    key: str,
    old: Mapping[str, Any] | None,
    new: Mapping[str, Any] | None,
) -> list[Any] | None:
    """The change as this view sees it: the new value, a removal (it left the view), or None."""
    if new is not None and in_view(view, entity, new):
        return [entity, key, dict(new)]
    if old is not None and in_view(view, entity, old):
        return [entity, key, None]
    return None


def visible_queues(scope: Scope, known: Iterable[str]) -> set[str]:
    return {q for q in known if can_see_queue(scope, q)}


def check_subscription(scope: Scope, queues: Sequence[str] | None) -> frozenset[str] | None:
    """The queues to follow; Forbidden if one of them is not the user's to see."""
    if queues is None:
        return None
    refused = sorted(q for q in set(queues) if not can_see_queue(scope, q))
    if refused:
        raise Forbidden(f"you cannot follow queue(s): {', '.join(refused)}")
    return frozenset(queues)


# -------------------------------------------------------------------- acting
@dataclass(frozen=True, slots=True)
class LiveFacts:
    """What Asterisk reports now, as far as an action on one agent needs it."""

    queues: frozenset[str]  # queues that exist
    member_of: frozenset[str]  # queues the target's chosen device is a member of
    any_device_in: frozenset[str]  # queues any of the target's devices is a member of


def may_act_on(actor: Scope, target: Scope, live: LiveFacts) -> bool:
    if actor.admin or actor.username == target.username:
        return True
    return bool(actor.supervised & (target.assigned | live.any_device_in))


def action_queues(
    actor: Scope,
    target: Scope,
    action: Action,
    requested: Sequence[str] | None,
    live: LiveFacts,
) -> list[str] | None:
    """The queues ``actor`` may ``action`` ``target`` in (None: every queue it applies to).

    Raises Forbidden when the actor may not act on the target, or names a queue outside
    what they may touch; InvalidInput when there is no queue to log the target into.
    """
    if not may_act_on(actor, target, live):
        raise Forbidden(f"you cannot act on {target.username}")
    self_acting = actor.username == target.username
    if actor.admin:
        allowed: frozenset[str] | None = None
    elif self_acting:
        allowed = actor.linked
    else:
        allowed = actor.supervised
    if requested is not None:
        if allowed is not None:
            refused = sorted(set(requested) - allowed)
            if refused:
                raise Forbidden(f"you cannot act in queue(s): {', '.join(refused)}")
        return list(dict.fromkeys(requested))
    # No queue named: AG-1 "all my assigned queues at once", within what the actor may touch.
    if action == "login":
        pool = target.assigned if allowed is None else target.assigned & allowed
        if not pool and actor.admin and self_acting:
            pool = live.queues
        chosen = sorted(pool & live.queues)
        if not chosen:
            raise InvalidInput(f"{target.username} has no queue to log into")
        return chosen
    if allowed is None or self_acting:
        return None  # every queue the device is in: its owner's or an admin's call
    return sorted(live.member_of & allowed)
