"""Figures of lesson 10: latencies across instances and three answers for their quantile, errors by layout.

``plot_*`` functions draw a whole figure on an optional Axes (lesson cells use them). The
two panels the percentile explorer redraws on every move come in two parts: ``frame_*``
draws what never changes (fixed axes, no moving ticks), ``draw_*`` the data (see
``helpers.panels``).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from numpy.typing import NDArray

from helpers.figures import bars, new_axes, node_colors, shifted
from helpers.monitoring.model import QuantileComparison

__all__ = [
    "LATENCY_RANGE_MS",
    "draw_errors",
    "draw_latencies",
    "frame_errors",
    "frame_latencies",
    "latency_counts",
    "plot_quantiles",
    "plot_terms",
]

LATENCY_RANGE_MS = (2.0, 20_000.0)
"""The latency axis of the distribution panel, in ms (log scale, fixed so slider moves never rescale it)."""

_BINS = np.geomspace(*LATENCY_RANGE_MS, 81)
_COLORS = {"pooled": "black", "mean": "#d62728", "estimate": "#1f77b4"}


def frame_latencies(ax: Axes) -> Axes:
    """The frame of the latency panel: a fixed log axis in ms with 10, 100, 1000 and 10000 ms marked.

    No legend: a legend under the data would be painted over on a fast redraw (the caption names the colours).
    """
    ax.set_xscale("log")
    ax.set_xlim(*LATENCY_RANGE_MS)
    ax.set_ylim(0.0, 1.0)
    ax.set_xticks([10, 100, 1000, 10_000], ["10 ms", "100 ms", "1 s", "10 s"])
    ax.set_xticks([], minor=True)
    ax.set_yticks([])
    ax.spines[["top", "right", "left"]].set_visible(False)
    return ax


def latency_counts(latencies: Sequence[NDArray[np.floating]]) -> NDArray[np.float64]:
    """Each instance's latencies (in s) counted in the latency panel's fixed log-spaced bins."""
    if not latencies:
        raise ValueError("latencies must hold at least one instance")
    ms = [np.clip(np.asarray(part, dtype=float) * 1000, *LATENCY_RANGE_MS) for part in latencies]
    return np.array([np.histogram(part, _BINS)[0] for part in ms], dtype=float)


def draw_latencies(
    latencies: Sequence[NDArray[np.floating]],
    comparison: QuantileComparison,
    ax: Axes | None = None,
    *,
    counts: NDArray[np.float64] | None = None,
    per_instance: Sequence[float] | None = None,
) -> Axes:
    """Pooled latencies by instance (stacked), each instance's quantile, and the three answers (section 5).

    The bucket the histogram estimate fell in is shaded; its width bounds the estimate's error.
    ``counts`` (``latency_counts``) and ``per_instance`` (each instance's quantile in s) may be
    passed in precomputed.
    """
    if not latencies:
        raise ValueError("latencies must hold at least one instance")
    ax = new_axes(ax, (7.0, 3.0))
    if counts is None:
        counts = latency_counts(latencies)
    if per_instance is None:
        per_instance = [float(np.quantile(part, comparison.q)) for part in latencies]
    top = float(counts.sum(axis=0).max()) or 1.0
    scale = 0.78 / top  # leave room for the legend
    colors = node_colors(len(latencies))
    edges_x = np.repeat(_BINS, 2)[1:-1]  # a step outline: each bin's left and right edge
    polygons, bottom = [], np.zeros(len(_BINS) - 1)
    for row in counts:  # stacked: the outline is the pooled distribution
        top_y = bottom + row * scale
        upper = np.column_stack([edges_x, np.repeat(top_y, 2)])
        lower = np.column_stack([edges_x[::-1], np.repeat(bottom, 2)[::-1]])
        polygons.append(np.vstack([upper, lower]))
        bottom = top_y
    # one collection, added without a data-limit update (stairs() per instance costs 10 ms each)
    ax.add_collection(PolyCollection(polygons, facecolors=colors, edgecolors="none", alpha=0.85), autolim=False)
    low, high = comparison.bucket
    high = min(high, LATENCY_RANGE_MS[1] / 1000)
    ax.add_patch(Rectangle((low * 1000, 0.0), (high - low) * 1000, 1.0, transform=ax.get_xaxis_transform(),
                           color=_COLORS["estimate"], alpha=0.12, linewidth=0))  # fmt: skip
    for key, value in (("pooled", comparison.pooled), ("mean", comparison.mean_of_quantiles),
                       ("estimate", comparison.estimate)):  # fmt: skip
        ax.add_artist(Line2D([value * 1000] * 2, [0.0, 0.86], transform=ax.get_xaxis_transform(),
                             color=_COLORS[key], linestyle="--" if key == "mean" else "-", linewidth=1.6))  # fmt: skip
    ticks_ms = [x * 1000 for x in per_instance]
    ax.add_artist(Line2D(ticks_ms, [0.9] * len(ticks_ms), transform=ax.get_xaxis_transform(), linestyle="none",
                         marker="|", markersize=10, color="0.3"))  # fmt: skip
    ax.text(0.01, 0.95, f"ticks: each instance's q={comparison.q:g}", transform=ax.transAxes,
            fontsize="x-small", va="top", ha="left")  # fmt: skip
    return ax


def frame_errors(ax: Axes, labels: Sequence[str]) -> Axes:
    """The frame of the error panel: one slot per bar, named below, no y ticks."""
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylim(0.0, 1.0)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines[["top", "right", "left"]].set_visible(False)
    below = shifted(ax, ax.get_xaxis_transform(), 0.0, -3.0)
    for i, label in enumerate(labels):
        ax.text(i, 0.0, label, transform=below, ha="center", va="top", fontsize="small")
    return ax


def draw_errors(errors_ms: Sequence[float], ax: Axes | None = None) -> Axes:
    """Bars of absolute errors in ms on a square-root scale, each labelled with its value."""
    values = np.asarray([_nonnegative(e) for e in errors_ms], dtype=float)
    ax = new_axes(ax, (4.0, 3.0))
    top = float(np.sqrt(values).max()) or 1.0
    heights = np.sqrt(values) / top * 0.85
    colors = [_COLORS["mean"], _COLORS["estimate"], "0.6"][: len(values)]
    bars(ax, np.arange(len(values), dtype=float), heights, 0.7, colors, gid="errors")
    for i, (h, v) in enumerate(zip(heights.tolist(), values.tolist(), strict=True)):
        ax.text(i, h, f"{v:,.0f} ms", ha="center", va="bottom", fontsize="small")
    return ax


def _nonnegative(value: float) -> float:
    if not isinstance(value, (int, float, np.floating)) or isinstance(value, bool) or not value >= 0:
        raise ValueError(f"an error must be a number >= 0, got {value!r}")
    return float(value)


def plot_quantiles(
    latencies: Sequence[NDArray[np.floating]], comparison: QuantileComparison, ax: Axes | None = None
) -> Axes:
    """The latency panel on its own (lesson 10, section 5)."""
    ax = new_axes(ax, (7.0, 3.0))
    frame_latencies(ax)
    return draw_latencies(latencies, comparison, ax)


def plot_terms(buckets: Sequence[tuple[str, int]], ax: Axes | None = None, title: str = "") -> Axes:
    """A terms aggregation as horizontal bars, the way Kibana draws one (lesson 10, section 8)."""
    if not buckets:
        raise ValueError("buckets must hold at least one (term, count)")
    ax = new_axes(ax, (5.0, 2.5))
    names = [name for name, _ in buckets][::-1]
    counts = [count for _, count in buckets][::-1]
    ax.barh(names, counts, color=node_colors(len(names)))
    ax.set_xlabel("documents")
    ax.set_xlim(0, max(counts) * 1.15 if max(counts) > 0 else 1)
    for y, count in enumerate(counts):
        ax.text(count, y, f" {count:,}", va="center", fontsize="small")
    if title:
        ax.set_title(title, fontsize="medium")
    return ax
