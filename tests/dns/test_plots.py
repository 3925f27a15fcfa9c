"""Figures of lesson 04: the realised split of a weighted policy over time, and staleness after a change."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.dns.plots import (
    draw_realised_split,
    draw_staleness,
    frame_realised_split,
    frame_staleness,
    plot_realised_split,
    plot_staleness,
)

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, by_gid, new_axes


def test_plot_realised_split_draws_realised_steps_and_the_expected_line() -> None:
    ax = new_axes()
    assert plot_realised_split([0, 300, 600], [0.2, 0.4, 0.3], 0.25, ax=ax) is ax
    (realised,) = by_gid(ax, "realised")
    assert realised.get_drawstyle() == "steps-post"
    (expected,) = by_gid(ax, "expected")
    assert list(expected.get_ydata()) == [0.25, 0.25]
    assert ax.get_xlim() == (0.0, 600.0)
    assert ax.get_ylim() == (0.0, 1.0)
    assert ax.get_ylabel() == "users sent to eu-west"


def test_plot_staleness_draws_the_simulation_and_one_minus_t_over_ttl() -> None:
    ax = new_axes()
    plot_staleness([0.0, 0.5, 1.0, 1.5], [1.0, 0.45, 0.0, 0.0], ax=ax)
    (line,) = by_gid(ax, "one-minus-t-over-ttl")
    np.testing.assert_allclose(line.get_ydata(), [1.0, 0.0, 0.0])
    (stale,) = by_gid(ax, "stale")
    assert list(stale.get_ydata()) == [1.0, 0.45, 0.0, 0.0]
    assert ax.get_xlim() == (0.0, 1.5)


def test_the_frames_hold_no_data_and_the_draws_no_frame() -> None:
    split_ax, stale_ax = frame_realised_split(new_axes()), frame_staleness(new_axes())
    assert not by_gid(split_ax, "realised")
    assert not by_gid(stale_ax, "stale")
    assert by_gid(stale_ax, "one-minus-t-over-ttl"), "the expectation 1 - t/TTL never changes: it is frame"
    bare_split, bare_stale = new_axes(), new_axes()
    draw_realised_split([0, 60], [0.5, 0.5], 0.5, ax=bare_split)
    draw_staleness([0.0, 1.0], [1.0, 0.0], ax=bare_stale)
    assert (bare_split.get_title(), bare_stale.get_title()) == ("", "")
    assert {line.get_gid() for line in bare_split.lines} == {"realised", "expected"}
    assert {line.get_gid() for line in bare_stale.lines} == {"stale"}


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda ax: plot_realised_split([0, 1], [0.5], 0.5, ax=ax), "share must be a non-empty 1-d list of 2"),
        (lambda ax: plot_realised_split([0], [1.5], 0.5, ax=ax), "share must hold shares from 0 to 1"),
        (lambda ax: plot_realised_split([0], [0.5], 2.0, ax=ax), "expected must be a number from 0 to 1, got 2.0"),
        (lambda ax: plot_realised_split([-1], [0.5], 0.5, ax=ax), "times_s must be"),
        (lambda ax: plot_staleness([], [], ax=ax), "t_over_ttl must be"),
        (lambda ax: draw_staleness([0.0], [2.0], ax=ax), "stale must hold shares from 0 to 1"),
    ],
)
def test_lesson_04_plots_reject_bad_input(draw: object, message: str) -> None:
    ax = new_axes()
    with pytest.raises(ValueError, match=message):
        draw(ax)  # type: ignore[operator]
    assert not ax.lines, "bad data is refused before anything is drawn"


def test_plots_given_an_axes_leave_pyplot_alone() -> None:
    assert_leaves_pyplot_alone(
        lambda ax: plot_realised_split([0, 60], [0.5, 0.5], 0.5, ax=ax),
        lambda ax: plot_staleness([0, 1], [1, 0], ax=ax),
    )


@pytest.mark.parametrize(
    "draw", [lambda: plot_realised_split([0, 60], [0.5, 0.5], 0.5), lambda: plot_staleness([0, 1], [1, 0])]
)
def test_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    assert_draws_on_a_new_figure(draw)  # type: ignore[arg-type]
