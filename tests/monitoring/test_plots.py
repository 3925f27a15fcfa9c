"""Figures of lesson 10: the latency panel, the error bars and the terms chart."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D

from helpers.monitoring.model import bucket_bounds, compare_quantiles, instance_latencies
from helpers.monitoring.plots import draw_errors, frame_errors, latency_counts, plot_quantiles, plot_terms

PARTS = instance_latencies(4, requests=4000, seed=2)
COMPARISON = compare_quantiles(PARTS, 0.99, bucket_bounds("client default"))


def test_the_latency_panel_stacks_instances_and_marks_three_answers() -> None:
    ax = plot_quantiles(PARTS, COMPARISON)
    polys = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(polys) == 1
    assert len(polys[0].get_paths()) == 4  # one band per instance
    vertical = [line for line in ax.lines if len(line.get_xdata()) == 2]
    xs = sorted(float(line.get_xdata()[0]) for line in vertical)
    expected = sorted(v * 1000 for v in (COMPARISON.pooled, COMPARISON.mean_of_quantiles, COMPARISON.estimate))
    assert xs == pytest.approx(expected)
    ticks = next(line for line in ax.lines if line.get_marker() == "|")
    assert len(ticks.get_xdata()) == 4
    plt.close(ax.figure)


def test_latency_counts_count_every_request() -> None:
    counts = latency_counts(PARTS)
    assert counts.shape[0] == 4
    assert counts.sum() == sum(len(p) for p in PARTS)  # clipped into the axis, never dropped
    with pytest.raises(ValueError, match="at least one"):
        latency_counts([])


def test_error_bars_are_labelled_with_their_values() -> None:
    fig, ax = plt.subplots()
    frame_errors(ax, ("a", "b", "c"))
    draw_errors([400.0, 25.0, 150.0], ax)
    texts = [t.get_text() for t in ax.texts]
    assert {"400 ms", "25 ms", "150 ms"} <= set(texts)
    assert {"a", "b", "c"} <= set(texts)
    with pytest.raises(ValueError, match="error must be"):
        draw_errors([-1.0], ax)
    plt.close(fig)


def test_terms_chart_draws_one_bar_per_term_largest_on_top() -> None:
    ax = plot_terms([("payments", 8), ("orders", 5), ("gateway", 1)], title="errors")
    heights = [p.get_width() for p in ax.patches]
    assert heights == [1, 5, 8]  # barh draws bottom-up: the largest term ends on top
    assert ax.get_title() == "errors"
    with pytest.raises(ValueError, match="buckets"):
        plot_terms([])
    plt.close(ax.figure)


def test_lines_are_real_lines() -> None:
    ax = plot_quantiles(PARTS, COMPARISON)
    assert all(isinstance(line, Line2D) for line in ax.lines)
    assert np.isfinite([float(line.get_xdata()[0]) for line in ax.lines]).all()
    plt.close(ax.figure)
