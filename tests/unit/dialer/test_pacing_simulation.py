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


@pytest.mark.parametrize("seed", [1, 2])
def test_predictive_pacing_keeps_the_drop_cap_and_dials_ahead(bench: ModuleType, seed: int) -> None:
    """40 simulated minutes, 10 agents, the answer rate falling from 0.3 to 0.1 at 20 min:
    the predictive policy drops at most 3% of live answers, and it did pace predictively
    (more attempts than progressive 1:1 on the same contacts, some decided by the budget)."""
    center = bench.Center(agents=10, hours=40 / 60, change_at=20 * 60.0)
    predictive = bench.simulate(center, "predictive", seed)
    progressive = bench.simulate(center, "progressive", seed)
    assert len(predictive.answer_times) > 100
    assert predictive.drop_rate <= center.rule.cap
    assert max(predictive.window_rates()) <= center.rule.cap
    assert predictive.reasons.get("budget", 0) > 0
    assert predictive.attempts > progressive.attempts
    assert progressive.drop_times == []  # 1:1 never drops: every call has its agent


def test_the_bench_refuses_an_unknown_policy(bench: ModuleType) -> None:
    with pytest.raises(ValueError, match="policy"):
        bench.simulate(bench.Center(hours=0.01), "preview", 1)
