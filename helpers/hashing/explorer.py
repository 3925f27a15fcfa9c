"""The ring explorer of lesson 08: how many keys move, and how even the load is, on a hash ring."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import ipywidgets as widgets
import numpy as np
from matplotlib.axes import Axes
from numpy.typing import NDArray

from helpers.explorer import Control, Explorer
from helpers.hashing.model import (
    HashRing,
    Placement,
    expected_remapped_fraction,
    hash_keys,
    load_per_node,
    remapped_fraction,
)
from helpers.hashing.plots import (
    balance_text,
    draw_loads,
    draw_moved,
    draw_ring,
    frame_loads,
    frame_moved,
    frame_ring,
)
from helpers.panels import Panel

__all__ = ["RingExplorer", "explore_ring"]

VIRTUAL_NODE_CHOICES = (1, 2, 5, 10, 20, 50, 100, 200, 500)
"""Points per node the ring explorer offers: roughly even steps on a log scale."""

KEY_COUNT_CHOICES = (1_000, 2_000, 5_000, 10_000, 20_000, 50_000, 100_000, 200_000)
"""Numbers of keys the ring explorer offers."""

SAMPLE_KEYS = 300
"""Keys drawn on the ring: enough to see arcs, few enough to see single keys."""

SCHEMES = ("ring", "mod-N")


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


class RingExplorer(Explorer):
    """Explorer for lesson 08: how many keys move, and how even the load is, on a hash ring.

    Three sliders (nodes, virtual nodes per node, keys) and two buttons that add or remove
    one node. The "last change" is always the move from the previous value of the nodes
    slider to the current one (at first, adding the highest-numbered node). Nodes are
    "node-0", "node-1", ..., so a change adds or removes the highest-numbered ones.

    The figure shows (a) the current ring with 300 sample keys, the keys that moved ringed
    and the added nodes' points enlarged; (b) keys per node for all keys, with the CV next
    to its 1/sqrt(v) prediction; (c) the fraction of all keys the last change moved, on the
    ring and with mod-N, each next to its expected value. A status line says it in words.

    Examples:
        >>> explorer = RingExplorer()
        >>> explorer.image.value[:4] == b"\\x89PNG"
        True
        >>> explorer.extras["add"].click()
        >>> explorer.controls["nodes"].value, explorer.status.value.startswith("Added node-8")
        (9, True)
    """

    CONTROLS = (
        Control("nodes", "nodes", tuple(range(2, 31)), 8),
        Control("virtual_nodes", "virtual nodes per node", VIRTUAL_NODE_CHOICES, 50),
        Control("keys", "keys", KEY_COUNT_CHOICES, 50_000, format="{:,}".format),
    )
    ROWS = (("nodes", "add", "remove"), ("virtual_nodes", "keys"))
    FIGSIZE = (11.0, 4.0)  # 880 px: as wide as every explorer, so the notebook shows it unscaled
    # Every title is fixed: the status line gives the numbers (a redrawn title costs more than its bars).
    PANELS = (Panel((0.005, 0.02, 0.30, 0.84)), Panel((0.37, 0.16, 0.37, 0.70)), Panel((0.80, 0.16, 0.19, 0.70)))
    CAPTION = (
        "<b>Left:</b> the ring, clockwise from 0 at the top. Squares are the nodes' points (their virtual nodes); "
        f"the dots inside are the first {SAMPLE_KEYS} keys, each coloured as the node that owns it (the first point "
        "clockwise from the key). Ringed dots moved in the last change; the circles just outside repeat the points "
        "of the node just added. <b>Middle:</b> keys per node for all keys, bars coloured as on the ring; dashed "
        "line: the mean; the status line gives max/mean and the CV against 1/√v. <b>Right:</b> share of all keys "
        "the last change moved, measured against expected."
    )

    def __init__(self, **settings: Any) -> None:
        nodes = settings.get("nodes", self.CONTROLS[0].default)
        self._previous_nodes = nodes - 1 if isinstance(nodes, int) else 0  # the story starts with a node joining
        super().__init__(**settings)

    def extra_widgets(self) -> Mapping[str, Any]:
        # The brief's labels: the heavy plus and minus read well on a button.
        add = widgets.Button(description="➕ add a node", tooltip="nodes + 1")  # noqa: RUF001
        remove = widgets.Button(description="➖ remove a node", tooltip="nodes - 1")  # noqa: RUF001
        add.on_click(lambda _: self._step(+1))
        remove.on_click(lambda _: self._step(-1))
        return {"add": add, "remove": remove}

    def _step(self, change: int) -> None:
        slider = self.controls["nodes"]
        slider.value = min(slider.max, max(slider.min, slider.value + change))

    def changed(self, name: str, old: Any) -> None:
        if name == "nodes":
            self._previous_nodes = int(old)

    def frame(self, ring_ax: Axes, loads_ax: Axes, moved_ax: Axes) -> None:
        frame_ring(ring_ax)
        ring_ax.set_title(f"Ring and {SAMPLE_KEYS} keys (ringed: moved)", fontsize="medium", y=1.0)
        frame_loads(loads_ax)
        loads_ax.set_title("Keys per node (dashed: the mean)", fontsize="medium", y=1.0)
        frame_moved(moved_ax, SCHEMES)

    def draw(self, ring_ax: Axes, loads_ax: Axes, moved_ax: Axes, *, nodes: int, virtual_nodes: int, keys: int) -> str:
        before, after = self._previous_nodes, nodes
        self.extras["add"].disabled = after >= self.controls["nodes"].max
        self.extras["remove"].disabled = after <= self.controls["nodes"].min

        old, new = _ring_placement(before, virtual_nodes, keys), _ring_placement(after, virtual_nodes, keys)
        moved_on_ring = remapped_fraction(old, new)
        moved_mod_n = remapped_fraction(_mod_n_placement(before, keys), _mod_n_placement(after, keys))
        expected_ring = expected_remapped_fraction(before, after, "consistent")
        expected_mod_n = expected_remapped_fraction(before, after, "mod_n")
        # Node i has index i in both placements, so indices compare directly.
        sample = _sorted_keys(keys).sample_rank
        moved_sample = old.node_index[sample] != new.node_index[sample]
        added = _node_names(after)[before:]

        draw_ring(_ring(after, virtual_nodes), keys=range(SAMPLE_KEYS), moved=moved_sample,
                  highlight=added or None, ax=ring_ax, legend=False)  # fmt: skip
        loads = load_per_node(new)
        draw_loads(loads, virtual_nodes=virtual_nodes, ax=loads_ax)
        draw_moved(dict(zip(SCHEMES, (moved_on_ring, moved_mod_n), strict=True)),
                   dict(zip(SCHEMES, (expected_ring, expected_mod_n), strict=True)), ax=moved_ax)  # fmt: skip
        return (
            f"{_describe_change(before, after)} ({before} → {after} nodes, {virtual_nodes} points each): "
            f"<b>{moved_on_ring:.1%}</b> of {keys:,} keys moved on the ring "
            f"(expected {expected_ring:.1%}), <b>{moved_mod_n:.1%}</b> with mod-N (expected {expected_mod_n:.1%}). "
            f"Keys per node: {balance_text(loads, virtual_nodes)}."
        )


def explore_ring() -> RingExplorer:
    """Ring explorer for lesson 08 at its default settings: a notebook cell's one line (lesson 08, "Explore").

    Examples:
        >>> explore_ring().controls["nodes"].value
        8
    """
    return RingExplorer()
