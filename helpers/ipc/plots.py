"""Figures of lesson 01: the latency tail with failures, and the chance a fan-out meets a slow or down call.

``plot_*`` functions draw a whole figure on an optional Axes (lesson cells use them). The
two panels the IPC explorer redraws on every move also come in two parts: ``frame_*``
draws what never changes (axes, ticks, titles, legends), ``draw_*`` the data (see
``helpers.panels``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter
from numpy.typing import NDArray

from helpers import checks
from helpers.figures import STYLE_CYCLE, new_axes
from helpers.text import MINUS, ms_label

__all__ = [
    "CALLS_RANGE",
    "CCDF_GRID_MS",
    "LATENCY_RANGE_MS",
    "ccdf",
    "draw_fan_out_risk",
    "draw_latency_ccdf",
    "frame_fan_out_risk",
    "frame_latency_ccdf",
    "plot_fan_out_risk",
    "plot_latency_ccdf",
]

LATENCY_RANGE_MS = (0.1, 100_000.0)
"""x range of ``plot_latency_ccdf``: 0.1 ms to 100 s."""

CALLS_RANGE = (1, 120)
"""x range of ``plot_fan_out_risk``: calls a request waits on."""

CCDF_GRID_MS = np.geomspace(*LATENCY_RANGE_MS, 240)
"""The times at which ``plot_latency_ccdf`` evaluates each curve."""

_CCDF_FLOOR = 1e-4
_FIGSIZE = (5.0, 3.5)


def _legend_below(ax: Axes, handles: Sequence[Line2D]) -> None:
    # Below the axes, so no curve ever hides behind it.
    ax.legend(
        handles=list(handles), loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=len(handles),
        fontsize="x-small", frameon=False, handlelength=2.0, borderaxespad=0.0,
    )  # fmt: skip


def ccdf(latencies_ms: NDArray[np.float64], at_ms: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of requests not finished within each time in ``at_ms`` (lesson 01, section 6).

    Failures (``inf``) never finish. Latencies already in ascending order are not sorted
    again (an explorer keeps them so).

    Examples:
        >>> ccdf(np.array([1.0, 2.0, np.inf, 4.0]), np.array([0.5, 1.0, 3.0, 10.0])).tolist()
        [1.0, 0.75, 0.5, 0.25]
    """
    values = np.asarray(latencies_ms, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or np.isnan(values).any():
        raise ValueError(f"latencies_ms must be a non-empty 1-D array without NaN, got shape {values.shape}")
    ordered = values if bool((values[1:] >= values[:-1]).all()) else np.sort(values)
    finished = np.searchsorted(ordered, np.asarray(at_ms, dtype=np.float64), side="right")
    share: NDArray[np.float64] = 1.0 - finished / values.size
    return share


def _check_series(latencies_ms: Mapping[str, object]) -> None:
    if not latencies_ms:
        raise ValueError("latencies_ms must name at least one series, got an empty mapping")
    if len(latencies_ms) > len(STYLE_CYCLE):
        raise ValueError(f"at most {len(STYLE_CYCLE)} series, got {len(latencies_ms)}: {list(latencies_ms)}")


def frame_latency_ccdf(ax: Axes, names: Sequence[str]) -> Axes:
    """The frame of a latency tail: log-log axes from 0.1 ms to 100 s and 0.01% to 100%, the legend of ``names``."""
    _check_series(dict.fromkeys(names))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*LATENCY_RANGE_MS)
    ax.set_ylim(_CCDF_FLOOR, 1.5)
    decades = [0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0]
    ax.set_xticks(decades, [ms_label(ms) for ms in decades], fontsize="small")
    shares = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    ax.set_yticks(shares, ["0.01%", "0.1%", "1%", "10%", "100%"], fontsize="small")
    ax.minorticks_off()
    ax.grid(True, which="major", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("time since the request was sent (x)", fontsize="small")
    ax.set_ylabel("requests not finished by x", fontsize="small")
    ax.set_title("Latency tail and failures", fontsize="medium", y=1.0)
    _legend_below(ax, [style.line([], [], label=name) for name, style in zip(names, STYLE_CYCLE, strict=False)])
    return ax


def draw_latency_ccdf(latencies_ms: Mapping[str, NDArray[np.float64]], ax: Axes | None = None) -> Axes:
    """The curves of a latency tail on a framed Axes, one per series (see ``plot_latency_ccdf``)."""
    _check_series(latencies_ms)
    ax = new_axes(ax, _FIGSIZE)
    for (name, values), style in zip(latencies_ms.items(), STYLE_CYCLE, strict=False):
        share = ccdf(values, CCDF_GRID_MS)
        share[share < _CCDF_FLOOR / 2] = np.nan  # log axes: leave the line where it reaches 0
        ax.add_artist(style.line(CCDF_GRID_MS, share, label=name, gid="ccdf", zorder=3))
    return ax


def plot_latency_ccdf(latencies_ms: Mapping[str, NDArray[np.float64]], ax: Axes | None = None) -> Axes:
    """Axes with, for each series, the share of requests not finished within x, on log-log axes (lesson 01, section 6).

    A failed request (``inf``) never finishes, so a series levels off at its failure rate:
    one curve shows both the latency tail and the availability. Axes run from 0.1 ms to
    100 s and from 0.01% to 100%, the same for every input, so a widget can draw them once.
    Each series is one line with gid "ccdf" and the series' name as its label.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_latency_ccdf({"sync": np.array([5.0, 50.0, np.inf])}, ax=Figure().add_subplot())
        >>> [line.get_label() for line in ax.lines if line.get_gid() == "ccdf"]
        ['sync']
    """
    _check_series(latencies_ms)
    ax = frame_latency_ccdf(new_axes(ax, _FIGSIZE), list(latencies_ms))
    return draw_latency_ccdf(latencies_ms, ax)


def frame_fan_out_risk(ax: Axes) -> Axes:
    """The frame of a fan-out risk chart: N from 1 to 120 on a log axis, 0 to 100%, title and legend."""
    low, high = CALLS_RANGE
    ax.set_xscale("log")
    ax.set_xlim(low, high)
    ax.set_ylim(0.0, 1.0)
    ax.set_xticks([1, 2, 5, 10, 20, 50, 100], ["1", "2", "5", "10", "20", "50", "100"], fontsize="small")
    ax.minorticks_off()
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.tick_params(axis="y", labelsize="small")
    ax.grid(True, which="major", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("calls the request waits on (N)", fontsize="small")
    ax.set_title("A request meets at least one...", fontsize="medium", y=1.0)
    _legend_below(
        ax,
        [
            STYLE_CYCLE[0].line([], [], label=f"slow call: 1 {MINUS} (1 {MINUS} p)ᴺ"),
            STYLE_CYCLE[1].line([], [], label=f"down part: 1 {MINUS} Aᴺ"),
            Line2D([], [], linestyle="none", marker="o", color="0.5", markeredgecolor="black", label="simulated"),
        ],
    )
    return ax


def _checked_risk(
    slow_probability: float, availability: float, calls: int, measured: Mapping[str, float] | None
) -> tuple[float, float]:
    p, a = float(slow_probability), float(availability)
    if not 0.0 <= p <= 1.0 or not 0.0 <= a <= 1.0:
        raise ValueError(
            f"slow_probability and availability must be from 0 to 1, got {slow_probability!r} and {availability!r}"
        )
    checks.integer("calls", calls, *CALLS_RANGE)
    unknown = sorted(set(measured or {}) - {"slow", "down"})
    if unknown:
        raise ValueError(f"measured may name 'slow' and 'down' only, got {unknown}")
    return p, a


def draw_fan_out_risk(
    slow_probability: float,
    availability: float,
    calls: int,
    measured: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The curves, the line at ``calls`` and the simulated dots of a fan-out risk chart (see ``plot_fan_out_risk``)."""
    p, a = _checked_risk(slow_probability, availability, calls, measured)
    low, high = CALLS_RANGE
    ax = new_axes(ax, _FIGSIZE)
    n = np.arange(low, high + 1, dtype=np.float64)
    curves = (("slow", 1.0 - (1.0 - p) ** n, STYLE_CYCLE[0]), ("down", 1.0 - a**n, STYLE_CYCLE[1]))
    for gid, share, style in curves:
        ax.add_artist(style.line(n, share, gid=gid, zorder=3))
    ax.add_artist(Line2D([calls, calls], [0.0, 1.0], color="0.4", linewidth=0.8, linestyle=":", zorder=2))
    if measured is not None:
        for gid, _, style in curves:
            if gid in measured:
                ax.add_artist(
                    Line2D([calls], [measured[gid]], linestyle="none", marker="o", markersize=6,
                           color=style.color, markeredgecolor="black", markeredgewidth=0.6, zorder=4,
                           gid=f"measured-{gid}")
                )  # fmt: skip
    return ax


def plot_fan_out_risk(
    slow_probability: float,
    availability: float,
    calls: int,
    measured: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Axes with the chance that a request meets a slow call, or a down one, against its calls (lesson 01, section 3).

    The curves are 1 - (1 - p)**N (some call is slow, Dean and Barroso 2013) and
    1 - A**N (some part is down: the product rule), for N from 1 to 120 on a log axis.
    A vertical line marks ``calls``; ``measured`` may give simulated values there, as
    {"slow": ..., "down": ...}, drawn as dots. The curves have gids "slow" and "down".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_fan_out_risk(0.01, 0.999, 100, ax=Figure().add_subplot())
        >>> round(float(ax.lines[0].get_ydata()[99]), 3)
        0.634
    """
    _checked_risk(slow_probability, availability, calls, measured)
    ax = frame_fan_out_risk(new_axes(ax, _FIGSIZE))
    return draw_fan_out_risk(slow_probability, availability, calls, measured, ax)
