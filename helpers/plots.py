"""Plots for the lessons: each takes an optional Axes, draws on it and returns it.

Every function here draws on the ``ax`` it is given, or on a new figure when ``ax`` is None,
and returns the Axes. None of them calls ``plt.show()`` or changes ``rcParams``, so they
work the same in a notebook, in a widget that renders to PNG, and in a test.

They are also fast enough to redraw inside a widget on every slider move: they draw a
handful of artists (one collection for hundreds of points, one for all the bars), never
one artist per point, and they skip matplotlib conveniences that cost more than the
drawing itself (see the comments where they do).

Sections:
    * shared: node colours
    * lesson 08: consistent hashing (ring, loads per node, keys moved, balance vs v)
    * lesson 01: interprocess communication (latency tail and failures, fan-out risk)
    * lesson 02: RPC (bytes on the wire, local vs remote call latency, chatty vs batched)
    * lesson 03: REST (duplicates created by retries, orders created per strategy)
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import matplotlib.pyplot as plt
import numpy as np
from matplotlib import colormaps
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection, PolyCollection
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Circle
from matplotlib.ticker import PercentFormatter
from matplotlib.transforms import IdentityTransform, ScaledTranslation, Transform
from numpy.typing import ArrayLike, NDArray

from helpers.hashing import (
    HASH_SPACE,
    HashRing,
    Keys,
    coefficient_of_variation,
    hash_keys,
    max_over_mean,
)

__all__ = [
    "ccdf",
    "node_colors",
    "plot_balance_vs_virtual_nodes",
    "plot_call_latency",
    "plot_chatty_vs_batched",
    "plot_created",
    "plot_duplicates",
    "plot_fan_out_risk",
    "plot_latency_ccdf",
    "plot_loads",
    "plot_moved",
    "plot_ring",
    "plot_wire_sizes",
]


# --- shared: node colours -------------------------------------------------------------------


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
        >>> node_colors(3).shape
        (3, 4)
        >>> bool((node_colors(41)[40] == node_colors(1)[0]).all())
        True
    """
    if isinstance(count, bool) or not isinstance(count, (int, np.integer)) or count < 0:
        raise ValueError(f"count must be an int >= 0, got {count!r}")
    colors: NDArray[np.float64] = _PALETTE[np.arange(int(count)) % _PALETTE.shape[0]]
    return colors


def _axes(ax: Axes | None, figsize: tuple[float, float]) -> Axes:
    if ax is not None:
        return ax
    _, new_ax = plt.subplots(figsize=figsize)
    return new_ax


def _short_labels(names: Sequence[str]) -> tuple[list[str], str]:
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


# --- lesson 08: consistent hashing ----------------------------------------------------------

_RING_RADIUS = 1.0
_HIGHLIGHT_RADIUS = 1.09
_KEY_RADIUS = 0.86
_LEGEND_MAX_NODES = 10
# Keys are octagons (round at these sizes, a third faster to draw than "o"); ring points
# are squares (faster still, and a shape that tells them apart from keys).
_DOT = MarkerStyle((8, 0, 0))
_SQUARE = MarkerStyle("s")


def _ring_xy(hashes: NDArray[np.uint64], radius: float) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    # Position 0 is at 12 o'clock and positions grow clockwise, like a clock face.
    angle = hashes.astype(np.float64) * (2.0 * math.pi / HASH_SPACE)
    return radius * np.sin(angle), radius * np.cos(angle)


def _highlighted(ring: HashRing, highlight: str | Collection[str] | None) -> set[str]:
    if highlight is None:
        return set()
    names = {highlight} if isinstance(highlight, str) else set(highlight)
    unknown = sorted(names - set(ring.nodes))
    if unknown:
        raise ValueError(f"highlight names nodes {unknown} that are not on the ring {list(ring.nodes)}")
    return names


def _dots(
    ax: Axes,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    colors: NDArray[np.float64],
    size: float,
    zorder: float,
    gid: str,
    edge: bool = False,
    marker: MarkerStyle = _DOT,
) -> PathCollection:
    """What ``ax.scatter(x, y, s=size**2, c=colors, marker=marker)`` draws, made 7 times faster.

    ``scatter`` also masks invalid values and updates the data limits; plot_ring needs
    neither (its positions are finite and its limits fixed).
    """
    dots = PathCollection(
        [marker.get_path().transformed(marker.get_transform())], sizes=[size**2],
        offsets=np.column_stack([x, y]), offset_transform=ax.transData, facecolors=colors,
        edgecolors="black" if edge else "none", linewidths=0.4 if edge else 0.0, zorder=zorder, gid=gid,
    )
    dots.set_transform(IdentityTransform())  # sizes are in points, as in scatter
    ax.add_collection(dots, autolim=False)
    return dots


def _ring_points(
    ax: Axes,
    x: NDArray[np.float64],
    y: NDArray[np.float64],
    owner: NDArray[np.intp],
    colors: NDArray[np.float64],
    size: float,
    zorder: float,
    edge: bool = False,
    gid: str = "ring-points",
    marker: MarkerStyle = _SQUARE,
) -> None:
    """Ring points as markers in their node's colour, drawn the faster of two ways.

    One collection of dots is one artist, but Agg draws it dot by dot (~7 µs each); one
    Line2D of markers per node costs ~0.4 ms to create but stamps a pre-drawn marker
    (~1 µs each). So nodes with 100 points or more get a Line2D each.
    """
    if x.shape[0] == 0:
        return
    present = np.unique(owner)
    if x.shape[0] < 100 * present.shape[0]:
        # In ring order, so where points overlap no node is always the one on top.
        _dots(ax, x, y, colors[owner], size, zorder, gid=gid, edge=edge, marker=marker)
        return
    order = np.argsort(owner, kind="stable")
    owner, x, y = owner[order], x[order], y[order]
    bounds = np.searchsorted(owner, [*present.tolist(), present[-1] + 1])
    for index, start, stop in zip(present.tolist(), bounds[:-1].tolist(), bounds[1:].tolist(), strict=True):
        line = Line2D(
            x[start:stop], y[start:stop], linestyle="none", marker=marker, markersize=size,
            color=colors[index], markeredgecolor="black" if edge else "none", markeredgewidth=0.4,
            zorder=zorder, gid=gid,
        )
        ax.add_artist(line)  # not add_line: the limits are fixed, so skip updating them


def plot_ring(
    ring: HashRing,
    keys: Keys | None = None,
    moved: NDArray[np.bool_] | None = None,
    highlight: str | Collection[str] | None = None,
    ax: Axes | None = None,
    legend: bool | None = None,
) -> Axes:
    """Axes showing the ring: every point of every node, and keys coloured by their node.

    Positions go clockwise from 0 at 12 o'clock round to 2**64. Each ring point (virtual
    node) is a square in its node's colour; each key is a small dot just inside the circle
    in the colour of the node that owns it. Keys flagged in ``moved`` get a black ring.
    The points of the ``highlight`` node (or nodes) are drawn again, larger, just outside
    the circle. ``legend=None`` shows a legend only for up to 10 nodes.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ring = HashRing(["a", "b", "c"], virtual_nodes=4)
        >>> ax = plot_ring(ring, keys=range(20), highlight="b", ax=Figure().add_subplot())
        >>> [(dots.get_gid(), len(dots.get_offsets())) for dots in ax.collections]
        [('ring-points', 12), ('highlight', 4), ('keys', 20)]
    """
    ax = _axes(ax, (5.0, 5.0))
    colors = node_colors(len(ring.nodes))
    positions, owners = ring.positions, ring.owners
    big = _highlighted(ring, highlight)
    x, y = _ring_xy(positions, _RING_RADIUS)

    # The circle and the mark at 0 have gid "ring-frame": they never change, so a widget may
    # draw them once. The limits are fixed, so artists go in with add_artist (add_patch and
    # add_line would update the data limits, for nothing).
    frame = "ring-frame"
    ax.add_artist(
        Circle((0.0, 0.0), _RING_RADIUS, fill=False, edgecolor="0.75", linewidth=1.0, zorder=1, gid=frame)
    )
    ax.add_artist(
        Line2D([0.0, 0.0], [_RING_RADIUS + 0.03, _RING_RADIUS + 0.17], color="0.35", zorder=1, gid=frame)
    )
    ax.text(
        0.0, _RING_RADIUS + 0.18, "0", ha="center", va="bottom", fontsize="small", color="0.35", zorder=1,
        gid=frame,
    )

    size = float(np.clip(160.0 / math.sqrt(positions.shape[0]), 3.0, 9.0))  # smaller when crowded
    _ring_points(ax, x, y, owners, colors, size, zorder=3)
    if big:
        # The highlighted nodes' points again, larger and just outside the circle: larger
        # points on the circle would hide their neighbours wherever the ring is crowded.
        is_big = np.isin(owners, [ring.nodes.index(name) for name in big])
        bx, by = _ring_xy(positions[is_big], _HIGHLIGHT_RADIUS)
        _ring_points(
            ax, bx, by, owners[is_big], colors, 0.9 * size + 1.0, zorder=4, edge=True, gid="highlight", marker=_DOT
        )

    if keys is not None:
        hashes = hash_keys(keys)
        key_owner = ring.place_hashes(hashes).node_index
        kx, ky = _ring_xy(hashes, _KEY_RADIUS)
        _dots(ax, kx, ky, colors[key_owner], 3.0, zorder=5, gid="keys")
        if moved is not None:
            moved_mask = np.asarray(moved, dtype=bool)
            if moved_mask.shape != hashes.shape:
                raise ValueError(
                    f"moved must hold one flag per key ({hashes.shape[0]} keys), got shape {moved_mask.shape}"
                )
            ax.add_artist(
                Line2D(
                    kx[moved_mask], ky[moved_mask], linestyle="none", marker="o", markersize=5.5,
                    markerfacecolor="none", markeredgecolor="black", markeredgewidth=0.9, zorder=6, gid="moved",
                )
            )

    if legend is None:
        legend = len(ring.nodes) <= _LEGEND_MAX_NODES
    if legend:
        handles = [
            Line2D([], [], linestyle="", marker="s", markersize=6, color=colors[i], label=name)
            for i, name in enumerate(ring.nodes)
        ]
        if moved is not None:
            handles.append(
                Line2D([], [], linestyle="", marker="o", markersize=5.5, markerfacecolor="none",
                       markeredgecolor="black", label="moved key")
            )
        ax.legend(
            handles=handles, loc="center", fontsize="x-small", frameon=False,
            ncols=2 if len(handles) > 5 else 1, handletextpad=0.2, columnspacing=0.8, labelspacing=0.3,
        )

    title = f"Ring: {len(ring.nodes)} nodes, {ring.virtual_nodes} points each"
    ax.set_title(title, fontsize="medium", y=1.0)  # an explicit y skips a costly title placement
    limit = _RING_RADIUS + 0.28
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def _shifted(ax: Axes, transform: Transform, x_points: float, y_points: float) -> Transform:
    """``transform`` moved by a fixed distance in points, whatever the figure's size or dpi."""
    figure = ax.get_figure()
    if figure is None:
        raise ValueError("the Axes must belong to a figure")
    return transform + ScaledTranslation(x_points / 72.0, y_points / 72.0, figure.dpi_scale_trans)


def _bars(
    ax: Axes, x: NDArray[np.float64], heights: NDArray[np.float64], width: float, colors: object, gid: str
) -> PolyCollection:
    """Bars as one PolyCollection: one artist to create and draw, however many bars.

    ``Axes.bar`` makes one Rectangle per bar and updates the data limits for each, which
    costs more than the rest of a widget's redraw when there are 30 bars.
    """
    left, right = x - width / 2.0, x + width / 2.0
    zero = np.zeros_like(heights)
    corners = np.stack(
        [np.column_stack(pair) for pair in ((left, zero), (left, heights), (right, heights), (right, zero))],
        axis=1,
    )
    bars = PolyCollection(list(corners), facecolors=colors, edgecolors="none", gid=gid)
    ax.add_collection(bars, autolim=False)
    return bars


def plot_loads(loads: Mapping[str, int], virtual_nodes: int | None = None, ax: Axes | None = None) -> Axes:
    """Axes with one bar per node (its number of keys) and a dashed line at the mean (keys per node).

    The title gives max/mean and the coefficient of variation (CV); with ``virtual_nodes``
    it also gives the 1/sqrt(v) that theory predicts for the CV. Bar i has node colour i,
    so bars match ``plot_ring`` when ``loads`` comes from ``load_per_node``. The bars are
    one collection with gid "bars", one path per node.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_loads({"a": 90, "b": 110}, virtual_nodes=100, ax=Figure().add_subplot())
        >>> len(ax.collections[0].get_paths()), ax.get_title()
        (2, 'max/mean 1.10 · CV 0.100 (1/√v = 0.100)')
    """
    if not loads:
        raise ValueError("loads must name at least one node, got an empty mapping")
    if virtual_nodes is not None and (
        isinstance(virtual_nodes, bool) or not isinstance(virtual_nodes, (int, np.integer)) or virtual_nodes < 1
    ):
        raise ValueError(f"virtual_nodes must be an int >= 1 or None, got {virtual_nodes!r}")
    ax = _axes(ax, (6.0, 3.5))
    names = list(loads)
    values = np.fromiter(loads.values(), dtype=np.float64, count=len(names))
    ratio, cv = max_over_mean(values), coefficient_of_variation(values)
    mean = float(values.mean())

    x = np.arange(len(names), dtype=np.float64)
    _bars(ax, x, values, 0.8, node_colors(len(names)), gid="bars")
    ax.add_artist(  # what axhline draws, without its data-limit update
        Line2D([0.0, 1.0], [mean, mean], transform=ax.get_yaxis_transform(), color="black",
               linestyle="--", linewidth=1.0, zorder=3)
    )

    title = f"max/mean {ratio:.2f} · CV {cv:.3f}"
    if virtual_nodes is not None:
        title += f" (1/√v = {1.0 / math.sqrt(virtual_nodes):.3f})"
    ax.set_title(title, fontsize="medium", y=1.0)  # an explicit y skips a costly title placement

    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylim(0.0, float(values.max()) * 1.12)

    # Labels are plain texts, not tick labels: an Axis measures each tick label before
    # drawing it, which makes it three times slower, and a widget redraws this chart on
    # every slider move. At most 6 nodes are labelled, so labels never collide.
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines[["top", "right"]].set_visible(False)
    below = _shifted(ax, ax.get_xaxis_transform(), 0.0, -3.0)
    labels, prefix = _short_labels(names)
    step = max(1, math.ceil(len(names) / 6))
    for xi, label in zip(x[::step].tolist(), labels[::step], strict=True):
        ax.text(xi, 0.0, label, transform=below, ha="center", va="top", fontsize="small")
    left = _shifted(ax, ax.get_yaxis_transform(), -3.0, 0.0)
    # The axis name and the 0 have gid "loads-frame": for one kind of node name they never
    # change, so a widget may draw them once.
    ax.text(0.5, 0.0, prefix.rstrip("-_ #:") or "node", ha="center", va="top", fontsize="small",
            transform=_shifted(ax, ax.transAxes, 0.0, -16.0), gid="loads-frame")
    ax.text(0.0, 0.0, "0", ha="right", va="center", fontsize="small", transform=left, gid="loads-frame")
    ax.text(0.0, mean, f"mean\n{mean:,.0f}", ha="right", va="center", fontsize="small", transform=left)
    return ax


_MEASURED_COLOR = "#3b75af"
_EXPECTED_COLOR = "#b0b0b0"


def plot_moved(measured: Mapping[str, float], expected: Mapping[str, float], ax: Axes | None = None) -> Axes:
    """Axes with grouped bars: the fraction of keys moved, measured vs expected, per scheme.

    The bars are two collections, gid "measured" and "expected", one path per scheme;
    each bar has its value written on it, as a percentage.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_moved({"ring": 0.1, "mod-N": 0.9}, {"ring": 0.11, "mod-N": 0.89},
        ...                 ax=Figure().add_subplot())
        >>> [(bars.get_gid(), len(bars.get_paths())) for bars in ax.collections]
        [('measured', 2), ('expected', 2)]
    """
    schemes = list(measured)
    if not schemes:
        raise ValueError("measured must name at least one scheme, got an empty mapping")
    if set(expected) != set(schemes):
        raise ValueError(f"expected must name the same schemes as measured {schemes}, got {list(expected)}")
    for label, table in (("measured", measured), ("expected", expected)):
        for scheme, value in table.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{label}[{scheme!r}] must be a fraction in [0, 1], got {value!r}")
    ax = _axes(ax, (4.0, 3.5))
    x = np.arange(len(schemes), dtype=np.float64)
    width = 0.38
    series = (
        ("measured", np.array([measured[s] for s in schemes]), _MEASURED_COLOR, -width / 2),
        ("expected", np.array([expected[s] for s in schemes]), _EXPECTED_COLOR, width / 2),
    )
    for label, values, color, offset in series:
        _bars(ax, x + offset, values, width, color, gid=label).set_label(label)
        for xi, value in zip((x + offset).tolist(), values.tolist(), strict=True):
            inside = value > 0.85  # near the top: write on the bar instead of above it
            ax.text(
                xi, value - 0.02 if inside else value + 0.02, f"{value:.1%}",
                ha="center", va="top" if inside else "bottom", fontsize="x-small",
                color="white" if inside and label == "measured" else "black",
            )
    ax.set_xticks(x, schemes, fontsize="small")
    ax.set_xlim(-0.6, len(schemes) - 0.4)
    ax.set_ylim(0.0, 1.0)
    ax.set_yticks([0.0, 0.5, 1.0])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.tick_params(axis="y", labelsize="small")
    ax.set_title("Keys moved", fontsize="medium", y=1.0)
    # Below the axes, so no bar (a ring can move 90% of keys too) ever hides behind it.
    ax.legend(
        loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize="x-small", frameon=False,
        handlelength=1.0, borderaxespad=0.0,
    )
    return ax


def plot_balance_vs_virtual_nodes(
    virtual_nodes: Sequence[int], cv: Sequence[float], ax: Axes | None = None
) -> Axes:
    """Axes with the measured CV of loads against v on log-log axes, next to 1/sqrt(v).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_balance_vs_virtual_nodes([1, 10, 100], [0.9, 0.3, 0.1], ax=Figure().add_subplot())
        >>> ax.get_xscale(), len(ax.lines)
        ('log', 2)
    """
    v = np.asarray(virtual_nodes, dtype=np.float64)
    measured = np.asarray(cv, dtype=np.float64)
    if v.ndim != 1 or v.shape != measured.shape or v.size == 0:
        raise ValueError(
            f"virtual_nodes and cv must be two non-empty lists of one length, got {v.shape} and {measured.shape}"
        )
    if np.any(v < 1) or np.any(measured <= 0):
        raise ValueError(f"virtual_nodes must be >= 1 and cv > 0 (log axes), got {list(v)} and {list(measured)}")
    ax = _axes(ax, (5.0, 3.5))
    ax.plot(v, measured, marker="o", label="measured CV")
    grid = np.geomspace(v.min(), v.max(), 50)
    ax.plot(grid, 1.0 / np.sqrt(grid), color="black", linestyle="--", linewidth=1.0, label="1/√v")
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("virtual nodes per node (v)")
    ax.set_ylabel("CV of keys per node")
    ax.set_title("Balance improves as 1/√v")
    ax.legend(frameon=False)
    return ax


# --- lesson 01: interprocess communication -------------------------------------------------

LATENCY_RANGE_MS = (0.1, 100_000.0)
"""x range of ``plot_latency_ccdf``: 0.1 ms to 100 s."""

CALLS_RANGE = (1, 120)
"""x range of ``plot_fan_out_risk``: calls a request waits on."""

_CCDF_FLOOR = 1e-4
_CCDF_GRID = np.geomspace(*LATENCY_RANGE_MS, 240)
_MINUS = "\u2212"  # the typographic minus sign, for labels


@dataclass(frozen=True)
class _Style:
    color: str
    linestyle: Literal["-", "--", ":"]
    linewidth: float

    def line(self, x: ArrayLike, y: ArrayLike, **kwargs: Any) -> Line2D:
        return Line2D(x, y, color=self.color, linestyle=self.linestyle, linewidth=self.linewidth, **kwargs)


_STYLE_CYCLE = (
    _Style("#3b75af", "-", 1.8),
    _Style("#e07b28", "-", 1.8),
    _Style("#6a9f58", "--", 1.4),
    _Style("#8c6bb1", ":", 1.4),
)


def _duration_label(ms: float) -> str:
    return f"{ms / 1000:g} s" if ms >= 1000 else f"{ms:g} ms"


def ccdf(latencies_ms: NDArray[np.float64], at_ms: NDArray[np.float64]) -> NDArray[np.float64]:
    """Share of requests not finished within each time in ``at_ms`` (failures, ``inf``, never finish).

    Examples:
        >>> ccdf(np.array([1.0, 2.0, np.inf, 4.0]), np.array([0.5, 1.0, 3.0, 10.0])).tolist()
        [1.0, 0.75, 0.5, 0.25]
    """
    values = np.asarray(latencies_ms, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or np.isnan(values).any():
        raise ValueError(f"latencies_ms must be a non-empty 1-D array without NaN, got shape {values.shape}")
    ordered = np.sort(values)
    finished = np.searchsorted(ordered, np.asarray(at_ms, dtype=np.float64), side="right")
    share: NDArray[np.float64] = 1.0 - finished / values.size
    return share


def plot_latency_ccdf(latencies_ms: Mapping[str, NDArray[np.float64]], ax: Axes | None = None) -> Axes:
    """Axes with, for each series, the share of requests not finished within x, on log-log axes.

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
    if not latencies_ms:
        raise ValueError("latencies_ms must name at least one series, got an empty mapping")
    if len(latencies_ms) > len(_STYLE_CYCLE):
        raise ValueError(f"at most {len(_STYLE_CYCLE)} series, got {len(latencies_ms)}: {list(latencies_ms)}")
    ax = _axes(ax, (5.0, 3.5))
    for (name, values), style in zip(latencies_ms.items(), _STYLE_CYCLE, strict=False):
        share = ccdf(values, _CCDF_GRID)
        share[share < _CCDF_FLOOR / 2] = np.nan  # log axes: leave the line where it reaches 0
        ax.add_artist(style.line(_CCDF_GRID, share, label=name, gid="ccdf", zorder=3))
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*LATENCY_RANGE_MS)
    ax.set_ylim(_CCDF_FLOOR, 1.5)
    decades = [0.1, 1.0, 10.0, 100.0, 1000.0, 10_000.0, 100_000.0]
    ax.set_xticks(decades, [_duration_label(ms) for ms in decades], fontsize="small")
    shares = [1e-4, 1e-3, 1e-2, 1e-1, 1.0]
    ax.set_yticks(shares, ["0.01%", "0.1%", "1%", "10%", "100%"], fontsize="small")
    ax.minorticks_off()
    ax.grid(True, which="major", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("time since the request was sent (x)", fontsize="small")
    ax.set_ylabel("requests not finished by x", fontsize="small")
    ax.set_title("Latency tail and failures", fontsize="medium", y=1.0)
    ax.legend(
        handles=[style.line([], [], label=name) for name, style in zip(latencies_ms, _STYLE_CYCLE, strict=False)],
        # Below the axes, so no curve ever hides behind it.
        loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=len(latencies_ms), fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )
    return ax


def plot_fan_out_risk(
    slow_probability: float,
    availability: float,
    calls: int,
    measured: Mapping[str, float] | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Axes with the chance that a request meets a slow call, or a down one, against the calls it waits on.

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
    p = float(slow_probability)
    a = float(availability)
    if not 0.0 <= p <= 1.0 or not 0.0 <= a <= 1.0:
        raise ValueError(
            f"slow_probability and availability must be from 0 to 1, got {slow_probability!r} and {availability!r}"
        )
    low, high = CALLS_RANGE
    if isinstance(calls, bool) or not isinstance(calls, (int, np.integer)) or not low <= calls <= high:
        raise ValueError(f"calls must be an int from {low} to {high}, got {calls!r}")
    ax = _axes(ax, (5.0, 3.5))
    n = np.arange(low, high + 1, dtype=np.float64)
    curves = (("slow", 1.0 - (1.0 - p) ** n, _STYLE_CYCLE[0]), ("down", 1.0 - a**n, _STYLE_CYCLE[1]))
    for gid, share, style in curves:
        ax.add_artist(style.line(n, share, gid=gid, zorder=3))
    ax.add_artist(Line2D([calls, calls], [0.0, 1.0], color="0.4", linewidth=0.8, linestyle=":", zorder=2))
    if measured is not None:
        unknown = sorted(set(measured) - {"slow", "down"})
        if unknown:
            raise ValueError(f"measured may name 'slow' and 'down' only, got {unknown}")
        for gid, _, style in curves:
            if gid in measured:
                ax.add_artist(
                    Line2D([calls], [measured[gid]], linestyle="none", marker="o", markersize=6,
                           color=style.color, markeredgecolor="black", markeredgewidth=0.6, zorder=4,
                           gid=f"measured-{gid}")
                )
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
    ax.legend(
        handles=[
            _STYLE_CYCLE[0].line([], [], label=f"slow call: 1 {_MINUS} (1 {_MINUS} p)ᴺ"),
            _STYLE_CYCLE[1].line([], [], label=f"down part: 1 {_MINUS} Aᴺ"),
            Line2D([], [], linestyle="none", marker="o", color="0.5", markeredgecolor="black", label="simulated"),
        ],
        loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )
    return ax


# --- lesson 02: RPC ------------------------------------------------------------------------

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

_LATENCY_GRID_US = np.geomspace(*CALL_LATENCY_RANGE_US, 320)


def _byte_label(size: float) -> str:
    for unit, scale in (("MB", 1e6), ("kB", 1e3)):
        if size >= scale:
            return f"{size / scale:g} {unit}"
    return f"{size:g} B"


def _microseconds_label(us: float) -> str:
    if us >= 1000:
        return _duration_label(us / 1000)
    return f"{us * 1000:g} ns" if us < 1 else f"{us:g} µs"


def plot_wire_sizes(
    items: Sequence[int],
    sizes: Mapping[str, Sequence[int]],
    current: int | None = None,
    ax: Axes | None = None,
    frame: bool = True,
) -> Axes:
    """Axes with the bytes each encoding needs for a message of ``items[i]`` line items, on log-log axes.

    ``sizes`` maps an encoding's name to its sizes, one per entry of ``items``; each is one
    line (gid "wire-size"). ``current`` marks one item count with a dot per encoding
    (gid "current-size"). The axes are fixed (1 to 1,000 items, 10 B to 1 MB).
    ``frame=False`` draws the data only, for a widget that redraws on the same Axes after
    a first call with ``frame=True`` (axes, ticks, labels and legend never change).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_wire_sizes([1, 10], {"JSON": [99, 567], "protobuf": [35, 197]}, current=10,
        ...                      ax=Figure().add_subplot())
        >>> [line.get_label() for line in ax.lines if line.get_gid() == "wire-size"]
        ['JSON', 'protobuf']
    """
    counts = [int(n) for n in items]
    low, high = WIRE_ITEMS_RANGE
    if not counts or any(not low <= n <= high for n in counts):
        raise ValueError(f"items must be a non-empty list of counts from {low} to {high}, got {list(items)!r}")
    if not sizes or len(sizes) > len(_STYLE_CYCLE):
        raise ValueError(f"sizes must name 1 to {len(_STYLE_CYCLE)} encodings, got {list(sizes)!r}")
    for name, values in sizes.items():
        if len(values) != len(counts):
            raise ValueError(f"sizes[{name!r}] has {len(values)} values for {len(counts)} item counts")
    if current is not None and current not in counts:
        raise ValueError(f"current must be one of items {counts}, got {current!r}")
    ax = _axes(ax, (5.0, 3.5))
    for (name, values), style in zip(sizes.items(), _STYLE_CYCLE, strict=False):
        ax.add_artist(style.line(counts, list(values), label=name, gid="wire-size", zorder=3))
        if current is not None:
            ax.add_artist(
                Line2D([current], [values[counts.index(current)]], linestyle="none", marker="o", markersize=6,
                       color=style.color, markeredgecolor="black", markeredgewidth=0.6, zorder=4, gid="current-size")
            )
    if not frame:
        return ax  # the same Axes, already decorated: data only
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(*WIRE_ITEMS_RANGE)
    ax.set_ylim(*WIRE_BYTES_RANGE)
    ax.set_xticks([1, 10, 100, 1000], ["1", "10", "100", "1,000"], fontsize="small")
    ticks = [10.0, 100.0, 1e3, 1e4, 1e5, 1e6]
    ax.set_yticks(ticks, [_byte_label(t) for t in ticks], fontsize="small")
    ax.minorticks_off()
    ax.grid(True, which="major", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("line items in the order", fontsize="small")
    ax.set_ylabel("bytes on the wire", fontsize="small")
    ax.set_title("Size of one message", fontsize="medium", y=1.0)
    ax.legend(
        handles=[style.line([], [], label=name) for name, style in zip(sizes, _STYLE_CYCLE, strict=False)],
        loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=len(sizes), fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )
    return ax


def plot_call_latency(
    samples_us: Mapping[str, NDArray[np.float64]], ax: Axes | None = None, frame: bool = True
) -> Axes:
    """Axes with, for each series of call times, the share of calls finished within x (log x, 10 ns to 1 s).

    Each series is one line with gid "call-latency" and the series' name as its label;
    the further right a curve sits, the slower the calls. The axes are fixed.
    ``frame=False`` draws the data only, for a widget that redraws on the same Axes after
    a first call with ``frame=True`` (axes, ticks, labels and legend never change).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_call_latency({"local": np.array([0.1, 0.2]), "remote": np.array([500.0])},
        ...                        ax=Figure().add_subplot())
        >>> [line.get_label() for line in ax.lines if line.get_gid() == "call-latency"]
        ['local', 'remote']
    """
    if not samples_us or len(samples_us) > len(_STYLE_CYCLE):
        raise ValueError(f"samples_us must name 1 to {len(_STYLE_CYCLE)} series, got {list(samples_us)!r}")
    ax = _axes(ax, (5.0, 3.5))
    for (name, values), style in zip(samples_us.items(), _STYLE_CYCLE, strict=False):
        finished = 1.0 - ccdf(values, _LATENCY_GRID_US)
        ax.add_artist(style.line(_LATENCY_GRID_US, finished, label=name, gid="call-latency", zorder=3))
    if not frame:
        return ax  # the same Axes, already decorated: data only
    ax.set_xscale("log")
    ax.set_xlim(*CALL_LATENCY_RANGE_US)
    ax.set_ylim(0.0, 1.02)
    decades = [0.01, 1.0, 100.0, 1e4, 1e6]
    ax.set_xticks(decades, [_microseconds_label(us) for us in decades], fontsize="small")
    ax.minorticks_off()
    ax.set_yticks([0.0, 0.25, 0.5, 0.75, 1.0])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.tick_params(axis="y", labelsize="small")
    ax.grid(True, which="major", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("time of one call (x)", fontsize="small")
    ax.set_ylabel("calls finished within x", fontsize="small")
    ax.set_title("One call, local or remote", fontsize="medium", y=1.0)
    ax.legend(
        handles=[style.line([], [], label=name) for name, style in zip(samples_us, _STYLE_CYCLE, strict=False)],
        loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=len(samples_us), fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )
    return ax


def plot_chatty_vs_batched(
    calls: int, rtt_ms: float | None = None, work_ms: float = 0.0, ax: Axes | None = None, frame: bool = True
) -> Axes:
    """Axes with the time for ``calls`` calls made one by one, N·(r + w), and as one batch, r + N·w, against r.

    r runs from 0.01 ms to 200 ms on a log axis; the lines have gids "chatty" and
    "batched". ``rtt_ms`` marks the current round trip with a dot on each line (gid
    "current-rtt"). Legend labels are fixed, so a widget can draw them once.
    ``frame=False`` draws the data only, for a widget that redraws on the same Axes after
    a first call with ``frame=True`` (axes, ticks, labels and legend never change).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_chatty_vs_batched(100, rtt_ms=10.0, ax=Figure().add_subplot())
        >>> [float(line.get_ydata()[0]) for line in ax.lines if line.get_gid() == "current-rtt"]
        [1000.0, 10.0]
    """
    if isinstance(calls, bool) or not isinstance(calls, (int, np.integer)) or calls < 1:
        raise ValueError(f"calls must be an int >= 1, got {calls!r}")
    if not 0.0 <= work_ms < math.inf:
        raise ValueError(f"work_ms must be a finite number >= 0, got {work_ms!r}")
    low, high = RTT_RANGE_MS
    if rtt_ms is not None and not low <= rtt_ms <= high:
        raise ValueError(f"rtt_ms must be from {low} to {high}, got {rtt_ms!r}")
    ax = _axes(ax, (5.0, 3.5))
    r = np.geomspace(low, high, 120)
    lines = (("chatty", calls * (r + work_ms), _STYLE_CYCLE[1]), ("batched", r + calls * work_ms, _STYLE_CYCLE[0]))
    for gid, total, style in lines:
        ax.add_artist(style.line(r, total, gid=gid, zorder=3))
    if rtt_ms is not None:
        now = {"chatty": calls * (rtt_ms + work_ms), "batched": rtt_ms + calls * work_ms}
        for gid, _, style in lines:
            ax.add_artist(
                Line2D([rtt_ms], [now[gid]], linestyle="none", marker="o", markersize=6, color=style.color,
                       markeredgecolor="black", markeredgewidth=0.6, zorder=4, gid="current-rtt")
            )
    if not frame:
        return ax  # the same Axes, already decorated: data only
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlim(low, high)
    ax.set_ylim(*TOTAL_RANGE_MS)
    rtts = [0.01, 0.1, 1.0, 10.0, 100.0]
    ax.set_xticks(rtts, [_duration_label(ms) for ms in rtts], fontsize="small")
    totals = [0.01, 1.0, 100.0, 1e4, 1e6]
    ax.set_yticks(totals, [_duration_label(ms) for ms in totals], fontsize="small")
    ax.minorticks_off()
    ax.grid(True, which="major", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("network round trip (r)", fontsize="small")
    ax.set_ylabel("time for all N calls", fontsize="small")
    ax.set_title("N calls: one by one or batched", fontsize="medium", y=1.0)
    ax.legend(
        handles=[
            _STYLE_CYCLE[1].line([], [], label="one by one: N·(r + w)"),
            _STYLE_CYCLE[0].line([], [], label="one batch: r + N·w"),
        ],
        loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=2, fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )
    return ax


# --- lesson 03: REST (duplicates created by retries) ----------------------------------------

LOSS_RATE_RANGE = (0.0, 0.5)
"""x range of ``plot_duplicates``: share of responses lost."""

_STRATEGY_STYLES = {
    "POST": _Style("#b3261e", "-", 2.0),
    "PUT": _Style("#3b75af", "-", 3.0),
    "POST + Idempotency-Key": _Style("#6a9f58", "--", 1.8),
}


def _strategy_style(name: str) -> _Style:
    if name not in _STRATEGY_STYLES:
        raise ValueError(f"strategy must be one of {list(_STRATEGY_STYLES)}, got {name!r}")
    return _STRATEGY_STYLES[name]


def plot_duplicates(
    loss_rates: ArrayLike,
    duplicates: Mapping[str, ArrayLike],
    requests: int,
    retries: int,
    loss_rate: float | None = None,
    ax: Axes | None = None,
) -> Axes:
    """Axes with duplicate orders per intended order against the loss rate, for each way of creating.

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
    rates = np.asarray(loss_rates, dtype=np.float64)
    if isinstance(requests, bool) or not isinstance(requests, (int, np.integer)) or requests < 1:
        raise ValueError(f"requests must be an int >= 1, got {requests!r}")
    if isinstance(retries, bool) or not isinstance(retries, (int, np.integer)) or retries < 0:
        raise ValueError(f"retries must be an int >= 0, got {retries!r}")
    if not duplicates:
        raise ValueError("duplicates must name at least one strategy, got an empty mapping")
    ax = _axes(ax, (5.0, 3.5))
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
            )
    grid = np.linspace(*LOSS_RATE_RANGE, 101)
    exact = sum((grid**k for k in range(1, retries + 1)), start=np.zeros_like(grid))
    ax.add_artist(Line2D(grid, exact, color="0.25", linestyle="--", linewidth=1.0, gid="expected", zorder=2))
    # The q line is the same for every input (a widget draws it once), so it goes below
    # everything that changes.
    ax.add_artist(Line2D(grid, grid, color="0.55", linestyle=":", linewidth=1.2, gid="q-line", zorder=1.5))
    if loss_rate is not None:
        ax.add_artist(Line2D([loss_rate, loss_rate], [0.0, 1.0], color="0.4", linewidth=0.8, linestyle=":", zorder=1.8))
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
    ax.legend(
        handles=[
            *(_strategy_style(name).line([], [], label=name) for name in duplicates),
            Line2D([], [], color="0.55", linestyle=":", linewidth=1.2, label="q·N (one retry)"),
            Line2D([], [], color="0.25", linestyle="--", linewidth=1.0, label="expected POST: q + … + qᴿ"),
        ],
        loc="upper center", bbox_to_anchor=(0.5, -0.2), ncols=3, fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )
    return ax


def plot_created(created: Mapping[str, int], requests: int, ax: Axes | None = None) -> Axes:
    """Axes with one bar per strategy: orders created per order intended, labelled with the counts.

    A dashed line at 1 marks "one order per request". The axes and title are the same
    whatever the input (0 to 2.2), so a widget can draw them once. Bars have gid "created".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_created({"POST": 130, "PUT": 100}, 100, ax=Figure().add_subplot())
        >>> [round(float(bar.get_height()), 2) for bar in ax.patches]
        [1.3, 1.0]
    """
    if isinstance(requests, bool) or not isinstance(requests, (int, np.integer)) or requests < 1:
        raise ValueError(f"requests must be an int >= 1, got {requests!r}")
    if not created:
        raise ValueError("created must name at least one strategy, got an empty mapping")
    ax = _axes(ax, (4.0, 3.5))
    names = list(created)
    for position, name in enumerate(names):
        count = int(created[name])
        if count < 0:
            raise ValueError(f"created[{name!r}] must be >= 0, got {count}")
        ratio = count / requests
        ax.bar(position, ratio, width=0.6, color=_strategy_style(name).color, gid="created", zorder=3)
        extra = count - requests
        ax.text(position, ratio + 0.04, f"{count:,}" + (f"\n(+{extra:,})" if extra > 0 else ""),
                ha="center", va="bottom", fontsize="x-small", zorder=4)
    ax.add_artist(Line2D([-0.5, len(names) - 0.5], [1.0, 1.0], color="0.3", linestyle="--", linewidth=1.0,
                         gid="one-per-request", zorder=2))
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_ylim(0.0, 2.2)
    ax.set_xticks(range(len(names)), [name.replace(" + ", "\n+ ") for name in names], fontsize="x-small")
    ax.set_yticks([0.0, 0.5, 1.0, 1.5, 2.0])
    ax.tick_params(axis="y", labelsize="small")
    ax.grid(True, axis="y", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_ylabel("orders created per order", fontsize="small")
    ax.set_title("Orders created per order placed", fontsize="medium", y=1.0)
    return ax
