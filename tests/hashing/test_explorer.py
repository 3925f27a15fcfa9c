"""The ring explorer of lesson 08: what its status line and ring say after each change.

What every explorer must do (render, move every control, redraw fast and right, reject bad
settings) is checked for all of them in tests/kit/test_explorers.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from helpers.hashing.explorer import RingExplorer
from helpers.hashing.model import HashRing, expected_remapped_fraction, mod_n_placement, remapped_fraction


@pytest.fixture
def explorer() -> RingExplorer:
    return RingExplorer()


def node_names(count: int) -> list[str]:
    return [f"node-{i}" for i in range(count)]


def expected_status_numbers(before: int, after: int, virtual_nodes: int, keys: int) -> list[str]:
    """The status line's four percentages, computed here from helpers.hashing alone."""
    on_ring = remapped_fraction(
        HashRing(node_names(before), virtual_nodes).place(range(keys)),
        HashRing(node_names(after), virtual_nodes).place(range(keys)),
    )
    mod_n = remapped_fraction(
        mod_n_placement(range(keys), node_names(before)), mod_n_placement(range(keys), node_names(after))
    )
    return [
        f"<b>{on_ring:.1%}</b> of {keys:,} keys moved on the ring",
        f"(expected {expected_remapped_fraction(before, after, 'consistent'):.1%})",
        f"<b>{mod_n:.1%}</b> with mod-N",
        f"(expected {expected_remapped_fraction(before, after, 'mod_n'):.1%})",
    ]


def test_explorer_renders_a_png_and_tells_the_first_change(explorer: RingExplorer) -> None:
    assert explorer.image.value[:4] == b"\x89PNG"
    assert explorer.image.format == "png"
    status = explorer.status.value
    assert status.startswith("Added node-7 (7 → 8 nodes, 50 points each)")
    for number in expected_status_numbers(7, 8, 50, 50_000):
        assert number in status


def test_add_button_adds_the_next_node_with_the_right_counts(explorer: RingExplorer) -> None:
    explorer.extras["add"].click()
    assert explorer.controls["nodes"].value == 9
    status = explorer.status.value
    assert status.startswith("Added node-8 (8 → 9 nodes, 50 points each)")
    for number in expected_status_numbers(8, 9, 50, 50_000):
        assert number in status


def test_remove_button_removes_the_highest_node(explorer: RingExplorer) -> None:
    explorer.extras["remove"].click()
    assert explorer.controls["nodes"].value == 7
    status = explorer.status.value
    assert status.startswith("Removed node-7 (8 → 7 nodes, 50 points each)")
    for number in expected_status_numbers(8, 7, 50, 50_000):
        assert number in status


def test_remove_is_disabled_and_harmless_at_two_nodes(explorer: RingExplorer) -> None:
    explorer.controls["nodes"].value = 2
    assert explorer.extras["remove"].disabled
    status = explorer.status.value
    explorer.extras["remove"].click()
    assert explorer.controls["nodes"].value == 2
    assert explorer.status.value == status
    explorer.extras["add"].click()
    assert not explorer.extras["remove"].disabled


def test_add_is_disabled_at_thirty_nodes(explorer: RingExplorer) -> None:
    explorer.controls["nodes"].value = 30
    assert explorer.extras["add"].disabled
    explorer.extras["add"].click()
    assert explorer.controls["nodes"].value == 30


def test_changing_v_or_keys_keeps_the_last_node_change(explorer: RingExplorer) -> None:
    explorer.extras["add"].click()
    explorer.controls["virtual_nodes"].value = 10
    explorer.controls["keys"].value = 10_000
    status = explorer.status.value
    assert status.startswith("Added node-8 (8 → 9 nodes, 10 points each)")
    for number in expected_status_numbers(8, 9, 10, 10_000):
        assert number in status


def test_a_jump_of_several_nodes_names_them_all(explorer: RingExplorer) -> None:
    explorer.controls["nodes"].value = 11
    assert explorer.status.value.startswith("Added node-8 … node-10 (3 nodes) (8 → 11 nodes")
    explorer.controls["nodes"].value = 5
    assert explorer.status.value.startswith("Removed node-5 … node-10 (6 nodes) (11 → 5 nodes")
    for number in expected_status_numbers(11, 5, 50, 50_000):
        assert number in explorer.status.value


def test_ring_panel_rings_exactly_the_sample_keys_that_moved(explorer: RingExplorer) -> None:
    explorer.extras["add"].click()
    before = HashRing(node_names(8), 50).place(range(300)).node_index
    after = HashRing(node_names(9), 50).place(range(300)).node_index
    ring_ax = explorer.panels.axes[0]
    (ringed,) = [line for line in ring_ax.lines if line.get_gid() == "moved"]
    assert len(ringed.get_xdata()) == int(np.sum(before != after)) > 0
