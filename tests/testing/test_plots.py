"""Figures of lesson 11: time to decision against canary share, and one canary run look by look."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.testing.model import canary_sample_size, simulate_canary_run, time_to_decision_s, wilson_interval
from helpers.testing.plots import (
    BAD_LIMITS,
    SHARES,
    decision_minutes,
    plot_bad_requests,
    plot_decision_time,
    plot_run,
    run_bands,
)

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, new_axes


def test_decision_time_curve_is_the_model_in_minutes_and_marks_the_share() -> None:
    ax = new_axes()
    assert plot_decision_time(0.001, 0.002, 1_000, 0.05, ax=ax) is ax
    curve, marker = ax.lines
    n = canary_sample_size(0.001, 0.002)
    expected = [time_to_decision_s(n, float(share), 1_000) / 60 for share in SHARES]
    assert np.allclose(curve.get_ydata(), expected)
    assert list(marker.get_xdata()) == [0.05]
    assert marker.get_ydata()[0] == pytest.approx(time_to_decision_s(n, 0.05, 1_000) / 60)


def test_decision_minutes_fall_until_half_and_refuse_bad_input() -> None:
    minutes = decision_minutes(1_000, 100)
    assert np.all(np.diff(minutes[SHARES < 0.5]) < 0)
    with pytest.raises(ValueError, match="requests_per_s"):
        decision_minutes(1_000, 0)


def test_run_plot_draws_both_arms_bands_and_the_decision() -> None:
    run = simulate_canary_run(0.01, 0.03, 1_000, np.random.default_rng(2), peeking=True)
    ax = new_axes()
    assert plot_run(run, 0.01, ax=ax) is ax
    baseline, control, canary, decision = ax.lines
    x = run.requests / run.requests[-1]
    assert np.allclose(control.get_xdata(), x)
    assert np.allclose(canary.get_ydata(), np.minimum(run.canary_errors / run.requests / 0.01, 8.0))
    assert decision.get_xdata()[0] == pytest.approx(x[run.decided_at])
    assert len(ax.collections) == 2  # one band per arm
    assert list(baseline.get_ydata()) == [1.0, 1.0]


def test_bad_requests_panel_draws_each_arms_failures_up_to_the_decision() -> None:
    run = simulate_canary_run(0.01, 0.05, 2_000, np.random.default_rng(1), peeking=True)
    assert run.decided_at < 19, "this seeded run must stop early for the test to mean anything"
    ax = new_axes()
    assert plot_bad_requests(run, ax=ax) is ax
    control, control_after, canary, canary_after, decision = ax.lines
    x = run.requests / run.requests[-1]
    stop = run.decided_at + 1
    assert np.allclose(canary.get_xdata(), x[:stop])
    assert np.allclose(canary.get_ydata(), np.clip(run.canary_errors[:stop], BAD_LIMITS[0] * 1.02, None))
    assert np.allclose(control.get_ydata(), np.clip(run.control_errors[:stop], BAD_LIMITS[0] * 1.02, None))
    assert np.allclose(canary_after.get_xdata(), x[run.decided_at :])
    assert control_after.get_alpha() == canary_after.get_alpha() == 0.25
    assert decision.get_xdata()[0] == pytest.approx(x[run.decided_at])
    assert decision.get_ydata()[0] == pytest.approx(max(run.canary_errors[run.decided_at], BAD_LIMITS[0] * 1.02))
    fixed = simulate_canary_run(0.01, 0.05, 2_000, np.random.default_rng(1))
    assert len(plot_bad_requests(fixed, ax=new_axes()).lines) == 3, "a run decided at the end has nothing faint"


def test_run_bands_are_wilson_intervals() -> None:
    run = simulate_canary_run(0.02, 0.02, 500, np.random.default_rng(4), looks=5)
    control, canary = run_bands(run)
    assert control.shape == canary.shape == (3, 5)
    low, high = wilson_interval(int(run.canary_errors[2]), int(run.requests[2]))
    assert canary[1, 2] == pytest.approx(low)
    assert canary[2, 2] == pytest.approx(high)


def test_plots_leave_pyplot_alone_and_draw_on_new_figures() -> None:
    run = simulate_canary_run(0.01, 0.02, 2_316, np.random.default_rng(0))
    assert_leaves_pyplot_alone(
        lambda ax: plot_decision_time(0.01, 0.02, 100, 0.1, ax=ax),
        lambda ax: plot_run(run, 0.01, ax=ax),
        lambda ax: plot_bad_requests(run, ax=ax),
    )
    assert_draws_on_a_new_figure(lambda: plot_bad_requests(run))
    assert_draws_on_a_new_figure(lambda: plot_decision_time(0.01, 0.02, 100, 0.1))
    assert_draws_on_a_new_figure(lambda: plot_run(run, 0.01))
