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
    * lesson 04: DNS (realised weighted split over time, staleness after a change)
    * lesson 05: load balancers (response time per policy, load per server)
    * lesson 06: content delivery networks (push vs pull: hit ratio, egress, storage; TTL and LRU models)
    * lesson 07: API gateways (admitted/refused timeline per limiter, busiest span vs b + r·t)
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
from matplotlib.patches import Circle, Rectangle
from matplotlib.ticker import NullLocator, PercentFormatter
from matplotlib.transforms import IdentityTransform, ScaledTranslation, Transform
from numpy.typing import ArrayLike, NDArray

from helpers.cdn import CdnCosts
from helpers.hashing.model import (
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
    "plot_admissions",
    "plot_arrival_curve",
    "plot_balance_vs_virtual_nodes",
    "plot_call_latency",
    "plot_chatty_vs_batched",
    "plot_created",
    "plot_duplicates",
    "plot_edge_storage",
    "plot_fan_out_risk",
    "plot_hit_ratio_vs_traffic",
    "plot_latency_ccdf",
    "plot_loads",
    "plot_lru_hit_ratio",
    "plot_moved",
    "plot_origin_egress",
    "plot_policy_latency",
    "plot_realised_split",
    "plot_ring",
    "plot_server_load",
    "plot_staleness",
    "plot_ttl_hit_ratio",
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
    ax: Axes,
    x: NDArray[np.float64],
    heights: NDArray[np.float64],
    width: float,
    colors: object,
    gid: str,
    bottom: float = 0.0,
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


# --- lesson 07: API gateways and rate limiting ----------------------------------------------

_LIMITER_COLORS = {
    "token bucket": "#3b75af",
    "fixed window": "#e07b28",
    "sliding log": "#6a9f58",
    "sliding counter": "#8c6bb1",
}
_REFUSED_COLOR = "#b3261e"


def _limiter_color(name: str) -> str:
    if name not in _LIMITER_COLORS:
        raise ValueError(f"limiter must be one of {list(_LIMITER_COLORS)}, got {name!r}")
    return _LIMITER_COLORS[name]


def plot_admissions(
    times: ArrayLike,
    decisions: Mapping[str, ArrayLike],
    duration_s: float,
    window_s: float | None = None,
    ax: Axes | None = None,
    frame: bool = True,
) -> Axes:
    """Axes with one row per limiter: a tick for each request admitted, a red cross for each refused.

    ``decisions`` maps a limiter ("token bucket", "fixed window", "sliding log", "sliding
    counter") to one boolean per request of ``times``; rows run top to bottom in its order.
    Dotted lines mark the fixed windows' edges when ``window_s`` is given. The axes, row
    labels, legend and title depend only on the limiters named and ``duration_s``, so a
    widget can draw them once. Ticks have gid "admitted", crosses gid "refused".
    ``frame=False`` draws the data only, for a widget that redraws on the same Axes after
    a first call with ``frame=True``.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_admissions([1.0, 2.0], {"sliding log": [True, False]}, 10.0, ax=Figure().add_subplot())
        >>> [(line.get_gid(), line.get_xdata().tolist()) for line in ax.lines]
        [('admitted', [1.0]), ('refused', [2.0])]
    """
    arrivals = np.asarray(times, dtype=np.float64)
    if isinstance(duration_s, bool) or not isinstance(duration_s, (int, float)) or duration_s <= 0:
        raise ValueError(f"duration_s must be a number > 0, got {duration_s!r}")
    if window_s is not None and (isinstance(window_s, bool) or not window_s > 0):
        raise ValueError(f"window_s must be a number > 0 or None, got {window_s!r}")
    if not decisions:
        raise ValueError("decisions must name at least one limiter, got an empty mapping")
    ax = _axes(ax, (8.0, 2.5))
    rows = len(decisions)
    for row, (name, admitted) in enumerate(decisions.items()):
        color = _limiter_color(name)
        mask = np.asarray(admitted, dtype=np.bool_)
        if mask.shape != arrivals.shape:
            raise ValueError(f"decisions[{name!r}] has shape {mask.shape}, times {arrivals.shape}")
        y = rows - 1 - row
        ax.add_artist(Line2D(arrivals[mask], np.full(int(mask.sum()), y), linestyle="none", marker="|",
                             markersize=11, markeredgewidth=1.0, color=color, gid="admitted", zorder=3))
        ax.add_artist(Line2D(arrivals[~mask], np.full(int((~mask).sum()), y - 0.3), linestyle="none", marker="x",
                             markersize=3.5, markeredgewidth=0.9, color=_REFUSED_COLOR, gid="refused", zorder=3))
    if window_s is not None:
        edges = np.arange(window_s, duration_s, window_s)
        xs = np.repeat(edges, 3)
        ys = np.tile([-0.6, rows - 0.4, np.nan], edges.size)
        ax.add_artist(Line2D(xs, ys, color="0.45", linestyle=":", linewidth=0.9, gid="window-edges", zorder=1.5))
    if not frame:
        return ax  # the same Axes, already decorated: data only
    ax.set_xlim(0.0, duration_s)
    ax.set_ylim(-0.6, rows - 0.4)
    ax.set_yticks(range(rows), list(decisions)[::-1], fontsize="small")
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
    )
    return ax


def plot_arrival_curve(
    spans_s: ArrayLike,
    admitted_max: Mapping[str, ArrayLike],
    capacity: float,
    refill_per_s: float,
    offered_max: ArrayLike | None = None,
    ax: Axes | None = None,
    frame: bool = True,
) -> Axes:
    """Axes with the most requests admitted in any span of length t, against t, and the bound b + r·t.

    ``admitted_max`` maps a limiter to its maximum count for each span (see
    ``helpers.ratelimit.max_in_any_span``). The dashed line is the token bucket's bound
    ``capacity + refill_per_s * t`` (gid "bound"); the grey line, when given, the most
    requests *offered* in any span (gid "offered"), which also sets the y range, so for a
    fixed trace the axes never change. Curves have gid "admitted-max".
    ``frame=False`` draws the curves and the bound only, for a widget that redraws on the
    same Axes after a first call with ``frame=True`` (axes, legend and offered line stay).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_arrival_curve([0, 1, 2], {"token bucket": [5, 6, 7]}, 5, 1.0, ax=Figure().add_subplot())
        >>> [line.get_gid() for line in ax.lines]
        ['admitted-max', 'bound']
    """
    spans = np.asarray(spans_s, dtype=np.float64)
    if spans.ndim != 1 or spans.size < 2 or np.isnan(spans).any() or (spans < 0).any():
        raise ValueError(f"spans_s must hold at least two spans >= 0, got {spans_s!r}")
    for name, value in (("capacity", capacity), ("refill_per_s", refill_per_s)):
        if isinstance(value, bool) or not isinstance(value, (int, float)) or value <= 0:
            raise ValueError(f"{name} must be a number > 0, got {value!r}")
    if not admitted_max:
        raise ValueError("admitted_max must name at least one limiter, got an empty mapping")
    ax = _axes(ax, (4.5, 3.5))
    top = 0.0
    for name, counts in admitted_max.items():
        values = np.asarray(counts, dtype=np.float64)
        if values.shape != spans.shape:
            raise ValueError(f"admitted_max[{name!r}] has shape {values.shape}, spans_s {spans.shape}")
        ax.add_artist(Line2D(spans, values, color=_limiter_color(name), linewidth=1.8, drawstyle="steps-post",
                             label=name, gid="admitted-max", zorder=3))
        top = max(top, float(values.max()))
    ax.add_artist(Line2D(spans, capacity + refill_per_s * spans, color="0.15", linestyle="--", linewidth=1.2,
                         label="bound b + r·t", gid="bound", zorder=2.5))
    if not frame:
        return ax  # the same Axes, already decorated: data only
    if offered_max is not None:
        offered = np.asarray(offered_max, dtype=np.float64)
        if offered.shape != spans.shape:
            raise ValueError(f"offered_max has shape {offered.shape}, spans_s {spans.shape}")
        ax.add_artist(Line2D(spans, offered, color="0.6", linewidth=1.2, drawstyle="steps-post",
                             label="offered", gid="offered", zorder=2))
        top = float(offered.max())
    ax.set_xlim(float(spans[0]), float(spans[-1]))
    ax.set_ylim(0.0, max(top, 1.0) * 1.08)
    ax.tick_params(labelsize="small")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("span t (s)", fontsize="small")
    ax.set_ylabel("most requests in any span of t", fontsize="small")
    ax.set_title("Admitted in the busiest span vs b + r·t", fontsize="medium", y=1.0)
    # A fixed corner: "best" would measure the data on every redraw and move the legend around.
    ax.legend(loc="upper left", fontsize="x-small", framealpha=0.9)
    return ax


# --- lesson 04: DNS (realised weighted split over time, staleness after a change) ----------

SPLIT_WINDOW_S = 600.0
"""x range of ``plot_realised_split``: ten minutes."""

STALENESS_RANGE = (0.0, 1.5)
"""x range of ``plot_staleness``, in units of the TTL."""


def _fraction_series(name: str, values: ArrayLike, size: int | None = None) -> NDArray[np.float64]:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1 or array.size == 0 or (size is not None and array.size != size):
        raise ValueError(f"{name} must be a non-empty 1-d list" + (f" of {size} values" if size else "")
                         + f", got shape {array.shape}")
    if np.any(array < -1e-9) or np.any(array > 1 + 1e-9):
        raise ValueError(f"{name} must hold shares from 0 to 1, got {array.min():.3g} to {array.max():.3g}")
    return array


def plot_realised_split(
    times_s: ArrayLike, share: ArrayLike, expected: float, label: str = "eu-west", ax: Axes | None = None
) -> Axes:
    """Axes with the share of users sent to one endpoint over time: realised (steps) and expected (dashed).

    Resolvers hand every user behind them the one answer they cached, so the realised share
    moves in steps at cache expiries around the expected share. Axes run from 0 to 600 s and
    0 to 100%, the same for every input. The realised line has gid "realised", the expected
    one gid "expected".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_realised_split([0, 300, 600], [0.2, 0.3, 0.25], 0.25, ax=Figure().add_subplot())
        >>> [float(y) for y in ax.lines[0].get_ydata()]
        [0.2, 0.3, 0.25]
    """
    t = np.asarray(times_s, dtype=np.float64)
    if t.ndim != 1 or t.size == 0 or np.any(t < 0):
        raise ValueError(f"times_s must be a non-empty list of times >= 0, got {times_s!r}")
    values = _fraction_series("share", share, t.size)
    if isinstance(expected, bool) or not isinstance(expected, (int, float)) or not 0.0 <= expected <= 1.0:
        raise ValueError(f"expected must be a share from 0 to 1, got {expected!r}")
    ax = _axes(ax, (5.0, 3.2))
    ax.add_artist(Line2D(t, values, color="#3b75af", linewidth=1.6, drawstyle="steps-post", gid="realised",
                         zorder=3))
    ax.add_artist(Line2D([0.0, SPLIT_WINDOW_S], [expected, expected], color="0.25", linestyle="--", linewidth=1.0,
                         gid="expected", zorder=2))
    ax.set_xlim(0.0, SPLIT_WINDOW_S)
    ax.set_ylim(0.0, 1.0)
    ax.set_xticks([0, 120, 240, 360, 480, 600], ["0", "2", "4", "6", "8", "10"])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.tick_params(labelsize="small")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("time (minutes)", fontsize="small")
    ax.set_ylabel(f"users sent to {label}", fontsize="small")
    ax.set_title("Realised split (solid) vs expected (dashed)", fontsize="medium", y=1.0)
    return ax


def plot_staleness(t_over_ttl: ArrayLike, stale: ArrayLike, ax: Axes | None = None) -> Axes:
    """Axes with the share of users still on the old record after a change, against t / TTL.

    The simulated share is a step line (gid "stale"); the dotted line is the expectation
    max(0, 1 - t/TTL) (gid "one-minus-t-over-ttl"), reached at t = TTL. Axes run from 0 to
    1.5 TTL and 0 to 100%, the same for every input.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_staleness([0.0, 0.5, 1.0], [1.0, 0.5, 0.0], ax=Figure().add_subplot())
        >>> [float(y) for y in ax.lines[0].get_ydata()]
        [1.0, 0.5, 0.0]
    """
    x = np.asarray(t_over_ttl, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or np.any(x < 0):
        raise ValueError(f"t_over_ttl must be a non-empty list of values >= 0, got {t_over_ttl!r}")
    values = _fraction_series("stale", stale, x.size)
    ax = _axes(ax, (4.0, 3.2))
    ax.add_artist(Line2D(x, values, color="#b3261e", linewidth=1.6, drawstyle="steps-post", gid="stale", zorder=3))
    line = np.array([0.0, 1.0, STALENESS_RANGE[1]])
    ax.add_artist(Line2D(line, np.clip(1.0 - line, 0.0, 1.0), color="0.3", linestyle=":", linewidth=1.4,
                         gid="one-minus-t-over-ttl", zorder=2))
    ax.set_xlim(*STALENESS_RANGE)
    ax.set_ylim(0.0, 1.0)
    ax.set_xticks([0.0, 0.5, 1.0, 1.5], ["0", "TTL/2", "TTL", "1.5 TTL"])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.tick_params(labelsize="small")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("time since the change", fontsize="small")
    ax.set_ylabel("users still on the old record", fontsize="small")
    ax.set_title("After a change: 1 - t/TTL (dotted)", fontsize="medium", y=1.0)
    return ax


# --- lesson 05: load balancers (response time per policy, load per server) -------------------

RESPONSE_TIME_RANGE = (0.3, 3000.0)
"""y range of ``plot_policy_latency``: response time in units of mean work, log scale."""

SERVER_LOAD_MAX = 1.5
"""y limit of ``plot_server_load``: busier than 1 means the server cannot keep up."""

_PERCENTILE_COLORS = ("#9ecae1", "#3b75af")  # p50 light, p99 dark


def plot_policy_latency(
    latencies: Mapping[str, Sequence[float]],
    references: Mapping[str, float] | None = None,
    highlight: str | None = None,
    ax: Axes | None = None,
    frame: bool = True,
) -> Axes:
    """Axes with, for each policy, a p50 bar, a p99 bar and a dot at the mean response time.

    ``latencies`` maps a policy's name to ``(p50, p99, mean)``. ``references`` maps a
    label to a mean response time drawn as a dashed line (e.g. the supermarket model's
    T₁(λ) and T₂(λ)). The y axis is logarithmic and fixed (``RESPONSE_TIME_RANGE``), so a
    widget can draw it once; values beyond it are clipped to the edge. The ``highlight``ed
    policy's name is bold. Bars have gid "p50" and "p99", mean dots "mean", lines "reference".
    With ``frame=False`` only those are drawn (for a widget that drew the frame once, with
    the same policies and references).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_policy_latency({"random": (7.0, 46.0, 10.0)}, {"T1": 10.0}, ax=Figure().add_subplot())
        >>> [round(float(bars.get_paths()[0].vertices[1, 1]), 1) for bars in ax.collections]
        [7.0, 46.0]
    """
    if not latencies:
        raise ValueError("latencies must name at least one policy, got an empty mapping")
    if highlight is not None and highlight not in latencies:
        raise ValueError(f"highlight must be one of {list(latencies)}, got {highlight!r}")
    ax = _axes(ax, (6.0, 3.5))
    low, high = RESPONSE_TIME_RANGE
    names = list(latencies)
    table = np.empty((len(names), 3))
    for position, name in enumerate(names):
        values = [float(v) for v in latencies[name]]
        if len(values) != 3 or not all(math.isfinite(v) and v > 0 for v in values):
            raise ValueError(f"latencies[{name!r}] must be three positive numbers (p50, p99, mean), got {values!r}")
        table[position] = values
    table = np.clip(table, low, high)
    positions = np.arange(len(names), dtype=np.float64)
    # The bars start at the axis' bottom, not at 0: the y axis is logarithmic.
    for column, offset, gid in ((0, -0.18, "p50"), (1, 0.18, "p99")):
        _bars(ax, positions + offset, table[:, column], 0.34, _PERCENTILE_COLORS[column], gid, bottom=low).set_zorder(3)
    ax.add_artist(Line2D(positions, table[:, 2], linestyle="none", marker="o", markersize=5, color="black",
                         gid="mean", zorder=4))
    for number, (label, value) in enumerate((references or {}).items()):
        if not (math.isfinite(value) and value > 0):
            raise ValueError(f"references[{label!r}] must be a positive number, got {value!r}")
        style: Literal["--", ":", "-."] = ("--", ":", "-.")[number % 3]
        ax.add_artist(Line2D([-0.5, len(names) - 0.5], [value, value], color="0.35", linestyle=style,
                             linewidth=1.0, gid="reference", label=label, zorder=2))
    if not frame:
        return ax
    ax.set_yscale("log")
    ax.set_xlim(-0.5, len(names) - 0.5)
    ax.set_ylim(low, high)
    ax.set_xticks(range(len(names)), [name.replace("-", "\n", 1) for name in names], fontsize="x-small")
    for tick, name in zip(ax.get_xticklabels(), names, strict=True):
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
        *(line for line in ax.lines if line.get_gid() == "reference"),
    ]
    # Below the axes, where no bar reaches: a widget draws it once and never over a bar.
    ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.2), fontsize="x-small",
              ncols=len(handles), frameon=False, borderaxespad=0.0)
    return ax


def plot_server_load(
    busy: Sequence[float], speeds: Sequence[float], ax: Axes | None = None, frame: bool = True
) -> Axes:
    """Axes with one bar per server, slowest to fastest: the share of time it was busy.

    Servers at or above 1 could not keep up (their queue grew all the time) and are drawn
    red, clipped at ``SERVER_LOAD_MAX`` with the value written on top. The axes are the
    same for every input of the same length. Bars have gid "busy". With ``frame=False``
    only the bars, their labels and the "fully busy" line are drawn.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_server_load([0.5, 1.2], [0.8, 1.2], ax=Figure().add_subplot())
        >>> [round(float(path.vertices[1, 1]), 2) for path in ax.collections[0].get_paths()]
        [0.5, 1.2]
    """
    values = np.asarray(busy, dtype=np.float64)
    rates = np.asarray(speeds, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or values.shape != rates.shape:
        raise ValueError(
            f"busy and speeds must be lists of the same non-zero length, got {values.shape}, {rates.shape}"
        )
    if not np.all(np.isfinite(values)) or np.any(values < 0):
        raise ValueError(f"busy must hold numbers >= 0, got {values.tolist()}")
    ax = _axes(ax, (4.0, 3.5))
    positions = np.arange(values.size)
    overloaded = values >= 1.0
    colors = np.where(overloaded, "#b3261e", "#3b75af")
    # Above the "fully busy" line (zorder 2), as in a fast redraw that drew the line first.
    _bars(ax, positions.astype(np.float64), np.minimum(values, SERVER_LOAD_MAX), 0.7, colors.tolist(),
          "busy").set_zorder(3)
    for position in np.flatnonzero(overloaded) if values.size <= 10 else []:  # no room for labels beyond 10
        ax.text(float(position), min(values[position], SERVER_LOAD_MAX) + 0.02, f"{values[position]:.1f}", ha="center",
                va="bottom", fontsize="x-small", color="#b3261e", zorder=4)
    ax.add_artist(Line2D([-0.5, values.size - 0.5], [1.0, 1.0], color="0.3", linestyle="--", linewidth=1.0,
                         gid="full", zorder=2))
    ax.set_xlim(-0.5, values.size - 0.5)
    if not frame:
        return ax
    ax.set_ylim(0.0, SERVER_LOAD_MAX + 0.15)
    # No tick labels: the axis then looks the same for every input, and a widget draws it once.
    ax.set_xticks([])
    ax.tick_params(axis="y", labelsize="small")
    ax.grid(True, axis="y", color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("servers, slowest to fastest", fontsize="small")
    ax.set_ylabel("share of time busy", fontsize="small")
    ax.set_title("Load per server", fontsize="medium", y=1.0)
    return ax


# --- lesson 06: content delivery networks (TTL hit ratio, push vs pull, LRU vs Che) ---------

TRAFFIC_RANGE = (1e-2, 1e5)
"""x range of the push-vs-pull panels: total requests per second, all edges together."""

EGRESS_RANGE = (1e-3, 1e5)
"""y range of ``plot_origin_egress``: objects per second sent by the origin."""

STORAGE_RANGE = (1e-1, 1e7)
"""y range of ``plot_edge_storage``: objects stored, all edges together."""

_PULL_STYLE = _Style("#3b75af", "-", 2.0)
_PUSH_STYLE = _Style("#e07b28", "--", 2.0)


def _cdn_panel(
    ax: Axes,
    costs: CdnCosts,
    pull: NDArray[np.float64],
    push: float,
    current_rate: float | None,
    log_y: bool,
    frame: bool,
) -> None:
    rates = costs.request_rate_per_s
    ax.add_artist(_PULL_STYLE.line(rates, pull, gid="pull", zorder=3))
    ax.add_artist(_PUSH_STYLE.line(list(TRAFFIC_RANGE), [push, push], gid="push", zorder=2.5))
    if costs.crossover_rate_per_s is not None:
        at = costs.crossover_rate_per_s
        ax.add_artist(Line2D([at, at], [0, 1], transform=ax.get_xaxis_transform(), color="#6a1b9a",
                             linestyle="-.", linewidth=1.2, gid="crossover", zorder=2))
    if current_rate is not None:
        value = float(np.interp(np.log(current_rate), np.log(rates), pull))
        ax.add_artist(Line2D([current_rate, current_rate], [0, 1], transform=ax.get_xaxis_transform(),
                             color="0.4", linestyle=":", linewidth=0.8, zorder=1.8, gid="current-rate"))
        ax.add_artist(Line2D([current_rate, current_rate], [value, push], linestyle="none", marker="o",
                             markersize=6, markeredgecolor="black", markeredgewidth=0.6, zorder=4, gid="current",
                             color="0.2"))
    if not frame:
        return
    ax.set_xscale("log")
    ax.set_xlim(*TRAFFIC_RANGE)
    # Minor ticks on log axes are dozens of artists each: without them a first draw is 10x faster.
    ax.xaxis.set_minor_locator(NullLocator())
    if log_y:
        ax.set_yscale("log")
        ax.yaxis.set_minor_locator(NullLocator())
    ax.tick_params(labelsize="small")
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("total requests per second", fontsize="small")


def _cdn_legend(ax: Axes) -> None:
    ax.legend(
        handles=[
            _PULL_STYLE.line([], [], label="pull"),
            _PUSH_STYLE.line([], [], label="push"),
            Line2D([], [], color="#6a1b9a", linestyle="-.", linewidth=1.2, label="egress crossover"),
        ],
        loc="upper center", bbox_to_anchor=(0.5, -0.22), ncols=3, fontsize="x-small", frameon=False,
        handlelength=2.0, borderaxespad=0.0,
    )


def plot_hit_ratio_vs_traffic(
    costs: CdnCosts, current_rate: float | None = None, ax: Axes | None = None, frame: bool = True
) -> Axes:
    """Axes with the edges' hit ratio against total traffic: pull's curve, push's line at 1.

    A dash-dotted line marks the egress crossover (if any), a dotted line and dots the
    ``current_rate``. Axes, title and legend are the same for every input; with
    ``frame=False`` only the data is drawn (a widget draws the frame once). Curves have
    gid "pull" and "push".

    Examples:
        >>> from matplotlib.figure import Figure
        >>> from helpers.cdn import push_pull_costs
        >>> costs = push_pull_costs([0.01, 1e5], 100, 3_600.0, 1 / 86_400)
        >>> ax = plot_hit_ratio_vs_traffic(costs, ax=Figure().add_subplot())
        >>> [line.get_gid() for line in ax.lines], ax.get_ylim() == (0.0, 1.05)
        (['pull', 'push', 'crossover'], True)
    """
    ax = _axes(ax, (4.5, 3.5))
    _cdn_panel(ax, costs, costs.pull_hit_ratio, costs.push_hit_ratio, current_rate, log_y=False, frame=frame)
    if not frame:
        return ax
    ax.set_ylim(0.0, 1.05)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.set_ylabel("hit ratio", fontsize="small")
    ax.set_title("Requests answered at the edge", fontsize="medium", y=1.0)
    _cdn_legend(ax)
    return ax


def plot_origin_egress(
    costs: CdnCosts, current_rate: float | None = None, ax: Axes | None = None, frame: bool = True
) -> Axes:
    """Axes with the objects the origin sends per second against total traffic, pull against push.

    Pull fetches on misses (E Σ λᵢ/(1+λᵢT), at most one per object per edge per TTL);
    push uploads every object to every edge at each update (u·O·E). Log axes with fixed
    ranges (``TRAFFIC_RANGE``, ``EGRESS_RANGE``); the crossover is dash-dotted.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> from helpers.cdn import push_pull_costs
        >>> ax = plot_origin_egress(push_pull_costs([0.01, 1e5], 100, 3_600.0, 1 / 86_400), ax=Figure().add_subplot())
        >>> ax.get_yscale(), ax.get_ylim() == EGRESS_RANGE
        ('log', True)
    """
    ax = _axes(ax, (4.5, 3.5))
    _cdn_panel(ax, costs, costs.pull_egress_per_s, costs.push_egress_per_s, current_rate, log_y=True, frame=frame)
    if not frame:
        return ax
    ax.set_ylim(*EGRESS_RANGE)
    ax.set_ylabel("origin egress (objects/s)", fontsize="small")
    ax.set_title("Origin to edges", fontsize="medium", y=1.0)
    _cdn_legend(ax)
    return ax


def plot_edge_storage(
    costs: CdnCosts, current_rate: float | None = None, ax: Axes | None = None, frame: bool = True
) -> Axes:
    """Axes with the objects stored on all edges against total traffic, pull (expected) against push (O·E).

    Examples:
        >>> from matplotlib.figure import Figure
        >>> from helpers.cdn import push_pull_costs
        >>> ax = plot_edge_storage(push_pull_costs([0.01, 1e5], 100, 3_600.0, 1 / 86_400), ax=Figure().add_subplot())
        >>> [float(y) for y in ax.lines[1].get_ydata()]
        [1000.0, 1000.0]
    """
    ax = _axes(ax, (4.5, 3.5))
    _cdn_panel(ax, costs, costs.pull_storage, costs.push_storage, current_rate, log_y=True, frame=frame)
    if not frame:
        return ax
    ax.set_ylim(*STORAGE_RANGE)
    ax.set_ylabel("objects stored on all edges", fontsize="small")
    ax.set_title("Edge storage", fontsize="medium", y=1.0)
    _cdn_legend(ax)
    return ax


def plot_ttl_hit_ratio(
    loads: ArrayLike, simulated: ArrayLike | None = None, ax: Axes | None = None
) -> Axes:
    """Axes with the TTL model's hit ratio λT/(1+λT) against λT, and simulated hit ratios as dots.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_ttl_hit_ratio([0.1, 1.0, 10.0], [0.1, 0.5, 0.9], ax=Figure().add_subplot())
        >>> [line.get_gid() for line in ax.lines]
        ['model', 'simulated']
    """
    x = np.asarray(loads, dtype=np.float64)
    if x.ndim != 1 or x.size == 0 or (x <= 0).any() or np.isnan(x).any():
        raise ValueError(f"loads must be a 1-D array of numbers > 0 (λT), got {loads!r}")
    ax = _axes(ax, (5.0, 3.5))
    grid = np.logspace(np.log10(x.min()) - 0.2, np.log10(x.max()) + 0.2, 200)
    ax.add_artist(Line2D(grid, grid / (1 + grid), color="#3b75af", linewidth=2.0, gid="model",
                         label="model λT/(1+λT)"))
    if simulated is not None:
        y = np.asarray(simulated, dtype=np.float64)
        if y.shape != x.shape:
            raise ValueError(f"simulated has shape {y.shape}, loads {x.shape}: give one hit ratio per load")
        ax.add_artist(Line2D(x, y, linestyle="none", marker="o", markersize=6, color="#e07b28",
                             markeredgecolor="black", markeredgewidth=0.6, gid="simulated", label="simulated"))
    ax.set_xscale("log")
    ax.set_xlim(grid[0], grid[-1])
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(0.0, 1.0)
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("λT: requests per object per edge within one TTL", fontsize="small")
    ax.set_ylabel("hit ratio", fontsize="small")
    ax.set_title("A TTL cache under Poisson requests", fontsize="medium")
    ax.legend(fontsize="small", loc="upper left")
    return ax


def plot_lru_hit_ratio(
    capacities: ArrayLike, simulated: ArrayLike, approximated: ArrayLike, objects: int, ax: Axes | None = None
) -> Axes:
    """Axes with an LRU cache's hit ratio against its size (share of the catalogue): simulated and Che's.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_lru_hit_ratio([10, 100], [0.3, 0.6], [0.31, 0.6], 1_000, ax=Figure().add_subplot())
        >>> [line.get_gid() for line in ax.lines]
        ['che', 'simulated']
    """
    sizes = np.asarray(capacities, dtype=np.float64)
    if isinstance(objects, bool) or not isinstance(objects, (int, np.integer)) or objects < 1:
        raise ValueError(f"objects must be an int >= 1, got {objects!r}")
    sim, che = np.asarray(simulated, dtype=np.float64), np.asarray(approximated, dtype=np.float64)
    if sizes.ndim != 1 or sim.shape != sizes.shape or che.shape != sizes.shape:
        raise ValueError(f"capacities, simulated and approximated must be 1-D of one length, got "
                         f"{sizes.shape}, {sim.shape}, {che.shape}")
    ax = _axes(ax, (5.0, 3.5))
    share = sizes / objects
    ax.add_artist(Line2D(share, che, color="#3b75af", linewidth=2.0, gid="che", label="Che's approximation"))
    ax.add_artist(Line2D(share, sim, linestyle="none", marker="o", markersize=6, color="#e07b28",
                         markeredgecolor="black", markeredgewidth=0.6, gid="simulated", label="simulated LRU"))
    ax.set_xscale("log")
    ax.set_xlim(share.min() / 1.5, min(1.0, share.max() * 1.5))
    ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(0.0, 1.0)
    ax.xaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=1))
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.grid(True, color="0.9", linewidth=0.8)
    ax.set_axisbelow(True)
    ax.set_xlabel("cache size (share of the catalogue)", fontsize="small")
    ax.set_ylabel("hit ratio", fontsize="small")
    ax.set_title("An LRU edge under Zipf popularity", fontsize="medium")
    ax.legend(fontsize="small", loc="upper left")
    return ax
