"""Figures of lesson 07: admitted and refused requests per limiter, and the busiest span against b + r·t."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.gateway.plots import (
    draw_admissions,
    draw_arrival_curve,
    frame_admissions,
    frame_arrival_curve,
    plot_admissions,
    plot_arrival_curve,
)

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, new_axes

# --- plot_admissions ------------------------------------------------------------------------


def test_plot_admissions_draws_a_row_per_limiter_with_admitted_and_refused() -> None:
    ax = new_axes()
    times = [1.0, 2.0, 3.0]
    plot_admissions(times, {"token bucket": [True, True, False], "sliding log": [True, False, False]}, 10.0,
                    window_s=4.0, ax=ax)  # fmt: skip
    by_gid: dict[str, list[list[float]]] = {}
    for line in ax.lines:
        by_gid.setdefault(str(line.get_gid()), []).append(np.asarray(line.get_xdata(), dtype=float).tolist())
    assert by_gid["admitted"] == [[1.0, 2.0], [1.0]]
    assert by_gid["refused"] == [[3.0], [2.0, 3.0]]
    assert sorted(set(by_gid["window-edges"][0])) == [4.0, 8.0]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["sliding log", "token bucket"]
    assert ax.get_xlim() == (0.0, 10.0)
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [  # type: ignore[union-attr]
        "admitted", "refused (429)", "fixed-window edge",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0], {"token bucket": [True]}, 0.0), "duration_s must be a finite number > 0, got 0.0"),
        (([1.0], {}, 10.0), "decisions must name at least one limiter"),
        (([1.0], {"leaky bucket": [True]}, 10.0), "limiter must be one of .*got 'leaky bucket'"),
        (([1.0, 2.0], {"token bucket": [True]}, 10.0), r"decisions\['token bucket'\] has shape \(1,\), times \(2,\)"),
    ],
)
def test_plot_admissions_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_admissions(*args, ax=new_axes())  # type: ignore[arg-type, misc]


# --- plot_arrival_curve ---------------------------------------------------------------------


def test_plot_arrival_curve_draws_curves_the_bound_and_the_offered_line() -> None:
    ax = new_axes()
    spans = [0.0, 1.0, 2.0]
    plot_arrival_curve(spans, {"token bucket": [5, 6, 7], "fixed window": [5, 10, 10]}, 5, 1.0,
                       offered_max=[9, 20, 30], ax=ax)  # fmt: skip
    gids = [line.get_gid() for line in ax.lines]
    assert gids == ["admitted-max", "admitted-max", "bound", "offered"]
    bound = ax.lines[2]
    assert np.asarray(bound.get_ydata(), dtype=float).tolist() == [5.0, 6.0, 7.0]
    assert ax.get_ylim() == pytest.approx((0.0, 30 * 1.08))
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [  # type: ignore[union-attr]
        "token bucket", "fixed window", "bound b + r·t", "offered",
    ]  # fmt: skip


def test_plot_arrival_curve_without_the_offered_line_fits_the_admitted_curves() -> None:
    ax = plot_arrival_curve([0.0, 1.0], {"token bucket": [3, 12]}, 2, 1.0, ax=new_axes())
    assert ax.get_ylim() == pytest.approx((0.0, 12 * 1.08))
    assert [line.get_gid() for line in ax.lines] == ["admitted-max", "bound"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.0], {"token bucket": [1]}, 5, 1.0), "spans_s must hold at least two spans"),
        (([0.0, 1.0], {"token bucket": [1, 2]}, 0, 1.0), "capacity must be a finite number > 0, got 0"),
        (([0.0, 1.0], {"token bucket": [1, 2]}, 5, -1.0), "refill_per_s must be a finite number > 0, got -1.0"),
        (([0.0, 1.0], {}, 5, 1.0), "admitted_max must name at least one limiter"),
        (([0.0, 1.0], {"token bucket": [1]}, 5, 1.0), r"admitted_max\['token bucket'\] has shape"),
    ],
)
def test_plot_arrival_curve_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_arrival_curve(*args, ax=new_axes())  # type: ignore[arg-type, misc]


# --- frames and data ------------------------------------------------------------------------


def test_the_frames_draw_no_data_and_the_data_no_frame() -> None:
    framed = frame_arrival_curve(new_axes(), [0.0, 1.0], offered_max=[3, 4])
    frame_admissions(framed)
    assert [line.get_gid() for line in framed.lines] == ["offered"]
    assert framed.get_legend() is not None
    data = new_axes()
    draw_admissions([1.0, 2.0], {"token bucket": [True, False]}, 10.0, window_s=5.0, ax=data)
    draw_arrival_curve([0.0, 1.0], {"token bucket": [1, 2]}, 1, 1.0, ax=data)
    assert data.get_title() == ""
    assert data.get_legend() is None
    assert [line.get_gid() for line in data.lines] == ["admitted", "refused", "window-edges", "admitted-max", "bound"]


# --- every plot -----------------------------------------------------------------------------


def test_plots_given_an_axes_leave_pyplot_alone() -> None:
    assert_leaves_pyplot_alone(
        lambda ax: plot_admissions([1.0, 2.0], {"token bucket": [True, False]}, 10.0, window_s=5.0, ax=ax),
        lambda ax: plot_arrival_curve([0.0, 1.0], {"token bucket": [1, 2]}, 1, 1.0, offered_max=[3, 4], ax=ax),
    )


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_admissions([1.0], {"fixed window": [True]}, 5.0),
        lambda: plot_arrival_curve([0.0, 1.0], {"token bucket": [1, 2]}, 1, 1.0),
    ],
)
def test_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    assert_draws_on_a_new_figure(draw)  # type: ignore[arg-type]
