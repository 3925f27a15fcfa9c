"""Tests for helpers.testing.model: flakes, canary sample size and verdicts, false alarms, availability.

The reference numbers are computed here a second way (the normal quantiles from their
definition, the availability from uptime and downtime) rather than copied from the model.
Simulations are seeded, so the statistical bounds are deterministic; each still fails for a
broken rule (no correction for peeking, a two-sided verdict, a mean of the wrong thing).
"""

from __future__ import annotations

import math
from fractions import Fraction
from statistics import NormalDist

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.testing.model import (
    VERDICTS,
    CanaryPlan,
    Outages,
    availability,
    canary_plan,
    canary_sample_size,
    canary_verdict,
    downtime_s,
    false_alarm_rate,
    flake_probability,
    order_problem,
    run_repeatedly,
    simulate_outages,
    time_to_decision_s,
    two_proportion_z,
    wilson_interval,
)

PROPERTY_SETTINGS = settings(max_examples=60, deadline=None)


# --------------------------------------------------------------------------------------------
# Section 1: flakes per layer
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("rate", "calls", "expected"), [(0.02, 0, 0.0), (0.02, 1, 0.02), (0.5, 2, 0.75), (0, 9, 0.0)])
def test_flake_probability_table(rate: float, calls: int, expected: float) -> None:
    assert flake_probability(rate, calls) == pytest.approx(expected)


@PROPERTY_SETTINGS
@given(st.floats(0, 1), st.integers(0, 50))
def test_flake_probability_grows_with_calls(rate: float, calls: int) -> None:
    assert flake_probability(rate, calls) <= flake_probability(rate, calls + 1) + 1e-12


@pytest.mark.parametrize(
    ("rate", "calls", "word"), [(-0.1, 1, "fault_rate"), (0.1, -1, "network_calls"), (0.1, 1.5, "network_calls")]
)
def test_flake_probability_refuses_bad_input(rate: float, calls: int, word: str) -> None:
    with pytest.raises(ValueError, match=word):
        flake_probability(rate, calls)


# --------------------------------------------------------------------------------------------
# Section 5: sample size and time to decision
# --------------------------------------------------------------------------------------------


def _n_by_hand(p1: float, p2: float, alpha: float, power: float, two_sided: bool) -> float:
    z = NormalDist().inv_cdf
    z_alpha = z(1 - alpha / 2) if two_sided else z(1 - alpha)
    return (z_alpha + z(power)) ** 2 * (p1 * (1 - p1) + p2 * (1 - p2)) / (p1 - p2) ** 2


@pytest.mark.parametrize(
    ("p1", "p2", "expected"),
    # FACTS §10 and the brief give 23,507, 2,315, 78,387 and 432: the formula's values 23,507.4,
    # 2,315.4, 78,386.8 and 431.7 rounded to the nearest; a sample size is rounded up.
    [(0.001, 0.002, 23_508), (0.01, 0.02, 2_316), (0.001, 0.0015, 78_387), (0.05, 0.10, 432)],
)
def test_sample_size_matches_the_formula_rounded_up(p1: float, p2: float, expected: int) -> None:
    assert canary_sample_size(p1, p2) == expected
    assert math.ceil(_n_by_hand(p1, p2, 0.05, 0.8, True)) == expected


def test_sample_size_one_sided_needs_fewer() -> None:
    one = canary_sample_size(0.001, 0.002, two_sided=False)
    assert one == math.ceil(_n_by_hand(0.001, 0.002, 0.05, 0.8, False))
    assert one < canary_sample_size(0.001, 0.002)


def test_sample_size_is_symmetric_and_grows_as_inverse_square_of_the_gap() -> None:
    assert canary_sample_size(0.002, 0.001) == canary_sample_size(0.001, 0.002)
    # halving the gap around the same rates roughly quadruples n
    wide, narrow = canary_sample_size(0.01, 0.03), canary_sample_size(0.015, 0.025)
    assert 3.5 < narrow / wide < 4.5


@PROPERTY_SETTINGS
@given(st.floats(0.001, 0.5), st.floats(0.001, 0.5), st.floats(0.01, 0.2), st.floats(0.5, 0.99))
def test_sample_size_is_the_rounded_up_formula(p1: float, p2: float, alpha: float, power: float) -> None:
    if abs(p1 - p2) < 1e-4:
        return
    exact = _n_by_hand(p1, p2, alpha, power, True)
    assert canary_sample_size(p1, p2, alpha, power) in (math.ceil(exact), math.ceil(exact - 1e-9))


@pytest.mark.parametrize(
    ("args", "word"),
    [
        ((0.01, 0.01), "differ"),
        ((0, 0.01), "p_control"),
        ((0.01, 1), "p_canary"),
        ((0.01, 0.02, 0), "alpha"),
        ((0.01, 0.02, 0.05, 1), "power"),
        ((0.01, True), "p_canary"),
    ],
)
def test_sample_size_refuses_bad_input(args: tuple[float, ...], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        canary_sample_size(*args)


def test_time_to_decision_uses_the_smaller_arm() -> None:
    assert time_to_decision_s(23_507, 0.01, 1_000) == pytest.approx(2_350.7)  # 39.2 min (brief 4.3)
    assert time_to_decision_s(23_507, 0.05, 1_000) / 60 == pytest.approx(7.8, abs=0.05)
    assert time_to_decision_s(23_507, 0.5, 1_000) / 60 == pytest.approx(0.8, abs=0.05)
    assert time_to_decision_s(100, 0.8, 10) == pytest.approx(time_to_decision_s(100, 0.2, 10))
    with pytest.raises(ValueError, match="canary_share"):
        time_to_decision_s(100, 1.0, 10)


def test_canary_plan_adds_up() -> None:
    plan = canary_plan(0.001, 0.002, 0.05, 1_000)
    assert isinstance(plan, CanaryPlan)
    assert plan.n_per_arm == 23_508
    assert plan.time_s == pytest.approx(23_508 / 50)
    assert plan.bad_requests == pytest.approx(23_508 * 0.002)
    assert plan.extra_bad_requests == pytest.approx(23_508 * 0.001)
    assert canary_plan(0.002, 0.001, 0.05, 1_000).extra_bad_requests == 0.0


# --------------------------------------------------------------------------------------------
# Section 6: the z-test, the verdict, false alarms
# --------------------------------------------------------------------------------------------


def test_z_by_hand() -> None:
    pooled = Fraction(30, 2_000)
    expected = (0.02 - 0.01) / math.sqrt(float(pooled * (1 - pooled) * Fraction(2, 1_000)))
    assert two_proportion_z(990, 10, 980, 20) == pytest.approx(expected)
    assert two_proportion_z(980, 20, 990, 10) == pytest.approx(-expected)
    assert two_proportion_z(0, 10, 0, 10) == 0.0


@pytest.mark.parametrize("bad", [(-1, 0, 1, 0), (1, 0, 1, 0.5), (0, 0, 5, 5), (5, 5, 0, 0)])
def test_z_refuses_bad_counts(bad: tuple[int, int, int, int]) -> None:
    with pytest.raises(ValueError, match=r"canary|control"):
        two_proportion_z(*bad)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((9_900, 100, 9_500, 500), "rollback"),
        ((9_900, 100, 9_895, 105), "promote"),
        ((9_500, 500, 9_900, 100), "promote"),  # a better canary is never rolled back
        ((999, 0, 1_000, 0), "wait"),
        ((1_000, 0, 999, 0), "wait"),
        ((1_000, 0, 1_000, 0), "promote"),
    ],
)
def test_verdict_table(counts: tuple[int, int, int, int], expected: str) -> None:
    assert canary_verdict(*counts) == expected
    assert expected in VERDICTS


def test_verdict_is_one_sided_at_alpha() -> None:
    z_one = NormalDist().inv_cdf(0.95)  # 1.645: between the one- and two-sided thresholds
    # 10,000 per arm, control 100 errors: find a canary count whose z lies in (1.645, 1.96)
    for errors in range(100, 200):
        z = two_proportion_z(9_900, 100, 10_000 - errors, errors)
        if z_one < z < 1.96:
            assert canary_verdict(9_900, 100, 10_000 - errors, errors) == "rollback"
            assert canary_verdict(9_900, 100, 10_000 - errors, errors, alpha=0.01) == "promote"
            break
    else:  # pragma: no cover
        pytest.fail("no count with z between 1.645 and 1.96")


def test_verdict_false_rollbacks_on_aa_runs_near_alpha() -> None:
    rng = np.random.default_rng(11)
    control = rng.binomial(5_000, 0.01, 2_000)
    canary = rng.binomial(5_000, 0.01, 2_000)
    verdicts = [canary_verdict(5_000 - c, c, 5_000 - k, k) for c, k in zip(control, canary, strict=True)]
    share = verdicts.count("rollback") / len(verdicts)
    assert 0.03 < share < 0.07


def test_false_alarms_fixed_horizon_near_alpha_and_peeking_inflates() -> None:
    fixed = false_alarm_rate(0.01, 5_000, 2_000, np.random.default_rng(3))
    peeking = false_alarm_rate(0.01, 5_000, 2_000, np.random.default_rng(3), looks=20)
    assert 0.035 < fixed < 0.065
    assert peeking > 2 * fixed
    assert false_alarm_rate(0.01, 5_000, 2_000, np.random.default_rng(3), alpha=0.01) < fixed


def test_false_alarms_are_seeded() -> None:
    first = false_alarm_rate(0.02, 1_000, 500, np.random.default_rng(5), looks=10)
    assert first == false_alarm_rate(0.02, 1_000, 500, np.random.default_rng(5), looks=10)


def test_false_alarms_refuse_bad_input() -> None:
    rng = np.random.default_rng(0)
    with pytest.raises(ValueError, match="looks"):
        false_alarm_rate(0.01, 10, 10, rng, looks=11)
    with pytest.raises(ValueError, match="error_rate"):
        false_alarm_rate(0.0, 10, 10, rng)
    with pytest.raises(TypeError, match="rng"):
        false_alarm_rate(0.01, 10, 10, 42)  # type: ignore[arg-type]


@PROPERTY_SETTINGS
@given(st.integers(1, 5_000), st.data())
def test_wilson_interval_holds_the_estimate(requests: int, data: st.DataObject) -> None:
    errors = data.draw(st.integers(0, requests))
    low, high = wilson_interval(errors, requests)
    assert 0.0 <= low <= errors / requests <= high <= 1.0


def test_wilson_interval_narrows_with_requests_and_refuses_more_errors_than_requests() -> None:
    narrow, wide = wilson_interval(500, 10_000), wilson_interval(5, 100)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]
    with pytest.raises(ValueError, match="errors"):
        wilson_interval(11, 10)


# --------------------------------------------------------------------------------------------
# Section 7: availability
# --------------------------------------------------------------------------------------------


def test_availability_facts() -> None:
    base = availability(30 * 24, 0.5)
    assert round(100 * base, 4) == 99.9306  # FACTS §10
    assert round(100 * availability(60 * 24, 0.5), 5) == 99.96529
    assert availability(60 * 24, 0.5) == pytest.approx(availability(30 * 24, 0.25), abs=1e-15)
    assert availability(10, 0) == 1.0
    assert downtime_s(base, 365 * 86_400) / 3_600 == pytest.approx(6.08, abs=0.005)


@PROPERTY_SETTINGS
@given(st.floats(0.01, 1e6), st.floats(0.0, 1e4), st.floats(0.1, 10))
def test_availability_depends_only_on_the_ratio(mtbf: float, mttr: float, scale: float) -> None:
    assert availability(mtbf * scale, mttr * scale) == pytest.approx(availability(mtbf, mttr), rel=1e-12)
    assert availability(mtbf, mttr) == pytest.approx(mtbf / (mtbf + mttr), rel=1e-12)


@pytest.mark.parametrize(
    ("a", "period", "expected"),
    [(0.999, 86_400, 86.4), (0.999, 604_800, 604.8), (0.9999, 86_400, 8.64), (0.9999, 604_800, 60.48)],
)
def test_downtime_table(a: float, period: float, expected: float) -> None:
    assert downtime_s(a, period) == pytest.approx(expected)


@pytest.mark.parametrize(("args", "word"), [((-1, 1), "mtbf_h"), ((1, -1), "mttr_h"), ((float("nan"), 1), "mtbf_h")])
def test_availability_refuses_bad_input(args: tuple[float, float], word: str) -> None:
    with pytest.raises(ValueError, match=word):
        availability(*args)


def test_downtime_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="availability"):
        downtime_s(1.2, 10)
    with pytest.raises(ValueError, match="period_s"):
        downtime_s(0.9, 0)


def test_renewal_simulation_matches_the_formula_and_erratum_26() -> None:
    horizon = 1_000 * 8_760  # a thousand years, in hours
    base = simulate_outages(30 * 24, 0.5, horizon, np.random.default_rng(1))
    longer_mtbf = simulate_outages(60 * 24, 0.5, horizon, np.random.default_rng(2))
    shorter_mttr = simulate_outages(30 * 24, 0.25, horizon, np.random.default_rng(3))
    assert isinstance(base, Outages)
    assert abs(base.availability - availability(30 * 24, 0.5)) < 0.0005  # within 0.05 points
    for run in (longer_mtbf, shorter_mttr):
        assert abs(run.availability - availability(60 * 24, 0.5)) < 0.0005
    # same availability, different incidents: twice the MTBF halves their count, half the MTTR their length
    assert shorter_mttr.incidents > 1.8 * longer_mtbf.incidents
    assert longer_mtbf.mean_outage_h > 1.8 * shorter_mttr.mean_outage_h


def test_renewal_simulation_edges() -> None:
    short = simulate_outages(1_000, 1, 1, np.random.default_rng(0))
    assert short.incidents >= 0
    assert 0 <= short.downtime_h <= 1
    assert Outages(0, 0.0, 10.0).mean_outage_h == 0.0
    with pytest.raises(ValueError, match="horizon_h"):
        simulate_outages(1, 1, 0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="rng"):
        simulate_outages(1, 1, 10, None)  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------
# Section 1: the order rule and repeated runs
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("order", "word"),
    [
        ({"quantity": 1, "amount_cents": 1}, "sku"),
        ({"sku": "", "quantity": 1, "amount_cents": 1}, "sku"),
        ({"sku": "a", "quantity": True, "amount_cents": 1}, "quantity"),
        ({"sku": "a", "quantity": 1, "amount_cents": 1.5}, "amount_cents"),
        ({"sku": "a", "quantity": 1}, "amount_cents"),
    ],
)
def test_order_problem_names_the_field(order: dict[str, object], word: str) -> None:
    found = order_problem(order)
    assert found is not None
    assert found.startswith(word)
    assert order_problem({"sku": "a", "quantity": 2, "amount_cents": 5}) is None
    assert order_problem([1]) is not None  # type: ignore[arg-type]


def test_run_repeatedly_counts_failures_and_time() -> None:
    calls = iter(range(10))

    def every_third_fails() -> None:
        assert next(calls) % 3 != 0

    result = run_repeatedly(every_third_fails, 10)
    assert (result.runs, result.failures) == (10, 4)
    assert result.failure_rate == 0.4
    assert result.total_s >= 0
    assert result.mean_ms == pytest.approx(100 * result.total_s)
    with pytest.raises(TypeError, match="test"):
        run_repeatedly(42, 1)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="runs"):
        run_repeatedly(lambda: None, 0)
