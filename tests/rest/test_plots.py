"""Figures of lesson 03: duplicates created by retries, and orders created per strategy."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.rest.plots import (
    draw_created,
    draw_duplicates,
    frame_created,
    frame_duplicates,
    plot_created,
    plot_duplicates,
)

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, by_gid, new_axes, texts

# --- plot_duplicates ------------------------------------------------------------------------


def test_plot_duplicates_draws_each_strategy_per_order_with_the_q_line_and_expectation() -> None:
    rates = np.linspace(0.0, 0.5, 6)
    ax = new_axes()
    drawn = plot_duplicates(rates, {"POST": rates * 100, "PUT": np.zeros(6)}, 100, 2, loss_rate=0.2, ax=ax)
    assert drawn is ax
    curves = by_gid(ax, "duplicates")
    assert [line.get_label() for line in curves] == ["POST", "PUT"]
    np.testing.assert_allclose(curves[0].get_ydata(), rates)
    (expected,) = by_gid(ax, "expected")
    x = expected.get_xdata()
    np.testing.assert_allclose(expected.get_ydata(), x + x**2)
    (q_line,) = by_gid(ax, "q-line")
    np.testing.assert_allclose(q_line.get_ydata(), q_line.get_xdata())
    (dot,) = by_gid(ax, "current-POST")
    assert dot.get_xdata()[0] == pytest.approx(0.2)
    assert ax.get_xlim() == (0.0, 0.5)
    assert ax.get_ylim() == (0.0, 1.0)


def test_plot_duplicates_legend_names_the_strategies_and_both_references() -> None:
    ax = plot_duplicates([0.0, 0.5], {"POST": [0, 50], "PUT": [0, 0]}, 100, 1, ax=new_axes())
    labels = [text.get_text() for text in ax.get_legend().get_texts()]  # type: ignore[union-attr]
    assert labels == ["POST", "PUT", "q·N (one retry)", "expected POST: q + … + qᴿ"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.1], {"POST": [1]}, 0, 1), "requests must be an int >= 1, got 0"),
        (([0.1], {"POST": [1]}, 10, -1), "retries must be an int >= 0, got -1"),
        (([0.1], {}, 10, 1), "empty"),
        (([0.1], {"GET": [1]}, 10, 1), "strategy must be one of"),
        (([0.1, 0.2], {"POST": [1]}, 10, 1), "shape"),
    ],
)
def test_plot_duplicates_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_duplicates(*args, ax=new_axes())  # type: ignore[arg-type, misc]


# --- plot_created ---------------------------------------------------------------------------


def test_plot_created_draws_one_bar_per_strategy_per_order_with_counts() -> None:
    ax = new_axes()
    assert plot_created({"POST": 1300, "PUT": 1000, "POST + Idempotency-Key": 1000}, 1000, ax=ax) is ax
    assert [round(float(bar.get_height()), 2) for bar in ax.patches] == [1.3, 1.0, 1.0]  # type: ignore[attr-defined]
    assert texts(ax) == ["1,300\n(+300)", "1,000", "1,000"]
    assert ax.get_ylim() == (0.0, 2.2)
    assert by_gid(ax, "one-per-request")


@pytest.mark.parametrize(
    ("created", "requests", "message"),
    [
        ({}, 10, "empty"),
        ({"POST": 5}, 0, "requests must be"),
        ({"POST": -1}, 10, "must be >= 0"),
        ({"GET": 1}, 1, "strategy"),
    ],
)
def test_plot_created_rejects_bad_input(created: dict[str, int], requests: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_created(created, requests, ax=new_axes())


# --- frames and data ------------------------------------------------------------------------


def test_the_frames_draw_no_data_and_the_data_no_frame() -> None:
    curves, bars = frame_duplicates(new_axes()), frame_created(new_axes())
    assert [line.get_gid() for line in curves.lines] == ["q-line"]
    assert [line.get_gid() for line in bars.lines] == ["one-per-request"]
    assert not bars.patches
    data = new_axes()
    draw_duplicates([0.0, 0.5], {"POST": [0, 50]}, 100, 1, loss_rate=0.5, ax=data)
    draw_created({"POST": 150}, 100, ax=data)
    assert data.get_title() == ""
    assert data.get_legend() is None
    assert [line.get_gid() for line in data.lines] == ["duplicates", "current-POST", "expected", None]
    assert texts(data) == ["150\n(+50)"]


# --- every plot -----------------------------------------------------------------------------


def test_plots_given_an_axes_leave_pyplot_alone() -> None:
    assert_leaves_pyplot_alone(
        lambda ax: plot_duplicates([0.0, 0.1], {"POST": [0, 1]}, 10, 1, loss_rate=0.1, ax=ax),
        lambda ax: plot_created({"POST": 11}, 10, ax=ax),
    )


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_duplicates([0.0, 0.1], {"POST": [0, 1]}, 10, 1),
        lambda: plot_created({"POST": 11}, 10),
    ],
)
def test_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    assert_draws_on_a_new_figure(draw)  # type: ignore[arg-type]
