"""The pacing benchmark's simulation, run small: the predictive pacing keeps the drop cap on a
simulated center (a correctness test: no timing is asserted; the figures are the bench's)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[3] / "bench" / "pacing.py"


@pytest.fixture(scope="module")
def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_pacing", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being built
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize(("agents", "seed"), [(10, 1), (10, 2), (5, 3)])
def test_predictive_pacing_keeps_the_drop_cap_and_dials_ahead(
    bench: ModuleType, agents: int, seed: int
) -> None:
    """75 simulated minutes, the answer rate falling from 0.3 to 0.1 at 30 min, dialed through
    the engine's Pacer: every sliding hour and the whole run drop at most 3% of live answers,
    and it did pace predictively (more attempts than progressive 1:1 on the same contacts,
    more contacts reached, some decided by the budget)."""
    center = bench.Center(agents=agents, hours=1.25, change_at=30 * 60.0)
    predictive = bench.simulate(center, "predictive", seed)
    progressive = bench.simulate(center, "progressive", seed)
    assert len(predictive.answer_times) > 20 * agents
    assert predictive.drop_rate <= center.rule.cap
    assert predictive.worst_sliding_hour()[0] <= center.rule.cap
    assert predictive.reasons.get("budget", 0) > 0
    assert predictive.attempts > progressive.attempts
    assert predictive.connected > progressive.connected
    assert progressive.drop_times == []  # 1:1 never drops: every call has its agent


def test_the_worst_sliding_hour_is_found_between_the_minutes(bench: ModuleType) -> None:
    """An answer every 50 s, and two dropped answers 3599.8 s apart: only the windows ending
    in [4600.3, 4600.5) hold both, and no whole minute is among them. The bench finds that
    window exactly; windows ending every minute would have seen one drop at most."""
    center = bench.Center(hours=2.0)
    result = bench.Result("predictive", 1, center)
    result.answer_times = sorted([50.0 * k for k in range(1, 145)] + [1000.5, 4600.3])
    result.drop_times = [1000.5, 4600.3]
    rate, end, drops, answers = result.worst_sliding_hour()
    assert (end, drops, answers) == (4600.3, 2, 74)
    assert rate == pytest.approx(2 / 74)
    rule = bench.DropRule(window=3600.0)
    minutes = [60.0 * m for m in range(60, 121)]
    totals = [bench.window_totals(result.answer_times, result.drop_times, t, rule) for t in minutes]
    assert max(t.drops for t in totals) == 1


def test_the_bench_refuses_an_unknown_policy(bench: ModuleType) -> None:
    with pytest.raises(ValueError, match="policy"):
        bench.simulate(bench.Center(hours=0.01), "preview", 1)
