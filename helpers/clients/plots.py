"""Figures of lesson 12: backoff sleeps per strategy, and an outage seen from the dependency.

``plot_sleeps`` draws section 3's sleeps; the explorer's three panels each have a
``frame_*`` (what never changes) and a ``draw_*`` (the data): the load the dependency is
offered per bucket, the requests completed so far, and the circuit breaker's state strip.
``plot_outage`` draws all three for a lesson cell.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.patches import Patch, Rectangle

from helpers.clients.model import STRATEGIES, Outage
from helpers.figures import STYLE_CYCLE, Style, new_axes

__all__ = [
    "BREAKER_COLORS",
    "STRATEGY_STYLES",
    "draw_breaker",
    "draw_completed",
    "draw_load",
    "frame_breaker",
    "frame_completed",
    "frame_load",
    "plot_outage",
    "plot_sleeps",
]

STRATEGY_STYLES: dict[str, Style] = dict(zip(STRATEGIES, STYLE_CYCLE, strict=True))
"""One line style per backoff strategy (none, equal, full, decorrelated)."""

BREAKER_COLORS = ("#6a9f58", "#c0392b", "#e0a028")
"""The strip's colours for closed, open and half-open."""


def plot_sleeps(sleeps: Mapping[str, Sequence[Sequence[float]]], ax: Axes | None = None) -> Axes:
    """Each strategy's sleeps (many clients) against the retry number: section 3's picture.

    ``sleeps[strategy][client]`` is one client's sleeps before retries 0, 1, 2, ...

    Examples:
        >>> import random
        >>> from helpers.clients.model import backoff_delays
        >>> ax = plot_sleeps({"full": [backoff_delays("full", 5, 1, 8, random.Random(s)) for s in range(3)]})
        >>> ax.get_xlabel()
        'retry number'
    """
    ax = new_axes(ax, (6.0, 3.2))
    unknown = sorted(set(sleeps) - set(STRATEGIES))
    if unknown:
        raise ValueError(f"strategies must be among {list(STRATEGIES)}, got {unknown}")
    offsets = np.linspace(-0.3, 0.3, len(STRATEGIES))
    for offset, strategy in zip(offsets, STRATEGIES, strict=True):
        if strategy not in sleeps:
            continue
        values = np.asarray(sleeps[strategy], dtype=float)
        attempts = np.broadcast_to(np.arange(values.shape[1]), values.shape)
        ax.scatter(attempts.ravel() + offset, values.ravel(), s=4, alpha=0.3,
                   color=STRATEGY_STYLES[strategy].color, label=strategy, gid=strategy)  # fmt: skip
    ax.set_xlabel("retry number")
    ax.set_ylabel("sleep before it")
    ax.set_title("Backoff sleeps, one dot per client and retry")
    ax.legend(fontsize="small", markerscale=3)
    return ax


def frame_load(ax: Axes) -> Axes:
    """The load panel's frame: labels and title (the axes' limits follow the data)."""
    ax.set_xlabel("time (s)", fontsize="small")
    ax.set_ylabel("calls per 100 ms", fontsize="small")
    ax.set_title("Load offered to the dependency", fontsize="medium")
    ax.tick_params(labelsize="small")
    return ax


def draw_load(run: Outage, outage_s: float, ax: Axes, strategy: str = "full") -> Axes:
    """Calls reaching the dependency per bucket, with the outage shaded."""
    x = np.arange(len(run.offered)) * run.bucket_s
    horizon = len(run.offered) * run.bucket_s
    top = max(1.0, float(run.offered.max()) * 1.15)
    ax.add_patch(Rectangle((0, 0), outage_s, top, color="#f2d7d5", zorder=0, gid="outage"))
    style = STRATEGY_STYLES.get(strategy, STYLE_CYCLE[0])
    ax.add_line(style.line(np.repeat(x, 2)[1:], np.repeat(run.offered, 2)[:-1], gid="load"))
    ax.set_xlim(0, horizon)
    ax.set_ylim(0, top)
    return ax


def frame_completed(ax: Axes) -> Axes:
    """The completions panel's frame."""
    ax.set_xlabel("time (s)", fontsize="small")
    ax.set_ylabel("requests done", fontsize="small")
    ax.set_title("Requests completed so far", fontsize="medium")
    ax.tick_params(labelsize="small")
    return ax


def draw_completed(run: Outage, ax: Axes) -> Axes:
    """The cumulative count of requests that succeeded."""
    x = (np.arange(len(run.completed)) + 1) * run.bucket_s
    ax.add_line(STYLE_CYCLE[0].line(np.concatenate([[0.0], x]), np.concatenate([[0], run.completed]), gid="done"))
    ax.set_xlim(0, len(run.completed) * run.bucket_s)
    ax.set_ylim(0, max(1.0, float(run.completed[-1]) * 1.1))
    return ax


def frame_breaker(ax: Axes) -> Axes:
    """The breaker strip's frame: no y axis, a legend of the three states."""
    ax.set_yticks([])
    ax.set_ylim(0, 1)
    ax.tick_params(labelsize="small")
    handles = [
        Patch(color=color, label=name)
        for color, name in zip(BREAKER_COLORS, ("closed", "open", "half-open"), strict=True)
    ]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -1.0), ncols=3, fontsize="small", frameon=False)
    ax.set_title("Circuit breaker", fontsize="medium")
    return ax


def draw_breaker(run: Outage, ax: Axes, enabled: bool = True) -> Axes:
    """The breaker's state in each bucket as a coloured strip (grey when there is no breaker)."""
    width = run.bucket_s
    n = len(run.breaker)
    left = np.arange(n) * width
    polygons = [[(x0, 0.0), (x0 + width, 0.0), (x0 + width, 1.0), (x0, 1.0)] for x0 in left]
    colors = [BREAKER_COLORS[int(s)] for s in run.breaker] if enabled else ["#cccccc"] * n
    ax.add_collection(PolyCollection(polygons, facecolors=colors, edgecolors="none", gid="breaker"))
    ax.set_xlim(0, n * width)
    return ax


def plot_outage(run: Outage, outage_s: float, breaker: bool = False) -> tuple[Axes, Axes, Axes]:
    """The explorer's three panels for one run, on a new pyplot figure.

    Examples:
        >>> from helpers.clients.model import simulate_outage
        >>> load, done, strip = plot_outage(simulate_outage("full", 20, outage_s=1, horizon_s=2), 1)
        >>> load.get_title()
        'Load offered to the dependency'
    """
    import matplotlib.pyplot as plt  # only standalone plots need pyplot

    figure = plt.figure(figsize=(11.0, 4.0))
    load = figure.add_axes((0.06, 0.42, 0.40, 0.48))
    done = figure.add_axes((0.56, 0.42, 0.40, 0.48))
    strip = figure.add_axes((0.06, 0.12, 0.90, 0.08))
    draw_load(run, outage_s, frame_load(load))
    draw_completed(run, frame_completed(done))
    draw_breaker(run, frame_breaker(strip), enabled=breaker)
    return load, done, strip
