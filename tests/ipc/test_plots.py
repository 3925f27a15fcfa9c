"""Figures of lesson 01: the latency tail with failures, and the fan-out risk."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.ipc.plots import ccdf, plot_fan_out_risk, plot_latency_ccdf

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, by_gid, new_axes


def test_ccdf_counts_failures_as_never_finished() -> None:
    latencies = np.array([1.0, 2.0, np.inf, 4.0])
    assert ccdf(latencies, np.array([0.5, 1.0, 3.0, 1e9])).tolist() == [1.0, 0.75, 0.5, 0.25]


def test_ccdf_is_the_same_for_latencies_in_any_order() -> None:
    latencies = np.random.default_rng(0).lognormal(size=500)
    latencies[::50] = np.inf
    at = np.geomspace(0.01, 100.0, 50)
    np.testing.assert_array_equal(ccdf(latencies, at), ccdf(np.sort(latencies), at))


def test_plot_latency_ccdf_draws_one_curve_per_series_levelling_off_at_the_failure_rate() -> None:
    rng = np.random.default_rng(0)
    answered = rng.uniform(1.0, 100.0, size=1000)
    answered[:20] = np.inf  # 2% failed
    ax = new_axes()
    assert plot_latency_ccdf({"sync": answered, "async": rng.uniform(1.0, 5.0, size=1000)}, ax=ax) is ax
    curves = [line for line in ax.lines if line.get_gid() == "ccdf"]
    assert [line.get_label() for line in curves] == ["sync", "async"]
    x, y = curves[0].get_xdata(), curves[0].get_ydata()
    assert y[x > 1000].tolist() == pytest.approx([0.02] * int(np.sum(x > 1000)))  # type: ignore[operator]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_xlim() == pytest.approx((0.1, 100_000.0))
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["sync", "async"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("series", "message"),
    [({}, "empty"), ({str(i): np.ones(3) for i in range(5)}, "at most 4 series"), ({"a": np.array([])}, "non-empty")],
)
def test_plot_latency_ccdf_rejects_bad_input(series: dict[str, np.ndarray], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_latency_ccdf(series, ax=new_axes())


def test_plot_fan_out_risk_draws_both_formulas_and_the_simulated_dots() -> None:
    ax = new_axes()
    assert plot_fan_out_risk(0.01, 0.999, 13, measured={"slow": 0.12, "down": 0.013}, ax=ax) is ax
    (slow,) = by_gid(ax, "slow")
    (down,) = by_gid(ax, "down")
    n = slow.get_xdata()
    np.testing.assert_allclose(slow.get_ydata(), 1 - 0.99**n)
    np.testing.assert_allclose(down.get_ydata(), 1 - 0.999**n)
    (dot,) = by_gid(ax, "measured-slow")
    assert (dot.get_xdata()[0], dot.get_ydata()[0]) == (13, 0.12)
    assert by_gid(ax, "measured-down")
    assert not by_gid(plot_fan_out_risk(0.01, 0.999, 13, ax=new_axes()), "measured-slow")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1.5, 0.9, 3), "got 1.5 and 0.9"),
        ((0.1, 0.9, 0), "calls must be an int from 1 to 120, got 0"),
        ((0.1, 0.9, 121), "got 121"),
    ],
)
def test_plot_fan_out_risk_rejects_bad_input(args: tuple[float, float, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_fan_out_risk(*args, ax=new_axes())


def test_plot_fan_out_risk_rejects_unknown_measurements() -> None:
    with pytest.raises(ValueError, match=r"\['late'\]"):
        plot_fan_out_risk(0.1, 0.9, 3, measured={"late": 0.5}, ax=new_axes())


def test_plots_given_an_axes_leave_pyplot_alone() -> None:
    assert_leaves_pyplot_alone(
        lambda ax: plot_latency_ccdf({"sync": np.array([1.0, 2.0])}, ax=ax),
        lambda ax: plot_fan_out_risk(0.01, 0.999, 10, ax=ax),
    )


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_latency_ccdf({"sync": np.array([1.0, 2.0])}),
        lambda: plot_fan_out_risk(0.01, 0.999, 10),
    ],
)
def test_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    assert_draws_on_a_new_figure(draw)  # type: ignore[arg-type]
