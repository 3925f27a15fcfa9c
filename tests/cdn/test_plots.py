"""Figures of lesson 06: push against pull as traffic grows, the TTL model, and LRU against Che's approximation."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.cdn.model import push_pull_costs
from helpers.cdn.plots import (
    EGRESS_RANGE,
    STORAGE_RANGE,
    TRAFFIC_RANGE,
    draw_edge_storage,
    draw_hit_ratio_vs_traffic,
    draw_origin_egress,
    frame_edge_storage,
    frame_hit_ratio_vs_traffic,
    frame_origin_egress,
    plot_edge_storage,
    plot_hit_ratio_vs_traffic,
    plot_lru_hit_ratio,
    plot_origin_egress,
    plot_ttl_hit_ratio,
)

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, by_gid, new_axes

# --- push against pull ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draw", "pull_values", "push_value", "log_y"),
    [
        (plot_hit_ratio_vs_traffic, "pull_hit_ratio", "push_hit_ratio", False),
        (plot_origin_egress, "pull_egress_per_s", "push_egress_per_s", True),
        (plot_edge_storage, "pull_storage", "push_storage", True),
    ],
)
def test_cdn_panels_draw_pull_push_crossover_and_the_current_rate(
    draw: object, pull_values: str, push_value: str, log_y: bool
) -> None:
    costs = push_pull_costs(np.logspace(-2, 5, 15), 1_000, 3_600.0, 1 / 86_400)
    ax = new_axes()
    assert draw(costs, 10.0, ax=ax) is ax  # type: ignore[operator]
    (pull,) = by_gid(ax, "pull")
    np.testing.assert_allclose(pull.get_ydata(), getattr(costs, pull_values))
    (push,) = by_gid(ax, "push")
    assert list(push.get_ydata()) == [getattr(costs, push_value)] * 2
    (crossover,) = by_gid(ax, "crossover")
    assert crossover.get_xdata()[0] == pytest.approx(costs.crossover_rate_per_s)
    (current,) = by_gid(ax, "current")
    assert current.get_xdata()[0] == 10.0
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == ("log" if log_y else "linear")
    assert ax.get_xlim() == pytest.approx(TRAFFIC_RANGE)
    legend = [text.get_text() for text in ax.get_legend().get_texts()]  # type: ignore[union-attr]
    assert legend == ["pull", "push", "egress crossover"]


@pytest.mark.parametrize(
    ("frame", "draw", "ylim"),
    [
        (frame_hit_ratio_vs_traffic, draw_hit_ratio_vs_traffic, (0.0, 1.05)),
        (frame_origin_egress, draw_origin_egress, EGRESS_RANGE),
        (frame_edge_storage, draw_edge_storage, STORAGE_RANGE),
    ],
)
def test_cdn_frames_hold_the_axes_and_legend_and_draws_the_data_only(frame: object, draw: object, ylim: object) -> None:
    framed = frame(new_axes())  # type: ignore[operator]
    assert framed.get_title()
    assert framed.get_legend() is not None
    assert not framed.lines
    assert framed.get_ylim() == pytest.approx(ylim)
    costs = push_pull_costs([0.1, 10.0], 100, 60.0, 1.0)  # updated every second: no crossover
    ax = new_axes()
    draw(costs, ax=ax)  # type: ignore[operator]
    assert (ax.get_title(), ax.get_legend()) == ("", None)
    assert {line.get_gid() for line in ax.lines} == {"pull", "push"}


def test_cdn_panels_refuse_a_current_rate_off_the_log_axis() -> None:
    costs = push_pull_costs([0.1, 10.0], 100, 60.0, 0.0)
    with pytest.raises(ValueError, match="current_rate must be a finite number > 0, got 0"):
        plot_origin_egress(costs, 0, ax=new_axes())


# --- the TTL model and LRU edges -------------------------------------------------------------


def test_plot_ttl_hit_ratio_draws_the_model_and_the_simulation() -> None:
    ax = new_axes()
    assert plot_ttl_hit_ratio([0.1, 1.0, 10.0], [0.09, 0.5, 0.91], ax=ax) is ax
    (model,) = by_gid(ax, "model")
    x = model.get_xdata()
    np.testing.assert_allclose(model.get_ydata(), x / (1 + x))
    (dots,) = by_gid(ax, "simulated")
    assert list(dots.get_ydata()) == [0.09, 0.5, 0.91]


def test_plot_lru_hit_ratio_puts_sizes_as_shares_of_the_catalogue() -> None:
    ax = new_axes()
    plot_lru_hit_ratio([10, 100], [0.3, 0.6], [0.31, 0.62], 1_000, ax=ax)
    (che,) = by_gid(ax, "che")
    assert list(che.get_xdata()) == [0.01, 0.1]


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda: plot_ttl_hit_ratio([0.0, 1.0], ax=new_axes()), "loads must be a 1-D array of numbers > 0"),
        (lambda: plot_ttl_hit_ratio([1.0, 2.0], [0.5], ax=new_axes()), "one hit ratio per load"),
        (lambda: plot_lru_hit_ratio([10], [0.3], [0.3], 0, ax=new_axes()), "objects must be an int >= 1"),
        (lambda: plot_lru_hit_ratio([10, 20], [0.3], [0.3, 0.4], 100, ax=new_axes()), "must be 1-D of one length"),
    ],
)
def test_lesson_06_plots_reject_bad_input(draw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw()  # type: ignore[operator]


# --- every plot -----------------------------------------------------------------------------

COSTS = push_pull_costs([1.0, 10.0], 100, 60.0, 0.0)


def test_plots_given_an_axes_leave_pyplot_alone() -> None:
    assert_leaves_pyplot_alone(
        lambda ax: plot_hit_ratio_vs_traffic(COSTS, ax=ax),
        lambda ax: plot_origin_egress(COSTS, 3.0, ax=ax),
        lambda ax: plot_edge_storage(COSTS, ax=ax),
        lambda ax: plot_ttl_hit_ratio([1.0], ax=ax),
        lambda ax: plot_lru_hit_ratio([10], [0.3], [0.3], 100, ax=ax),
    )


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_hit_ratio_vs_traffic(COSTS),
        lambda: plot_origin_egress(COSTS),
        lambda: plot_edge_storage(COSTS),
        lambda: plot_ttl_hit_ratio([1.0, 2.0]),
        lambda: plot_lru_hit_ratio([10], [0.3], [0.3], 100),
    ],
)
def test_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    assert_draws_on_a_new_figure(draw)  # type: ignore[arg-type]
