"""Figures of lesson 07: each request admitted or refused per limiter, and the busiest span against b + r·t.

``plot_*`` functions draw a whole figure on an optional Axes (lesson cells use them). The
two panels the rate-limit explorer redraws on every move also come in two parts:
``frame_*`` draws what never changes (axes, row labels, titles, legends, the offered
curve), ``draw_*`` the data (see ``helpers.panels``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from numpy.typing import ArrayLike

from helpers import checks
from helpers.figures import new_axes
from helpers.gateway.model import ALGORITHMS

__all__ = [
    "draw_admissions",
    "draw_arrival_curve",
    "frame_admissions",
    "frame_arrival_curve",
    "plot_admissions",
    "plot_arrival_curve",
]

_LIMITER_COLORS = {
    "token bucket": "#3b75af",
    "fixed window": "#e07b28",
    "sliding log": "#6a9f58",
    "sliding counter": "#8c6bb1",
}
_REFUSED_COLOR = "#b3261e"
_BOUND_STYLE = {"color": "0.15", "linestyle": "--", "linewidth": 1.2}
_OFFERED_STYLE = {"color": "0.6", "linewidth": 1.2}


def _limiter_color(name: str) -> str:
    return _LIMITER_COLORS[checks.choice("limiter", name, tuple(_LIMITER_COLORS))]


# --- admitted and refused, request by request -------------------------------------------------


def frame_admissions(ax: Axes, limiters: Sequence[str] = ALGORITHMS, duration_s: float = 60.0) -> Axes:
    """The frame of an admissions timeline: a row per limiter (top to bottom), 0 to ``duration_s``, the legend below."""
    duration_s = checks.positive("duration_s", duration_s)
    for name in limiters:
        _limiter_color(name)
    rows = len(limiters)
    ax.set_xlim(0.0, duration_s)
    ax.set_ylim(-0.6, rows - 0.4)
    ax.set_yticks(range(rows), list(limiters)[::-1], fontsize="small")
    ax.tick_params(axis="x", labelsize="small")
    ax.set_xlabel("arrival time (s)", fontsize="small")
    ax.set_title("Admitted (ticks) and refused (crosses), request by request", fontsize="medium", y=1.0)
    ax.legend(
        handles=[
            Line2D([], [], linestyle="none", marker="|", markersize=9, color="0.2", label="admitted"),
            Line2D([], [], linestyle="none", marker="x", markersize=5, color=_REFUSED_COLOR, label="refused (429)"),
            Line2D([], [], color="0.45", linestyle=":", linewidth=0.9, label="fixed-window edge"),
        ],
        loc="upper center", bbox_to_anchor=(0.5, -0.28), ncols=3, fontsize="x-small", frameon=False,
    )  # fmt: skip
    return ax


def draw_admissions(
    times: ArrayLike,
    decisions: Mapping[str, ArrayLike],
    duration_s: float,
    window_s: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The data of an admissions timeline on a framed Axes: ticks, crosses, window edges (see ``plot_admissions``)."""
    arrivals = np.asarray(times, dtype=np.float64)
    duration_s = checks.positive("duration_s", duration_s)
    if window_s is not None:
        window_s = checks.positive("window_s", window_s)
    if not decisions:
        raise ValueError("decisions must name at least one limiter, got an empty mapping")
    ax = new_axes(ax, (8.0, 2.5))
    rows = len(decisions)
    for row, (name, admitted) in enumerate(decisions.items()):
        color = _limiter_color(name)
        mask = np.asarray(admitted, dtype=np.bool_)
        if mask.shape != arrivals.shape:
            raise ValueError(f"decisions[{name!r}] has shape {mask.shape}, times {arrivals.shape}")
        y = rows - 1 - row
        ax.add_artist(Line2D(arrivals[mask], np.full(int(mask.sum()), y), linestyle="none", marker="|",
                             markersize=11, markeredgewidth=1.0, color=color, gid="admitted", zorder=3))  # fmt: skip
        ax.add_artist(Line2D(arrivals[~mask], np.full(int((~mask).sum()), y - 0.3), linestyle="none", marker="x",
                             markersize=3.5, markeredgewidth=0.9, color=_REFUSED_COLOR, gid="refused",
                             zorder=3))  # fmt: skip
    if window_s is not None:
        edges = np.arange(window_s, duration_s, window_s)
        xs = np.repeat(edges, 3)
        ys = np.tile([-0.6, rows - 0.4, np.nan], edges.size)
        ax.add_artist(Line2D(xs, ys, color="0.45", linestyle=":", linewidth=0.9, gid="window-edges", zorder=1.5))
    return ax


def plot_admissions(
    times: ArrayLike,
    decisions: Mapping[str, ArrayLike],
    duration_s: float,
    window_s: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Axes with one row per limiter: a tick per request admitted, a red cross per refusal (lesson 07, section 7).

    ``decisions`` maps a limiter ("token bucket", "fixed window", "sliding log", "sliding
    counter") to one boolean per request of ``times``; rows run top to bottom in its order.
    Dotted lines mark the fixed windows' edges when ``window_s`` is given. The axes, row
    labels, legend and title depend only on the limiters named and ``duration_s``. Ticks
    have gid "admitted", crosses gid "refused".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_admissions([1.0, 2.0], {"sliding log": [True, False]}, 10.0, ax=Figure().add_subplot())
        >>> [(line.get_gid(), line.get_xdata().tolist()) for line in ax.lines]
        [('admitted', [1.0]), ('refused', [2.0])]
    """
    ax = new_axes(ax, (8.0, 2.5))
    draw_admissions(times, decisions, duration_s, window_s, ax)
    return frame_admissions(ax, list(decisions), duration_s)  # second: the data's checks name the bad input first


# --- the busiest span against b + r·t ---------------------------------------------------------


def frame_arrival_curve(
    ax: Axes,
    spans_s: ArrayLike,
    limiters: Sequence[str] = ALGORITHMS,
    offered_max: ArrayLike | None = None,
    top: float | None = None,
) -> Axes:
    """The frame of an arrival-curve chart: axes, legend, and the offered curve (gid "offered") when given.

    The y axis runs to 8% above ``top``, by default the most requests offered (else 1).
    The legend sits in the upper left corner, below the data: a curve that crosses it
    stays visible, and the frame never hides data (see ``helpers.panels``).
    """
    spans = np.asarray(spans_s, dtype=np.float64)
    if spans.ndim != 1 or spans.size < 2 or np.isnan(spans).any() or (spans < 0).any():
        raise ValueError(f"spans_s must hold at least two spans >= 0, got {spans_s!r}")
    handles = [Line2D([], [], color=_limiter_color(name), linewidth=1.8, label=name) for name in limiters]
    handles.append(Line2D([], [], label="bound b + r·t", **_BOUND_STYLE))  # type: ignore[arg-type]
    if offered_max is not None:
        offered = np.asarray(offered_max, dtype=np.float64)
        if offered.shape != spans.shape:
            raise ValueError(f"offered_max has shape {offered.shape}, spans_s {spans.shape}")
        ax.add_artist(Line2D(spans, offered, drawstyle="steps-post", gid="offered", zorder=2,
                             **_OFFERED_STYLE))  # type: ignore[arg-type]  # fmt: skip
        handles.append(Line2D([], [], label="offered", **_OFFERED_STYLE))  # type: ignore[arg-type]
        if top is None:
            top = float(offered.max())
    ax.set_xlim(float(spans[0]), float(spans[-1]))
    ax.set_ylim(0.0, max(top or 0.0, 1.0) * 1.08)
    ax.tick_params(labelsize="small")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("span t (s)", fontsize="small")
    ax.set_ylabel("most requests in any span of t", fontsize="small")
    ax.set_title("Admitted in the busiest span vs b + r·t", fontsize="medium", y=1.0)
    # A fixed corner: "best" would measure the data on every redraw and move the legend around.
    legend = ax.legend(handles=handles, loc="upper left", fontsize="x-small", framealpha=0.9)
    legend.set_zorder(2.2)  # above the offered curve, below the bound and the curves that change
    return ax


def draw_arrival_curve(
    spans_s: ArrayLike,
    admitted_max: Mapping[str, ArrayLike],
    capacity: float,
    refill_per_s: float,
    ax: Axes | None = None,
) -> Axes:
    """The curves of an arrival-curve chart on a framed Axes, and the bound b + r·t (see ``plot_arrival_curve``)."""
    spans = np.asarray(spans_s, dtype=np.float64)
    if spans.ndim != 1 or spans.size < 2 or np.isnan(spans).any() or (spans < 0).any():
        raise ValueError(f"spans_s must hold at least two spans >= 0, got {spans_s!r}")
    capacity = checks.positive("capacity", capacity)
    refill_per_s = checks.positive("refill_per_s", refill_per_s)
    if not admitted_max:
        raise ValueError("admitted_max must name at least one limiter, got an empty mapping")
    ax = new_axes(ax, (4.5, 3.5))
    for name, counts in admitted_max.items():
        values = np.asarray(counts, dtype=np.float64)
        if values.shape != spans.shape:
            raise ValueError(f"admitted_max[{name!r}] has shape {values.shape}, spans_s {spans.shape}")
        ax.add_artist(Line2D(spans, values, color=_limiter_color(name), linewidth=1.8, drawstyle="steps-post",
                             label=name, gid="admitted-max", zorder=3))  # fmt: skip
    ax.add_artist(Line2D(spans, capacity + refill_per_s * spans, label="bound b + r·t", gid="bound", zorder=2.5,
                         **_BOUND_STYLE))  # type: ignore[arg-type]  # fmt: skip
    return ax


def plot_arrival_curve(
    spans_s: ArrayLike,
    admitted_max: Mapping[str, ArrayLike],
    capacity: float,
    refill_per_s: float,
    offered_max: ArrayLike | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Axes with the most requests admitted in any span of length t, against t, and b + r·t (lesson 07, section 6).

    ``admitted_max`` maps a limiter to its maximum count for each span (see
    ``helpers.gateway.max_in_any_span``). The dashed line is the token bucket's bound
    ``capacity + refill_per_s * t`` (gid "bound"); the grey line, when given, the most
    requests *offered* in any span (gid "offered"), which also sets the y range, so for a
    fixed trace the axes never change. Curves have gid "admitted-max".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_arrival_curve([0, 1, 2], {"token bucket": [5, 6, 7]}, 5, 1.0, ax=Figure().add_subplot())
        >>> [line.get_gid() for line in ax.lines]
        ['admitted-max', 'bound']
    """
    ax = new_axes(ax, (4.5, 3.5))
    draw_arrival_curve(spans_s, admitted_max, capacity, refill_per_s, ax)
    top = None if offered_max is not None else max(float(np.max(counts)) for counts in admitted_max.values())
    return frame_arrival_curve(ax, spans_s, list(admitted_max), offered_max, top)  # second, as in plot_admissions
