"""Plot functions: each returns its Axes and draws what it promises, without pyplot state."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.hashing import HASH_SPACE, HashRing, hash_keys, load_per_node
from helpers.plots import (
    ccdf,
    node_colors,
    plot_balance_vs_virtual_nodes,
    plot_call_latency,
    plot_chatty_vs_batched,
    plot_created,
    plot_duplicates,
    plot_fan_out_risk,
    plot_latency_ccdf,
    plot_loads,
    plot_moved,
    plot_ring,
    plot_wire_sizes,
)


def new_axes() -> Axes:
    """Axes on a figure that pyplot does not know about (nothing to close)."""
    return Figure(figsize=(4, 4)).add_subplot()


def ring_point_count(ax: Axes) -> int:
    """Markers plot_ring drew for ring points, whether as collections or as lines."""
    in_lines = sum(len(line.get_xdata()) for line in ax.lines if line.get_gid() == "ring-points")
    in_dots = sum(len(dots.get_offsets()) for dots in ax.collections if dots.get_gid() == "ring-points")
    return in_lines + in_dots


def by_gid(ax: Axes, gid: str) -> list[object]:
    return [artist for artist in ax.get_children() if artist.get_gid() == gid]


def texts(ax: Axes) -> list[str]:
    return [text.get_text() for text in ax.texts]


# --- node colours -------------------------------------------------------------------------


def test_node_colors_are_distinct_for_thirty_nodes() -> None:
    colors = node_colors(30)
    assert colors.shape == (30, 4)
    assert len({tuple(row) for row in colors.round(6)}) == 30


@pytest.mark.parametrize("count", [-1, 2.5, True])
def test_node_colors_rejects_bad_counts(count: object) -> None:
    with pytest.raises(ValueError, match=repr(count).replace(".", r"\.")):
        node_colors(count)  # type: ignore[arg-type]


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
    labels = texts(ax)  # in the order drawn: node labels first, then the axis name
    assert labels[:7] == ["0", "5", "10", "15", "20", "25", "node"]


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


# --- shared behaviour ---------------------------------------------------------------------


def test_plots_given_an_axes_leave_pyplot_alone() -> None:
    before = plt.get_fignums()
    plot_ring(HashRing(["a", "b"], virtual_nodes=5), keys=range(10), ax=new_axes())
    plot_loads({"a": 1, "b": 2}, ax=new_axes())
    plot_moved({"x": 0.5}, {"x": 0.5}, ax=new_axes())
    assert plt.get_fignums() == before


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
    before = set(plt.get_fignums())
    ax = draw()  # type: ignore[operator]
    try:
        assert isinstance(ax, Axes)
        assert ax.figure.number not in before  # type: ignore[union-attr]
    finally:
        plt.close(ax.figure)  # type: ignore[arg-type]


# --- lesson 01: plot_latency_ccdf and plot_fan_out_risk --------------------------------------


def test_ccdf_counts_failures_as_never_finished() -> None:
    latencies = np.array([1.0, 2.0, np.inf, 4.0])
    assert ccdf(latencies, np.array([0.5, 1.0, 3.0, 1e9])).tolist() == [1.0, 0.75, 0.5, 0.25]


def test_plot_latency_ccdf_draws_one_curve_per_series_levelling_off_at_the_failure_rate() -> None:
    rng = np.random.default_rng(0)
    answered = rng.uniform(1.0, 100.0, size=1000)
    answered[:20] = np.inf  # 2% failed
    ax = new_axes()
    assert plot_latency_ccdf({"sync": answered, "async": rng.uniform(1.0, 5.0, size=1000)}, ax=ax) is ax
    curves = [line for line in ax.lines if line.get_gid() == "ccdf"]
    assert [line.get_label() for line in curves] == ["sync", "async"]
    x, y = curves[0].get_xdata(), curves[0].get_ydata()
    assert y[x > 1000].tolist() == pytest.approx([0.02] * int(np.sum(x > 1000)))  # type: ignore[operator]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_xlim() == pytest.approx((0.1, 100_000.0))
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["sync", "async"]  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("series", "message"),
    [({}, "empty"), ({str(i): np.ones(3) for i in range(5)}, "at most 4 series"), ({"a": np.array([])}, "non-empty")],
)
def test_plot_latency_ccdf_rejects_bad_input(series: dict[str, np.ndarray], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_latency_ccdf(series, ax=new_axes())


def test_plot_fan_out_risk_draws_both_formulas_and_the_simulated_dots() -> None:
    ax = new_axes()
    assert plot_fan_out_risk(0.01, 0.999, 13, measured={"slow": 0.12, "down": 0.013}, ax=ax) is ax
    (slow,) = by_gid(ax, "slow")
    (down,) = by_gid(ax, "down")
    n = slow.get_xdata()  # type: ignore[attr-defined]
    np.testing.assert_allclose(slow.get_ydata(), 1 - 0.99**n)  # type: ignore[attr-defined]
    np.testing.assert_allclose(down.get_ydata(), 1 - 0.999**n)  # type: ignore[attr-defined]
    (dot,) = by_gid(ax, "measured-slow")
    assert (dot.get_xdata()[0], dot.get_ydata()[0]) == (13, 0.12)  # type: ignore[attr-defined]
    assert by_gid(ax, "measured-down")
    assert not by_gid(plot_fan_out_risk(0.01, 0.999, 13, ax=new_axes()), "measured-slow")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((1.5, 0.9, 3), "got 1.5 and 0.9"),
        ((0.1, 0.9, 0), "calls must be an int from 1 to 120, got 0"),
        ((0.1, 0.9, 121), "got 121"),
    ],
)
def test_plot_fan_out_risk_rejects_bad_input(args: tuple[float, float, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_fan_out_risk(*args, ax=new_axes())


def test_plot_fan_out_risk_rejects_unknown_measurements() -> None:
    with pytest.raises(ValueError, match=r"\['late'\]"):
        plot_fan_out_risk(0.1, 0.9, 3, measured={"late": 0.5}, ax=new_axes())


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_latency_ccdf({"sync": np.array([1.0, 2.0])}),
        lambda: plot_fan_out_risk(0.01, 0.999, 10),
    ],
)
def test_lesson_01_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    before = set(plt.get_fignums())
    ax = draw()  # type: ignore[operator]
    try:
        assert isinstance(ax, Axes)
        assert ax.figure.number not in before  # type: ignore[union-attr]
    finally:
        plt.close(ax.figure)  # type: ignore[arg-type]


# --- lesson 02: plot_wire_sizes, plot_call_latency, plot_chatty_vs_batched -------------------


def test_plot_wire_sizes_draws_one_line_per_encoding_and_marks_the_current_size() -> None:
    ax = new_axes()
    sizes = {"JSON": [99, 567, 5247], "protobuf": [35, 197, 1817], "XML-RPC": [641, 2945, 25985]}
    assert plot_wire_sizes([1, 10, 100], sizes, current=10, ax=ax) is ax
    lines = by_gid(ax, "wire-size")
    assert [line.get_label() for line in lines] == ["JSON", "protobuf", "XML-RPC"]  # type: ignore[attr-defined]
    assert [float(dot.get_ydata()[0]) for dot in by_gid(ax, "current-size")] == [567, 197, 2945]  # type: ignore[attr-defined]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_ylim() == pytest.approx((10.0, 1e6))


@pytest.mark.parametrize(
    ("items", "sizes", "current", "message"),
    [
        ([0, 10], {"JSON": [1, 2]}, None, "items must be a non-empty list of counts from 1 to 1000"),
        ([1, 10], {}, None, "sizes must name 1 to 4 encodings"),
        ([1, 10], {"JSON": [1]}, None, r"sizes\['JSON'\] has 1 values for 2 item counts"),
        ([1, 10], {"JSON": [1, 2]}, 5, "current must be one of items"),
    ],
)
def test_plot_wire_sizes_rejects_bad_input(
    items: list[int], sizes: dict[str, list[int]], current: int | None, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        plot_wire_sizes(items, sizes, current=current, ax=new_axes())


def test_plot_call_latency_draws_the_share_finished_per_series() -> None:
    ax = new_axes()
    local, remote = np.full(100, 0.1), np.full(100, 500.0)
    assert plot_call_latency({"local": local, "remote": remote}, ax=ax) is ax
    first, second = by_gid(ax, "call-latency")
    x = first.get_xdata()  # type: ignore[attr-defined]
    assert first.get_ydata()[x >= 1.0].min() == 1.0  # type: ignore[attr-defined]
    assert second.get_ydata()[x < 400.0].max() == 0.0  # type: ignore[attr-defined]
    assert ax.get_xlim() == pytest.approx((0.01, 1e6))
    with pytest.raises(ValueError, match="samples_us must name 1 to 4 series"):
        plot_call_latency({}, ax=new_axes())


def test_plot_chatty_vs_batched_draws_n_r_against_r() -> None:
    ax = new_axes()
    assert plot_chatty_vs_batched(100, rtt_ms=10.0, work_ms=0.5, ax=ax) is ax
    (chatty,) = by_gid(ax, "chatty")
    (batched,) = by_gid(ax, "batched")
    r = chatty.get_xdata()  # type: ignore[attr-defined]
    np.testing.assert_allclose(chatty.get_ydata(), 100 * (r + 0.5))  # type: ignore[attr-defined]
    np.testing.assert_allclose(batched.get_ydata(), r + 50.0)  # type: ignore[attr-defined]
    assert [float(dot.get_ydata()[0]) for dot in by_gid(ax, "current-rtt")] == [1050.0, 60.0]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [({"calls": 0}, "calls must be an int >= 1, got 0"), ({"calls": 5, "rtt_ms": 500.0}, "rtt_ms must be from"),
     ({"calls": 5, "work_ms": -1.0}, "work_ms must be")],
)
def test_plot_chatty_vs_batched_rejects_bad_input(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_chatty_vs_batched(ax=new_axes(), **kwargs)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_wire_sizes([1, 10], {"JSON": [99, 567]}),
        lambda: plot_call_latency({"local": np.array([0.1, 0.2])}),
        lambda: plot_chatty_vs_batched(10),
    ],
)
def test_lesson_02_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    before = set(plt.get_fignums())
    ax = draw()  # type: ignore[operator]
    try:
        assert isinstance(ax, Axes)
        assert ax.figure.number not in before  # type: ignore[union-attr]
    finally:
        plt.close(ax.figure)  # type: ignore[arg-type]


# --- lesson 03: plot_duplicates and plot_created ---------------------------------------------


def test_plot_duplicates_draws_each_strategy_per_order_with_the_q_line_and_expectation() -> None:
    rates = np.linspace(0.0, 0.5, 6)
    ax = new_axes()
    drawn = plot_duplicates(rates, {"POST": rates * 100, "PUT": np.zeros(6)}, 100, 2, loss_rate=0.2, ax=ax)
    assert drawn is ax
    curves = by_gid(ax, "duplicates")
    assert [line.get_label() for line in curves] == ["POST", "PUT"]  # type: ignore[attr-defined]
    np.testing.assert_allclose(curves[0].get_ydata(), rates)  # type: ignore[attr-defined]
    (expected,) = by_gid(ax, "expected")
    x = expected.get_xdata()  # type: ignore[attr-defined]
    np.testing.assert_allclose(expected.get_ydata(), x + x**2)  # type: ignore[attr-defined]
    (q_line,) = by_gid(ax, "q-line")
    np.testing.assert_allclose(q_line.get_ydata(), q_line.get_xdata())  # type: ignore[attr-defined]
    (dot,) = by_gid(ax, "current-POST")
    assert dot.get_xdata()[0] == pytest.approx(0.2)  # type: ignore[attr-defined]
    assert ax.get_xlim() == (0.0, 0.5)
    assert ax.get_ylim() == (0.0, 1.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.1], {"POST": [1]}, 0, 1), "requests must be an int >= 1, got 0"),
        (([0.1], {"POST": [1]}, 10, -1), "retries must be an int >= 0, got -1"),
        (([0.1], {}, 10, 1), "empty"),
        (([0.1], {"GET": [1]}, 10, 1), "strategy must be one of"),
        (([0.1, 0.2], {"POST": [1]}, 10, 1), "shape"),
    ],
)
def test_plot_duplicates_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_duplicates(*args, ax=new_axes())  # type: ignore[arg-type]


def test_plot_created_draws_one_bar_per_strategy_per_order_with_counts() -> None:
    ax = new_axes()
    assert plot_created({"POST": 1300, "PUT": 1000, "POST + Idempotency-Key": 1000}, 1000, ax=ax) is ax
    assert [round(float(bar.get_height()), 2) for bar in ax.patches] == [1.3, 1.0, 1.0]  # type: ignore[attr-defined]
    assert [text.get_text() for text in ax.texts] == ["1,300\n(+300)", "1,000", "1,000"]
    assert ax.get_ylim() == (0.0, 2.2)
    assert by_gid(ax, "one-per-request")


@pytest.mark.parametrize(
    ("created", "requests", "message"),
    [
        ({}, 10, "empty"),
        ({"POST": 5}, 0, "requests must be"),
        ({"POST": -1}, 10, "must be >= 0"),
        ({"GET": 1}, 1, "strategy"),
    ],
)
def test_plot_created_rejects_bad_input(created: dict[str, int], requests: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_created(created, requests, ax=new_axes())


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_duplicates([0.0, 0.1], {"POST": [0, 1]}, 10, 1),
        lambda: plot_created({"POST": 11}, 10),
    ],
)
def test_lesson_03_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    before = set(plt.get_fignums())
    ax = draw()  # type: ignore[operator]
    try:
        assert isinstance(ax, Axes)
        assert ax.figure.number not in before  # type: ignore[union-attr]
    finally:
        plt.close(ax.figure)  # type: ignore[arg-type]


def test_lesson_02_plots_without_frame_draw_the_data_only() -> None:
    ax = new_axes()
    plot_chatty_vs_batched(10, rtt_ms=1.0, ax=ax, frame=False)
    plot_wire_sizes([1, 10], {"JSON": [99, 567]}, current=1, ax=ax, frame=False)
    plot_call_latency({"local": np.array([0.1])}, ax=ax, frame=False)
    assert ax.get_title() == ""
    assert ax.get_legend() is None
    assert ax.get_xscale() == "linear"
    assert {"chatty", "batched", "current-rtt", "wire-size", "current-size", "call-latency"} <= {
        line.get_gid() for line in ax.lines
    }
