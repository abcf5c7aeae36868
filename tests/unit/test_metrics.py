"""The metric definitions (acd/metrics.py): METRICS.md's worked example, the edge cases a
supervisor would see (nothing yet: no figure, not 0 %), and a property test — a tally built
call by call and merged in any grouping gives what the formulas give on the calls directly."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from standardiste.acd.metrics import (
    QueueSettings,
    Tally,
    combined_metrics,
    drop_rate,
    list_penetration,
    occupancy,
    queue_metrics,
    service_level,
    sl_status,
    utilisation,
)


def worked_example() -> Tally:
    """METRICS.md: answered 1000, abandoned 60, answered <= T 860, abandoned <= T 20."""
    tally = Tally()
    for i in range(1000):
        tally.answered(10.0 if i < 860 else 40.0)
    for i in range(60):
        tally.left("abandoned", 15.5 if i < 20 else 50.0)
    return tally


def test_the_four_service_level_variants_of_the_worked_example() -> None:
    tally = worked_example()
    got = [
        service_level(tally, QueueSettings(sl_threshold=20, sl_variant=v, short_abandon=0))
        for v in (1, 2, 3, 4)
    ]
    assert [round(x) for x in got if x is not None] == [83, 86, 81, 83]


def test_a_wait_equal_to_the_threshold_is_within_it() -> None:
    tally = Tally()
    tally.answered(20.0)
    tally.answered(20.01)
    assert service_level(tally, QueueSettings(sl_threshold=20, sl_variant=2)) == 50.0


def test_short_abandons_leave_the_abandon_rate_and_the_service_level() -> None:
    tally = Tally()
    for _ in range(4):
        tally.entered()
    tally.answered(3.0)
    tally.left("abandoned", 2.0)  # short: <= 5 s
    tally.left("abandoned", 30.0)
    tally.left("timed_out", 120.0)
    m = queue_metrics(tally, QueueSettings(sl_threshold=20, sl_variant=1, short_abandon=5))
    assert m.short_abandoned == 1
    assert m.abandon_rate == round(100 * 1 / 3, 1)
    assert m.service_level == 50.0  # answered in T, the long abandon not
    none = queue_metrics(tally, QueueSettings(sl_threshold=20, sl_variant=1, short_abandon=0))
    assert none.short_abandoned == 0
    assert none.abandon_rate == 50.0
    assert none.service_level == round(100 * 2 / 3, 1)


def test_nothing_yet_gives_no_figure_rather_than_zero() -> None:
    m = queue_metrics(Tally(), QueueSettings())
    assert (m.service_level, m.abandon_rate, m.asa, m.aht, m.longest_wait) == (None,) * 5


def test_aht_counts_talk_with_hold_once_and_after_call_work() -> None:
    tally = Tally()
    tally.answered(4.0)
    tally.answered(6.0)
    tally.ended(talk=100.0, hold=30.0)  # Asterisk's talk time includes the 30 s on hold
    tally.ended(talk=50.0, hold=0.0)
    m = queue_metrics(tally, QueueSettings())
    assert m.asa == 5.0
    assert m.aht == 75.0
    assert queue_metrics(tally, QueueSettings(), acw=20.0).aht == 85.0


def test_transferred_out_is_neither_handled_nor_abandoned() -> None:
    tally = Tally()
    tally.entered()
    tally.left("transferred", 12.0)
    m = queue_metrics(tally, QueueSettings())
    assert (m.handled, m.abandoned, m.transferred, m.abandon_rate) == (0, 0, 1, 0.0)
    assert m.service_level is None


def test_service_level_status_against_its_target() -> None:
    assert [sl_status(x, 80) for x in (80.0, 79.9, 70.0, 69.9, None)] == [
        "ok",
        "near",
        "near",
        "below",
        None,
    ]


def test_agent_and_campaign_ratios() -> None:
    assert occupancy(300.0, 100.0) == 75.0
    assert utilisation(300.0, 1200.0) == 25.0
    assert drop_rate(3, 100) == 3.0
    assert list_penetration(250, 1000) == 25.0
    assert occupancy(0.0, 0.0) is None and drop_rate(0, 0) is None


Call = tuple[str, float, float, float]  # outcome, wait, talk, hold

calls_strategy = st.lists(
    st.tuples(
        st.sampled_from(["answered", "abandoned", "timed_out", "transferred", "exited"]),
        st.floats(min_value=0, max_value=400, allow_nan=False).map(lambda w: round(w, 2)),
        st.floats(min_value=0, max_value=900, allow_nan=False),
        st.floats(min_value=0, max_value=100, allow_nan=False),
    ),
    max_size=60,
)


def direct(calls: list[Call], s: QueueSettings) -> dict[str, float | None]:
    """The definitions of METRICS.md applied to the calls themselves."""
    t, short_s = s.sl_threshold, s.short_abandon
    ans = [w for o, w, _, _ in calls if o == "answered"]
    ab = [w for o, w, _, _ in calls if o == "abandoned"]
    short = [w for w in ab if short_s > 0 and w <= short_s]
    counted = [w for w in ab if not (short_s > 0 and w <= short_s)]
    a_in = sum(1 for w in ans if w <= t)
    c_in = sum(1 for w in counted if w <= t)
    parts = {
        1: (a_in + c_in, len(ans) + len(counted)),
        2: (a_in, len(ans)),
        3: (a_in, len(ans) + len(counted)),
        4: (a_in, len(ans) + len(counted) - c_in),
    }[s.sl_variant]

    def pct(a: float, b: float) -> float | None:
        return round(100 * a / b, 1) if b else None

    return {
        "service_level": pct(*parts),
        "abandon_rate": pct(len(ab) - len(short), len(calls) - len(short)),
        "short_abandoned": len(short),
        "handled": len(ans),
    }


@settings(max_examples=200, deadline=None)
@given(
    calls=calls_strategy,
    variant=st.sampled_from([1, 2, 3, 4]),
    threshold=st.integers(min_value=1, max_value=300),
    short=st.integers(min_value=0, max_value=30),
    cut=st.integers(min_value=0, max_value=60),
)
def test_a_tally_call_by_call_and_merged_equals_the_formulas(
    calls: list[Call], variant: int, threshold: int, short: int, cut: int
) -> None:
    s = QueueSettings(sl_threshold=threshold, sl_variant=variant, short_abandon=short)
    parts = [Tally(), Tally()]
    for i, (outcome, wait, talk, hold) in enumerate(calls):
        part = parts[0] if i < cut else parts[1]
        part.entered()
        if outcome == "answered":
            part.answered(wait)
            part.ended(talk, hold)
        else:
            part.left(outcome, wait)  # type: ignore[arg-type]
    m = queue_metrics(Tally.total(parts), s)
    want = direct(calls, s)
    assert {k: getattr(m, k) for k in want} == want
    assert m.offered == len(calls)
    assert m.longest_wait == (round(max(w for _, w, _, _ in calls), 1) if calls else None)


def test_queues_with_other_settings_add_up_each_call_judged_by_its_queue() -> None:
    fast, slow = Tally(), Tally()
    for wait in (5.0, 15.0):
        fast.answered(wait)
        slow.answered(wait)
    fast_rules = QueueSettings(sl_threshold=10, sl_variant=2)
    slow_rules = QueueSettings(sl_threshold=20, sl_variant=2)
    both = combined_metrics([(fast, fast_rules), (slow, slow_rules)])
    assert both.service_level == 75.0  # 1 of 2 within 10 s, 2 of 2 within 20 s
    assert both.handled == 4 and both.asa == 10.0
