"""Figures of lesson 05: response time under each policy, and how busy each server was.

``plot_*`` functions draw a whole figure on an optional Axes (lesson cells use them). Both
panels the balancing explorer redraws on every move also come in two parts: ``frame_*``
draws what never changes (log axis, ticks, titles, legend, the "fully busy" line),
``draw_*`` the data (see ``helpers.panels``).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Literal

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from numpy.typing import ArrayLike, NDArray

from helpers.figures import bars, new_axes

__all__ = [
    "RESPONSE_TIME_RANGE",
    "SERVER_LOAD_MAX",
    "draw_policy_latency",
    "draw_server_load",
    "frame_policy_latency",
    "frame_server_load",
    "plot_policy_latency",
    "plot_server_load",
]

RESPONSE_TIME_RANGE = (0.3, 3000.0)
"""y range of ``plot_policy_latency``: response time in units of mean work, log scale."""

SERVER_LOAD_MAX = 1.5
"""y limit of ``plot_server_load``: busier than 1 means the server cannot keep up."""

_PERCENTILE_COLORS = ("#9ecae1", "#3b75af")  # p50 light, p99 dark
_REFERENCE_STYLES: tuple[Literal["--", ":", "-."], ...] = ("--", ":", "-.")
_REFERENCE_COLOR = "0.35"
_HIGHLIGHT_COLOR = (1.0, 0.8, 0.2, 0.22)  # pale, translucent yellow: the grid lines show through
_BUSY_COLOR = "#3b75af"
_OVERLOADED_COLOR = "#b3261e"


# --- response time per policy ---------------------------------------------------------------


def _latency_table(latencies: Mapping[str, Sequence[float]]) -> NDArray[np.float64]:
    """(p50, p99, mean) of each policy as rows, clipped to ``RESPONSE_TIME_RANGE``."""
    if not latencies:
        raise ValueError("latencies must name at least one policy, got an empty mapping")
    table = np.empty((len(latencies), 3))
    for position, (name, row) in enumerate(latencies.items()):
        values = [float(v) for v in row]
        if len(values) != 3 or not all(math.isfinite(v) and v > 0 for v in values):
            raise ValueError(f"latencies[{name!r}] must be three positive numbers (p50, p99, mean), got {values!r}")
        table[position] = values
    clipped: NDArray[np.float64] = np.clip(table, *RESPONSE_TIME_RANGE)
    return clipped


def frame_policy_latency(
    ax: Axes, policies: Sequence[str], references: Sequence[str] = (), highlight: str | None = None
) -> Axes:
    """The frame of a response-time chart: a slot per policy, the fixed log axis, title and legend.

    ``references`` are the labels of the reference lines ``draw_policy_latency`` will draw,
    in order (the legend shows their line styles); the ``highlight``ed policy's name is bold.
    """
    if not policies:
        raise ValueError("policies must name at least one policy, got none")
    if highlight is not None and highlight not in policies:
        raise ValueError(f"highlight must be one of {list(policies)}, got {highlight!r}")
    ax.set_yscale("log")
    ax.set_xlim(-0.5, len(policies) - 0.5)
    ax.set_ylim(*RESPONSE_TIME_RANGE)
    ax.set_xticks(range(len(policies)), [name.replace("-", "\n", 1) for name in policies], fontsize="x-small")
    for tick, name in zip(ax.get_xticklabels(), policies, strict=True):
        tick.set_fontweight("bold" if name == highlight else "normal")
    ax.tick_params(axis="y", labelsize="small")
    ax.grid(True, axis="y", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_ylabel("response time (mean work = 1)", fontsize="small")
    ax.set_title("Response time by policy: p50, p99 and mean", fontsize="medium", y=1.0)
    handles = [
        Rectangle((0, 0), 1, 1, color=_PERCENTILE_COLORS[0], label="p50"),
        Rectangle((0, 0), 1, 1, color=_PERCENTILE_COLORS[1], label="p99"),
        Line2D([], [], linestyle="none", marker="o", markersize=5, color="black", label="mean"),
        *(
            Line2D([], [], color=_REFERENCE_COLOR, linestyle=_REFERENCE_STYLES[number % 3], linewidth=1.0, label=label)
            for number, label in enumerate(references)
        ),
    ]
    # Below the axes, where no bar reaches: drawn once, never over a bar.
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="x-small",
              ncols=len(handles), frameon=False, borderaxespad=0.0)  # fmt: skip
    return ax


def draw_policy_latency(
    latencies: Mapping[str, Sequence[float]],
    references: Mapping[str, float] | None = None,
    ax: Axes | None = None,
    highlight: str | None = None,
) -> Axes:
    """The data of a response-time chart on a framed Axes: bars, mean dots, references (see ``plot_policy_latency``).

    The ``highlight``ed policy's slot gets a light band behind its bars.
    """
    table = _latency_table(latencies)
    names = list(latencies)
    if highlight is not None and highlight not in names:
        raise ValueError(f"highlight must be one of {names}, got {highlight!r}")
    ax = new_axes(ax, (6.0, 3.5))
    positions = np.arange(len(names), dtype=np.float64)
    if highlight is not None:
        # Over the grid (zorder 0.5), under everything else; add_artist skips a data-limit update.
        slot = names.index(highlight)
        ax.add_artist(Rectangle((slot - 0.45, 0.0), 0.9, 1.0, transform=ax.get_xaxis_transform(),
                                facecolor=_HIGHLIGHT_COLOR, edgecolor="none", gid="highlight", zorder=1))  # fmt: skip
    # The bars start at the axis' bottom, not at 0: the y axis is logarithmic.
    for column, offset, gid in ((0, -0.18, "p50"), (1, 0.18, "p99")):
        bars(ax, positions + offset, table[:, column], 0.34, _PERCENTILE_COLORS[column], bottom=RESPONSE_TIME_RANGE[0],
             gid=gid).set_zorder(3)  # fmt: skip
    ax.add_artist(Line2D(positions, table[:, 2], linestyle="none", marker="o", markersize=5, color="black",
                         gid="mean", zorder=4))  # fmt: skip
    across = ax.get_yaxis_transform()  # x in axes fractions: the lines span the panel, whatever its limits
    for number, (label, value) in enumerate((references or {}).items()):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"references[{label!r}] must be a positive number, got {value!r}")
        ax.add_artist(Line2D([0.0, 1.0], [value, value], transform=across, color=_REFERENCE_COLOR,
                             linestyle=_REFERENCE_STYLES[number % 3], linewidth=1.0, gid="reference", label=label,
                             zorder=2))  # fmt: skip
    return ax


def plot_policy_latency(
    latencies: Mapping[str, Sequence[float]],
    references: Mapping[str, float] | None = None,
    highlight: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Axes with, for each policy, a p50 bar, a p99 bar and a dot at the mean response time (lesson 05, section 6).

    ``latencies`` maps a policy's name to ``(p50, p99, mean)``. ``references`` maps a
    label to a mean response time drawn as a dashed line (e.g. the supermarket model's
    T₁(λ) and T₂(λ)). The y axis is logarithmic and fixed (``RESPONSE_TIME_RANGE``), so an
    explorer draws it once; values beyond it are clipped to the edge. The ``highlight``ed
    policy's name is bold and its slot shaded. Bars have gid "p50" and "p99", mean dots
    "mean", lines "reference", the shaded slot "highlight".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_policy_latency({"random": (7.0, 46.0, 10.0)}, {"T1": 10.0}, ax=Figure().add_subplot())
        >>> [round(float(bars.get_paths()[0].vertices[1, 1]), 1) for bars in ax.collections]
        [7.0, 46.0]
    """
    _latency_table(latencies)  # bad input fails before anything is drawn
    ax = frame_policy_latency(new_axes(ax, (6.0, 3.5)), list(latencies), list(references or {}), highlight)
    return draw_policy_latency(latencies, references, ax, highlight)


# --- load per server ------------------------------------------------------------------------


def frame_server_load(ax: Axes, title: str = "Load per server") -> Axes:
    """The frame of a load-per-server chart: the fixed 0 to 1.65 axis, labels, title, the "fully busy" line at 1.

    No x ticks: the axis then looks the same for any number of servers.
    """
    ax.set_ylim(0.0, SERVER_LOAD_MAX + 0.15)
    ax.set_xticks([])
    ax.tick_params(axis="y", labelsize="small")
    ax.grid(True, axis="y", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("servers, slowest to fastest", fontsize="small")
    ax.set_ylabel("share of time busy", fontsize="small")
    ax.set_title(title, fontsize="medium", y=1.0)  # an explicit y skips a costly title placement
    # Under the bars (zorder 2 < 3), across the whole panel whatever the number of servers.
    ax.add_artist(Line2D([0.0, 1.0], [1.0, 1.0], transform=ax.get_yaxis_transform(), color="0.3", linestyle="--",
                         linewidth=1.0, gid="full", zorder=2))  # fmt: skip
    return ax


def draw_server_load(busy: ArrayLike, speeds: ArrayLike, ax: Axes | None = None) -> Axes:
    """The data of a load-per-server chart on a framed Axes: bars and overload labels (see ``plot_server_load``)."""
    values = np.asarray(busy, dtype=np.float64)
    rates = np.asarray(speeds, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or values.shape != rates.shape:
        raise ValueError(
            f"busy and speeds must be lists of the same non-zero length, got {values.shape}, {rates.shape}"
        )
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"busy must hold numbers >= 0, got {values.tolist()}")
    ax = new_axes(ax, (4.0, 3.5))
    positions = np.arange(values.size, dtype=np.float64)
    overloaded = values >= 1.0
    heights = np.minimum(values, SERVER_LOAD_MAX)
    bars(ax, positions, heights, 0.7, np.where(overloaded, _OVERLOADED_COLOR, _BUSY_COLOR).tolist(),
         gid="busy").set_zorder(3)  # fmt: skip
    for position in np.flatnonzero(overloaded).tolist() if values.size <= 10 else []:  # no room beyond 10
        ax.text(float(position), heights[position] + 0.02, f"{values[position]:.1f}", ha="center", va="bottom",
                fontsize="x-small", color=_OVERLOADED_COLOR, zorder=4)  # fmt: skip
    ax.set_xlim(-0.5, values.size - 0.5)  # the frame draws nothing at data x: only the bars move
    return ax


def plot_server_load(busy: ArrayLike, speeds: ArrayLike, ax: Axes | None = None) -> Axes:
    """Axes with one bar per server, slowest to fastest: the share of time it was busy (lesson 05, section 6).

    Servers at or above 1 could not keep up (their queue grew all the time) and are drawn
    red, clipped at ``SERVER_LOAD_MAX`` with the value written on top (up to 10 servers).
    The axes are the same for every input. Bars have gid "busy", the dashed "fully busy"
    line "full".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_server_load([0.5, 1.2], [0.8, 1.2], ax=Figure().add_subplot())
        >>> [round(float(path.vertices[1, 1]), 2) for path in ax.collections[0].get_paths()]
        [0.5, 1.2]
    """
    ax = frame_server_load(new_axes(ax, (4.0, 3.5)))
    return draw_server_load(busy, speeds, ax)
