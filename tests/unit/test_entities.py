"""The live entities are defined once (acd/entities.py) and every layer follows it."""

from __future__ import annotations

from typing import get_args

from standardiste.acd.entities import ENTITIES, KINDS, queue_of
from standardiste.acd.model import ContactCenter
from standardiste.acd.state import Entity
from standardiste.permissions import Scope, can_see
from standardiste.redis_keys import RedisKeys

AGENT = Scope("al", False, frozenset(), frozenset({"sales"}), ("PJSIP/1",))


def test_every_entity_has_one_kind_and_one_redis_key() -> None:
    assert set(ENTITIES) == set(get_args(Entity))
    keys = RedisKeys("t:")
    assert {keys.entity(e) for e in ENTITIES} <= set(keys.all())
    assert set(ContactCenter().state()) == set(ENTITIES)  # what the mirror writes


def test_queue_of_follows_each_kind() -> None:
    values = {"queue": {"name": "sales"}, "device": {"device": "PJSIP/1"}}
    for kind in KINDS:
        value = values.get(kind.name, {"queue": "sales"})
        assert queue_of(kind.name, value) == (None if kind.queue_field is None else "sales")


def test_an_agent_sees_their_own_rows_of_a_queue_and_its_figures_not_the_callers() -> None:
    assert can_see(AGENT, "queue", {"name": "sales"})
    assert can_see(AGENT, "member", {"queue": "sales", "interface": "PJSIP/1"})
    assert not can_see(AGENT, "member", {"queue": "sales", "interface": "PJSIP/2"})
    assert can_see(AGENT, "call", {"queue": "sales", "agent": "PJSIP/1"})
    assert not can_see(AGENT, "caller", {"queue": "sales"})
    assert can_see(AGENT, "device", {"device": "PJSIP/1"})
    assert not can_see(AGENT, "device", {"device": "PJSIP/2"})
    assert can_see(AGENT, "campaign", {"queue": "sales"})  # their campaign's card (AG-4)
    assert not can_see(AGENT, "campaign", {"queue": "support"})
    assert can_see(AGENT, "dial", {"queue": "sales", "device": "PJSIP/1"})
    assert not can_see(AGENT, "dial", {"queue": "sales", "device": "PJSIP/2"})
    assert not can_see(AGENT, "robot", {"queue": "sales"})  # unknown kinds: admins only


def test_the_dialers_entities_are_kept_and_survive_a_resync() -> None:
    from standardiste.acd.events import OutboundChanged, Snapshot

    model = ContactCenter()
    card = {"name": "winter", "queue": "sales", "status": "active"}
    out = model.apply(OutboundChanged("campaign", "winter", card))
    assert [(c.entity, c.key) for c in out.changes] == [("campaign", "winter")]
    assert model.apply(OutboundChanged("campaign", "winter", card)).changes == []  # unchanged
    model.apply(OutboundChanged("dial", "a1", {"queue": "sales", "device": "PJSIP/a"}))
    model.replace(Snapshot(at=1.0))
    assert model.state()["campaign"] == {"winter": card}
    out = model.apply(OutboundChanged("dial", "a1", None))
    assert out.changes and model.state()["dial"] == {}
