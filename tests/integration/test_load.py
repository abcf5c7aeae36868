"""The load tier, short: bench/load.py against the real sandbox, the bridge as its own process.

200 Local-channel agents, each in 2 of 20 queues, 10 calls/s for 15 s, with callers who give
up, callers who time out and memberships paused and resumed all along. The mirror must never
differ from Asterisk for longer than events take to arrive (one sample to the next, ~1 s),
must equal Asterisk once every call is over, and today's counters of each queue must equal
Asterisk's own queue_log. The figures (CPU ratio, peak RSS, events/s) are printed, not
asserted; ``.venv/bin/python bench/load.py`` is the long form.
"""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

import load as load_bench  # noqa: E402

from standardiste.tools import sandbox as sb  # noqa: E402


async def test_mirror_and_counters_stay_exact_under_load(sandbox: sb.SandboxInfo) -> None:
    opts = load_bench.LoadOptions(duration=15, max_wait=10, seed=20260601)
    report = await load_bench.run_load(opts, sandbox)
    print("\n".join(report.lines()))
    totals = report.totals
    # The run really exercised what it claims: every outcome, pauses, two queues per agent.
    assert report.placed == 150 and totals["ENTERQUEUE"] == report.placed
    assert totals["CONNECT"] > 0 and totals["ABANDON"] > 0 and totals["EXITWITHTIMEOUT"] > 0
    assert report.pauses > 0 and report.samples >= 10
    assert report.divergences == []
    assert report.final_differences == []
    assert report.counter_differences == []
