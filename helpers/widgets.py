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
    * lesson 01: interprocess communication (IpcExplorer, explore_ipc)
    * lesson 02: RPC (RpcExplorer, explore_rpc)
    * lesson 03: REST (RetryExplorer, explore_retries; HypermediaBrowser, browse_orders)
    * lesson 04: DNS and managed DNS routing (DnsExplorer, explore_dns)
    * lesson 05: load balancers (BalancerExplorer, explore_balancing)
    * lesson 06: content delivery networks (CdnExplorer, explore_cdn)
    * lesson 07: API gateways and rate limiting (RateLimitExplorer, explore_rate_limits)
"""

from __future__ import annotations

import json
import re
import struct
import weakref
import zlib
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, replace
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

from helpers.balancing import SIMULATED_POLICIES, QueueResult, compare_policies, supermarket_time
from helpers.cdn import CdnCosts, crossover_rate, push_pull_costs
from helpers.dns_routing import (
    authoritative_query_rate,
    effective_resolvers,
    simulate_split,
    simulate_staleness,
    time_until_seen,
    weighted_shares,
    zipf_populations,
)
from helpers.hashing.model import (
    HashRing,
    Placement,
    expected_remapped_fraction,
    hash_keys,
    load_per_node,
    remapped_fraction,
)
from helpers.ipc import CallGraph, Simulation, percentile_ms, simulate
from helpers.plots import (
    plot_admissions,
    plot_arrival_curve,
    plot_call_latency,
    plot_chatty_vs_batched,
    plot_created,
    plot_duplicates,
    plot_edge_storage,
    plot_fan_out_risk,
    plot_hit_ratio_vs_traffic,
    plot_latency_ccdf,
    plot_loads,
    plot_moved,
    plot_origin_egress,
    plot_policy_latency,
    plot_realised_split,
    plot_ring,
    plot_server_load,
    plot_staleness,
    plot_wire_sizes,
)
from helpers.ratelimit import ALGORITHMS as RATE_LIMITERS
from helpers.ratelimit import (
    bursty_trace,
    disagreement,
    make_limiter,
    max_in_any_span,
    replay,
    token_bucket_bound,
)
from helpers.rest import (
    STRATEGIES,
    Link,
    OrderApi,
    Response,
    RetryOutcome,
    expected_duplicates,
    follow,
    link,
    links,
    simulate_retries,
)
from helpers.rpc import ENCODINGS, batched_ms, chatty_ms, encoded_sizes, latency_model_us

__all__ = [
    "BalancerExplorer",
    "CdnExplorer",
    "DnsExplorer",
    "HypermediaBrowser",
    "IpcExplorer",
    "Quiz",
    "RateLimitExplorer",
    "RetryExplorer",
    "RingExplorer",
    "RpcExplorer",
    "browse_orders",
    "explore_balancing",
    "explore_cdn",
    "explore_dns",
    "explore_ipc",
    "explore_rate_limits",
    "explore_retries",
    "explore_ring",
    "explore_rpc",
    "png_bytes",
    "quiz",
]


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


# --- lesson 01: interprocess communication --------------------------------------------------

HOP_RANGE = (1, 10)
"""Smallest and largest number of services in the chain the IPC explorer offers."""

HOP_LATENCY_CHOICES_MS = (1, 2, 5, 10, 20, 50, 100)
"""Mean latency of one call, in ms, that the IPC explorer offers."""

AVAILABILITY_CHOICES = (0.9, 0.99, 0.995, 0.999, 0.9999)
"""Availability of each service that the IPC explorer offers."""

FAN_OUT_CHOICES = (0, 1, 2, 5, 10, 20, 50, 100)
"""Numbers of backends the last service calls in parallel."""

SLOW_PROBABILITY_CHOICES = (0.0, 0.001, 0.005, 0.01, 0.02, 0.05, 0.1)
"""Probability that one call is slow (10 times its usual latency)."""

SIMULATED_REQUESTS = 10_000
"""Requests simulated per setting: enough to see a 0.1% tail."""

SIMULATION_SEED = 42
"""Seed of every simulation: the same setting always gives the same picture."""

_IPC_CAPTION = (
    "<span style='color:#555;font-size:90%'>"
    f"Each setting simulates {SIMULATED_REQUESTS:,} requests. A request passes through the chain's services one "
    "after the other, then the last one calls the backends in parallel; every service is up with the chosen "
    "availability and every call is slow (10&times;) with probability p. <b>Left:</b> the share of requests not "
    "finished x ms after they were sent. <i>sync</i>: the caller waits for the whole chain, and a request that "
    "met a down part never finishes, so the curve levels off at the failure rate. <i>async ack</i>: the caller "
    "waits only for the broker to accept its event. <i>async done</i>: the same work, done by consumers; a part "
    "that was down delays it by a 1 s redelivery instead of failing it. <b>Right:</b> the chance that a request "
    "waiting on N calls meets a slow one or a down one, against N; the dots are the simulation at the current N "
    "(hops + backends).</span>"
)


def _percent_label(value: float) -> str:
    return f"{value * 100:g}%"


def _ms_text(ms: float) -> str:
    if ms == float("inf"):
        return "never"
    return f"{ms / 1000:.2f} s" if ms >= 1000 else f"{ms:.0f} ms" if ms >= 10 else f"{ms:.1f} ms"


@lru_cache(maxsize=64)
def _simulation(graph: CallGraph) -> Simulation:
    # A fresh generator with one seed per setting: moving a slider and back redraws the
    # same picture, and neighbouring settings share their random draws, so curves move
    # smoothly instead of jittering.
    return simulate(graph, np.random.default_rng(SIMULATION_SEED), requests=SIMULATED_REQUESTS)


class IpcExplorer(widgets.VBox):
    """Explorer for lesson 01: latency and availability of a synchronous chain against events.

    Five sliders set a request's call graph (services in the chain, latency per call,
    availability per service, backends in the fan-out, share of slow calls). The figure
    shows (a) the share of requests not finished by each time, for the synchronous
    caller, the asynchronous caller (the broker's ack) and the asynchronous work, and
    (b) the chance of meeting a slow or a down call against the number of calls waited
    on, with the simulated values at the current setting. A status line gives the numbers.

    Attributes:
        sliders: the sliders by name, "hops", "hop_latency_ms", "availability", "fan_out"
            and "slow_probability".
        image: the Image widget holding the PNG of the figure.
        status: the HTML widget under the figure.

    Examples:
        >>> explorer = IpcExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.sliders["fan_out"].value = 100
        >>> "103 calls" in explorer.status.value
        True
    """

    def __init__(
        self,
        hops: int = 3,
        hop_latency_ms: int = 10,
        availability: float = 0.999,
        fan_out: int = 10,
        slow_probability: float = 0.01,
    ) -> None:
        low, high = HOP_RANGE
        if isinstance(hops, bool) or not isinstance(hops, int) or not low <= hops <= high:
            raise ValueError(f"hops must be an int from {low} to {high}, got {hops!r}")
        _check_choice("hop_latency_ms", hop_latency_ms, HOP_LATENCY_CHOICES_MS)
        _check_choice("availability", availability, AVAILABILITY_CHOICES)  # type: ignore[arg-type]
        _check_choice("fan_out", fan_out, FAN_OUT_CHOICES)
        _check_choice("slow_probability", slow_probability, SLOW_PROBABILITY_CHOICES)  # type: ignore[arg-type]

        style = {"description_width": "initial"}
        self.sliders: dict[str, Any] = {
            "hops": widgets.IntSlider(value=hops, min=low, max=high, description="services in the chain", style=style),
            "hop_latency_ms": widgets.SelectionSlider(
                options=[(f"{ms} ms", ms) for ms in HOP_LATENCY_CHOICES_MS], value=hop_latency_ms,
                description="latency per call", style=style,
            ),
            "availability": widgets.SelectionSlider(
                options=[(_percent_label(a), a) for a in AVAILABILITY_CHOICES],
                value=availability, description="availability per service", style=style,
            ),
            "fan_out": widgets.SelectionSlider(
                options=[(str(n), n) for n in FAN_OUT_CHOICES], value=fan_out,
                description="backends (fan-out)", style=style,
            ),
            "slow_probability": widgets.SelectionSlider(
                options=[(_percent_label(p), p) for p in SLOW_PROBABILITY_CHOICES], value=slow_probability,
                description="slow calls (p)", style=style,
            ),
        }
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.status = widgets.HTML("")

        self._panels = _PanelFigure(
            figsize=(11.0, 4.0), dpi=80, rects=[(0.07, 0.27, 0.40, 0.64), (0.57, 0.27, 0.40, 0.64)],
        )
        self._tail_ax, self._risk_ax = self._panels.axes
        # Both plot functions draw fixed axes, titles and legends (below the axes, where no
        # curve goes), so only the curves and dots are redrawn on a move.
        for ax in self._panels.axes:
            self._panels.keep_constant(ax, "title", "xaxis", "yaxis", "legend")

        super().__init__(
            [
                widgets.HBox([self.sliders["hops"], self.sliders["hop_latency_ms"], self.sliders["availability"]]),
                widgets.HBox([self.sliders["fan_out"], self.sliders["slow_probability"]]),
                self.image,
                self.status,
                widgets.HTML(_IPC_CAPTION),
            ]
        )
        for slider in self.sliders.values():
            slider.observe(self._on_setting, names="value")
        self.update()

    @property
    def widget(self) -> IpcExplorer:
        """The widget to display: the explorer itself."""
        return self

    @property
    def graph(self) -> CallGraph:
        """The call graph the sliders describe."""
        return CallGraph(
            hops=int(self.sliders["hops"].value),
            hop_latency_ms=float(self.sliders["hop_latency_ms"].value),
            availability=float(self.sliders["availability"].value),
            fan_out=int(self.sliders["fan_out"].value),
            slow_probability=float(self.sliders["slow_probability"].value),
        )

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Simulate the current setting (or take it from the cache) and redraw the figure."""
        graph = self.graph
        result = _simulation(graph)
        for ax in self._panels.axes:
            _wipe(ax)
        plot_latency_ccdf(
            {"sync (answer)": result.sync_ms, "async (broker ack)": result.ack_ms, "async (work done)": result.done_ms},
            ax=self._tail_ax,
        )
        slow, down = float(result.slow.mean()), float(result.down.mean())
        plot_fan_out_risk(
            graph.slow_probability, graph.availability, graph.calls, measured={"slow": slow, "down": down},
            ax=self._risk_ax,
        )
        self.image.value = self._panels.png()
        self.status.value = (
            f"<b>Synchronous</b> ({graph.calls} calls: {graph.hops} in the chain + {graph.fan_out} backends): "
            f"median {_ms_text(percentile_ms(result.sync_ms, 50))}, p99 {_ms_text(percentile_ms(result.sync_ms, 99))}; "
            f"answered <b>{result.sync_availability:.2%}</b> (A<sup>N</sup> = {graph.sync_availability:.2%}); "
            f"{slow:.1%} met a slow call (1 &minus; (1 &minus; p)<sup>N</sup> = {graph.sync_slow_probability:.1%}).<br>"
            f"<b>Asynchronous</b>: the caller waits for the broker only: median "
            f"{_ms_text(percentile_ms(result.ack_ms, 50))}, p99 {_ms_text(percentile_ms(result.ack_ms, 99))}; "
            f"accepted <b>{result.async_availability:.2%}</b>. The work itself finishes later: median "
            f"{_ms_text(percentile_ms(result.done_ms, 50))}, p99 {_ms_text(percentile_ms(result.done_ms, 99))}."
        )


def explore_ipc() -> IpcExplorer:
    """IPC explorer for lesson 01 at its default settings: a notebook cell's one line.

    Examples:
        >>> explore_ipc().sliders["hops"].value
        3
    """
    return IpcExplorer()


# --- lesson 02: RPC -------------------------------------------------------------------------

ITEM_CHOICES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Line items per order that the RPC explorer offers (the message's size)."""

RTT_CHOICES_MS = (0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 150)
"""Network round trips, in ms, that the RPC explorer offers: 0.5 ms is a data centre, 150 ms a continent."""

CALL_COUNT_CHOICES = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000)
"""Numbers of calls a task makes that the RPC explorer offers."""

LOCAL_CALL_US = 0.12
"""Default calibration: a plain Python function call, in µs (a measurement in TOOLCHAIN.md)."""

LOOPBACK_CALL_US = 600.0
"""Default calibration: a gRPC call over loopback, in µs (median of a measurement in TOOLCHAIN.md)."""

LATENCY_SAMPLES = 10_000
"""Modelled calls per latency curve."""

_RPC_CAPTION = (
    "<span style='color:#555;font-size:90%'>"
    "<b>Left:</b> bytes of the same order in JSON, protobuf and XML-RPC, measured with the real encoders; "
    "the dots are the current order. <b>Middle:</b> the share of calls finished within x for a local function "
    "call, a remote call over loopback (both calibrated by the measurements you pass in, with a lognormal "
    "spread), and the same remote call across a network with the chosen round trip. <b>Right:</b> the time a "
    "task needs for N calls made one after the other, each paying a round trip r (here the chosen network "
    "round trip plus the loopback call's own cost), against one batched call that pays r once; the dots "
    "are the chosen r.</span>"
)


_RPC_DATA_GIDS = frozenset({"wire-size", "current-size", "call-latency", "chatty", "batched", "current-rtt"})
"""What the RPC explorer's plot functions draw as data (everything else is drawn once)."""


@lru_cache(maxsize=4)
def _wire_size_table() -> dict[str, list[int]]:
    table = [encoded_sizes(items) for items in ITEM_CHOICES]
    return {name: [row[name] for row in table] for name in ENCODINGS}


@lru_cache(maxsize=64)
def _latency_samples(median_us: float, rtt_ms: float) -> NDArray[np.float64]:
    # One seed for every setting: the curves move smoothly as the round trip changes.
    samples = latency_model_us(median_us, np.random.default_rng(SIMULATION_SEED), LATENCY_SAMPLES, rtt_ms=rtt_ms)
    samples.flags.writeable = False
    return samples


def _us_text(us: float) -> str:
    if us >= 1000:
        return _ms_text(us / 1000)
    return f"{us * 1000:.0f} ns" if us < 1 else f"{us:.0f} µs"


class RpcExplorer(widgets.VBox):
    """Explorer for lesson 02: what a remote call costs in bytes, in time, and when a task makes many.

    Three sliders: line items in the order (message size), the network round trip, and
    the number of calls a task makes. The figure shows (a) bytes on the wire for JSON,
    protobuf and XML-RPC against the message size, (b) the spread of call times for a
    local call, a loopback remote call and a remote call across the network, and (c) N
    calls one by one against one batched call, against the round trip.

    ``local_us`` and ``loopback_us`` calibrate the latency model: pass the medians the
    lesson measured (the defaults are an earlier measurement).

    Attributes:
        sliders: the sliders by name, "items", "rtt_ms" and "calls".
        image: the Image widget holding the PNG of the figure.
        status: the HTML widget under the figure.

    Examples:
        >>> explorer = RpcExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.sliders["calls"].value = 100
        >>> "100 calls one by one" in explorer.status.value
        True
    """

    def __init__(
        self,
        items: int = 10,
        rtt_ms: float = 0.5,
        calls: int = 10,
        local_us: float = LOCAL_CALL_US,
        loopback_us: float = LOOPBACK_CALL_US,
    ) -> None:
        _check_choice("items", items, ITEM_CHOICES)
        _check_choice("rtt_ms", rtt_ms, RTT_CHOICES_MS)  # type: ignore[arg-type]
        _check_choice("calls", calls, CALL_COUNT_CHOICES)
        for name, value in (("local_us", local_us), ("loopback_us", loopback_us)):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 < value < 1e6:
                raise ValueError(f"{name} must be a measured time in µs, above 0 and below 1 s, got {value!r}")
        # Rounded, so that calibrations a hair apart share the cache.
        self.local_us = float(f"{float(local_us):.3g}")
        self.loopback_us = float(f"{float(loopback_us):.3g}")

        style = {"description_width": "initial"}
        self.sliders: dict[str, Any] = {
            "items": widgets.SelectionSlider(
                options=[(f"{n:,}", n) for n in ITEM_CHOICES], value=items, description="line items", style=style,
            ),
            "rtt_ms": widgets.SelectionSlider(
                options=[(f"{ms:g} ms", ms) for ms in RTT_CHOICES_MS], value=rtt_ms,
                description="network round trip", style=style,
            ),
            "calls": widgets.SelectionSlider(
                options=[(f"{n:,}", n) for n in CALL_COUNT_CHOICES], value=calls,
                description="calls per task (N)", style=style,
            ),
        }
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.status = widgets.HTML("")

        self._panels = _PanelFigure(
            figsize=(12.0, 4.0), dpi=80,
            rects=[(0.06, 0.27, 0.26, 0.64), (0.39, 0.27, 0.26, 0.64), (0.72, 0.27, 0.26, 0.64)],
        )
        self._size_ax, self._latency_ax, self._batch_ax = self._panels.axes
        self._decorated = False
        # All three plot functions draw fixed axes, titles and legends (below the axes).
        for ax in self._panels.axes:
            self._panels.keep_constant(ax, "title", "xaxis", "yaxis", "legend")

        super().__init__(
            [
                widgets.HBox([self.sliders["items"], self.sliders["rtt_ms"], self.sliders["calls"]]),
                self.image,
                self.status,
                widgets.HTML(_RPC_CAPTION),
            ]
        )
        for slider in self.sliders.values():
            slider.observe(self._on_setting, names="value")
        self.update()

    @property
    def widget(self) -> RpcExplorer:
        """The widget to display: the explorer itself."""
        return self

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Look up the sizes and latencies for the current sliders (cached) and redraw the figure."""
        items = int(self.sliders["items"].value)
        rtt_ms = float(self.sliders["rtt_ms"].value)
        calls = int(self.sliders["calls"].value)
        sizes = _wire_size_table()
        latencies = {
            "local call": _latency_samples(self.local_us, 0.0),
            "remote, loopback": _latency_samples(self.loopback_us, 0.0),
            "remote, network": _latency_samples(self.loopback_us, rtt_ms),
        }
        round_trip_ms = rtt_ms + self.loopback_us / 1000
        one_by_one, batched = chatty_ms(calls, round_trip_ms), batched_ms(calls, round_trip_ms)

        # The axes, ticks, labels and legends never change: decorate them on the first frame
        # only, and afterwards replace just the data lines (a legend alone costs ~7 ms to build).
        frame = not self._decorated
        for ax in self._panels.axes:
            for line in [line for line in ax.lines if line.get_gid() in _RPC_DATA_GIDS]:
                line.remove()
        plot_wire_sizes(ITEM_CHOICES, sizes, current=items, ax=self._size_ax, frame=frame)
        plot_call_latency(latencies, ax=self._latency_ax, frame=frame)
        plot_chatty_vs_batched(calls, rtt_ms=round_trip_ms, ax=self._batch_ax, frame=frame)
        self._decorated = True
        self.image.value = self._panels.png()

        at = ITEM_CHOICES.index(items)
        size = {name: sizes[name][at] for name in ENCODINGS}
        medians = {name: float(np.median(values)) for name, values in latencies.items()}
        self.status.value = (
            f"<b>{items:,} line items</b>: JSON {size['JSON']:,} B, protobuf <b>{size['protobuf']:,} B</b>, "
            f"XML-RPC {size['XML-RPC']:,} B (XML-RPC is {size['XML-RPC'] / size['protobuf']:.1f}&times; protobuf).<br>"
            f"<b>Median call</b>: local {_us_text(medians['local call'])}, remote over loopback "
            f"{_us_text(medians['remote, loopback'])} "
            f"({medians['remote, loopback'] / medians['local call']:,.0f}&times;), remote across a "
            f"{rtt_ms:g} ms round trip {_us_text(medians['remote, network'])} "
            f"({medians['remote, network'] / medians['local call']:,.0f}&times;).<br>"
            f"<b>{calls:,} calls one by one</b>: N&middot;r = {_ms_text(one_by_one)}; "
            f"<b>one batched call</b>: r = {_ms_text(batched)} (r = {round_trip_ms:g} ms)."
        )


def explore_rpc(local_us: float = LOCAL_CALL_US, loopback_us: float = LOOPBACK_CALL_US) -> RpcExplorer:
    """RPC explorer for lesson 02, calibrated by measured medians: a notebook cell's one line.

    Examples:
        >>> explore_rpc(local_us=0.1, loopback_us=400.0).loopback_us
        400.0
    """
    return RpcExplorer(local_us=local_us, loopback_us=loopback_us)


# --- lesson 03: REST ------------------------------------------------------------------------

LOSS_RATE_CHOICES = (0.0, 0.01, 0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5)
"""Shares of responses lost that the retry explorer offers."""

RETRY_RANGE = (1, 5)
"""Fewest and most retries after a lost response that the retry explorer offers."""

ORDER_COUNT_CHOICES = (100, 1_000, 10_000, 100_000)
"""Numbers of orders a client places in the retry explorer."""

_LOSS_GRID = np.round(np.linspace(0.0, 0.5, 51), 2)  # every choice above is on this grid

_RETRY_CAPTION = (
    "<span style='color:#555;font-size:90%'>"
    "A client places N orders. The server does each request's work, then loses the response with probability q; "
    "after a lost response the client tries again, up to R more times. <b>POST</b> to the collection creates a new "
    "order on every attempt; <b>PUT</b> to a URI the client chose writes the same order again; <b>POST with an "
    "Idempotency-Key</b> is recognised by its key and answered with the first reply. <b>Left:</b> duplicate orders "
    "per order against q, simulated (solid) with the dotted line q (q&middot;N duplicates: exact for one retry) and "
    "the dashed exact expectation for POST, q + q&sup2; + &hellip; + q<sup>R</sup>; dots at the current q. "
    "<b>Right:</b> orders created at the current q, per order intended; labels give the counts.</span>"
)


@lru_cache(maxsize=32)
def _retry_outcome(requests: int, retries: int) -> RetryOutcome:
    # One seed per setting, shared by every loss rate: the curves are smooth, and moving the
    # loss-rate slider only moves the dots.
    return simulate_retries(_LOSS_GRID, requests, retries, np.random.default_rng(SIMULATION_SEED))


class RetryExplorer(widgets.VBox):
    """Explorer for lesson 03: duplicate orders created when lost responses are retried.

    Three sliders: the share of responses lost (q), the retries allowed after a lost
    response (R) and the orders placed (N). The figure shows (a) duplicates per order
    against q for POST, PUT and POST with an Idempotency-Key, with the q·N line and the
    exact expectation for POST, and (b) the orders created at the current q.

    Attributes:
        sliders: the sliders by name, "loss_rate", "retries" and "requests".
        image: the Image widget holding the PNG of the figure.
        status: the HTML widget under the figure.

    Examples:
        >>> explorer = RetryExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.sliders["loss_rate"].value = 0.0
        >>> "POST created <b>1,000</b>" in explorer.status.value
        True
    """

    def __init__(self, loss_rate: float = 0.1, retries: int = 1, requests: int = 1_000) -> None:
        _check_choice("loss_rate", loss_rate, LOSS_RATE_CHOICES)  # type: ignore[arg-type]
        low, high = RETRY_RANGE
        if isinstance(retries, bool) or not isinstance(retries, int) or not low <= retries <= high:
            raise ValueError(f"retries must be an int from {low} to {high}, got {retries!r}")
        _check_choice("requests", requests, ORDER_COUNT_CHOICES)
        style = {"description_width": "initial"}
        self.sliders: dict[str, Any] = {
            "loss_rate": widgets.SelectionSlider(
                options=[(_percent_label(q), q) for q in LOSS_RATE_CHOICES], value=loss_rate,
                description="responses lost (q)", style=style,
            ),
            "retries": widgets.IntSlider(value=retries, min=low, max=high, description="retries (R)", style=style),
            "requests": widgets.SelectionSlider(
                options=[(f"{n:,}", n) for n in ORDER_COUNT_CHOICES], value=requests,
                description="orders placed (N)", style=style,
            ),
        }
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.status = widgets.HTML("")
        self._panels = _PanelFigure(
            figsize=(11.0, 4.0), dpi=80, rects=[(0.07, 0.30, 0.50, 0.61), (0.67, 0.20, 0.31, 0.71)],
        )
        self._curves_ax, self._bars_ax = self._panels.axes
        # Both plot functions draw fixed axes, titles and legends, and the q line and the
        # "one per request" line never change: only curves, dots, bars and labels are redrawn.
        self._panels.keep_constant(self._curves_ax, "title", "xaxis", "yaxis", "legend", gids={"q-line"})
        self._panels.keep_constant(self._bars_ax, "title", "xaxis", "yaxis", gids={"one-per-request"})
        super().__init__(
            [
                widgets.HBox([self.sliders["loss_rate"], self.sliders["retries"], self.sliders["requests"]]),
                self.image,
                self.status,
                widgets.HTML(_RETRY_CAPTION),
            ]
        )
        for slider in self.sliders.values():
            slider.observe(self._on_setting, names="value")
        self.update()

    @property
    def widget(self) -> RetryExplorer:
        """The widget to display: the explorer itself."""
        return self

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Simulate the current setting (or take it from the cache) and redraw the figure."""
        q = float(self.sliders["loss_rate"].value)
        retries = int(self.sliders["retries"].value)
        requests = int(self.sliders["requests"].value)
        outcome = _retry_outcome(requests, retries)
        at = int(np.argmin(np.abs(_LOSS_GRID - q)))
        for ax in self._panels.axes:
            _wipe(ax)
        plot_duplicates(
            _LOSS_GRID, {name: outcome.duplicates(name) for name in STRATEGIES}, requests, retries,
            loss_rate=q, ax=self._curves_ax,
        )
        created = {name: int(outcome.created[name][at]) for name in STRATEGIES}
        plot_created(created, requests, ax=self._bars_ax)
        self.image.value = self._panels.png()
        expected = expected_duplicates(q, requests, retries)
        gave_up = int(outcome.gave_up[at])
        plural = "retry" if retries == 1 else "retries"
        self.status.value = (
            f"q = {_percent_label(q)}, R = {retries} {plural}, N = {requests:,}: "
            f"POST created <b>{created['POST']:,}</b> orders ({created['POST'] - requests:,} duplicates; "
            f"expected {expected:,.1f}, q&middot;N = {q * requests:,.1f}); "
            f"PUT <b>{created['PUT']:,}</b>; POST + Idempotency-Key <b>{created['POST + Idempotency-Key']:,}</b>. "
            f"{gave_up:,} requests lost every response and were given up, although the server did their work."
        )


def explore_retries() -> RetryExplorer:
    """Retry explorer for lesson 03 at its default settings: a notebook cell's one line.

    Examples:
        >>> explore_retries().sliders["retries"].value
        1
    """
    return RetryExplorer()


_NEW_ORDER = {"item": "book", "quantity": 1}


class HypermediaBrowser(widgets.VBox):
    """A hypermedia client for lesson 03: the current representation, and one button per link it offers.

    It starts at the entry point of an ``OrderApi`` and knows nothing else: every button
    follows a link of the representation on show, with a real HTTP request. "create"
    posts a new order (one book); "edit" puts the order back with one more item, sending
    ``If-Match``. A 204 has no body and so no links: the "entry point" button (the one
    address a client keeps) starts again.

    Without an ``api`` the browser starts its own and stops it in ``close()``; a finalizer
    stops it too when the browser is garbage-collected or Python exits, so no server
    outlives its browser.

    Attributes:
        api: the OrderApi it talks to.
        buttons: one button per link of the representation on show, by rel.
        home: the "entry point" button.
        view: HTML with the last request, its status and the representation.
        representation: the last JSON body received.
        history: "METHOD URL -> STATUS" for each request made.

    Examples:
        >>> browser = HypermediaBrowser()
        >>> sorted(browser.buttons)
        ['create', 'orders']
        >>> browser.buttons["create"].click()
        >>> sorted(browser.buttons), browser.history[-1].endswith("201 Created")
        (['cancel', 'edit', 'pay', 'self'], True)
        >>> browser.close(); browser.api.running
        False
    """

    def __init__(self, api: OrderApi | None = None) -> None:
        self.api = OrderApi().start() if api is None else api
        if not self.api.running:
            raise ValueError(f"api must be running (start it or use it in a with block), got {self.api!r}")
        self._stop_api = weakref.finalize(self, self.api.stop) if api is None else None
        self.buttons: dict[str, Any] = {}
        self.home = widgets.Button(description="⌂ entry point", tooltip=self.api.url)
        self.home.on_click(lambda button: self.go(Link("entry", self.api.url, "GET")))
        self.view = widgets.HTML("")
        self.representation: dict[str, Any] = {}
        self.history: list[str] = []
        self._etag: str | None = None
        self._links_box = widgets.HBox([])
        super().__init__([self.view, widgets.HBox([self.home, self._links_box])])
        self.go(Link("entry", self.api.url, "GET"))

    def follow(self, rel: str) -> Response:
        """Follow the link ``rel`` of the representation on show; the response."""
        return self.go(link(self.representation, rel))

    def go(self, target: Link) -> Response:
        """Make the request ``target`` describes, show the response and offer its links."""
        body: dict[str, Any] | None = None
        headers: dict[str, str] = {}
        if target.method == "POST" and target.rel == "create":
            body = dict(_NEW_ORDER)
        elif target.method == "PUT":
            body = {"item": self.representation["item"], "quantity": self.representation["quantity"] + 1}
        if target.method != "GET" and self._etag is not None:
            headers["If-Match"] = self._etag
        response = follow(target, body, headers)
        self.history.append(f"{target.method} {target.href} -> {response.status} {response.reason}")
        if response.status < 400:
            self.representation = response.json()
            self._etag = response.headers.get("etag")
            self._show_links()
        self._show(target, response)
        return response

    def _show_links(self) -> None:
        for button in self.buttons.values():
            button.close()
        self.buttons = {}
        for rel, target in links(self.representation).items():
            if target.templated:
                continue  # a template needs a value the browser does not have
            button = widgets.Button(description=f"{rel} ({target.method})", tooltip=f"{target.method} {target.href}")
            button.on_click(lambda clicked, chosen=target: self.go(chosen))
            self.buttons[rel] = button
        self._links_box.children = tuple(self.buttons.values())

    def _show(self, target: Link, response: Response) -> None:
        colour = "#1a7f37" if response.status < 400 else "#b3261e"
        shown = response.json() if response.body else {}
        text = json.dumps(shown, indent=2) if shown else "(no body)"
        headers = ", ".join(f"{name}: {response.headers[name]}" for name in ("etag", "location", "cache-control")
                            if name in response.headers)
        self.view.value = (
            f"<div style='font-family:monospace;font-size:90%'><b>{escape(target.method)}</b> "
            f"{escape(target.href)} &rarr; <b style='color:{colour}'>{response.status} {escape(response.reason)}</b>"
            f"<br><span style='color:#555'>{escape(headers)}</span>"
            f"<pre style='max-height:22em;overflow:auto;background:#f6f8fa;padding:6px'>{escape(text)}</pre></div>"
        )

    def close(self) -> None:
        """Close the widget and stop the API it started (if it started one)."""
        # getattr: ipywidgets calls close() from __del__, also on a browser whose __init__ failed.
        stop_api = getattr(self, "_stop_api", None)
        if stop_api is not None:
            stop_api()
        for button in [*getattr(self, "buttons", {}).values(), getattr(self, "home", None)]:
            if button is not None:
                button.close()
        super().close()


_current_browser: list[HypermediaBrowser] = []


def browse_orders() -> HypermediaBrowser:
    """Hypermedia browser for lesson 03 on a fresh order API: a notebook cell's one line.

    Running the cell again closes the browser it made before, and stops that browser's
    server, so re-runs never pile up servers.

    Examples:
        >>> first = browse_orders()
        >>> second = browse_orders()
        >>> first.api.running, second.api.running
        (False, True)
        >>> second.close()
    """
    while _current_browser:
        _current_browser.pop().close()
    browser = HypermediaBrowser()
    _current_browser.append(browser)
    return browser


# --- lesson 07: API gateways and rate limiting ----------------------------------------------

BUCKET_CAPACITY_CHOICES = (1, 2, 5, 10, 15, 20, 30, 50)
"""Token bucket sizes (b) the rate-limit explorer offers."""

REFILL_RATE_CHOICES = (0.2, 0.5, 1.0, 2.0, 5.0, 10.0)
"""Token bucket refill rates (r, tokens per second) the rate-limit explorer offers."""

WINDOW_LIMIT_CHOICES = (5, 10, 20, 30, 50, 100)
"""Requests per window (N) the window limiters of the rate-limit explorer offer."""

WINDOW_CHOICES_S = (1.0, 2.0, 5.0, 10.0, 15.0, 20.0, 30.0)
"""Window lengths (W, seconds) the rate-limit explorer offers."""

TRACE_SECONDS = 60.0
"""Length of the explorer's bursty trace."""

_SPANS_S = np.linspace(0.0, 30.0, 121)

_RATE_LIMIT_DATA_GIDS = frozenset({"admitted", "refused", "window-edges", "admitted-max", "bound"})

_RATE_LIMIT_CAPTION = (
    "<span style='color:#555;font-size:90%'>"
    "One seeded bursty trace (background requests plus bursts, one of them straddling t = 30 s) replayed through "
    "four limiters. The <b>token bucket</b> holds up to b tokens, refilled at r per second; a request takes one. "
    "The <b>fixed window</b> admits N per window [kW, (k+1)W); the <b>sliding log</b> admits N in any W seconds; "
    "the <b>sliding counter</b> estimates the last W seconds as previous&middot;(1 &minus; elapsed/W) + current. "
    "<b>Left:</b> each request, admitted (tick) or refused with a 429 (red cross); dotted lines are the fixed "
    "windows' edges. <b>Right:</b> the most requests admitted in any span of t seconds, for each limiter, against "
    "the token bucket's bound b + r&middot;t (dashed) and the most the trace offered (grey).</span>"
)


@lru_cache(maxsize=1)
def _rate_limit_trace() -> NDArray[np.float64]:
    rng = np.random.default_rng(SIMULATION_SEED)
    background = bursty_trace(rng, duration_s=TRACE_SECONDS, base_rate_per_s=1.0, bursts=3, burst_size=20)
    # A burst on each side of t = 30 s: an edge of every fixed window the explorer offers.
    straddling = np.concatenate([np.linspace(29.6, 29.95, 15), np.linspace(30.0, 30.35, 15)])
    return np.sort(np.concatenate([background, straddling]))


@lru_cache(maxsize=1)
def _offered_max() -> NDArray[np.int64]:
    return max_in_any_span(_rate_limit_trace(), _SPANS_S)


class RateLimitExplorer(widgets.VBox):
    """Explorer for lesson 07: four rate limiters on one bursty trace, and the token bucket's b + r·t bound.

    Four sliders: the token bucket's size (b) and refill rate (r), and the window
    limiters' requests per window (N) and window length (W). The figure shows (a) every
    request of the trace, admitted or refused, per limiter, and (b) the most requests each
    limiter admitted in any span of t seconds against b + r·t.

    Attributes:
        sliders: the sliders by name, "capacity", "refill_per_s", "limit" and "window_s".
        image: the Image widget holding the PNG of the figure.
        status: the HTML widget under the figure.
        decisions: the current decisions, per limiter (one boolean per request).

    Examples:
        >>> explorer = RateLimitExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.sliders["capacity"].value = 50
        >>> "bound b + r&middot;t holds" in explorer.status.value
        True
    """

    def __init__(
        self, capacity: int = 10, refill_per_s: float = 1.0, limit: int = 10, window_s: float = 10.0
    ) -> None:
        _check_choice("capacity", capacity, BUCKET_CAPACITY_CHOICES)
        _check_choice("refill_per_s", refill_per_s, REFILL_RATE_CHOICES)  # type: ignore[arg-type]
        _check_choice("limit", limit, WINDOW_LIMIT_CHOICES)
        _check_choice("window_s", window_s, WINDOW_CHOICES_S)  # type: ignore[arg-type]
        style = {"description_width": "initial"}
        self.sliders: dict[str, Any] = {
            "capacity": widgets.SelectionSlider(
                options=[(str(b), b) for b in BUCKET_CAPACITY_CHOICES], value=capacity,
                description="bucket size (b)", style=style,
            ),
            "refill_per_s": widgets.SelectionSlider(
                options=[(f"{r:g}/s", r) for r in REFILL_RATE_CHOICES], value=refill_per_s,
                description="refill (r)", style=style,
            ),
            "limit": widgets.SelectionSlider(
                options=[(str(n), n) for n in WINDOW_LIMIT_CHOICES], value=limit,
                description="per window (N)", style=style,
            ),
            "window_s": widgets.SelectionSlider(
                options=[(f"{w:g} s", w) for w in WINDOW_CHOICES_S], value=window_s,
                description="window (W)", style=style,
            ),
        }
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.status = widgets.HTML("")
        self.decisions: dict[str, NDArray[np.bool_]] = {}
        self._decorated = False
        self._panels = _PanelFigure(
            figsize=(11.0, 4.0), dpi=80, rects=[(0.12, 0.30, 0.52, 0.60), (0.72, 0.15, 0.26, 0.75)],
        )
        self._timeline_ax, self._curve_ax = self._panels.axes
        # Both plot functions draw fixed axes, titles and legends for a fixed trace; the
        # offered curve never changes. Only ticks, crosses, edges, curves and the bound move.
        self._panels.keep_constant(self._timeline_ax, "title", "xaxis", "yaxis", "legend")
        self._panels.keep_constant(self._curve_ax, "title", "xaxis", "yaxis", "legend", gids={"offered"})
        super().__init__(
            [
                widgets.HBox([self.sliders["capacity"], self.sliders["refill_per_s"]]),
                widgets.HBox([self.sliders["limit"], self.sliders["window_s"]]),
                self.image,
                self.status,
                widgets.HTML(_RATE_LIMIT_CAPTION),
            ]
        )
        for slider in self.sliders.values():
            slider.observe(self._on_setting, names="value")
        self.update()

    @property
    def widget(self) -> RateLimitExplorer:
        """The widget to display: the explorer itself."""
        return self

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Replay the trace through the four limiters at the current settings and redraw the figure."""
        capacity = int(self.sliders["capacity"].value)
        refill = float(self.sliders["refill_per_s"].value)
        limit = int(self.sliders["limit"].value)
        window = float(self.sliders["window_s"].value)
        trace = _rate_limit_trace()
        self.decisions = {
            name: replay(trace, make_limiter(name, capacity, refill, limit, window)) for name in RATE_LIMITERS
        }
        admitted_max = {name: max_in_any_span(trace[mask], _SPANS_S) for name, mask in self.decisions.items()}
        # Axes, labels, legends and the offered curve never change: decorate them on the first
        # frame only, then replace just the data lines (the two legends alone cost ~50 ms).
        frame = not self._decorated
        for ax in self._panels.axes:
            for line in [line for line in ax.lines if line.get_gid() in _RATE_LIMIT_DATA_GIDS]:
                line.remove()
        plot_admissions(trace, self.decisions, TRACE_SECONDS, window_s=window, ax=self._timeline_ax, frame=frame)
        plot_arrival_curve(_SPANS_S, admitted_max, capacity, refill, offered_max=_offered_max(), ax=self._curve_ax,
                           frame=frame)  # fmt: skip
        self._decorated = True
        self.image.value = self._panels.png()
        bound_holds = bool((admitted_max["token bucket"] <= token_bucket_bound(capacity, refill, _SPANS_S)).all())
        busiest = {  # the most admitted in any W seconds: just under W, so (t - W, t] as the limiters count
            name: int(max_in_any_span(trace[mask], [window * (1 - 1e-9)])[0]) for name, mask in self.decisions.items()
        }
        counts = {name: int(mask.sum()) for name, mask in self.decisions.items()}
        off = disagreement(self.decisions["sliding counter"], self.decisions["sliding log"])
        self.status.value = (
            f"{trace.size} requests. Token bucket (b = {capacity}, r = {refill:g}/s) admitted "
            f"<b>{counts['token bucket']}</b>; the bound b + r&middot;t "
            + ("holds for every span" if bound_holds else "is <b>broken</b>")
            + f". With N = {limit} per W = {window:g} s: fixed window <b>{counts['fixed window']}</b> "
            f"(busiest {window:g} s: <b>{busiest['fixed window']}</b>, up to 2N = {2 * limit}), sliding log "
            f"<b>{counts['sliding log']}</b> (busiest: <b>{busiest['sliding log']}</b>, never above N), sliding "
            f"counter <b>{counts['sliding counter']}</b> (busiest: {busiest['sliding counter']}; decided "
            f"differently from the log on {off:.1%} of requests)."
        )


def explore_rate_limits() -> RateLimitExplorer:
    """Rate-limit explorer for lesson 07 at its default settings: a notebook cell's one line.

    Examples:
        >>> explore_rate_limits().sliders["capacity"].value
        10
    """
    return RateLimitExplorer()


# --- lesson 04: DNS and managed DNS routing -------------------------------------------------

DNS_WEIGHT_CHOICES = (0, 1, 2, 5, 10, 25, 50, 100, 150, 200, 255)
"""Route 53-style weights (0 to 255) the DNS explorer offers for each region."""

DNS_RESOLVER_CHOICES = (1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000)
"""Numbers of resolvers (each fronting a Zipf-sized share of users) the DNS explorer offers."""

DNS_TTL_CHOICES_S = (30, 60, 120, 300, 600, 3_600)
"""TTLs in seconds the DNS explorer offers."""

DNS_EUROPE_SHARE_CHOICES = tuple(round(0.1 * i, 1) for i in range(11))
"""Shares of users in Europe the DNS explorer offers (the rest are in North America)."""

DNS_POLICY_CHOICES = ("weighted", "geolocation")
"""Routing policies the DNS explorer compares."""

_SPLIT_TIMES_S = np.linspace(0.0, 600.0, 121)
_STALE_GRID = np.linspace(0.0, 1.5, 91)

_DNS_CAPTION = (
    "<span style='color:#555;font-size:90%'>"
    "Two regions serve <code>www.shop.test</code>: us-east and eu-west. Users sit behind resolvers whose sizes "
    "follow a Zipf law (a few big ones, many small ones). Each resolver caches <b>one</b> answer for a TTL and "
    "gives it to all its users, then asks again. <b>weighted</b>: each fresh answer is eu-west with probability "
    "w<sub>eu</sub> / (w<sub>eu</sub> + w<sub>us</sub>). <b>geolocation</b>: a resolver in Europe gets eu-west, "
    "any other gets the default, us-east. <b>Left:</b> share of users sent to eu-west over ten minutes, realised "
    "(steps) against expected (dashed). <b>Right:</b> after a change at t = 0, share of users whose resolver "
    "still holds the old answer, simulated against 1 &minus; t/TTL.</span>"
)


@lru_cache(maxsize=64)
def _dns_simulation(
    eu_weight: int, us_weight: int, resolvers: int, ttl_s: int, europe_share: float, policy: str
) -> tuple[NDArray[np.float64], NDArray[np.float64], float, float]:
    rng = np.random.default_rng(SIMULATION_SEED)
    populations = zipf_populations(resolvers, rng)
    if policy == "weighted":
        probabilities = np.array([weighted_shares([us_weight, eu_weight])])
        expected = float(probabilities[0, 1])
    else:
        in_europe = rng.random(resolvers) < europe_share
        probabilities = np.stack([~in_europe, in_europe], axis=1).astype(np.float64)
        expected = europe_share
    split = simulate_split(probabilities, populations, ttl_s, _SPLIT_TIMES_S, rng)[:, 1]
    stale = simulate_staleness(_STALE_GRID * ttl_s, ttl_s, populations, rng)
    split.flags.writeable = False
    stale.flags.writeable = False
    return split, stale, expected, effective_resolvers(populations)


class DnsExplorer(widgets.VBox):
    """Explorer for lesson 04: how weighted and geolocation DNS split real traffic, and how fast a change is seen.

    Sliders: eu-west's weight (the main slider), us-east's weight, the number of resolvers,
    the TTL and the share of users in Europe; buttons choose the policy. The figure shows
    (a) the share of users sent to eu-west over ten minutes, realised against expected, and
    (b) after a change, the share of users whose resolver still holds the old answer,
    against 1 - t/TTL.

    Attributes:
        sliders: the sliders by name, "eu_weight", "us_weight", "resolvers", "ttl_s",
            "europe_share", and the policy buttons, "policy".
        image: the Image widget holding the PNG of the figure.
        status: the HTML widget under the figure.

    Examples:
        >>> explorer = DnsExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.sliders["eu_weight"].value = 5
        >>> "expected <b>83%</b>" in explorer.status.value
        True
    """

    def __init__(
        self,
        eu_weight: int = 1,
        us_weight: int = 1,
        resolvers: int = 100,
        ttl_s: int = 60,
        europe_share: float = 0.3,
        policy: str = "weighted",
    ) -> None:
        _check_choice("eu_weight", eu_weight, DNS_WEIGHT_CHOICES)
        _check_choice("us_weight", us_weight, DNS_WEIGHT_CHOICES)
        _check_choice("resolvers", resolvers, DNS_RESOLVER_CHOICES)
        _check_choice("ttl_s", ttl_s, DNS_TTL_CHOICES_S)
        _check_choice("europe_share", europe_share, DNS_EUROPE_SHARE_CHOICES)  # type: ignore[arg-type]
        if policy not in DNS_POLICY_CHOICES:
            raise ValueError(f"policy must be one of {list(DNS_POLICY_CHOICES)}, got {policy!r}")
        style = {"description_width": "initial"}

        def choice_slider(name: str, description: str, choices: Sequence[Any], value: Any, label: Any = str) -> Any:
            return widgets.SelectionSlider(
                options=[(label(choice), choice) for choice in choices], value=value, description=description,
                style=style,
            )

        self.sliders: dict[str, Any] = {
            "eu_weight": choice_slider("eu_weight", "eu-west weight", DNS_WEIGHT_CHOICES, eu_weight),
            "us_weight": choice_slider("us_weight", "us-east weight", DNS_WEIGHT_CHOICES, us_weight),
            "resolvers": choice_slider("resolvers", "resolvers", DNS_RESOLVER_CHOICES, resolvers, lambda n: f"{n:,}"),
            "ttl_s": choice_slider("ttl_s", "TTL (s)", DNS_TTL_CHOICES_S, ttl_s, lambda s: f"{s:,}"),
            "europe_share": choice_slider(
                "europe_share", "users in Europe", DNS_EUROPE_SHARE_CHOICES, europe_share, lambda q: f"{q:.0%}"
            ),
            "policy": widgets.ToggleButtons(options=list(DNS_POLICY_CHOICES), value=policy, description="policy",
                                            style=style),
        }
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.status = widgets.HTML("")
        self._panels = _PanelFigure(
            figsize=(11.0, 3.8), dpi=80, rects=[(0.07, 0.15, 0.50, 0.74), (0.68, 0.15, 0.30, 0.74)],
        )
        self._split_ax, self._stale_ax = self._panels.axes
        self._panels.keep_constant(self._split_ax, "title", "xaxis", "yaxis")
        self._panels.keep_constant(self._stale_ax, "title", "xaxis", "yaxis", gids={"one-minus-t-over-ttl"})
        super().__init__(
            [
                widgets.HBox([self.sliders["eu_weight"], self.sliders["us_weight"], self.sliders["resolvers"]]),
                widgets.HBox([self.sliders["ttl_s"], self.sliders["europe_share"], self.sliders["policy"]]),
                self.image,
                self.status,
                widgets.HTML(_DNS_CAPTION),
            ]
        )
        for control in self.sliders.values():
            control.observe(self._on_setting, names="value")
        self.update()

    @property
    def widget(self) -> DnsExplorer:
        """The widget to display: the explorer itself."""
        return self

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.update()

    def update(self) -> None:
        """Simulate the current setting (or take it from the cache) and redraw the figure."""
        eu_weight, us_weight = int(self.sliders["eu_weight"].value), int(self.sliders["us_weight"].value)
        resolvers, ttl_s = int(self.sliders["resolvers"].value), int(self.sliders["ttl_s"].value)
        europe_share, policy = float(self.sliders["europe_share"].value), str(self.sliders["policy"].value)
        split, stale, expected, effective = _dns_simulation(eu_weight, us_weight, resolvers, ttl_s, europe_share,
                                                            policy)  # fmt: skip
        for ax in self._panels.axes:
            _wipe(ax)
        plot_realised_split(_SPLIT_TIMES_S, split, expected, ax=self._split_ax)
        plot_staleness(_STALE_GRID, stale, ax=self._stale_ax)
        self.image.value = self._panels.png()
        half = float(np.interp(0.5, _STALE_GRID, stale))
        rate = authoritative_query_rate(resolvers, ttl_s)
        self.status.value = (
            f"<b>{policy}</b>: eu-west expected <b>{expected:.0%}</b>; realised {split.mean():.0%} on average, "
            f"from {split.min():.0%} to {split.max():.0%} over ten minutes "
            f"({resolvers:,} resolvers, as uneven as {effective:,.1f} equal ones).<br>"
            f"After a change: {half:.0%} of users still on the old answer at TTL/2 (expected 50%), none after "
            f"{ttl_s:,} s; 90% see it after {time_until_seen(0.9, ttl_s):,.0f} s. The authoritative server gets "
            f"about {rate:,.1f} queries/s from busy resolvers (R/TTL)."
        )


def explore_dns() -> DnsExplorer:
    """DNS routing explorer for lesson 04 at its default settings: a notebook cell's one line.

    Examples:
        >>> explore_dns().sliders["resolvers"].value
        100
    """
    return DnsExplorer()


# --- lesson 05: load balancers --------------------------------------------------------------

BALANCER_LOAD_CHOICES = (0.5, 0.7, 0.8, 0.9, 0.95, 0.99)
"""Offered loads λ (share of the total capacity) that the balancing explorer offers."""

BALANCER_SERVER_CHOICES = (2, 3, 4, 6, 8, 10, 15, 20)
"""Numbers of servers behind the balancer in the balancing explorer."""

SPEED_SPREAD_CHOICES = (1.0, 1.5, 2.0, 3.0, 4.0, 8.0)
"""Fastest server's speed over the slowest one's (1: all alike)."""

REFRESH_CHOICES = (0.0, 0.5, 1.0, 2.0, 5.0, 10.0, 20.0)
"""How often the balancer's view of the queues is refreshed, in mean job times (0: always fresh)."""

BALANCER_JOBS = 3_000
"""Jobs simulated per setting in the balancing explorer (the first 10% only warm up)."""

_BALANCER_CAPTION = (
    "<span style='color:#555;font-size:90%'>"
    f"Each setting sends the same seeded stream of {BALANCER_JOBS:,} jobs (Poisson arrivals, exponential work of "
    "mean 1) to FIFO servers whose speeds have mean 1, once per policy; the load &lambda; is the arrival rate over "
    "the total capacity. <i>round-robin</i> and <i>random</i> ignore the servers; <i>weighted-round-robin</i> "
    "(smooth, as in nginx) weighs them by speed; <i>least-connections</i> sends each job to the server with the "
    "fewest jobs; <i>power-of-two</i> samples two servers and takes the one with fewer. Both read the jobs per "
    "server from a board refreshed every <i>refresh</i> time units (0: always fresh). <b>Left:</b> p50 and p99 "
    "response time (log scale) and the mean (dot); the lines are the supermarket model's mean times for n "
    "&rarr; &infin; equal servers, T<sub>1</sub>(&lambda;) for one random choice and T<sub>2</sub>(&lambda;) for "
    "two. <b>Right:</b> the share of time each server of the chosen policy was busy; red bars could not keep up, "
    "and their queues grew until the simulation stopped.</span>"
)


@lru_cache(maxsize=64)
def _policy_results(load: float, servers: int, spread: float, refresh: float) -> Mapping[str, QueueResult]:
    # One seed for every setting: the same arrivals for every policy (a fair comparison),
    # and moving a slider and back redraws the same picture.
    return compare_policies(load, servers, spread, BALANCER_JOBS, seed=SIMULATION_SEED, refresh_interval=refresh)


@lru_cache(maxsize=64)
def _policy_summary(load: float, servers: int, spread: float, refresh: float) -> dict[str, tuple[float, float, float]]:
    """(p50, p99, mean) response time of each policy at a setting."""
    summary = {}
    for name, result in _policy_results(load, servers, spread, refresh).items():
        p50, p99 = np.percentile(result.response_times, [50, 99])
        summary[name] = (float(p50), float(p99), result.mean)
    return summary


def _wipe_data(ax: Axes) -> None:
    """Remove what a plot function drew with ``frame=False``, keeping the frame and the legend."""
    for artist in [*ax.lines, *ax.collections, *ax.patches, *ax.texts]:
        artist.remove()


def _times_text(times: tuple[float, float, float]) -> str:
    return f"{times[0]:.2f} / {times[1]:.1f} / {times[2]:.2f}"


class BalancerExplorer(widgets.VBox):
    """Explorer for lesson 05: response times and server loads under each balancing policy.

    Five sliders: the load λ, the number of servers, the speed spread (fastest over
    slowest), how stale the balancer's view of the queues is, and the policy whose
    per-server load is shown. The figure shows (a) p50, p99 and mean response time of
    every policy on the same jobs, with the supermarket model's T₁(λ) and T₂(λ), and
    (b) how busy each server was under the chosen policy.

    Attributes:
        sliders: the sliders by name, "load", "servers", "spread", "refresh" and "policy".
        image: the Image widget holding the PNG of the figure.
        status: the HTML widget under the figure.

    Examples:
        >>> explorer = BalancerExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.sliders["policy"].value = "random"
        >>> "<b>random</b>" in explorer.status.value
        True
    """

    def __init__(
        self,
        load: float = 0.9,
        servers: int = 10,
        spread: float = 1.0,
        refresh: float = 0.0,
        policy: str = "power-of-two",
    ) -> None:
        _check_choice("load", load, BALANCER_LOAD_CHOICES)  # type: ignore[arg-type]
        _check_choice("servers", servers, BALANCER_SERVER_CHOICES)
        _check_choice("spread", spread, SPEED_SPREAD_CHOICES)  # type: ignore[arg-type]
        _check_choice("refresh", refresh, REFRESH_CHOICES)  # type: ignore[arg-type]
        if policy not in SIMULATED_POLICIES:
            raise ValueError(f"policy must be one of {list(SIMULATED_POLICIES)}, got {policy!r}")
        style = {"description_width": "initial"}
        self.sliders: dict[str, Any] = {
            "load": widgets.SelectionSlider(
                options=[(f"{lam:g}", lam) for lam in BALANCER_LOAD_CHOICES], value=load,
                description="load (λ)", style=style,
            ),
            "servers": widgets.SelectionSlider(
                options=[(str(n), n) for n in BALANCER_SERVER_CHOICES], value=servers,
                description="servers", style=style,
            ),
            "spread": widgets.SelectionSlider(
                options=[(f"{s:g}x", s) for s in SPEED_SPREAD_CHOICES], value=spread,
                description="fastest / slowest", style=style,
            ),
            "refresh": widgets.SelectionSlider(
                options=[("fresh" if r == 0 else f"every {r:g}", r) for r in REFRESH_CHOICES], value=refresh,
                description="load board refreshed", style=style,
            ),
            "policy": widgets.ToggleButtons(
                options=list(SIMULATED_POLICIES), value=policy, description="policy (right)",
                style={"description_width": "initial", "button_width": "auto"},
            ),
        }
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.status = widgets.HTML("")
        self._panels = _PanelFigure(
            figsize=(11.0, 4.0), dpi=80, rects=[(0.07, 0.26, 0.55, 0.65), (0.71, 0.26, 0.27, 0.65)],
        )
        self._latency_ax, self._load_ax = self._panels.axes
        self._framed = False
        # Both plot functions draw fixed axes, titles and legends, and the "fully busy" line
        # never moves: only bars, dots and the reference lines are redrawn.
        self._panels.keep_constant(self._latency_ax, "title", "xaxis", "yaxis", "legend")
        self._panels.keep_constant(self._load_ax, "title", "xaxis", "yaxis", gids={"full"})
        super().__init__(
            [
                widgets.HBox([self.sliders["load"], self.sliders["servers"], self.sliders["spread"]]),
                widgets.HBox([self.sliders["refresh"], self.sliders["policy"]]),
                self.image,
                self.status,
                widgets.HTML(_BALANCER_CAPTION),
            ]
        )
        for slider in self.sliders.values():
            slider.observe(self._on_setting, names="value")
        self.update()

    @property
    def widget(self) -> BalancerExplorer:
        """The widget to display: the explorer itself."""
        return self

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.update()

    @property
    def results(self) -> Mapping[str, QueueResult]:
        """Every policy's simulated result at the current setting."""
        return _policy_results(
            float(self.sliders["load"].value), int(self.sliders["servers"].value),
            float(self.sliders["spread"].value), float(self.sliders["refresh"].value),
        )

    def update(self) -> None:
        """Simulate the current setting (or take it from the cache) and redraw the figure."""
        load = float(self.sliders["load"].value)
        policy = str(self.sliders["policy"].value)
        results = self.results
        summary = _policy_summary(
            load, int(self.sliders["servers"].value), float(self.sliders["spread"].value),
            float(self.sliders["refresh"].value),
        )
        t1, t2 = supermarket_time(load, 1), supermarket_time(load, 2)
        for ax in self._panels.axes:
            _wipe_data(ax)
        # The frames (log axis, ticks, titles, legend) are the same for every setting: drawn
        # the first time only, then kept in the figure's constant background.
        plot_policy_latency(
            summary,
            references={"T₁(λ), random, n → ∞": t1, "T₂(λ), two choices, n → ∞": t2},
            ax=self._latency_ax, frame=not self._framed,
        )
        chosen = results[policy]
        plot_server_load(chosen.busy.tolist(), chosen.speeds.tolist(), ax=self._load_ax, frame=not self._framed)
        self._framed = True
        self.image.value = self._panels.png()
        rows = "; ".join(
            (f"<b>{name}</b>" if name == policy else name) + f" {_times_text(times)}" for name, times in summary.items()
        )
        overloaded = int(np.sum(chosen.busy >= 1.0))
        refresh = float(self.sliders["refresh"].value)
        self.status.value = (
            f"&lambda; = {load:g}, {chosen.speeds.size} servers, fastest/slowest "
            f"{float(self.sliders['spread'].value):g}&times;, board "
            f"{'fresh' if refresh == 0 else f'refreshed every {refresh:g}'}. "
            f"p50 / p99 / mean: {rows}. Supermarket model (n &rarr; &infin;): T<sub>1</sub> = {t1:.2f}, "
            f"T<sub>2</sub> = {t2:.2f}.<br><b>{policy}</b>: servers busy from {chosen.busy.min():.0%} to "
            f"{chosen.busy.max():.0%} of the time"
            + (f"; <b>{overloaded}</b> could not keep up." if overloaded else ".")
        )


def explore_balancing() -> BalancerExplorer:
    """Balancing explorer for lesson 05 at its default settings: a notebook cell's one line.

    Examples:
        >>> explore_balancing().sliders["load"].value
        0.9
    """
    return BalancerExplorer()


# --- lesson 06: content delivery networks ---------------------------------------------------

TRAFFIC_CHOICES = (0.01, 0.03, 0.1, 0.3, 1, 3, 10, 30, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000)
"""Total requests per second (all edges together) that the CDN explorer offers."""

TTL_CHOICES_S = (60, 300, 900, 3_600, 21_600, 86_400)
"""Pull TTLs (``max-age``) that the CDN explorer offers: a minute to a day."""

CATALOGUE_CHOICES = (100, 1_000, 10_000, 100_000)
"""Numbers of objects in the catalogue that the CDN explorer offers."""

UPDATE_CHOICES_PER_DAY = (0.1, 1, 4, 24, 96, 1_440)
"""Updates per object per day that the CDN explorer offers: every 10 days to every minute."""

CDN_EDGES = 10
"""Edges in the CDN explorer; traffic is split evenly over them."""

ZIPF_EXPONENT = 1.0
"""Zipf exponent of the CDN explorer's popularity (an assumption of the model, not a measurement)."""

_DAY_S = 86_400.0
_TRAFFIC_GRID = np.unique(np.concatenate([np.logspace(-2, 5, 36), np.asarray(TRAFFIC_CHOICES, dtype=np.float64)]))
_CDN_DATA_GIDS = frozenset({"pull", "push", "crossover", "current-rate", "current"})

_CDN_CAPTION = (
    "<span style='color:#555;font-size:90%'>"
    f"A catalogue of O objects with Zipf popularity (exponent {ZIPF_EXPONENT:g}) is served by {CDN_EDGES} edges; "
    "the total traffic is split evenly over them. <b>Pull</b> (solid): an edge fetches an object on a miss and keeps "
    "it for the TTL, so object i's hit ratio at one edge is &lambda;<sub>i</sub>T/(1+&lambda;<sub>i</sub>T). "
    "<b>Push</b> (dashed): every object is uploaded to every edge, again at each update. <b>Left:</b> share of "
    "requests answered at the edge. <b>Middle:</b> objects per second the origin sends (multiply by the object size "
    "for bytes). <b>Right:</b> objects stored on all edges (pull: the expected number). The dash-dotted line is the "
    "traffic where pull's egress equals push's (none when the TTL is longer than the time between updates); the "
    "dots mark the current traffic.</span>"
)


def _duration_text(seconds: float) -> str:
    for unit, size in (("day", 86_400), ("h", 3_600), ("min", 60)):
        if seconds >= size:
            value = seconds / size
            return f"{value:g} {unit}" + ("s" if unit == "day" and value != 1 else "")
    return f"{seconds:g} s"


def _rate_text(per_s: float) -> str:
    if per_s >= 1:
        return f"{per_s:,.3g}/s" if per_s < 1_000 else f"{per_s:,.0f}/s"
    if per_s * 3_600 >= 1:
        return f"{per_s * 3_600:,.3g}/h"
    return f"{per_s * _DAY_S:,.3g}/day"


@lru_cache(maxsize=32)
def _pull_costs(objects: int, ttl_s: int) -> CdnCosts:
    # The pull curves depend on the catalogue and the TTL only: an update-rate move reuses them.
    costs = push_pull_costs(_TRAFFIC_GRID, objects, float(ttl_s), 0.0, edges=CDN_EDGES, exponent=ZIPF_EXPONENT)
    for values in (costs.pull_hit_ratio, costs.pull_egress_per_s, costs.pull_storage):
        values.flags.writeable = False
    return costs


@lru_cache(maxsize=128)
def _cdn_costs(objects: int, ttl_s: int, updates_per_day: float) -> CdnCosts:
    update_rate = updates_per_day / _DAY_S
    return replace(
        _pull_costs(objects, ttl_s),
        push_egress_per_s=update_rate * objects * CDN_EDGES,
        crossover_rate_per_s=crossover_rate(objects, float(ttl_s), update_rate, CDN_EDGES, ZIPF_EXPONENT),
    )


class CdnExplorer(widgets.VBox):
    """Explorer for lesson 06: hit ratio, origin egress and edge storage of push and pull CDNs.

    Four sliders: total traffic (the main one), the pull TTL, the catalogue size and the
    update rate per object. The figure shows, against traffic, (a) the hit ratio, (b) the
    objects per second the origin sends and (c) the objects stored on all edges, for pull
    and push, with the egress crossover and the current traffic marked.

    Attributes:
        sliders: the sliders by name, "request_rate", "ttl_s", "objects" and "updates_per_day".
        image: the Image widget holding the PNG of the figure.
        status: the HTML widget under the figure.

    Examples:
        >>> explorer = CdnExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.sliders["request_rate"].value = 0.01
        >>> "you are below it" in explorer.status.value
        True
    """

    def __init__(
        self, request_rate: float = 10, ttl_s: int = 3_600, objects: int = 10_000, updates_per_day: float = 1
    ) -> None:
        _check_choice("request_rate", request_rate, TRAFFIC_CHOICES)  # type: ignore[arg-type]
        _check_choice("ttl_s", ttl_s, TTL_CHOICES_S)
        _check_choice("objects", objects, CATALOGUE_CHOICES)
        _check_choice("updates_per_day", updates_per_day, UPDATE_CHOICES_PER_DAY)  # type: ignore[arg-type]
        style = {"description_width": "initial"}
        self.sliders: dict[str, Any] = {
            "request_rate": widgets.SelectionSlider(
                options=[(f"{rate:,g}/s", rate) for rate in TRAFFIC_CHOICES], value=request_rate,
                description="traffic (all edges)", style=style,
            ),
            "ttl_s": widgets.SelectionSlider(
                options=[(_duration_text(ttl), ttl) for ttl in TTL_CHOICES_S], value=ttl_s,
                description="pull TTL", style=style,
            ),
            "objects": widgets.SelectionSlider(
                options=[(f"{count:,}", count) for count in CATALOGUE_CHOICES], value=objects,
                description="objects", style=style,
            ),
            "updates_per_day": widgets.SelectionSlider(
                options=[(f"{per_day:g}/day", per_day) for per_day in UPDATE_CHOICES_PER_DAY], value=updates_per_day,
                description="updates per object", style=style,
            ),
        }
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.status = widgets.HTML("")
        self._panels = _PanelFigure(
            figsize=(12.0, 4.0), dpi=80,
            rects=[(0.06, 0.27, 0.26, 0.64), (0.39, 0.27, 0.26, 0.64), (0.72, 0.27, 0.26, 0.64)],
        )
        self._hit_ax, self._egress_ax, self._storage_ax = self._panels.axes
        self._decorated = False
        # The three plot functions draw fixed axes, titles and legends: only the data is redrawn.
        for ax in self._panels.axes:
            self._panels.keep_constant(ax, "title", "xaxis", "yaxis", "legend")
        super().__init__(
            [
                widgets.HBox([self.sliders["request_rate"], self.sliders["ttl_s"]]),
                widgets.HBox([self.sliders["objects"], self.sliders["updates_per_day"]]),
                self.image,
                self.status,
                widgets.HTML(_CDN_CAPTION),
            ]
        )
        for slider in self.sliders.values():
            slider.observe(self._on_setting, names="value")
        self.update()

    @property
    def widget(self) -> CdnExplorer:
        """The widget to display: the explorer itself."""
        return self

    def _on_setting(self, change: dict[str, Any]) -> None:
        self.update()

    @property
    def costs(self) -> CdnCosts:
        """Push and pull costs over the traffic grid for the current TTL, catalogue and update rate."""
        return _cdn_costs(
            int(self.sliders["objects"].value), int(self.sliders["ttl_s"].value),
            float(self.sliders["updates_per_day"].value),
        )

    def update(self) -> None:
        """Look up the costs for the current sliders (cached) and redraw the figure."""
        rate = float(self.sliders["request_rate"].value)
        ttl_s = int(self.sliders["ttl_s"].value)
        objects = int(self.sliders["objects"].value)
        updates_per_day = float(self.sliders["updates_per_day"].value)
        costs = self.costs
        frame = not self._decorated
        for ax in self._panels.axes:
            for line in [line for line in ax.lines if line.get_gid() in _CDN_DATA_GIDS]:
                line.remove()
        plot_hit_ratio_vs_traffic(costs, rate, ax=self._hit_ax, frame=frame)
        plot_origin_egress(costs, rate, ax=self._egress_ax, frame=frame)
        plot_edge_storage(costs, rate, ax=self._storage_ax, frame=frame)
        self._decorated = True
        self.image.value = self._panels.png()

        at = int(np.searchsorted(costs.request_rate_per_s, rate))
        hit, egress, stored = (float(costs.pull_hit_ratio[at]), float(costs.pull_egress_per_s[at]),
                               float(costs.pull_storage[at]))
        crossover = costs.crossover_rate_per_s
        if crossover is None:
            verdict = (f"No crossover: an object changes less often than every TTL would re-pull it only if "
                       f"updates are rarer than 1/TTL; here {updates_per_day:g}/day &times; "
                       f"{_duration_text(ttl_s)} &ge; 1, so push uploads more than pull ever fetches.")
        else:
            side = "below" if rate < crossover else "above"
            verdict = (f"Egress crossover at <b>{crossover:,.3g} requests/s</b>: you are {side} it, so "
                       + ("pull fetches less than push uploads, but misses more." if side == "below" else
                          "pull re-fetches more than push uploads (at most one fetch per object per edge per TTL)."))
        self.status.value = (
            f"{rate:,g} requests/s over {objects:,} objects and {CDN_EDGES} edges, TTL {_duration_text(ttl_s)}, "
            f"{updates_per_day:g} updates per object per day.<br>"
            f"<b>Pull</b>: pull answers <b>{hit:.1%}</b> at the edge; the origin sends {_rate_text(egress)}; "
            f"the edges hold {stored:,.0f} objects on average. "
            f"<b>Push</b>: 100% at the edge; uploads {_rate_text(costs.push_egress_per_s)}; "
            f"the edges hold {costs.push_storage:,.0f} objects.<br>{verdict}"
        )


def explore_cdn() -> CdnExplorer:
    """CDN explorer for lesson 06 at its default settings: a notebook cell's one line.

    Examples:
        >>> explore_cdn().sliders["ttl_s"].value
        3600
    """
    return CdnExplorer()
