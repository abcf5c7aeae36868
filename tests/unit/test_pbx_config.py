"""The admin's configuration, pure parts: validation (every field named), skill levels as
penalties, and the files generated for Asterisk (nothing injectable, everything the dialplan
and app_queue read)."""

from __future__ import annotations

import pytest

from standardiste.errors import Forbidden, InvalidInput
from standardiste.pbx.definitions import PauseReason, QueueDef
from standardiste.pbx.render import render
from standardiste.pbx.skills import max_penalty, penalty, rule_name
from standardiste.role_permissions import ALL, checked, granted, require


def queue(**values: object) -> QueueDef:
    return QueueDef.from_mapping({"name": "sales", "extension": "5000", **values})


def test_defaults_and_display_name() -> None:
    q = queue()
    assert (q.display_name, q.strategy, q.timeout, q.maxwait, q.weight) == (
        "sales",
        "rrmemory",
        15,
        120,
        0,
    )
    # the metrics' settings: Asterisk's SL2, 80 % in 20 s, 5 s short abandons
    assert (q.sl_variant, q.servicelevel, q.sl_target, q.short_abandon) == (1, 20, 80, 5)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"name": "Sales!"}, "name: 1-32 of a-z 0-9 _ -"),
        ({"name": "sales\n[general]"}, "name: 1-32 of a-z 0-9 _ -"),
        ({"name": "general"}, "name: 'general' is reserved"),
        ({"extension": "5000,1"}, "extension: 2 to 20 digits"),
        ({"extension": "*21"}, "extension: 2 to 20 digits"),
        ({"strategy": "best"}, "strategy: one of ringall"),
        ({"timeout": 0}, "timeout: must be between 1 and 600"),
        ({"weight": "5"}, "weight: a whole number is expected"),
        ({"record": "yes"}, "record: true or false is expected"),
        ({"skill": "Fr ench"}, "skill: 1-32 of a-z 0-9 _ -"),
        ({"skill_min_level": 6}, "skill_min_level: must be between 1 and 5"),
        ({"display_name": "a\nb"}, "display_name: at most 64 printable characters"),
        ({"colour": "red"}, "unknown queue setting(s): colour"),
        ({"sl_variant": 5}, "sl_variant: must be between 1 and 4"),
        ({"sl_target": 0}, "sl_target: must be between 1 and 100"),
        ({"short_abandon": -1}, "short_abandon: must be between 0 and 600"),
    ],
)
def test_each_bad_value_is_refused_naming_the_field(
    values: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidInput) as refused:
        queue(**values)
    assert refused.value.message.startswith(message), refused.value.message


def test_the_asterisk_name_never_changes() -> None:
    with pytest.raises(InvalidInput, match="cannot change"):
        queue().with_changes({"name": "other"})
    assert queue().with_changes({"display_name": "Ventes"}).display_name == "Ventes"


def test_skill_levels_become_penalties() -> None:
    plain = queue()
    assert penalty(plain, {"french": 5}) == 0 and max_penalty(plain) is None
    skilled = queue(skill="french", skill_min_level=3, widen_after=30)
    assert [penalty(skilled, {"french": level}) for level in (5, 4, 3, 2, 1)] == [0, 1, 2, 3, 4]
    assert penalty(skilled, {}) == 5  # assigned without the skill: only once widened
    assert penalty(skilled, {"french": 9}) == 5  # an impossible level counts as none
    assert max_penalty(skilled) == 2  # levels 3 to 5 ring first
    assert rule_name(skilled) == "standardiste-sales"
    assert rule_name(queue(skill="french")) is None  # no widening: no rule


def test_the_generated_files() -> None:
    files = render(
        [
            queue(skill="french", skill_min_level=4, widen_after=45, weight=3, record=True),
            QueueDef.from_mapping({"name": "billing", "extension": "5010", "maxwait": 60}),
        ],
        queue_options="r",
    )
    assert "[sales](standardiste-defaults)" in files.queues
    assert "weight = 3" in files.queues and "defaultrule = standardiste-sales" in files.queues
    assert "ringinuse = no" in files.queues  # the template every managed queue shares
    assert "[standardiste-sales]\npenaltychange => 45,5" in files.rules
    assert "[extensions]\n5010 = billing\n5000 = sales" in files.routes
    assert "[queue-sales]\nmaxwait = 120\nmaxpenalty = 1\nrecord = yes" in files.routes
    assert "[queue-billing]\nmaxwait = 60\nmaxpenalty = \nrecord = no" in files.routes
    assert "queue_options = r" in files.routes
    with pytest.raises(ValueError):
        render([], queue_options="r,x")


def test_pause_reasons() -> None:
    reason = PauseReason.from_mapping({"code": "coaching", "label_en": "Coaching"})
    assert (reason.label_fr, reason.active) == ("Coaching", True)
    with pytest.raises(InvalidInput, match="code"):
        PauseReason.from_mapping({"code": "lunch|PAUSE"})


def test_the_role_matrix() -> None:
    matrix = {"supervisor": frozenset({"live.view"}), "agent": frozenset()}
    assert granted("admin", {}) == ALL  # the admin cannot be locked out
    assert granted("supervisor", matrix) == {"live.view"}
    with pytest.raises(Forbidden, match="agent"):
        require("agent", matrix, "live.view")
    with pytest.raises(InvalidInput, match="unknown permission"):
        checked("agent", ["live.view", "root"])
    with pytest.raises(InvalidInput, match="admin holds every permission"):
        checked("admin", [])
