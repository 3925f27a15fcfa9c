"""Figures of lesson 12: backoff sleeps per strategy, and the outage panels."""

from __future__ import annotations

import random

import numpy as np
import pytest

from helpers.clients.model import backoff_delays, simulate_outage
from helpers.clients.plots import (
    LOAD_TOP,
    draw_breaker,
    draw_completed,
    draw_load,
    frame_breaker,
    frame_completed,
    frame_load,
    plot_outage,
    plot_sleeps,
)

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, by_gid, new_axes


def sleeps() -> dict[str, list[list[float]]]:
    return {s: [backoff_delays(s, 6, 1, 16, random.Random(i)) for i in range(20)] for s in ("none", "full")}


def test_plot_sleeps_draws_one_dot_per_client_and_retry() -> None:
    ax = new_axes()
    assert plot_sleeps(sleeps(), ax=ax) is ax
    assert len(by_gid(ax, "full")[0].get_offsets()) == 20 * 6
    assert np.allclose(sorted(set(by_gid(ax, "none")[0].get_offsets()[:, 1])), [1, 2, 4, 8, 16])


def test_plot_sleeps_refuses_unknown_strategies() -> None:
    with pytest.raises(ValueError, match="strategies"):
        plot_sleeps({"random": [[1.0]]}, ax=new_axes())


def test_outage_panels_show_the_model() -> None:
    run = simulate_outage("none", 50, outage_s=1.0, horizon_s=3.0, breaker=True)
    load, done, strip = new_axes(), new_axes(), new_axes()
    draw_load(run, 1.0, 50, frame_load(load, 3.0))
    draw_completed(run, 50, frame_completed(done, 3.0))
    draw_breaker(run, frame_breaker(strip, 3.0))
    y = by_gid(load, "load")[0].get_ydata()
    assert np.allclose(y[::2], np.minimum(run.offered / 5, LOAD_TOP * 0.99))
    assert by_gid(load, "outage")[0].get_width() == 1.0
    assert by_gid(done, "done")[0].get_ydata()[-1] == run.completed[-1] / 50
    blocks = by_gid(strip, "breaker")[0]
    assert len(blocks.get_paths()) == 1 + int(np.count_nonzero(np.diff(run.breaker)))


def test_plots_leave_pyplot_alone_and_plot_outage_draws_a_new_figure() -> None:
    run = simulate_outage("full", 20, outage_s=1.0, horizon_s=2.0)
    assert_leaves_pyplot_alone(lambda ax: plot_sleeps(sleeps(), ax=ax), lambda ax: draw_load(run, 1.0, 20, ax))
    assert_draws_on_a_new_figure(lambda: plot_outage(run, 1.0, 20)[0])
