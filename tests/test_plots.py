"""Plot functions: each returns its Axes and draws what it promises, without pyplot state."""

from __future__ import annotations

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from helpers.cdn import push_pull_costs
from helpers.hashing import HASH_SPACE, HashRing, hash_keys, load_per_node
from helpers.plots import (
    ccdf,
    node_colors,
    plot_admissions,
    plot_arrival_curve,
    plot_balance_vs_virtual_nodes,
    plot_call_latency,
    plot_chatty_vs_batched,
    plot_created,
    plot_duplicates,
    plot_edge_storage,
    plot_fan_out_risk,
    plot_hit_ratio_vs_traffic,
    plot_latency_ccdf,
    plot_loads,
    plot_lru_hit_ratio,
    plot_moved,
    plot_origin_egress,
    plot_policy_latency,
    plot_realised_split,
    plot_ring,
    plot_server_load,
    plot_staleness,
    plot_ttl_hit_ratio,
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


# --- lesson 04: plot_realised_split and plot_staleness -----------------------------------------


def test_plot_realised_split_draws_realised_steps_and_the_expected_line() -> None:
    ax = new_axes()
    assert plot_realised_split([0, 300, 600], [0.2, 0.4, 0.3], 0.25, ax=ax) is ax
    (realised,) = by_gid(ax, "realised")
    assert realised.get_drawstyle() == "steps-post"  # type: ignore[attr-defined]
    (expected,) = by_gid(ax, "expected")
    assert list(expected.get_ydata()) == [0.25, 0.25]  # type: ignore[attr-defined]
    assert ax.get_xlim() == (0.0, 600.0)
    assert ax.get_ylim() == (0.0, 1.0)


def test_plot_staleness_draws_the_simulation_and_one_minus_t_over_ttl() -> None:
    ax = new_axes()
    plot_staleness([0.0, 0.5, 1.0, 1.5], [1.0, 0.45, 0.0, 0.0], ax=ax)
    (line,) = by_gid(ax, "one-minus-t-over-ttl")
    np.testing.assert_allclose(line.get_ydata(), [1.0, 0.0, 0.0])  # type: ignore[attr-defined]
    assert by_gid(ax, "stale")
    assert ax.get_xlim() == (0.0, 1.5)


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda ax: plot_realised_split([0, 1], [0.5], 0.5, ax=ax), "share must be a non-empty 1-d list of 2"),
        (lambda ax: plot_realised_split([0], [1.5], 0.5, ax=ax), "share must hold shares from 0 to 1"),
        (lambda ax: plot_realised_split([0], [0.5], 2.0, ax=ax), "expected must be a share"),
        (lambda ax: plot_realised_split([-1], [0.5], 0.5, ax=ax), "times_s must be"),
        (lambda ax: plot_staleness([], [], ax=ax), "t_over_ttl must be"),
    ],
)
def test_lesson_04_plots_reject_bad_input(draw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw(new_axes())  # type: ignore[operator]


@pytest.mark.parametrize(
    "draw", [lambda: plot_realised_split([0, 60], [0.5, 0.5], 0.5), lambda: plot_staleness([0, 1], [1, 0])]
)
def test_lesson_04_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    before = set(plt.get_fignums())
    ax = draw()  # type: ignore[operator]
    try:
        assert isinstance(ax, Axes)
        assert ax.figure.number not in before  # type: ignore[union-attr]
    finally:
        plt.close(ax.figure)  # type: ignore[arg-type]


# --- lesson 07: plot_admissions and plot_arrival_curve --------------------------------------


def test_plot_admissions_draws_a_row_per_limiter_with_admitted_and_refused() -> None:
    ax = new_axes()
    times = [1.0, 2.0, 3.0]
    plot_admissions(times, {"token bucket": [True, True, False], "sliding log": [True, False, False]}, 10.0,
                    window_s=4.0, ax=ax)  # fmt: skip
    by_gid: dict[str, list[list[float]]] = {}
    for line in ax.lines:
        by_gid.setdefault(str(line.get_gid()), []).append(np.asarray(line.get_xdata(), dtype=float).tolist())
    assert by_gid["admitted"] == [[1.0, 2.0], [1.0]]
    assert by_gid["refused"] == [[3.0], [2.0, 3.0]]
    assert sorted(set(by_gid["window-edges"][0])) == [4.0, 8.0]
    assert [label.get_text() for label in ax.get_yticklabels()] == ["sliding log", "token bucket"]
    assert ax.get_xlim() == (0.0, 10.0)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0], {"token bucket": [True]}, 0.0), "duration_s must be a number > 0, got 0.0"),
        (([1.0], {}, 10.0), "decisions must name at least one limiter"),
        (([1.0], {"leaky bucket": [True]}, 10.0), "limiter must be one of .*got 'leaky bucket'"),
        (([1.0, 2.0], {"token bucket": [True]}, 10.0), r"decisions\['token bucket'\] has shape \(1,\), times \(2,\)"),
    ],
)
def test_plot_admissions_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_admissions(*args, ax=new_axes())  # type: ignore[arg-type]


def test_plot_arrival_curve_draws_curves_the_bound_and_the_offered_line() -> None:
    ax = new_axes()
    spans = [0.0, 1.0, 2.0]
    plot_arrival_curve(spans, {"token bucket": [5, 6, 7], "fixed window": [5, 10, 10]}, 5, 1.0,
                       offered_max=[9, 20, 30], ax=ax)  # fmt: skip
    gids = [line.get_gid() for line in ax.lines]
    assert gids == ["admitted-max", "admitted-max", "bound", "offered"]
    bound = ax.lines[2]
    assert np.asarray(bound.get_ydata(), dtype=float).tolist() == [5.0, 6.0, 7.0]
    assert ax.get_ylim() == pytest.approx((0.0, 30 * 1.08))
    assert [text.get_text() for text in ax.get_legend().get_texts()] == [
        "token bucket", "fixed window", "bound b + r·t", "offered",
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([0.0], {"token bucket": [1]}, 5, 1.0), "spans_s must hold at least two spans"),
        (([0.0, 1.0], {"token bucket": [1, 2]}, 0, 1.0), "capacity must be a number > 0, got 0"),
        (([0.0, 1.0], {"token bucket": [1, 2]}, 5, -1.0), "refill_per_s must be a number > 0, got -1.0"),
        (([0.0, 1.0], {}, 5, 1.0), "admitted_max must name at least one limiter"),
        (([0.0, 1.0], {"token bucket": [1]}, 5, 1.0), r"admitted_max\['token bucket'\] has shape"),
    ],
)
def test_plot_arrival_curve_rejects_bad_input(args: tuple[object, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_arrival_curve(*args, ax=new_axes())  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_admissions([1.0], {"fixed window": [True]}, 5.0),
        lambda: plot_arrival_curve([0.0, 1.0], {"token bucket": [1, 2]}, 1, 1.0),
    ],
)
def test_lesson_07_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    before = set(plt.get_fignums())
    ax = draw()  # type: ignore[operator]
    try:
        assert isinstance(ax, Axes)
        assert ax.figure.number not in before  # type: ignore[union-attr]
    finally:
        plt.close(ax.figure)  # type: ignore[arg-type]


# --- lesson 06: push vs pull panels, TTL model, LRU against Che ------------------------------


@pytest.mark.parametrize(
    ("draw", "pull_values", "push_value", "log_y"),
    [
        (plot_hit_ratio_vs_traffic, "pull_hit_ratio", "push_hit_ratio", False),
        (plot_origin_egress, "pull_egress_per_s", "push_egress_per_s", True),
        (plot_edge_storage, "pull_storage", "push_storage", True),
    ],
)
def test_cdn_panels_draw_pull_push_crossover_and_the_current_rate(
    draw: object, pull_values: str, push_value: str, log_y: bool
) -> None:
    costs = push_pull_costs(np.logspace(-2, 5, 15), 1_000, 3_600.0, 1 / 86_400)
    ax = new_axes()
    assert draw(costs, 10.0, ax=ax) is ax  # type: ignore[operator]
    (pull,) = by_gid(ax, "pull")
    np.testing.assert_allclose(pull.get_ydata(), getattr(costs, pull_values))  # type: ignore[attr-defined]
    (push,) = by_gid(ax, "push")
    assert list(push.get_ydata()) == [getattr(costs, push_value)] * 2  # type: ignore[attr-defined]
    (crossover,) = by_gid(ax, "crossover")
    assert crossover.get_xdata()[0] == pytest.approx(costs.crossover_rate_per_s)  # type: ignore[attr-defined]
    (current,) = by_gid(ax, "current")
    assert current.get_xdata()[0] == 10.0  # type: ignore[attr-defined]
    assert ax.get_xscale() == "log"
    assert ax.get_yscale() == ("log" if log_y else "linear")
    assert ax.get_xlim() == pytest.approx((1e-2, 1e5))


def test_cdn_panels_without_frame_draw_the_data_only() -> None:
    costs = push_pull_costs([0.1, 10.0], 100, 60.0, 1.0)  # updated every second: no crossover
    ax = new_axes()
    plot_origin_egress(costs, ax=ax, frame=False)
    assert (ax.get_title(), ax.get_legend()) == ("", None)
    assert {line.get_gid() for line in ax.lines} == {"pull", "push"}


def test_plot_ttl_hit_ratio_draws_the_model_and_the_simulation() -> None:
    ax = new_axes()
    assert plot_ttl_hit_ratio([0.1, 1.0, 10.0], [0.09, 0.5, 0.91], ax=ax) is ax
    (model,) = by_gid(ax, "model")
    x = model.get_xdata()  # type: ignore[attr-defined]
    np.testing.assert_allclose(model.get_ydata(), x / (1 + x))  # type: ignore[attr-defined]
    (dots,) = by_gid(ax, "simulated")
    assert list(dots.get_ydata()) == [0.09, 0.5, 0.91]  # type: ignore[attr-defined]


def test_plot_lru_hit_ratio_puts_sizes_as_shares_of_the_catalogue() -> None:
    ax = new_axes()
    plot_lru_hit_ratio([10, 100], [0.3, 0.6], [0.31, 0.62], 1_000, ax=ax)
    (che,) = by_gid(ax, "che")
    assert list(che.get_xdata()) == [0.01, 0.1]  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda: plot_ttl_hit_ratio([0.0, 1.0], ax=new_axes()), "loads must be a 1-D array of numbers > 0"),
        (lambda: plot_ttl_hit_ratio([1.0, 2.0], [0.5], ax=new_axes()), "one hit ratio per load"),
        (lambda: plot_lru_hit_ratio([10], [0.3], [0.3], 0, ax=new_axes()), "objects must be an int >= 1"),
        (lambda: plot_lru_hit_ratio([10, 20], [0.3], [0.3, 0.4], 100, ax=new_axes()), "must be 1-D of one length"),
    ],
)
def test_lesson_06_plots_reject_bad_input(draw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw()  # type: ignore[operator]


def test_lesson_06_plots_without_an_axes_draw_on_a_new_figure() -> None:
    before = set(plt.get_fignums())
    ax = plot_hit_ratio_vs_traffic(push_pull_costs([1.0, 10.0], 100, 60.0, 0.0))
    try:
        assert ax.figure.number not in before  # type: ignore[union-attr]
    finally:
        plt.close(ax.figure)  # type: ignore[arg-type]


# --- lesson 05: plot_policy_latency and plot_server_load ---------------------------------------


def test_plot_policy_latency_draws_p50_p99_bars_mean_dots_and_references() -> None:
    ax = new_axes()
    latencies = {"random": (7.0, 46.0, 10.0), "power-of-two": (2.0, 9.0, 2.6)}
    drawn = plot_policy_latency(latencies, {"T1": 10.0, "T2": 2.61}, highlight="random", ax=ax)
    assert drawn is ax
    (p50,) = by_gid(ax, "p50")
    (p99,) = by_gid(ax, "p99")
    assert [float(path.vertices[1, 1]) for path in p50.get_paths()] == [7.0, 2.0]  # type: ignore[attr-defined]
    assert [float(path.vertices[1, 1]) for path in p99.get_paths()] == [46.0, 9.0]  # type: ignore[attr-defined]
    (means,) = by_gid(ax, "mean")
    assert list(means.get_ydata()) == [10.0, 2.6]  # type: ignore[attr-defined]
    assert [line.get_ydata()[0] for line in by_gid(ax, "reference")] == [10.0, 2.61]  # type: ignore[attr-defined]
    assert ax.get_yscale() == "log"
    assert ax.get_ylim() == pytest.approx((0.3, 3000.0))
    assert [t.get_fontweight() for t in ax.get_xticklabels()] == ["bold", "normal"]


def test_plot_policy_latency_clips_values_to_its_fixed_range() -> None:
    ax = plot_policy_latency({"round-robin": (0.1, 10_000.0, 500.0)}, ax=new_axes())
    (p99,) = by_gid(ax, "p99")
    assert float(p99.get_paths()[0].vertices[1, 1]) == 3000.0  # type: ignore[attr-defined]


def test_plot_server_load_marks_overloaded_servers() -> None:
    ax = new_axes()
    assert plot_server_load([0.5, 0.9, 2.0], [0.5, 1.0, 1.5], ax=ax) is ax
    (bars,) = by_gid(ax, "busy")
    assert [round(float(p.vertices[1, 1]), 2) for p in bars.get_paths()] == [0.5, 0.9, 1.5]  # type: ignore[attr-defined]
    assert [text.get_text() for text in ax.texts] == ["2.0"]
    assert by_gid(ax, "full")


def test_lesson_05_plots_without_frame_draw_the_data_only() -> None:
    ax = new_axes()
    plot_policy_latency({"random": (1.0, 2.0, 1.5)}, ax=ax, frame=False)
    plot_server_load([0.5], [1.0], ax=ax, frame=False)
    assert ax.get_title() == ""
    assert ax.get_legend() is None


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda ax: plot_policy_latency({}, ax=ax), "empty"),
        (lambda ax: plot_policy_latency({"a": (1.0, 2.0)}, ax=ax), "three positive numbers"),
        (lambda ax: plot_policy_latency({"a": (1.0, 2.0, 0.0)}, ax=ax), "three positive numbers"),
        (lambda ax: plot_policy_latency({"a": (1.0, 2.0, 3.0)}, highlight="b", ax=ax), "highlight must be"),
        (lambda ax: plot_policy_latency({"a": (1.0, 2.0, 3.0)}, {"T": -1.0}, ax=ax), "positive number"),
        (lambda ax: plot_server_load([], [], ax=ax), "same non-zero length"),
        (lambda ax: plot_server_load([0.5], [1.0, 2.0], ax=ax), "same non-zero length"),
        (lambda ax: plot_server_load([-0.5], [1.0], ax=ax), "busy must hold numbers >= 0"),
    ],
)
def test_lesson_05_plots_reject_bad_input(draw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw(new_axes())  # type: ignore[operator]


@pytest.mark.parametrize(
    "draw",
    [lambda: plot_policy_latency({"random": (1.0, 2.0, 1.5)}), lambda: plot_server_load([0.5], [1.0])],
)
def test_lesson_05_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    before = set(plt.get_fignums())
    ax = draw()  # type: ignore[operator]
    try:
        assert isinstance(ax, Axes)
        assert ax.figure.number not in before  # type: ignore[union-attr]
    finally:
        plt.close(ax.figure)  # type: ignore[arg-type]


def test_lesson_07_plots_without_frame_draw_the_data_only() -> None:
    ax = new_axes()
    plot_admissions([1.0, 2.0], {"token bucket": [True, False]}, 10.0, window_s=5.0, ax=ax, frame=False)
    plot_arrival_curve([0.0, 1.0], {"token bucket": [1, 2]}, 1, 1.0, offered_max=[3, 4], ax=ax, frame=False)
    assert ax.get_title() == ""
    assert ax.get_legend() is None
    assert [line.get_gid() for line in ax.lines] == ["admitted", "refused", "window-edges", "admitted-max", "bound"]
