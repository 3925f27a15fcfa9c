"""Figures of lesson 03: duplicate orders created by retries, and orders created per strategy.

``plot_*`` functions draw a whole figure on an optional Axes (lesson cells use them). The
two panels the retry explorer redraws on every move also come in two parts: ``frame_*``
draws what never changes (axes, ticks, titles, legends, the q line and the "one per
order" line), ``draw_*`` the data (see ``helpers.panels``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle
from matplotlib.ticker import PercentFormatter
from numpy.typing import ArrayLike

from helpers import checks
from helpers.figures import Style, new_axes
from helpers.rest.model import STRATEGIES

__all__ = [
    "CREATED_MAX",
    "LOSS_RATE_RANGE",
    "draw_created",
    "draw_duplicates",
    "frame_created",
    "frame_duplicates",
    "plot_created",
    "plot_duplicates",
]

LOSS_RATE_RANGE = (0.0, 0.5)
"""x range of ``plot_duplicates``: share of responses lost."""

CREATED_MAX = 2.2
"""y range of ``plot_created`` ends here: orders created per order intended."""

_STRATEGY_STYLES = {
    "POST": Style("#b3261e", "-", 2.0),
    "PUT": Style("#3b75af", "-", 3.0),
    "POST + Idempotency-Key": Style("#6a9f58", "--", 1.8),
}
_Q_LINE = Style("0.55", ":", 1.2)
_EXPECTED_LINE = Style("0.25", "--", 1.0)


def _strategy_style(name: str) -> Style:
    return _STRATEGY_STYLES[checks.choice("strategy", name, tuple(_STRATEGY_STYLES))]


# --- duplicates against the loss rate -------------------------------------------------------


def frame_duplicates(ax: Axes, strategies: Sequence[str] = STRATEGIES) -> Axes:
    """The frame of a duplicates chart: 0 to 50% by 0 to 1, the q line, the title and the legend below.

    The q line (q·N duplicates: exact for one retry) is the same for every input, so it
    is part of the frame, below everything that changes.
    """
    handles = [_strategy_style(name).line([], [], label=name) for name in strategies]
    grid = np.linspace(*LOSS_RATE_RANGE, 101)
    ax.add_artist(_Q_LINE.line(grid, grid, gid="q-line", zorder=1.5))
    ax.set_xlim(*LOSS_RATE_RANGE)
    ax.set_ylim(0.0, 1.0)
    ax.set_xticks([0.0, 0.1, 0.2, 0.3, 0.4, 0.5])
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.tick_params(labelsize="small")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("responses lost (q)", fontsize="small")
    ax.set_ylabel("duplicate orders per order", fontsize="small")
    ax.set_title("Duplicates created by retries", fontsize="medium", y=1.0)
    # Below the axes, so no curve ever hides behind it.
    ax.legend(
        handles=[
            *handles,
            _Q_LINE.line([], [], label="q·N (one retry)"),
            _EXPECTED_LINE.line([], [], label="expected POST: q + … + qᴿ"),
        ],
        loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )  # fmt: skip
    return ax


def draw_duplicates(
    loss_rates: ArrayLike,
    duplicates: Mapping[str, ArrayLike],
    requests: int,
    retries: int,
    loss_rate: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The data of a duplicates chart on a framed Axes: curves, expectation, current q (see ``plot_duplicates``)."""
    rates = np.asarray(loss_rates, dtype=np.float64)
    requests = checks.count("requests", requests)
    retries = checks.count("retries", retries, minimum=0)
    if not duplicates:
        raise ValueError("duplicates must name at least one strategy, got an empty mapping")
    ax = new_axes(ax, (5.0, 3.5))
    for name, counts in duplicates.items():
        style = _strategy_style(name)
        values = np.asarray(counts, dtype=np.float64)
        if values.shape != rates.shape:
            raise ValueError(f"duplicates[{name!r}] has shape {values.shape}, loss_rates {rates.shape}")
        ax.add_artist(style.line(rates, values / requests, label=name, gid="duplicates", zorder=3))
        if loss_rate is not None:
            at = int(np.argmin(np.abs(rates - loss_rate)))
            ax.add_artist(
                Line2D([rates[at]], [values[at] / requests], linestyle="none", marker="o", markersize=6,
                       color=style.color, markeredgecolor="black", markeredgewidth=0.6, zorder=4,
                       gid=f"current-{name}")
            )  # fmt: skip
    grid = np.linspace(*LOSS_RATE_RANGE, 101)
    exact = sum((grid**k for k in range(1, retries + 1)), start=np.zeros_like(grid))
    ax.add_artist(_EXPECTED_LINE.line(grid, exact, gid="expected", zorder=2))
    if loss_rate is not None:
        ax.add_artist(Line2D([loss_rate, loss_rate], [0.0, 1.0], color="0.4", linewidth=0.8, linestyle=":", zorder=1.8))
    return ax


def plot_duplicates(
    loss_rates: ArrayLike,
    duplicates: Mapping[str, ArrayLike],
    requests: int,
    retries: int,
    loss_rate: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Axes with duplicate orders per order against the loss rate, for each way of creating (lesson 03, section 5).

    ``duplicates`` maps a strategy ("POST", "PUT", "POST + Idempotency-Key") to the
    duplicates counted at each loss rate; they are drawn divided by ``requests``. The
    dotted line is q (that is q·N duplicates: one per lost first response), the dashed
    one the exact expectation for POST with ``retries`` retries, q + q² + ... + qᴿ. A
    vertical line and dots mark ``loss_rate``. Axes run from 0 to 50% and 0 to 1, the
    same for every input. Curves have gid "duplicates", the expectation gid "expected".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_duplicates([0.0, 0.5], {"POST": [0, 50]}, 100, 1, ax=Figure().add_subplot())
        >>> [float(y) for y in ax.lines[0].get_ydata()]
        [0.0, 0.5]
    """
    ax = draw_duplicates(loss_rates, duplicates, requests, retries, loss_rate, new_axes(ax, (5.0, 3.5)))
    return frame_duplicates(ax, list(duplicates))  # second: the data's checks name the bad input first


# --- orders created per strategy ------------------------------------------------------------


def frame_created(ax: Axes, strategies: Sequence[str] = STRATEGIES) -> Axes:
    """The frame of an orders-created chart: a slot per strategy, 0 to 2.2, the title and the line at 1."""
    for name in strategies:
        _strategy_style(name)
    ax.add_artist(Line2D([-0.5, len(strategies) - 0.5], [1.0, 1.0], color="0.3", linestyle="--", linewidth=1.0,
                         gid="one-per-request", zorder=2))  # fmt: skip
    ax.set_xlim(-0.5, len(strategies) - 0.5)
    ax.set_ylim(0.0, CREATED_MAX)
    ax.set_xticks(range(len(strategies)), [name.replace(" + ", "\n+ ") for name in strategies], fontsize="x-small")
    ax.set_yticks([0.0, 0.5, 1.0, 1.5, 2.0])
    ax.tick_params(axis="y", labelsize="small")
    ax.grid(True, axis="y", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_ylabel("orders created per order", fontsize="small")
    ax.set_title("Orders created per order placed", fontsize="medium", y=1.0)
    return ax


def draw_created(created: Mapping[str, int], requests: int, ax: Axes | None = None) -> Axes:
    """The bars of an orders-created chart on a framed Axes, each labelled with its count (see ``plot_created``)."""
    requests = checks.count("requests", requests)
    if not created:
        raise ValueError("created must name at least one strategy, got an empty mapping")
    ax = new_axes(ax, (4.0, 3.5))
    for position, name in enumerate(created):
        count = int(created[name])
        if count < 0:
            raise ValueError(f"created[{name!r}] must be >= 0, got {count}")
        ratio = count / requests
        # What ax.bar draws, without its container and its data-limit updates (the limits are fixed).
        ax.add_artist(Rectangle((position - 0.3, 0.0), 0.6, ratio, facecolor=_strategy_style(name).color,
                                edgecolor="none", gid="created", zorder=3))  # fmt: skip
        extra = count - requests
        ax.text(position, ratio + 0.04, f"{count:,}" + (f"\n(+{extra:,})" if extra > 0 else ""),
                ha="center", va="bottom", fontsize="x-small", zorder=4)  # fmt: skip
    return ax


def plot_created(created: Mapping[str, int], requests: int, ax: Axes | None = None) -> Axes:
    """Axes with one bar per strategy: orders created per order intended, with the counts (lesson 03, "Explore").

    A dashed line at 1 marks "one order per request". The axes and title are the same
    whatever the input (0 to 2.2). Bars have gid "created".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_created({"POST": 130, "PUT": 100}, 100, ax=Figure().add_subplot())
        >>> [round(float(bar.get_height()), 2) for bar in ax.patches]
        [1.3, 1.0]
    """
    ax = draw_created(created, requests, new_axes(ax, (4.0, 3.5)))
    return frame_created(ax, list(created))  # second: the data's checks name the bad input first
