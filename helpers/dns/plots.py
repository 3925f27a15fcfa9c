"""Figures of lesson 04: the realised split of a weighted policy over time, and staleness after a change.

``plot_*`` functions draw a whole figure on an optional Axes (lesson cells use them). The
DNS explorer redraws both on every move, so each also comes in two parts: ``frame_*``
draws what never changes (axes, ticks, grid, titles, the 1 - t/TTL line), ``draw_*`` the
data (see ``helpers.panels``).
"""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.ticker import PercentFormatter
from numpy.typing import ArrayLike, NDArray

from helpers import checks
from helpers.figures import new_axes

__all__ = [
    "SPLIT_WINDOW_S",
    "STALENESS_RANGE",
    "draw_realised_split",
    "draw_staleness",
    "frame_realised_split",
    "frame_staleness",
    "plot_realised_split",
    "plot_staleness",
]

SPLIT_WINDOW_S = 600.0
"""x range of ``plot_realised_split``: ten minutes."""

STALENESS_RANGE = (0.0, 1.5)
"""x range of ``plot_staleness``, in units of the TTL."""

_SPLIT_SIZE = (5.0, 3.2)
_STALENESS_SIZE = (4.0, 3.2)


def _fraction_series(name: str, values: ArrayLike, size: int | None = None) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0 or (size is not None and array.size != size):
        raise ValueError(f"{name} must be a non-empty 1-d list" + (f" of {size} values" if size else "")
                         + f", got shape {array.shape}")  # fmt: skip
    if np.any(array < -1e-9) or np.any(array > 1 + 1e-9):
        raise ValueError(f"{name} must hold shares from 0 to 1, got {array.min():.3g} to {array.max():.3g}")
    return array


def _split_series(
    times_s: ArrayLike, share: ArrayLike, expected: float
) -> tuple[NDArray[np.float64], NDArray[np.float64], float]:
    t = np.asarray(times_s, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or np.any(t < 0):
        raise ValueError(f"times_s must be a non-empty list of times >= 0, got {times_s!r}")
    values = _fraction_series("share", share, t.size)
    return t, values, checks.fraction("expected", expected)


def _staleness_series(t_over_ttl: ArrayLike, stale: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    x = np.asarray(t_over_ttl, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or np.any(x < 0):
        raise ValueError(f"t_over_ttl must be a non-empty list of values >= 0, got {t_over_ttl!r}")
    return x, _fraction_series("stale", stale, x.size)


def _share_axes(ax: Axes) -> None:
    """What both panels share: 0 to 100% upwards, small tick labels, a light grid below the data."""
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.tick_params(labelsize="small")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)


def frame_realised_split(ax: Axes, label: str = "eu-west") -> Axes:
    """The realised split's frame: 0 to 10 minutes, 0 to 100% sent to ``label``, the title (lesson 04, section 8)."""
    ax.set_xlim(0.0, SPLIT_WINDOW_S)
    ax.set_xticks([0, 120, 240, 360, 480, 600], ["0", "2", "4", "6", "8", "10"])
    _share_axes(ax)
    ax.set_xlabel("time (minutes)", fontsize="small")
    ax.set_ylabel(f"users sent to {label}", fontsize="small")
    ax.set_title("Realised split (solid) vs expected (dashed)", fontsize="medium", y=1.0)
    return ax


def draw_realised_split(times_s: ArrayLike, share: ArrayLike, expected: float, ax: Axes | None = None) -> Axes:
    """The realised split's data on a framed Axes: realised steps, expected line (lesson 04, section 8)."""
    t, values, expected = _split_series(times_s, share, expected)
    ax = new_axes(ax, _SPLIT_SIZE)
    # add_artist, not plot: the limits are fixed, so updating them would be wasted work.
    ax.add_artist(Line2D(t, values, color="#3b75af", linewidth=1.6, drawstyle="steps-post", gid="realised",
                         zorder=3))  # fmt: skip
    ax.add_artist(Line2D([0.0, SPLIT_WINDOW_S], [expected, expected], color="0.25", linestyle="--", linewidth=1.0,
                         gid="expected", zorder=2))  # fmt: skip
    return ax


def plot_realised_split(
    times_s: ArrayLike, share: ArrayLike, expected: float, label: str = "eu-west", ax: Axes | None = None
) -> Axes:
    """Axes with the share of users sent to one endpoint over time, realised and expected (lesson 04, section 8).

    Resolvers hand every user behind them the one answer they cached, so the realised share
    moves in steps at cache expiries around the expected share (dashed). Axes run from 0 to
    600 s and 0 to 100%, the same for every input. The realised line has gid "realised", the
    expected one gid "expected".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_realised_split([0, 300, 600], [0.2, 0.3, 0.25], 0.25, ax=Figure().add_subplot())
        >>> [float(y) for y in ax.lines[0].get_ydata()]
        [0.2, 0.3, 0.25]
    """
    _split_series(times_s, share, expected)  # refuse bad data before drawing anything
    ax = frame_realised_split(new_axes(ax, _SPLIT_SIZE), label)
    return draw_realised_split(times_s, share, expected, ax)


def frame_staleness(ax: Axes) -> Axes:
    """The staleness frame: 0 to 1.5 TTL, 0 to 100%, the title, the dotted 1 - t/TTL (lesson 04, section 5)."""
    line = np.array([0.0, 1.0, STALENESS_RANGE[1]])
    ax.add_artist(Line2D(line, np.clip(1.0 - line, 0.0, 1.0), color="0.3", linestyle=":", linewidth=1.4,
                         gid="one-minus-t-over-ttl", zorder=2))  # fmt: skip
    ax.set_xlim(*STALENESS_RANGE)
    ax.set_xticks([0.0, 0.5, 1.0, 1.5], ["0", "TTL/2", "TTL", "1.5 TTL"])
    _share_axes(ax)
    ax.set_xlabel("time since the change", fontsize="small")
    ax.set_ylabel("users still on the old record", fontsize="small")
    ax.set_title("After a change: 1 - t/TTL (dotted)", fontsize="medium", y=1.0)
    return ax


def draw_staleness(t_over_ttl: ArrayLike, stale: ArrayLike, ax: Axes | None = None) -> Axes:
    """The simulated share still on the old record, as steps on a framed Axes (lesson 04, section 5)."""
    x, values = _staleness_series(t_over_ttl, stale)
    ax = new_axes(ax, _STALENESS_SIZE)
    ax.add_artist(Line2D(x, values, color="#b3261e", linewidth=1.6, drawstyle="steps-post", gid="stale", zorder=3))
    return ax


def plot_staleness(t_over_ttl: ArrayLike, stale: ArrayLike, ax: Axes | None = None) -> Axes:
    """Axes with the share of users still on the old record after a change, against t / TTL (lesson 04, section 5).

    The simulated share is a step line (gid "stale"); the dotted line is the expectation
    max(0, 1 - t/TTL) (gid "one-minus-t-over-ttl"), reached at t = TTL. Axes run from 0 to
    1.5 TTL and 0 to 100%, the same for every input.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_staleness([0.0, 0.5, 1.0], [1.0, 0.5, 0.0], ax=Figure().add_subplot())
        >>> [float(y) for y in ax.lines[-1].get_ydata()]
        [1.0, 0.5, 0.0]
    """
    _staleness_series(t_over_ttl, stale)  # refuse bad data before drawing anything
    ax = frame_staleness(new_axes(ax, _STALENESS_SIZE))
    return draw_staleness(t_over_ttl, stale, ax)
