"""What every unit's plots share: colours, line styles, fast bars and a few layout helpers.

Each unit's ``plots`` module draws its own figures with these. A plot function takes an
optional ``ax``, draws on it (or on a new figure when it is None) and returns the Axes; it
never calls ``plt.show()`` or changes ``rcParams``. Plots an explorer redraws on every slider
move come in two parts, ``frame_*`` (what never changes) and ``draw_*`` (the data), so the
explorer draws the frame once (see ``helpers.panels``).

Examples:
    >>> node_colors(3).shape
    (3, 4)
    >>> short_labels(["node-9", "node-10", "node-11"])
    (['9', '10', '11'], 'node-')
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from matplotlib.transforms import ScaledTranslation, Transform
from numpy.typing import ArrayLike, NDArray

__all__ = [
    "STYLE_CYCLE",
    "Style",
    "bars",
    "new_axes",
    "node_colors",
    "shifted",
    "short_labels",
]


def _palette() -> NDArray[np.float64]:
    # Dark shades first, then light ones: neighbouring nodes (node-3, node-4) never get two
    # shades of one hue. The first 10 are the tab10 colours with grey moved last, so no
    # early node looks greyed out.
    tab20 = colormaps["tab20"](np.arange(20))
    tab20b = colormaps["tab20b"](np.arange(20))
    hues = [0, 1, 2, 3, 4, 5, 6, 8, 9, 7]
    dark, light = tab20[0::2][hues], tab20[1::2][hues]
    parts = [dark, light, tab20b[0::4], tab20b[2::4], tab20b[1::4], tab20b[3::4]]
    palette: NDArray[np.float64] = np.concatenate(parts).astype(np.float64)
    return palette


_PALETTE = _palette()


def node_colors(count: int) -> NDArray[np.float64]:
    """RGBA colour of each of ``count`` nodes: 40 distinct colours, then they repeat.

    Node i gets the same colour in every plot, so a node keeps its colour on the ring,
    in the bar chart and from one slider position to the next.

    Examples:
        >>> bool((node_colors(41)[40] == node_colors(1)[0]).all())
        True
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    colors: NDArray[np.float64] = _PALETTE[np.arange(int(count)) % _PALETTE.shape[0]]
    return colors


@dataclass(frozen=True)
class Style:
    """A line's look: colour, dash and width; ``line`` makes a Line2D in it."""

    color: str
    linestyle: Literal["-", "--", ":"]
    linewidth: float

    def line(self, x: ArrayLike, y: ArrayLike, **kwargs: Any) -> Line2D:
        """A Line2D through (x, y) in this style; ``kwargs`` go to Line2D (label, zorder, ...)."""
        return Line2D(x, y, color=self.color, linestyle=self.linestyle, linewidth=self.linewidth, **kwargs)


STYLE_CYCLE = (
    Style("#3b75af", "-", 1.8),
    Style("#e07b28", "-", 1.8),
    Style("#6a9f58", "--", 1.4),
    Style("#8c6bb1", ":", 1.4),
)
"""The styles of a figure's first four series, in order: tell apart in colour and in grey."""


def new_axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    """``ax`` itself, or the Axes of a new pyplot figure of ``figsize`` inches."""
    if ax is not None:
        return ax
    import matplotlib.pyplot as plt  # only standalone plots need pyplot

    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def short_labels(names: Sequence[str]) -> tuple[list[str], str]:
    """Labels without the names' common prefix up to a separator ("node-3" -> "3"), and the prefix.

    The prefix is cut back to its last separator, so "node-10" and "node-11" keep "10"
    and "11" rather than losing a digit.
    """
    if len(names) < 2:
        return list(names), ""
    first, last = min(names), max(names)
    length = 0
    while length < min(len(first), len(last)) and first[length] == last[length]:
        length += 1
    prefix = first[: max(first.rfind(separator, 0, length) for separator in "-_ :#/.") + 1]
    if not prefix:
        return list(names), ""
    return [name[len(prefix) :] for name in names], prefix


def shifted(ax: Axes, transform: Transform, x_points: float, y_points: float) -> Transform:
    """``transform`` moved by a fixed distance in points, whatever the figure's size or dpi."""
    figure = ax.get_figure()
    if figure is None:
        raise ValueError("the Axes must belong to a figure")
    return transform + ScaledTranslation(x_points / 72.0, y_points / 72.0, figure.dpi_scale_trans)


def bars(
    ax: Axes,
    x: NDArray[np.float64],
    heights: NDArray[np.float64],
    width: float,
    colors: object,
    bottom: float = 0.0,
    gid: str | None = None,
) -> PolyCollection:
    """Bars as one PolyCollection: one artist to create and draw, however many bars.

    ``Axes.bar`` makes one Rectangle per bar and updates the data limits for each, which
    costs more than the rest of a widget's redraw when there are 30 bars.
    """
    left, right = x - width / 2.0, x + width / 2.0
    zero = np.full_like(heights, bottom)
    corners = np.stack(
        [np.column_stack(pair) for pair in ((left, zero), (left, heights), (right, heights), (right, zero))],
        axis=1,
    )
    collection = PolyCollection(list(corners), facecolors=colors, edgecolors="none", gid=gid)
    ax.add_collection(collection, autolim=False)
    return collection
