"""Figures of lesson 14: the latency ladder of the tables, the model and this machine; downtime per period.

Each figure the explorer redraws comes as ``frame_*`` (titles, limits, axes: drawn once) and
``draw_*`` (the data); ``plot_*`` is the two together, for a lesson cell.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection

from helpers.figures import STYLE_CYCLE, new_axes
from helpers.napkin.model import OPERATIONS, PERIODS_S, duration_text

__all__ = [
    "LADDER_LIMITS",
    "MARKERS",
    "draw_downtime",
    "draw_ladder",
    "frame_downtime",
    "frame_ladder",
    "plot_downtime",
    "plot_ladder",
]

LADDER_LIMITS = (1e-10, 1.0)
"""The ladder's x range in seconds: 0.1 ns to 1 s (log scale)."""

MARKERS = ("s", "o", "D", "^", "v")
"""The marker of each series on the ladder, in the order they are given."""

DOWNTIME_LIMITS = (1e-4, 1e7)
"""The downtime panel's x range in seconds (log scale): 0.1 ms to about 4 months."""


def frame_ladder(ax: Axes) -> None:
    """The fixed parts of the ladder: one row per operation, fastest at the top, seconds on a log scale."""
    ax.set_xscale("log")
    ax.set_xlim(*LADDER_LIMITS)
    ax.set_ylim(len(OPERATIONS) - 0.5, -0.5)
    ax.set_yticks(range(len(OPERATIONS)), OPERATIONS, fontsize=7)
    ax.set_xticks([1e-9, 1e-6, 1e-3, 1.0], ["1 ns", "1 µs", "1 ms", "1 s"])
    ax.minorticks_off()
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title("seconds per operation (log scale)", fontsize=10)


def draw_ladder(ax: Axes, series: Mapping[str, Mapping[str, float]]) -> None:
    """One marker per operation a series times, in the series' colour; a thin line joins a series' points."""
    for index, (style, marker, values) in enumerate(zip(STYLE_CYCLE, MARKERS, series.values(), strict=False)):
        rows = [(OPERATIONS.index(op), seconds) for op, seconds in values.items() if op in OPERATIONS and seconds > 0]
        if not rows:
            continue
        y = np.array([row for row, _ in rows], dtype=float) + (index - 1.5) * 0.12  # side by side in a row
        x = np.clip([seconds for _, seconds in rows], LADDER_LIMITS[0] * 1.05, LADDER_LIMITS[1] / 1.05)
        ax.plot(x, y, linestyle="none", marker=marker, markersize=5, color=style.color, zorder=3)


def plot_ladder(series: Mapping[str, Mapping[str, float]], ax: Axes | None = None) -> Axes:
    """The latency ladder of several tables (and measurements) side by side, with a legend (lesson 14, section 7).

    Examples:
        >>> from helpers.napkin.model import TABLES, scott_model
        >>> ax = plot_ladder({"Dean 2009": {k: r.seconds for k, r in TABLES["Dean 2009"].items()},
        ...                   "model 2026": scott_model(2026)})
        >>> len(ax.lines)
        2
    """
    ax = new_axes(ax, (8.0, 5.0))
    frame_ladder(ax)
    draw_ladder(ax, series)
    ax.legend([line for line in ax.lines], list(series)[: len(ax.lines)], fontsize=7, loc="lower right")
    return ax


def frame_downtime(ax: Axes) -> None:
    """The fixed parts of the downtime panel: one bar per period, seconds on a log scale."""
    ax.set_xscale("log")
    ax.set_xlim(*DOWNTIME_LIMITS)
    ax.set_ylim(len(PERIODS_S) - 0.4, -0.6)
    ax.set_yticks(range(len(PERIODS_S)), [f"a {period}" for period in PERIODS_S])
    ax.set_xticks([1e-3, 1, 3_600, 2_629_746], ["1 ms", "1 s", "1 h", "1 mo"])
    ax.minorticks_off()
    ax.grid(True, axis="x", alpha=0.3)
    ax.set_title("downtime allowed", fontsize=10)


def draw_downtime(ax: Axes, seconds: Mapping[str, float]) -> None:
    """A bar per period, its exact downtime written on it (inside the panel, whatever its length)."""
    values = np.array([float(seconds[period]) for period in PERIODS_S], dtype=float)
    low, high = DOWNTIME_LIMITS
    shown = np.clip(values, low, high / 1.02)
    rows = np.arange(values.size, dtype=float)
    corners = [[(low, row - 0.35), (low, row + 0.35), (top, row + 0.35), (top, row - 0.35)]
               for row, top in zip(rows, shown, strict=True)]  # fmt: skip
    bars = PolyCollection(corners, facecolors="#a9c4e2", edgecolors="none", zorder=2)  # above the grid
    ax.add_collection(bars, autolim=False)
    for row, value in zip(rows, values, strict=True):
        ax.text(low * 2, row, duration_text(value), ha="left", va="center", fontsize=8)


def plot_downtime(seconds: Mapping[str, float], ax: Axes | None = None) -> Axes:
    """Downtime per day, week, month and year for one availability (lesson 14, section 1).

    Examples:
        >>> from helpers.napkin.model import downtime_s
        >>> ax = plot_downtime({period: downtime_s("99.99%", period) for period in PERIODS_S})
        >>> [text.get_text() for text in ax.texts]
        ['8.64 s', '1 m 0.5 s', '4 m 23 s', '52 m 35.7 s']
    """
    ax = new_axes(ax, (5.0, 3.5))
    frame_downtime(ax)
    draw_downtime(ax, seconds)
    return ax
