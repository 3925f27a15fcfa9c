"""Interactive widgets for the lessons: self-check quizzes and explorers.

Widgets are thin: sliders that call the tested functions of the concept modules and the
plot functions of ``helpers.plots``. Each widget is an ``ipywidgets.VBox``, so a notebook
cell is one line (``explore_ring()``) and the widget displays itself.

Explorers draw on one ``matplotlib.figure.Figure`` that they own (never a pyplot figure)
and show it as PNG bytes in an ``ipywidgets.Image``. That works the same in a kernel, in a
browser and in a plain Python process, so ``tests/bench.py`` times the work a learner
waits for on every slider move (all of it but the trip to the browser). To keep a move
under 100 ms, constant parts of the figure are drawn once (see ``_PanelFigure``).

Sections:
    * shared: quiz, figure rendering
    * lesson 08: consistent hashing (RingExplorer, explore_ring)
"""

from __future__ import annotations

import re
import struct
import zlib
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from typing import Any, Protocol

import ipywidgets as widgets
import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.figure import Figure
from matplotlib.transforms import BboxBase
from numpy.typing import NDArray

from helpers.hashing import (
    HashRing,
    Placement,
    expected_remapped_fraction,
    hash_keys,
    load_per_node,
    remapped_fraction,
)
from helpers.plots import plot_loads, plot_moved, plot_ring

__all__ = ["Quiz", "RingExplorer", "explore_ring", "png_bytes", "quiz"]


# --- shared: quiz ---------------------------------------------------------------------------

_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline_markdown(text: str) -> str:
    """HTML for text that may hold HTML plus the two Markdown marks used in lessons: **bold**, `code`."""
    return _BOLD.sub(r"<b>\1</b>", _CODE.sub(r"<code>\1</code>", text))


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


class Quiz(widgets.VBox):
    """A multiple-choice self-check: the question, its options, and feedback on each choice.

    ``choices`` (the RadioButtons) and ``feedback`` (the HTML under them) are exposed so
    tests can pick an option and read the answer. Build one with ``quiz(...)``.
    """

    def __init__(self, question: str, options: Sequence[str], answer: int, explanation: str) -> None:
        _check_text("question", question)
        _check_text("explanation", explanation)
        if isinstance(options, str) or not isinstance(options, Sequence):
            raise ValueError(f"options must be a list of strings, got {options!r}")
        if len(options) < 2:
            raise ValueError(f"options must hold at least 2 choices, got {list(options)!r}")
        for position, option in enumerate(options):
            _check_text(f"options[{position}]", option)
        duplicates = sorted({option for option in options if list(options).count(option) > 1})
        if duplicates:
            raise ValueError(f"options must be distinct, got duplicates {duplicates}")
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
            raise ValueError(
                f"answer must be the index of the right option, 0 to {len(options) - 1}, got {answer!r}"
            )
        self._options = tuple(options)
        self._answer = answer
        self._explanation = _inline_markdown(explanation)
        self.choices = widgets.RadioButtons(options=self._options, value=None, layout=widgets.Layout(width="auto"))
        self.feedback = widgets.HTML("")
        super().__init__([widgets.HTML(_inline_markdown(question)), self.choices, self.feedback])
        self.choices.observe(self._show_feedback, names="index")

    def _show_feedback(self, change: dict[str, Any]) -> None:
        index = change["new"]
        if index is None:
            self.feedback.value = ""
        elif index == self._answer:
            self.feedback.value = f"<b style='color:#1a7f37'>✅ Correct.</b> {self._explanation}"
        else:
            right = escape(self._options[self._answer])
            self.feedback.value = (
                f"<b style='color:#b3261e'>❌ Not quite.</b> The answer is <b>{right}</b>. {self._explanation}"
            )


def quiz(question: str, options: Sequence[str], answer: int, explanation: str) -> Quiz:
    """Instant-feedback multiple-choice question: pick an option, see why it is right or wrong.

    ``answer`` is the index of the right option. The explanation shows after every choice;
    after a wrong one the feedback also names the right option.

    Examples:
        >>> q = quiz("Adding an 11th node to a 10-node ring moves about...",
        ...          ["1/11 of the keys", "10/11 of the keys"], answer=0,
        ...          explanation="Only the keys the new node takes over move.")
        >>> q.feedback.value
        ''
        >>> q.choices.value = "10/11 of the keys"
        >>> "Not quite" in q.feedback.value and "1/11 of the keys" in q.feedback.value
        True
        >>> q.choices.value = "1/11 of the keys"
        >>> q.feedback.value.count("Correct")
        1
    """
    return Quiz(question, options, answer, explanation)


# --- shared: figure rendering ---------------------------------------------------------------


def _wipe(ax: Axes) -> None:
    """Remove everything a plot function drew, but keep the Axes.

    ``Axes.clear()`` also rebuilds the tick machinery, which costs more than the whole
    redraw of a small panel.
    """
    for container in list(ax.containers):
        container.remove()
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts, *ax.images]:
        artist.remove()
    if ax.legend_ is not None:
        ax.legend_.remove()


def _png_chunk(tag: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))


def png_bytes(rgba: NDArray[np.uint8]) -> bytes:
    """PNG file of an RGBA image (height x width x 4 bytes), compressed fast (zlib level 1).

    Every row is stored as its difference from the row above (PNG filter "Up"): a plot's
    rows mostly repeat, so that gives long runs of zeros, which zlib compresses quickly.
    Together that is about three times faster than Pillow, which tries five filters per row.

    Examples:
        >>> png_bytes(np.zeros((2, 3, 4), dtype=np.uint8))[:8]
        b'\\x89PNG\\r\\n\\x1a\\n'
    """
    image = np.asarray(rgba)
    if image.ndim != 3 or image.shape[2] != 4 or image.dtype != np.uint8:
        raise ValueError(f"rgba must be a height x width x 4 array of uint8, got {image.shape} {image.dtype}")
    height, width = image.shape[:2]
    pixels = np.ascontiguousarray(image).reshape(height, 4 * width)
    rows = np.empty((height, 1 + 4 * width), dtype=np.uint8)
    rows[:, 0] = 2  # filter type "Up"
    rows[0, 1:] = pixels[0]  # the row above the first one counts as zeros
    np.subtract(pixels[1:], pixels[:-1], out=rows[1:, 1:])  # uint8 arithmetic wraps, as PNG expects
    header = struct.pack(">IIBBBBB", width, height, 8, 6, 0, 0, 0)  # 8-bit RGBA, no interlace
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(rows.data, 1))
        + _png_chunk(b"IEND", b"")
    )


class _AggCanvas(Protocol):
    """The methods of matplotlib's Agg canvas used here (matplotlib leaves them unannotated)."""

    def draw(self) -> None: ...
    def get_renderer(self) -> RendererAgg: ...
    def copy_from_bbox(self, bbox: BboxBase) -> Any: ...
    def restore_region(self, region: Any) -> None: ...
    def buffer_rgba(self) -> memoryview: ...


class _PanelFigure:
    """A figure of fixed panels, rendered to PNG by redrawing only what changes.

    matplotlib draws text glyph by glyph, so a panel's title and tick labels can cost
    more than its data. Parts declared constant are drawn once into a background; each
    frame restores that background and draws every other artist on top. Declare a part
    constant only if the plot function always draws it the same way, and nothing drawn
    later overlaps it (a test compares a frame with a full redraw).
    """

    _ROLES = ("title", "xaxis", "yaxis", "legend")

    def __init__(
        self, figsize: tuple[float, float], dpi: float, rects: Sequence[tuple[float, float, float, float]]
    ) -> None:
        self.figure = Figure(figsize=figsize, dpi=dpi)
        self._canvas: _AggCanvas = FigureCanvasAgg(self.figure)
        # Fixed panel positions: a layout engine would measure every label on every frame.
        self.axes = [self.figure.add_axes(rect) for rect in rects]
        self._constant: dict[int, tuple[frozenset[str], frozenset[str]]] = {}
        self._background: Any = None

    def keep_constant(self, ax: Axes, *roles: str, gids: Collection[str] = ()) -> None:
        """Draw these parts of ``ax`` once, not every frame.

        ``roles`` name parts of the Axes itself ("title", "xaxis", "yaxis", "legend");
        ``gids`` name artists that a plot function draws identically every time.
        """
        unknown = sorted(set(roles) - set(self._ROLES))
        if unknown:
            raise ValueError(f"roles must be among {self._ROLES}, got {unknown}")
        self._constant[id(ax)] = (frozenset(roles), frozenset(gids))
        self._background = None

    def _changing_parts(self, ax: Axes) -> list[Artist]:
        roles, gids = self._constant.get(id(ax), (frozenset(), frozenset()))
        constant: list[Artist | None] = [
            ax.patch,
            ax.title if "title" in roles else None,
            ax.xaxis if "xaxis" in roles else None,
            ax.yaxis if "yaxis" in roles else None,
            ax.get_legend() if "legend" in roles else None,
        ]
        skip = {id(part) for part in constant if part is not None}
        children = [
            child for child in ax.get_children()
            if id(child) not in skip and child.get_visible() and child.get_gid() not in gids
        ]
        return sorted(children, key=lambda child: child.get_zorder())

    def png(self) -> bytes:
        """PNG of the figure as it is now."""
        if self._background is None:
            changing = [part for ax in self.axes for part in self._changing_parts(ax)]
            for part in changing:
                part.set_visible(False)
            self._canvas.draw()
            self._background = self._canvas.copy_from_bbox(self.figure.bbox)
            for part in changing:
                part.set_visible(True)
        renderer = self._canvas.get_renderer()
        self._canvas.restore_region(self._background)
        for ax in self.axes:
            ax.apply_aspect()
            for part in self._changing_parts(ax):
                part.draw(renderer)
        return png_bytes(np.asarray(self._canvas.buffer_rgba()))

    def full_png(self) -> bytes:
        """PNG of the figure drawn in full, the slow way (to check ``png``)."""
        self._canvas.draw()
        return png_bytes(np.asarray(self._canvas.buffer_rgba()))


# --- lesson 08: consistent hashing ----------------------------------------------------------

NODE_RANGE = (2, 30)
"""Smallest and largest number of nodes the ring explorer offers."""

VIRTUAL_NODE_CHOICES = (1, 2, 5, 10, 20, 50, 100, 200, 500)
"""Points per node the ring explorer offers: roughly even steps on a log scale."""

KEY_COUNT_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)
"""Numbers of keys the ring explorer offers."""

SAMPLE_KEYS = 300
"""Keys drawn on the ring: enough to see arcs, few enough to see single keys."""

_RING_TITLE = f"Ring and {SAMPLE_KEYS} keys (ringed: moved)"

_RING_CAPTION = (
    "<span style='color:#555;font-size:90%'>"
    "<b>Left:</b> the ring, clockwise from 0 at the top. Squares are the nodes' points (their "
    f"virtual nodes); the dots inside are the first {SAMPLE_KEYS} keys, each coloured as the node "
    "that owns it (the first point clockwise from the key). Ringed dots moved in the last change; "
    "the circles just outside repeat the points of the node just added. <b>Middle:</b> keys per "
    "node for all keys, bars coloured as on the ring; dashed line: the mean. <b>Right:</b> share "
    "of all keys the last change moved, measured against expected.</span>"
)


def _node_names(count: int) -> tuple[str, ...]:
    return tuple(f"node-{i}" for i in range(count))


def _frozen(placement: Placement) -> Placement:
    placement.node_index.flags.writeable = False  # cached and shared: nobody may edit it
    return placement


# Slider moves revisit the same few settings, so everything below is cached: a move
# recomputes only what it has not seen before.
@lru_cache(maxsize=64)
def _ring(nodes: int, virtual_nodes: int) -> HashRing:
    return HashRing(_node_names(nodes), virtual_nodes=virtual_nodes)


@dataclass(frozen=True)
class _SortedKeys:
    """Hashes of the keys 0..n-1 in ascending order, and where the first keys ended up.

    Placing sorted hashes is three times faster (``searchsorted`` walks the ring once
    instead of jumping around it). Keys' order does not change how many keys move or
    how many each node gets, so every placement below is of the sorted hashes.
    """

    hashes: NDArray[np.uint64]
    sample_rank: NDArray[np.intp]  # position of key i (i < SAMPLE_KEYS) among the sorted hashes


@lru_cache(maxsize=4)
def _sorted_keys(key_count: int) -> _SortedKeys:
    hashes = hash_keys(range(key_count))
    sorted_hashes = np.sort(hashes)
    # Equal hashes (vanishingly rare) share a node, so finding the first of them is enough.
    sample_rank = np.searchsorted(sorted_hashes, hashes[:SAMPLE_KEYS]).astype(np.intp)
    sorted_hashes.flags.writeable = False
    sample_rank.flags.writeable = False
    return _SortedKeys(sorted_hashes, sample_rank)


@lru_cache(maxsize=16)
def _ring_placement(nodes: int, virtual_nodes: int, key_count: int) -> Placement:
    return _frozen(_ring(nodes, virtual_nodes).place_hashes(_sorted_keys(key_count).hashes))


@lru_cache(maxsize=16)
def _mod_n_placement(nodes: int, key_count: int) -> Placement:
    # mod_n_placement(range(key_count), names), but from the cached hashes rather than
    # hashing every key again (tests compare the explorer's numbers with mod_n_placement).
    hashes = _sorted_keys(key_count).hashes
    return _frozen(Placement(_node_names(nodes), (hashes % np.uint64(nodes)).astype(np.intp)))


def _describe_change(before: int, after: int) -> str:
    """Words for a change of node count: "Added node-8", "Removed node-5 … node-7 (3 nodes)"."""
    verb = "Added" if after > before else "Removed"
    changed = _node_names(max(before, after))[min(before, after) :]
    if len(changed) == 1:
        return f"{verb} {changed[0]}"
    return f"{verb} {changed[0]} … {changed[-1]} ({len(changed)} nodes)"


def _check_choice(name: str, value: int, choices: Sequence[int]) -> int:
    if value not in choices:
        raise ValueError(f"{name} must be one of {list(choices)}, got {value!r}")
    return value


class RingExplorer(widgets.VBox):
    """Explorer for lesson 08: how many keys move, and how even the load is, on a hash ring.

    Three sliders (nodes, virtual nodes per node, keys) and two buttons that add or remove
    one node. The "last change" is always the move from the previous value of the nodes
    slider to the current one (at first, adding the highest-numbered node). Nodes are
    "node-0", "node-1", ..., so a change adds or removes the highest-numbered ones.

    The figure shows (a) the current ring with 300 sample keys, the keys that moved ringed
    and the added nodes' points enlarged; (b) keys per node for all keys, with the CV next
    to its 1/sqrt(v) prediction; (c) the fraction of all keys the last change moved, on the
    ring and with mod-N, each next to its expected value. A status line says it in words.

    Attributes:
        sliders: the sliders by name, "nodes", "virtual_nodes" and "keys".
        buttons: the "add" and "remove" buttons.
        image: the Image widget holding the PNG of the figure.
        status: the HTML widget under the figure.

    Examples:
        >>> explorer = RingExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.buttons["add"].click()
        >>> explorer.sliders["nodes"].value, explorer.status.value.startswith("Added node-8")
        (9, True)
    """

    def __init__(self, nodes: int = 8, virtual_nodes: int = 50, keys: int = 50_000) -> None:
        low, high = NODE_RANGE
        if isinstance(nodes, bool) or not isinstance(nodes, int) or not low <= nodes <= high:
            raise ValueError(f"nodes must be an int from {low} to {high}, got {nodes!r}")
        _check_choice("virtual_nodes", virtual_nodes, VIRTUAL_NODE_CHOICES)
        _check_choice("keys", keys, KEY_COUNT_CHOICES)

        style = {"description_width": "initial"}
        self.sliders: dict[str, Any] = {
            "nodes": widgets.IntSlider(value=nodes, min=low, max=high, description="nodes", style=style),
            "virtual_nodes": widgets.SelectionSlider(
                options=[(str(v), v) for v in VIRTUAL_NODE_CHOICES], value=virtual_nodes,
                description="virtual nodes per node", style=style,
            ),
            "keys": widgets.SelectionSlider(
                options=[(f"{k:,}", k) for k in KEY_COUNT_CHOICES], value=keys, description="keys", style=style,
            ),
        }
        self.buttons: dict[str, Any] = {
            # The brief's labels: the heavy plus and minus read well on a button.
            "add": widgets.Button(description="➕ add a node", tooltip="nodes + 1"),  # noqa: RUF001
            "remove": widgets.Button(description="➖ remove a node", tooltip="nodes - 1"),  # noqa: RUF001
        }
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.status = widgets.HTML("")
        self._previous_nodes = nodes - 1  # the story starts with node-(n-1) joining

        self._panels = _PanelFigure(
            figsize=(12.0, 4.0), dpi=80,
            rects=[(0.005, 0.02, 0.30, 0.84), (0.37, 0.16, 0.37, 0.70), (0.80, 0.16, 0.19, 0.70)],
        )
        self._ring_ax, self._loads_ax, self._moved_ax = self._panels.axes
        # plot_moved draws the same title, axes and legend for the same two schemes; the
        # ring's title is replaced by a fixed one (the sliders show the counts); the ring and
        # the loads have no ticks (so their axes draw nothing); and the plot functions mark
        # the artists they always draw the same (gid "...-frame").
        self._panels.keep_constant(self._moved_ax, "title", "xaxis", "yaxis", "legend")
        self._panels.keep_constant(self._ring_ax, "title", "xaxis", "yaxis", gids={"ring-frame"})
        self._panels.keep_constant(self._loads_ax, "xaxis", "yaxis", gids={"loads-frame"})

        super().__init__(
            [
                widgets.HBox([self.sliders["nodes"], self.buttons["add"], self.buttons["remove"]]),
                widgets.HBox([self.sliders["virtual_nodes"], self.sliders["keys"]]),
                self.image,
                self.status,
                widgets.HTML(_RING_CAPTION),
            ]
        )
        self.sliders["nodes"].observe(self._on_nodes, names="value")
        self.sliders["virtual_nodes"].observe(self._on_setting, names="value")
        self.sliders["keys"].observe(self._on_setting, names="value")
        self.buttons["add"].on_click(self._on_add)
        self.buttons["remove"].on_click(self._on_remove)
        self.update()

    @property
    def widget(self) -> RingExplorer:
        """The widget to display: the explorer itself."""
        return self

    def _on_nodes(self, change: dict[str, Any]) -> None:
        self._previous_nodes = int(change["old"])
        self.update()

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.update()

    def _on_add(self, button: Any) -> None:
        slider = self.sliders["nodes"]
        slider.value = min(slider.max, slider.value + 1)

    def _on_remove(self, button: Any) -> None:
        slider = self.sliders["nodes"]
        slider.value = max(slider.min, slider.value - 1)

    def update(self) -> None:
        """Recompute everything for the current slider values and redraw the figure."""
        before, after = self._previous_nodes, int(self.sliders["nodes"].value)
        virtual_nodes = int(self.sliders["virtual_nodes"].value)
        key_count = int(self.sliders["keys"].value)
        self.buttons["add"].disabled = after >= self.sliders["nodes"].max
        self.buttons["remove"].disabled = after <= self.sliders["nodes"].min

        old, new = _ring_placement(before, virtual_nodes, key_count), _ring_placement(after, virtual_nodes, key_count)
        moved_on_ring = remapped_fraction(old, new)
        moved_mod_n = remapped_fraction(_mod_n_placement(before, key_count), _mod_n_placement(after, key_count))
        expected_ring = expected_remapped_fraction(before, after, "consistent")
        expected_mod_n = expected_remapped_fraction(before, after, "mod_n")
        # Node i has index i in both placements, so indices compare directly.
        sample = _sorted_keys(key_count).sample_rank
        moved_sample = old.node_index[sample] != new.node_index[sample]
        added = _node_names(after)[before:]

        for ax in (self._ring_ax, self._loads_ax, self._moved_ax):
            _wipe(ax)
        plot_ring(
            _ring(after, virtual_nodes), keys=range(SAMPLE_KEYS), moved=moved_sample,
            highlight=added or None, ax=self._ring_ax, legend=False,
        )
        self._ring_ax.set_title(_RING_TITLE, fontsize="medium", y=1.0)
        plot_loads(load_per_node(new), virtual_nodes=virtual_nodes, ax=self._loads_ax)
        plot_moved(
            {"ring": moved_on_ring, "mod-N": moved_mod_n},
            {"ring": expected_ring, "mod-N": expected_mod_n},
            ax=self._moved_ax,
        )
        self.image.value = self._panels.png()
        self.status.value = (
            f"{_describe_change(before, after)} ({before} → {after} nodes, {virtual_nodes} points each): "
            f"<b>{moved_on_ring:.1%}</b> of {key_count:,} keys moved on the ring "
            f"(expected {expected_ring:.1%}), <b>{moved_mod_n:.1%}</b> with mod-N (expected {expected_mod_n:.1%})."
        )


def explore_ring() -> RingExplorer:
    """Ring explorer for lesson 08 at its default settings: a notebook cell's one line.

    Examples:
        >>> explore_ring().sliders["nodes"].value
        8
    """
    return RingExplorer()
