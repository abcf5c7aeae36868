"""The permission rules as pure functions: seeing, filtering changes, planning actions."""

from __future__ import annotations

import pytest
from web_helpers import ALICE_DEV, BOB_DEV, CAROL_DEV, caller, member

from standardiste.errors import InvalidInput
from standardiste.permissions import (
    LiveFacts,
    Scope,
    View,
    action_queues,
    can_see,
    check_subscription,
    filter_change,
)
from standardiste.web.errors import Forbidden

ADA = Scope("ada", True, frozenset(), frozenset(), ())
SUE = Scope("sue", False, frozenset({"sales"}), frozenset(), ("PJSIP/sup",),
            frozenset({ALICE_DEV, CAROL_DEV}))  # fmt: skip
ALICE = Scope("alice", False, frozenset(), frozenset({"sales"}), (ALICE_DEV,))
BOB = Scope("bob", False, frozenset(), frozenset({"support"}), (BOB_DEV,))
CAROL = Scope("carol", False, frozenset(), frozenset({"sales", "support"}), (CAROL_DEV,))
LIVE = frozenset({"sales", "support"})


def facts(member_of: set[str], any_device_in: set[str] | None = None) -> LiveFacts:
    return LiveFacts(LIVE, frozenset(member_of), frozenset(any_device_in or member_of))


@pytest.mark.parametrize(
    ("scope", "entity", "value", "seen"),
    [
        (ALICE, "queue", {"name": "sales"}, True),
        (ALICE, "queue", {"name": "support"}, False),
        (ALICE, "member", member("sales", ALICE_DEV), True),
        (ALICE, "member", member("sales", CAROL_DEV), False),
        (ALICE, "member", member("support", ALICE_DEV), True),  # her own row, wherever
        (ALICE, "caller", caller("c", "sales", 0), False),
        (ALICE, "call", {"queue": "sales", "agent": ALICE_DEV}, True),
        (ALICE, "call", {"queue": "sales", "agent": CAROL_DEV}, False),
        (ALICE, "device", {"device": ALICE_DEV}, True),
        (ALICE, "device", {"device": CAROL_DEV}, False),
        (SUE, "member", member("sales", CAROL_DEV), True),
        (SUE, "member", member("support", CAROL_DEV), False),
        (SUE, "caller", caller("c", "sales", 0), True),
        (SUE, "caller", caller("c", "support", 0), False),
        (SUE, "device", {"device": CAROL_DEV}, True),
        (SUE, "device", {"device": BOB_DEV}, False),
        (ADA, "caller", caller("c", "anything", 0), True),
        (ADA, "device", {"device": "PJSIP/x"}, True),
    ],
)
def test_who_sees_what(scope: Scope, entity: str, value: dict[str, object], seen: bool) -> None:
    assert can_see(scope, entity, value) is seen  # type: ignore[arg-type]


def test_a_change_leaving_the_view_is_a_removal() -> None:
    view = View(SUE)
    old = caller("c", "sales", 0)
    moved = caller("c", "support", 0)
    assert filter_change(view, "caller", "c", old, moved) == ["caller", "c", None]
    assert filter_change(view, "caller", "c", moved, old) == ["caller", "c", old]
    assert filter_change(view, "caller", "c", moved, None) is None
    narrowed = View(ADA, frozenset({"support"}))
    assert filter_change(narrowed, "caller", "c", None, old) is None
    assert filter_change(narrowed, "device", "d", None, {"device": "d"}) == [
        "device",
        "d",
        {"device": "d"},
    ]


def test_subscriptions() -> None:
    assert check_subscription(ALICE, None) is None
    assert check_subscription(ALICE, ["sales"]) == {"sales"}
    with pytest.raises(Forbidden, match="support"):
        check_subscription(ALICE, ["sales", "support"])
    assert check_subscription(ADA, ["anything"]) == {"anything"}


# -------------------------------------------------------------------- actions
def test_agent_on_themself() -> None:
    assert action_queues(ALICE, ALICE, "pause", None, facts({"sales"})) is None
    assert action_queues(ALICE, ALICE, "login", None, facts(set())) == ["sales"]
    assert action_queues(CAROL, CAROL, "login", None, facts(set())) == ["sales", "support"]
    assert action_queues(CAROL, CAROL, "logout", ["support"], facts(LIVE)) == ["support"]
    with pytest.raises(Forbidden):
        action_queues(ALICE, ALICE, "login", ["support"], facts(set()))


def test_agent_on_someone_else() -> None:
    for action in ("login", "logout", "pause", "resume"):
        with pytest.raises(Forbidden):
            action_queues(ALICE, CAROL, action, None, facts({"sales"}))  # type: ignore[arg-type]


def test_supervisor_on_their_agents() -> None:
    assert action_queues(SUE, CAROL, "pause", None, facts(LIVE)) == ["sales"]
    assert action_queues(SUE, CAROL, "login", None, facts(set())) == ["sales"]
    assert action_queues(SUE, ALICE, "resume", None, facts(set())) == []  # not logged in
    assert action_queues(SUE, ALICE, "logout", ["sales"], facts({"sales"})) == ["sales"]
    with pytest.raises(Forbidden):
        action_queues(SUE, CAROL, "pause", ["support"], facts(LIVE))
    with pytest.raises(Forbidden):
        action_queues(SUE, BOB, "pause", None, facts({"support"}))


def test_supervisor_on_a_member_who_is_not_assigned() -> None:
    # bob's phone is in sales right now (logged in by hand): sue supervises sales, so she may.
    assert action_queues(SUE, BOB, "pause", None, facts({"sales", "support"})) == ["sales"]
    with pytest.raises(InvalidInput):  # but has no queue of hers to log him into
        action_queues(SUE, BOB, "login", None, facts({"sales"}))


def test_admin() -> None:
    assert action_queues(ADA, BOB, "pause", None, facts({"support"})) is None
    assert action_queues(ADA, BOB, "login", None, facts(set())) == ["support"]
    assert action_queues(ADA, BOB, "login", ["sales"], facts(set())) == ["sales"]
    assert action_queues(ADA, ADA, "login", None, facts(set())) == ["sales", "support"]


def test_login_only_into_queues_that_exist_now() -> None:
    gone = LiveFacts(frozenset({"sales"}), frozenset(), frozenset())
    assert action_queues(CAROL, CAROL, "login", None, gone) == ["sales"]
    with pytest.raises(InvalidInput):
        action_queues(BOB, BOB, "login", None, gone)
