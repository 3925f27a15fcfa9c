"""Figures of lesson 02: bytes on the wire per encoding, call times local and remote, chatty against batched calls.

``plot_*`` functions draw a whole figure on an optional Axes. The RPC explorer redraws all
three on every move, so each also comes in two parts: ``frame_*`` draws what never changes
(axes, ticks, titles, legends), ``draw_*`` the data (see ``helpers.panels``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter
from numpy.typing import NDArray

from helpers import checks
from helpers.figures import STYLE_CYCLE, Style, new_axes
from helpers.text import byte_label, ms_label, us_label

__all__ = [
    "CALL_LATENCY_RANGE_US",
    "LATENCY_GRID_US",
    "RTT_RANGE_MS",
    "TOTAL_RANGE_MS",
    "WIRE_BYTES_RANGE",
    "WIRE_ITEMS_RANGE",
    "draw_call_latency",
    "draw_chatty_vs_batched",
    "draw_wire_sizes",
    "frame_call_latency",
    "frame_chatty_vs_batched",
    "frame_wire_sizes",
    "plot_call_latency",
    "plot_chatty_vs_batched",
    "plot_wire_sizes",
]

WIRE_ITEMS_RANGE = (1, 1000)
"""x range of ``plot_wire_sizes``: line items in the message."""

WIRE_BYTES_RANGE = (10.0, 1e6)
"""y range of ``plot_wire_sizes``: bytes."""

CALL_LATENCY_RANGE_US = (0.01, 1e6)
"""x range of ``plot_call_latency``: 10 ns to 1 s."""

RTT_RANGE_MS = (0.01, 200.0)
"""x range of ``plot_chatty_vs_batched``: network round trip."""

TOTAL_RANGE_MS = (0.01, 1e6)
"""y range of ``plot_chatty_vs_batched``: time for all the calls."""

LATENCY_GRID_US = np.geomspace(*CALL_LATENCY_RANGE_US, 320)
"""The times at which ``plot_call_latency`` evaluates each curve."""

_FIGSIZE = (5.0, 3.5)
_CHATTY, _BATCHED = STYLE_CYCLE[1], STYLE_CYCLE[0]


def _log_frame(ax: Axes, xlabel: str, ylabel: str, title: str) -> None:
    """What the three panels share: no minor ticks, a light grid under the data, small labels."""
    ax.minorticks_off()
    ax.grid(True, which="major", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel(xlabel, fontsize="small")
    ax.set_ylabel(ylabel, fontsize="small")
    ax.set_title(title, fontsize="medium", y=1.0)  # an explicit y skips a costly title placement


def _legend_below(ax: Axes, labels: Sequence[str], styles: Sequence[Style]) -> None:
    # Below the axes, so no curve ever hides behind it.
    ax.legend(
        handles=[style.line([], [], label=label) for label, style in zip(labels, styles, strict=False)],
        loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=len(labels), fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )  # fmt: skip


def _current_dot(ax: Axes, x: float, y: float, style: Style, gid: str) -> None:
    ax.add_artist(
        Line2D([x], [y], linestyle="none", marker="o", markersize=6, color=style.color,
               markeredgecolor="black", markeredgewidth=0.6, zorder=4, gid=gid)
    )  # fmt: skip


# --- bytes on the wire ----------------------------------------------------------------------


def _check_encodings(names: Sequence[str]) -> None:
    if not names or len(names) > len(STYLE_CYCLE):
        raise ValueError(f"sizes must name 1 to {len(STYLE_CYCLE)} encodings, got {list(names)!r}")


def frame_wire_sizes(ax: Axes, encodings: Sequence[str]) -> Axes:
    """The frame of a wire-size chart: log-log axes (1 to 1,000 items, 10 B to 1 MB), the legend of ``encodings``."""
    _check_encodings(encodings)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*WIRE_ITEMS_RANGE)
    ax.set_ylim(*WIRE_BYTES_RANGE)
    ax.set_xticks([1, 10, 100, 1000], ["1", "10", "100", "1,000"], fontsize="small")
    ticks = [10.0, 100.0, 1e3, 1e4, 1e5, 1e6]
    ax.set_yticks(ticks, [byte_label(t) for t in ticks], fontsize="small")
    _log_frame(ax, "line items in the order", "bytes on the wire", "Size of one message")
    _legend_below(ax, encodings, STYLE_CYCLE)
    return ax


def draw_wire_sizes(
    items: Sequence[int], sizes: Mapping[str, Sequence[int]], current: int | None = None, ax: Axes | None = None
) -> Axes:
    """The lines of a wire-size chart on a framed Axes, and the dots at ``current`` (see ``plot_wire_sizes``)."""
    counts = [int(n) for n in items]
    low, high = WIRE_ITEMS_RANGE
    if not counts or any(not low <= n <= high for n in counts):
        raise ValueError(f"items must be a non-empty list of counts from {low} to {high}, got {list(items)!r}")
    _check_encodings(list(sizes))
    for name, values in sizes.items():
        if len(values) != len(counts):
            raise ValueError(f"sizes[{name!r}] has {len(values)} values for {len(counts)} item counts")
    if current is not None and current not in counts:
        raise ValueError(f"current must be one of items {counts}, got {current!r}")
    ax = new_axes(ax, _FIGSIZE)
    for (name, values), style in zip(sizes.items(), STYLE_CYCLE, strict=False):
        ax.add_artist(style.line(counts, list(values), label=name, gid="wire-size", zorder=3))
        if current is not None:
            _current_dot(ax, current, values[counts.index(current)], style, "current-size")
    return ax


def plot_wire_sizes(
    items: Sequence[int], sizes: Mapping[str, Sequence[int]], current: int | None = None, ax: Axes | None = None
) -> Axes:
    """Axes with the bytes each encoding needs for a message of ``items[i]`` line items (lesson 02, section 3).

    ``sizes`` maps an encoding's name to its sizes, one per entry of ``items``; each is one
    line (gid "wire-size") on log-log axes. ``current`` marks one item count with a dot per
    encoding (gid "current-size"). The axes are fixed (1 to 1,000 items, 10 B to 1 MB).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_wire_sizes([1, 10], {"JSON": [99, 567], "protobuf": [35, 197]}, current=10,
        ...                      ax=Figure().add_subplot())
        >>> [line.get_label() for line in ax.lines if line.get_gid() == "wire-size"]
        ['JSON', 'protobuf']
    """
    _check_encodings(list(sizes))
    ax = frame_wire_sizes(new_axes(ax, _FIGSIZE), list(sizes))
    return draw_wire_sizes(items, sizes, current, ax)


# --- one call, local or remote --------------------------------------------------------------


def _check_latency_series(names: Sequence[str]) -> None:
    if not names or len(names) > len(STYLE_CYCLE):
        raise ValueError(f"samples_us must name 1 to {len(STYLE_CYCLE)} series, got {list(names)!r}")


def _finished_share(samples_us: NDArray[np.float64], at_us: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of ``samples_us`` at or below each time of ``at_us`` (samples already sorted are not sorted again)."""
    values = np.asarray(samples_us, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or np.isnan(values).any():
        raise ValueError(f"samples_us must hold non-empty 1-D arrays without NaN, got shape {values.shape}")
    ordered = values if bool((values[1:] >= values[:-1]).all()) else np.sort(values)
    share: NDArray[np.float64] = np.searchsorted(ordered, at_us, side="right") / values.size
    return share


def frame_call_latency(ax: Axes, names: Sequence[str]) -> Axes:
    """The frame of a call-time chart: log x from 10 ns to 1 s, 0 to 100% finished, the legend of ``names``."""
    _check_latency_series(names)
    ax.set_xscale("log")
    ax.set_xlim(*CALL_LATENCY_RANGE_US)
    ax.set_ylim(0.0, 1.02)
    decades = [0.01, 1.0, 100.0, 1e4, 1e6]
    ax.set_xticks(decades, [us_label(us) for us in decades], fontsize="small")
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.tick_params(axis="y", labelsize="small")
    _log_frame(ax, "time of one call (x)", "calls finished within x", "One call, local or remote")
    _legend_below(ax, names, STYLE_CYCLE)
    return ax


def draw_call_latency(samples_us: Mapping[str, NDArray[np.float64]], ax: Axes | None = None) -> Axes:
    """The curves of a call-time chart on a framed Axes, one per series (see ``plot_call_latency``)."""
    _check_latency_series(list(samples_us))
    ax = new_axes(ax, _FIGSIZE)
    for (name, values), style in zip(samples_us.items(), STYLE_CYCLE, strict=False):
        finished = _finished_share(values, LATENCY_GRID_US)
        ax.add_artist(style.line(LATENCY_GRID_US, finished, label=name, gid="call-latency", zorder=3))
    return ax


def plot_call_latency(samples_us: Mapping[str, NDArray[np.float64]], ax: Axes | None = None) -> Axes:
    """Axes with, for each series of call times, the share of calls finished within x (lesson 02, section 4).

    x is logarithmic, from 10 ns to 1 s. Each series is one line with gid "call-latency"
    and the series' name as its label; the further right a curve sits, the slower the
    calls. The axes are fixed.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_call_latency({"local": np.array([0.1, 0.2]), "remote": np.array([500.0])},
        ...                        ax=Figure().add_subplot())
        >>> [line.get_label() for line in ax.lines if line.get_gid() == "call-latency"]
        ['local', 'remote']
    """
    _check_latency_series(list(samples_us))
    ax = frame_call_latency(new_axes(ax, _FIGSIZE), list(samples_us))
    return draw_call_latency(samples_us, ax)


# --- N calls: one by one or batched ---------------------------------------------------------


def frame_chatty_vs_batched(ax: Axes) -> Axes:
    """The frame of a chatty-against-batched chart: log-log axes (r from 0.01 to 200 ms), title and legend."""
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*RTT_RANGE_MS)
    ax.set_ylim(*TOTAL_RANGE_MS)
    rtts = [0.01, 0.1, 1.0, 10.0, 100.0]
    ax.set_xticks(rtts, [ms_label(ms) for ms in rtts], fontsize="small")
    totals = [0.01, 1.0, 100.0, 1e4, 1e6]
    ax.set_yticks(totals, [ms_label(ms) for ms in totals], fontsize="small")
    _log_frame(ax, "network round trip (r)", "time for all N calls", "N calls: one by one or batched")
    _legend_below(ax, ["one by one: N·(r + w)", "one batch: r + N·w"], [_CHATTY, _BATCHED])
    return ax


def _check_chatty(calls: int, rtt_ms: float | None, work_ms: float) -> None:
    checks.count("calls", calls)
    checks.positive("work_ms", work_ms, allow_zero=True)
    if rtt_ms is not None:
        checks.number("rtt_ms", rtt_ms, *RTT_RANGE_MS)


def draw_chatty_vs_batched(
    calls: int, rtt_ms: float | None = None, work_ms: float = 0.0, ax: Axes | None = None
) -> Axes:
    """The two lines of a chatty-against-batched chart on a framed Axes, and the dots at ``rtt_ms``."""
    _check_chatty(calls, rtt_ms, work_ms)
    ax = new_axes(ax, _FIGSIZE)
    r = np.geomspace(*RTT_RANGE_MS, 120)
    lines = (("chatty", calls * (r + work_ms), _CHATTY), ("batched", r + calls * work_ms, _BATCHED))
    for gid, total, style in lines:
        ax.add_artist(style.line(r, total, gid=gid, zorder=3))
    if rtt_ms is not None:
        now = {"chatty": calls * (rtt_ms + work_ms), "batched": rtt_ms + calls * work_ms}
        for gid, _, style in lines:
            _current_dot(ax, rtt_ms, now[gid], style, "current-rtt")
    return ax


def plot_chatty_vs_batched(
    calls: int, rtt_ms: float | None = None, work_ms: float = 0.0, ax: Axes | None = None
) -> Axes:
    """Axes with the time for N calls made one by one, N·(r + w), and as one batch, r + N·w (lesson 02, section 4).

    Both are drawn against the round trip r, from 0.01 ms to 200 ms on a log axis; the
    lines have gids "chatty" and "batched". ``rtt_ms`` marks the current round trip with
    a dot on each line (gid "current-rtt").

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_chatty_vs_batched(100, rtt_ms=10.0, ax=Figure().add_subplot())
        >>> [float(line.get_ydata()[0]) for line in ax.lines if line.get_gid() == "current-rtt"]
        [1000.0, 10.0]
    """
    _check_chatty(calls, rtt_ms, work_ms)
    ax = frame_chatty_vs_batched(new_axes(ax, _FIGSIZE))
    return draw_chatty_vs_batched(calls, rtt_ms, work_ms, ax)
