"""Figures of lesson 08: the ring, keys per node, keys moved, and balance against virtual nodes.

``plot_*`` functions draw a whole figure on an optional Axes (lesson cells use them). The
three panels the ring explorer redraws on every move also come in two parts: ``frame_*``
draws what never changes, ``draw_*`` the data (see ``helpers.panels``).
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping, Sequence

import numpy as np
from matplotlib.axes import Axes
from matplotlib.collections import PathCollection
from matplotlib.lines import Line2D
from matplotlib.markers import MarkerStyle
from matplotlib.patches import Circle
from matplotlib.ticker import PercentFormatter
from matplotlib.transforms import IdentityTransform
from numpy.typing import NDArray

from helpers.figures import bars, new_axes, node_colors, shifted, short_labels
from helpers.hashing.model import HASH_SPACE, HashRing, Keys, coefficient_of_variation, hash_keys, max_over_mean

__all__ = [
    "balance_text",
    "draw_loads",
    "draw_moved",
    "draw_ring",
    "frame_loads",
    "frame_moved",
    "frame_ring",
    "plot_balance_vs_virtual_nodes",
    "plot_loads",
    "plot_moved",
    "plot_ring",
]

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


def frame_ring(ax: Axes) -> Axes:
    """The ring's frame: the circle, the mark at position 0, fixed square limits, no ticks."""
    # The limits are fixed, so artists go in with add_artist (add_patch and add_line would
    # update the data limits, for nothing).
    ax.add_artist(Circle((0.0, 0.0), _RING_RADIUS, fill=False, edgecolor="0.75", linewidth=1.0, zorder=1))
    ax.add_artist(Line2D([0.0, 0.0], [_RING_RADIUS + 0.03, _RING_RADIUS + 0.17], color="0.35", zorder=1))
    ax.text(0.0, _RING_RADIUS + 0.18, "0", ha="center", va="bottom", fontsize="small", color="0.35", zorder=1)
    limit = _RING_RADIUS + 0.28
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    ax.set_xticks([])
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    return ax


def draw_ring(
    ring: HashRing,
    keys: Keys | None = None,
    moved: NDArray[np.bool_] | None = None,
    highlight: str | Collection[str] | None = None,
    ax: Axes | None = None,
    legend: bool | None = None,
) -> Axes:
    """The ring's data on a framed Axes: the nodes' points, the keys, and what moved (see ``plot_ring``)."""
    ax = new_axes(ax, (5.0, 5.0))
    colors = node_colors(len(ring.nodes))
    positions, owners = ring.positions, ring.owners
    big = _highlighted(ring, highlight)
    x, y = _ring_xy(positions, _RING_RADIUS)

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
    return ax


def plot_ring(
    ring: HashRing,
    keys: Keys | None = None,
    moved: NDArray[np.bool_] | None = None,
    highlight: str | Collection[str] | None = None,
    ax: Axes | None = None,
    legend: bool | None = None,
) -> Axes:
    """Axes showing the ring: every point of every node, and keys coloured by their node (lesson 08, section 2).

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
    ax = frame_ring(new_axes(ax, (5.0, 5.0)))
    draw_ring(ring, keys, moved, highlight, ax, legend)
    title = f"Ring: {len(ring.nodes)} nodes, {ring.virtual_nodes} points each"
    ax.set_title(title, fontsize="medium", y=1.0)  # an explicit y skips a costly title placement
    return ax


def frame_loads(ax: Axes, axis_name: str = "node") -> Axes:
    """The frame of a keys-per-node chart: no ticks, the axis name and the 0 as plain texts."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.spines[["top", "right"]].set_visible(False)
    ax.text(0.5, 0.0, axis_name, ha="center", va="top", fontsize="small",
            transform=shifted(ax, ax.transAxes, 0.0, -16.0))  # fmt: skip
    ax.text(0.0, 0.0, "0", ha="right", va="center", fontsize="small",
            transform=shifted(ax, ax.get_yaxis_transform(), -3.0, 0.0))  # fmt: skip
    return ax


def draw_loads(loads: Mapping[str, int], virtual_nodes: int | None = None, ax: Axes | None = None) -> Axes:
    """The data of a keys-per-node chart on a framed Axes (see ``plot_loads``); its title is ``balance_text``."""
    if not loads:
        raise ValueError("loads must name at least one node, got an empty mapping")
    if virtual_nodes is not None and (
        isinstance(virtual_nodes, bool) or not isinstance(virtual_nodes, (int, np.integer)) or virtual_nodes < 1
    ):
        raise ValueError(f"virtual_nodes must be an int >= 1 or None, got {virtual_nodes!r}")
    ax = new_axes(ax, (6.0, 3.5))
    names = list(loads)
    values = np.fromiter(loads.values(), dtype=np.float64, count=len(names))
    mean = float(values.mean())

    x = np.arange(len(names), dtype=np.float64)
    bars(ax, x, values, 0.8, node_colors(len(names)), gid="bars")
    ax.add_artist(  # what axhline draws, without its data-limit update
        Line2D([0.0, 1.0], [mean, mean], transform=ax.get_yaxis_transform(), color="black",
               linestyle="--", linewidth=1.0, zorder=3)
    )
    ax.set_xlim(-0.6, len(names) - 0.4)
    ax.set_ylim(0.0, float(values.max()) * 1.12)

    # Labels are plain texts, not tick labels: an Axis measures each tick label before
    # drawing it, which makes it three times slower, and a widget redraws this chart on
    # every slider move. At most 6 nodes are labelled, so labels never collide.
    below = shifted(ax, ax.get_xaxis_transform(), 0.0, -3.0)
    labels, _ = short_labels(names)
    step = max(1, math.ceil(len(names) / 6))
    for xi, label in zip(x[::step].tolist(), labels[::step], strict=True):
        ax.text(xi, 0.0, label, transform=below, ha="center", va="top", fontsize="small")
    left = shifted(ax, ax.get_yaxis_transform(), -3.0, 0.0)
    ax.text(0.0, mean, f"mean\n{mean:,.0f}", ha="right", va="center", fontsize="small", transform=left)
    return ax


def balance_text(loads: Mapping[str, int], virtual_nodes: int | None = None) -> str:
    """How even the loads are: max/mean and the CV, with 1/sqrt(v) for ``virtual_nodes`` (lesson 08, section 4).

    Examples:
        >>> balance_text({"a": 90, "b": 110}, virtual_nodes=100)
        'max/mean 1.10 · CV 0.100 (1/√v = 0.100)'
    """
    values = np.fromiter(loads.values(), dtype=np.float64, count=len(loads))
    text = f"max/mean {max_over_mean(values):.2f} · CV {coefficient_of_variation(values):.3f}"
    if virtual_nodes is not None:
        text += f" (1/√v = {1.0 / math.sqrt(virtual_nodes):.3f})"
    return text


def plot_loads(loads: Mapping[str, int], virtual_nodes: int | None = None, ax: Axes | None = None) -> Axes:
    """Axes with one bar per node (its number of keys) and a dashed line at the mean (lesson 08, section 4).

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
    _, prefix = short_labels(list(loads))
    ax = frame_loads(new_axes(ax, (6.0, 3.5)), prefix.rstrip("-_ #:") or "node")
    draw_loads(loads, virtual_nodes, ax)
    ax.set_title(balance_text(loads, virtual_nodes), fontsize="medium", y=1.0)  # an explicit y: no costly placement
    return ax


_MEASURED_COLOR = "#3b75af"
_EXPECTED_COLOR = "#b0b0b0"


def frame_moved(ax: Axes, schemes: Sequence[str]) -> Axes:
    """The frame of a keys-moved chart: a slot per scheme, 0 to 100%, the title and the legend below."""
    x = np.arange(len(schemes), dtype=np.float64)
    ax.set_xticks(x, list(schemes), fontsize="small")
    ax.set_xlim(-0.6, len(schemes) - 0.4)
    ax.set_ylim(0.0, 1.0)
    ax.set_yticks([0.0, 0.5, 1.0])
    ax.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    ax.tick_params(axis="y", labelsize="small")
    ax.set_title("Keys moved", fontsize="medium", y=1.0)
    # Below the axes, so no bar (a ring can move 90% of keys too) ever hides behind it.
    handles = [Line2D([], [], linestyle="", marker="s", markersize=7, color=color, label=label)
               for label, color in (("measured", _MEASURED_COLOR), ("expected", _EXPECTED_COLOR))]  # fmt: skip
    ax.legend(
        handles=handles, loc="upper center", bbox_to_anchor=(0.5, -0.1), ncols=2, fontsize="x-small", frameon=False,
        handlelength=1.0, borderaxespad=0.0,
    )
    return ax


def draw_moved(measured: Mapping[str, float], expected: Mapping[str, float], ax: Axes | None = None) -> Axes:
    """The bars of a keys-moved chart on a framed Axes, each with its value (see ``plot_moved``)."""
    schemes = list(measured)
    if not schemes:
        raise ValueError("measured must name at least one scheme, got an empty mapping")
    if set(expected) != set(schemes):
        raise ValueError(f"expected must name the same schemes as measured {schemes}, got {list(expected)}")
    for label, table in (("measured", measured), ("expected", expected)):
        for scheme, value in table.items():
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{label}[{scheme!r}] must be a fraction in [0, 1], got {value!r}")
    ax = new_axes(ax, (4.0, 3.5))
    x = np.arange(len(schemes), dtype=np.float64)
    width = 0.38
    series = (
        ("measured", np.array([measured[s] for s in schemes]), _MEASURED_COLOR, -width / 2),
        ("expected", np.array([expected[s] for s in schemes]), _EXPECTED_COLOR, width / 2),
    )
    for label, values, color, offset in series:
        bars(ax, x + offset, values, width, color, gid=label)
        for xi, value in zip((x + offset).tolist(), values.tolist(), strict=True):
            inside = value > 0.85  # near the top: write on the bar instead of above it
            ax.text(
                xi, value - 0.02 if inside else value + 0.02, f"{value:.1%}",
                ha="center", va="top" if inside else "bottom", fontsize="x-small",
                color="white" if inside and label == "measured" else "black",
            )
    return ax


def plot_moved(measured: Mapping[str, float], expected: Mapping[str, float], ax: Axes | None = None) -> Axes:
    """Axes with grouped bars: the fraction of keys moved, measured vs expected, per scheme (lesson 08, section 3).

    The bars are two collections, gid "measured" and "expected", one path per scheme;
    each bar has its value written on it, as a percentage.

    Examples:
        >>> from matplotlib.figure import Figure
        >>> ax = plot_moved({"ring": 0.1, "mod-N": 0.9}, {"ring": 0.11, "mod-N": 0.89},
        ...                 ax=Figure().add_subplot())
        >>> [(bars.get_gid(), len(bars.get_paths())) for bars in ax.collections]
        [('measured', 2), ('expected', 2)]
    """
    ax = frame_moved(new_axes(ax, (4.0, 3.5)), list(measured))
    return draw_moved(measured, expected, ax)


def plot_balance_vs_virtual_nodes(
    virtual_nodes: Sequence[int], cv: Sequence[float], ax: Axes | None = None
) -> Axes:
    """Axes with the measured CV of loads against v on log-log axes, next to 1/sqrt(v) (lesson 08, section 4).

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
    ax = new_axes(ax, (5.0, 3.5))
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
