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
from matplotlib.lines import Line2D
from matplotlib.patches import Patch, Rectangle

from helpers.clients.model import STRATEGIES, Outage
from helpers.figures import STYLE_CYCLE, Style, new_axes

__all__ = [
    "BREAKER_COLORS",
    "LOAD_TOP",
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


LOAD_TOP = 12.0
"""The load panel's top: calls to the dependency as a multiple of the normal load (more is clipped)."""


def frame_load(ax: Axes, horizon_s: float) -> Axes:
    """The load panel's frame: 0 to ``horizon_s`` seconds, 0 to ``LOAD_TOP`` times the normal load."""
    ax.set_xlim(0, horizon_s)
    ax.set_ylim(0, LOAD_TOP)
    ax.set_xlabel("time (s)", fontsize="small")
    ax.set_ylabel("load (x normal)", fontsize="small")
    ax.set_title("Calls reaching the dependency, per 100 ms", fontsize="medium")
    ax.tick_params(labelsize="small")
    ax.tick_params(axis="y", length=0)  # the outage's shading starts at the y axis: no tick mark under it
    return ax


def draw_load(run: Outage, outage_s: float, clients: int, ax: Axes, strategy: str = "full") -> Axes:
    """Calls reaching the dependency per bucket, as a multiple of ``clients`` requests a second; outage shaded."""
    x = np.arange(len(run.offered) + 1) * run.bucket_s
    normal = clients * run.bucket_s
    ax.add_patch(Rectangle((0, 0), outage_s, LOAD_TOP, facecolor="#f2d7d5", edgecolor="none", zorder=0, gid="outage"))
    ax.add_line(Line2D(x[[0, -1]], [1.0, 1.0], color="#888888", linewidth=0.8, linestyle=":", gid="normal"))
    style = STRATEGY_STYLES.get(strategy, STYLE_CYCLE[0])
    y = np.minimum(run.offered / normal, LOAD_TOP * 0.99)
    ax.add_line(style.line(np.repeat(x, 2)[1:-1], np.repeat(y, 2), gid="load"))
    return ax


def frame_completed(ax: Axes, horizon_s: float, period_s: float = 1.0) -> Axes:
    """The completions panel's frame: requests done per client, up to one every ``period_s``."""
    ax.set_xlim(0, horizon_s)
    ax.set_ylim(0, horizon_s / period_s * 1.05)
    ax.set_xlabel("time (s)", fontsize="small")
    ax.set_ylabel("requests done per client", fontsize="small")
    ax.set_title("Requests completed (dotted: no outage)", fontsize="medium")
    ax.tick_params(labelsize="small")
    return ax


def draw_completed(run: Outage, clients: int, ax: Axes) -> Axes:
    """The cumulative count of requests that succeeded, per client (dotted: one a second, as with no outage)."""
    x = np.arange(len(run.completed) + 1) * run.bucket_s
    ax.add_line(Line2D(x[[0, -1]], x[[0, -1]], color="#888888", linewidth=1.0, linestyle=":", gid="ideal"))
    ax.add_line(STYLE_CYCLE[0].line(x, np.concatenate([[0], run.completed]) / clients, gid="done"))
    return ax


def frame_breaker(ax: Axes, horizon_s: float) -> Axes:
    """The breaker strip's frame: no y axis, a legend of the three states."""
    ax.set_xlim(0, horizon_s)
    ax.set_yticks([])
    ax.set_ylim(0, 1)
    ax.tick_params(labelsize="small")
    names = ("closed", "open", "half-open")
    handles = [Patch(color=color, label=name) for color, name in zip(BREAKER_COLORS, names, strict=True)]
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -1.0), ncols=3, fontsize="small", frameon=False)
    ax.set_title("Circuit breaker", fontsize="medium")
    return ax


def draw_breaker(run: Outage, ax: Axes, enabled: bool = True) -> Axes:
    """The breaker's state in each bucket as a coloured strip (grey when there is no breaker)."""
    width = run.bucket_s
    n = len(run.breaker)
    states = run.breaker if enabled else np.full(n, -1, dtype=np.int8)
    starts = np.flatnonzero(np.diff(states, prepend=np.int8(99)))  # one block per run of equal states
    ends = np.append(starts[1:], n)
    polygons = [
        [(a * width, 0.0), (e * width, 0.0), (e * width, 1.0), (a * width, 1.0)]
        for a, e in zip(starts, ends, strict=True)
    ]
    colors = [BREAKER_COLORS[int(states[a])] if enabled else "#cccccc" for a in starts]
    ax.add_collection(PolyCollection(polygons, facecolors=colors, edgecolors="none", gid="breaker"), autolim=False)
    return ax


def plot_outage(run: Outage, outage_s: float, clients: int, breaker: bool = False) -> tuple[Axes, Axes, Axes]:
    """The explorer's three panels for one run, on a new pyplot figure.

    Examples:
        >>> from helpers.clients.model import simulate_outage
        >>> load, done, strip = plot_outage(simulate_outage("full", 20, outage_s=1, horizon_s=2), 1, 20)
        >>> load.get_title()
        'Calls reaching the dependency, per 100 ms'
    """
    import matplotlib.pyplot as plt  # only standalone plots need pyplot

    horizon = len(run.offered) * run.bucket_s
    figure = plt.figure(figsize=(11.0, 4.0))
    load = figure.add_axes((0.06, 0.42, 0.40, 0.48))
    done = figure.add_axes((0.56, 0.42, 0.40, 0.48))
    strip = figure.add_axes((0.06, 0.14, 0.90, 0.07))
    draw_load(run, outage_s, clients, frame_load(load, horizon))
    draw_completed(run, clients, frame_completed(done, horizon))
    draw_breaker(run, frame_breaker(strip, horizon), enabled=breaker)
    return load, done, strip
