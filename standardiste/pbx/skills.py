"""Skills on stock app_queue: a level per user and skill, turned into a penalty per queue.

A queue may name one skill. Levels run from 1 (beginner) to 5 (expert); app_queue rings
lower penalties first, so an agent's penalty in such a queue is ``5 - level`` (an expert is
0, a beginner 4) and an agent assigned to the queue without the skill gets ``5``. The queue's
``skill_min_level`` becomes the caller's ``QUEUE_MAX_PENALTY`` (``5 - min level``) set by the
dialplan before ``Queue()``; ``widen_after`` seconds later a queue rule (``penaltychange``)
raises it to 5, so every assigned agent may then ring. A queue without a skill: penalty 0
and no maximum.
"""

from __future__ import annotations

from collections.abc import Mapping

from standardiste.pbx.definitions import QueueDef

MIN_LEVEL = 1
MAX_LEVEL = 5
WIDEST = MAX_LEVEL  # the penalty of an agent without the skill, and the widest maximum


def penalty(queue: QueueDef, levels: Mapping[str, int]) -> int:
    """The member penalty of an agent whose skill levels are ``levels`` in ``queue``."""
    if not queue.skill:
        return 0
    level = levels.get(queue.skill, 0)
    return WIDEST - level if MIN_LEVEL <= level <= MAX_LEVEL else WIDEST


def max_penalty(queue: QueueDef) -> int | None:
    """The caller's QUEUE_MAX_PENALTY when it enters ``queue`` (None: no limit)."""
    if not queue.skill:
        return None
    return WIDEST - queue.skill_min_level


def rule_name(queue: QueueDef) -> str | None:
    """The queue rule that widens the pool, if the queue has one."""
    if not queue.skill or not queue.widen_after:
        return None
    return f"standardiste-{queue.name}"


__all__ = ["MAX_LEVEL", "MIN_LEVEL", "max_penalty", "penalty", "rule_name"]
