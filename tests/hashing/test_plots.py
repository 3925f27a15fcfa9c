"""Figures of lesson 08: the ring, keys per node, keys moved, balance against v."""

from __future__ import annotations

import math

import numpy as np
import pytest
from matplotlib.axes import Axes

from helpers.figures import node_colors
from helpers.hashing.model import HASH_SPACE, HashRing, hash_keys, load_per_node
from helpers.hashing.plots import plot_balance_vs_virtual_nodes, plot_loads, plot_moved, plot_ring

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, by_gid, new_axes, texts


def ring_point_count(ax: Axes) -> int:
    """Markers plot_ring drew for ring points, whether as collections or as lines."""
    in_lines = sum(len(line.get_xdata()) for line in ax.lines if line.get_gid() == "ring-points")
    in_dots = sum(len(dots.get_offsets()) for dots in ax.collections if dots.get_gid() == "ring-points")
    return in_lines + in_dots


# --- plot_ring ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("nodes", "virtual_nodes"),
    [(3, 4), (8, 50), (5, 150), (30, 500)],  # few points share one collection; many get a line each
)
def test_plot_ring_draws_one_marker_per_ring_point(nodes: int, virtual_nodes: int) -> None:
    ring = HashRing([f"node-{i}" for i in range(nodes)], virtual_nodes=virtual_nodes)
    ax = new_axes()
    assert plot_ring(ring, ax=ax) is ax
    assert ring_point_count(ax) == len(ring.positions)


@pytest.mark.parametrize("virtual_nodes", [20, 150])
def test_plot_ring_repeats_highlighted_points_larger_outside_the_circle(virtual_nodes: int) -> None:
    ring = HashRing(["a", "b", "c"], virtual_nodes=virtual_nodes)
    ax = plot_ring(ring, highlight=["b", "c"], ax=new_axes())
    assert ring_point_count(ax) == len(ring.positions)
    big = by_gid(ax, "highlight")
    if virtual_nodes < 100:
        (dots,) = big
        (normal,) = by_gid(ax, "ring-points")
        xy = dots.get_offsets()  # type: ignore[attr-defined]
        assert len(xy) == 2 * virtual_nodes
        assert dots.get_sizes()[0] > normal.get_sizes()[0]  # type: ignore[attr-defined]
    else:
        assert len(big) == 2  # one line of markers per highlighted node
        xy = np.concatenate([line.get_xydata() for line in big])  # type: ignore[attr-defined]
    np.testing.assert_allclose(np.hypot(xy[:, 0], xy[:, 1]), 1.09)


def test_plot_ring_places_keys_clockwise_from_twelve_o_clock_in_their_owner_colour() -> None:
    ring = HashRing(["a", "b", "c", "d"], virtual_nodes=10)
    keys = range(50)
    ax = plot_ring(ring, keys=keys, ax=new_axes())
    (dots,) = by_gid(ax, "keys")
    angle = hash_keys(keys).astype(np.float64) / HASH_SPACE * 2 * math.pi
    offsets = dots.get_offsets()  # type: ignore[attr-defined]
    np.testing.assert_allclose(offsets[:, 0], 0.86 * np.sin(angle))
    np.testing.assert_allclose(offsets[:, 1], 0.86 * np.cos(angle))
    owners = ring.place(keys).node_index
    np.testing.assert_allclose(dots.get_facecolors(), node_colors(4)[owners])  # type: ignore[attr-defined]


def test_plot_ring_rings_exactly_the_moved_keys() -> None:
    ring = HashRing(["a", "b"], virtual_nodes=10)
    moved = np.zeros(40, dtype=bool)
    moved[[1, 5, 7]] = True
    ax = plot_ring(ring, keys=range(40), moved=moved, ax=new_axes())
    (ringed,) = by_gid(ax, "moved")
    assert len(ringed.get_xdata()) == 3  # type: ignore[attr-defined]


def test_plot_ring_shows_a_legend_only_for_few_nodes() -> None:
    few = HashRing([f"n{i}" for i in range(10)], virtual_nodes=5)
    many = HashRing([f"n{i}" for i in range(11)], virtual_nodes=5)
    assert plot_ring(few, ax=new_axes()).get_legend() is not None
    assert plot_ring(many, ax=new_axes()).get_legend() is None
    assert plot_ring(few, ax=new_axes(), legend=False).get_legend() is None


def test_plot_ring_is_round_and_has_no_ticks() -> None:
    ax = plot_ring(HashRing(["a", "b"], virtual_nodes=5), ax=new_axes())
    assert ax.get_aspect() == 1.0
    assert list(ax.get_xticks()) == []
    assert list(ax.get_yticks()) == []


def test_plot_ring_rejects_moved_flags_of_the_wrong_length() -> None:
    ring = HashRing(["a", "b"], virtual_nodes=5)
    with pytest.raises(ValueError, match=r"one flag per key \(10 keys\), got shape \(9,\)"):
        plot_ring(ring, keys=range(10), moved=np.zeros(9, dtype=bool), ax=new_axes())


def test_plot_ring_rejects_highlighting_an_unknown_node() -> None:
    with pytest.raises(ValueError, match=r"\['zz'\]"):
        plot_ring(HashRing(["a", "b"], virtual_nodes=5), highlight="zz", ax=new_axes())


# --- plot_loads ---------------------------------------------------------------------------


def test_plot_loads_draws_one_bar_per_node_and_the_mean() -> None:
    ring = HashRing([f"node-{i}" for i in range(12)], virtual_nodes=50)
    loads = load_per_node(ring.place(range(20_000)))
    ax = new_axes()
    assert plot_loads(loads, virtual_nodes=50, ax=ax) is ax
    (bars,) = by_gid(ax, "bars")
    assert len(bars.get_paths()) == 12  # type: ignore[attr-defined]
    heights = [path.vertices[:, 1].max() for path in bars.get_paths()]  # type: ignore[attr-defined]
    assert heights == pytest.approx(list(loads.values()))
    assert any(line.get_ydata()[0] == pytest.approx(20_000 / 12) for line in ax.lines)


def test_plot_loads_title_gives_max_over_mean_cv_and_the_prediction() -> None:
    ax = plot_loads({"a": 90, "b": 110}, virtual_nodes=100, ax=new_axes())
    assert ax.get_title() == "max/mean 1.10 · CV 0.100 (1/√v = 0.100)"
    assert "1/√v" not in plot_loads({"a": 90, "b": 110}, ax=new_axes()).get_title()


def test_plot_loads_labels_at_most_six_nodes_without_their_common_prefix() -> None:
    ax = plot_loads({f"node-{i}": 100 + i for i in range(30)}, ax=new_axes())
    labels = texts(ax)  # in the order drawn: the frame (axis name, 0), then node labels and the mean
    assert labels[:8] == ["node", "0", "0", "5", "10", "15", "20", "25"]
    assert labels[8].startswith("mean\n")


@pytest.mark.parametrize(
    ("loads", "virtual_nodes", "message"),
    [({}, None, "empty"), ({"a": 1}, 0, "got 0"), ({"a": 1}, 2.5, "got 2.5")],
)
def test_plot_loads_rejects_bad_input(loads: dict[str, int], virtual_nodes: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_loads(loads, virtual_nodes=virtual_nodes, ax=new_axes())  # type: ignore[arg-type]


# --- plot_moved ---------------------------------------------------------------------------


def test_plot_moved_draws_measured_and_expected_bars_with_their_values() -> None:
    measured = {"consistent ring": 0.109, "mod-N": 0.888}
    expected = {"consistent ring": 0.111, "mod-N": 0.889}
    ax = new_axes()
    assert plot_moved(measured, expected, ax=ax) is ax
    assert [(bars.get_gid(), len(bars.get_paths())) for bars in ax.collections] == [  # type: ignore[attr-defined]
        ("measured", 2),
        ("expected", 2),
    ]
    assert sorted(texts(ax)) == ["10.9%", "11.1%", "88.8%", "88.9%"]
    assert ax.get_ylim() == (0.0, 1.0)
    assert [label.get_text() for label in ax.get_xticklabels()] == ["consistent ring", "mod-N"]
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["measured", "expected"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("measured", "expected", "message"),
    [
        ({}, {}, "empty"),
        ({"ring": 0.1}, {"mod-N": 0.1}, "same schemes"),
        ({"ring": 1.5}, {"ring": 0.1}, "got 1.5"),
        ({"ring": 0.1}, {"ring": -0.2}, "got -0.2"),
    ],
)
def test_plot_moved_rejects_bad_input(
    measured: dict[str, float], expected: dict[str, float], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        plot_moved(measured, expected, ax=new_axes())


# --- plot_balance_vs_virtual_nodes ----------------------------------------------------------


def test_plot_balance_vs_virtual_nodes_is_log_log_with_the_prediction() -> None:
    ax = plot_balance_vs_virtual_nodes([1, 10, 100, 1000], [0.9, 0.3, 0.1, 0.03], ax=new_axes())
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    measured, prediction = ax.lines
    assert list(measured.get_ydata()) == [0.9, 0.3, 0.1, 0.03]
    np.testing.assert_allclose(prediction.get_ydata(), 1 / np.sqrt(prediction.get_xdata()))


def test_plot_balance_vs_virtual_nodes_rejects_mismatched_lists() -> None:
    with pytest.raises(ValueError, match=r"\(3,\) and \(2,\)"):
        plot_balance_vs_virtual_nodes([1, 10, 100], [0.9, 0.3], ax=new_axes())


# --- every plot -----------------------------------------------------------------------------


def test_plots_given_an_axes_leave_pyplot_alone() -> None:
    assert_leaves_pyplot_alone(
        lambda ax: plot_ring(HashRing(["a", "b"], virtual_nodes=5), keys=range(10), ax=ax),
        lambda ax: plot_loads({"a": 1, "b": 2}, ax=ax),
        lambda ax: plot_moved({"x": 0.5}, {"x": 0.5}, ax=ax),
    )


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_ring(HashRing(["a", "b"], virtual_nodes=5)),
        lambda: plot_loads({"a": 1, "b": 2}),
        lambda: plot_moved({"x": 0.5}, {"x": 0.5}),
        lambda: plot_balance_vs_virtual_nodes([1, 10], [1.0, 0.3]),
    ],
)
def test_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    assert_draws_on_a_new_figure(draw)  # type: ignore[arg-type]
