"""Figures of lesson 02: bytes on the wire, call times local and remote, chatty against batched calls."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.rpc.plots import plot_call_latency, plot_chatty_vs_batched, plot_wire_sizes

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, by_gid, new_axes


def test_plot_wire_sizes_draws_one_line_per_encoding_and_marks_the_current_size() -> None:
    ax = new_axes()
    sizes = {"JSON": [99, 567, 5247], "protobuf": [35, 197, 1817], "XML-RPC": [641, 2945, 25985]}
    assert plot_wire_sizes([1, 10, 100], sizes, current=10, ax=ax) is ax
    lines = by_gid(ax, "wire-size")
    assert [line.get_label() for line in lines] == ["JSON", "protobuf", "XML-RPC"]
    assert [float(dot.get_ydata()[0]) for dot in by_gid(ax, "current-size")] == [567, 197, 2945]
    assert (ax.get_xscale(), ax.get_yscale()) == ("log", "log")
    assert ax.get_ylim() == pytest.approx((10.0, 1e6))
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["JSON", "protobuf", "XML-RPC"]  # type: ignore[union-attr]


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
    x = first.get_xdata()
    assert first.get_ydata()[x >= 1.0].min() == 1.0
    assert second.get_ydata()[x < 400.0].max() == 0.0
    assert ax.get_xlim() == pytest.approx((0.01, 1e6))
    with pytest.raises(ValueError, match="samples_us must name 1 to 4 series"):
        plot_call_latency({}, ax=new_axes())


def test_plot_call_latency_is_the_same_for_samples_in_any_order() -> None:
    samples = np.random.default_rng(1).lognormal(5.0, 1.0, size=1000)
    shuffled, ordered = new_axes(), new_axes()
    plot_call_latency({"remote": samples}, ax=shuffled)
    plot_call_latency({"remote": np.sort(samples)}, ax=ordered)
    np.testing.assert_array_equal(shuffled.lines[0].get_ydata(), ordered.lines[0].get_ydata())


def test_plot_chatty_vs_batched_draws_n_r_against_r() -> None:
    ax = new_axes()
    assert plot_chatty_vs_batched(100, rtt_ms=10.0, work_ms=0.5, ax=ax) is ax
    (chatty,) = by_gid(ax, "chatty")
    (batched,) = by_gid(ax, "batched")
    r = chatty.get_xdata()
    np.testing.assert_allclose(chatty.get_ydata(), 100 * (r + 0.5))
    np.testing.assert_allclose(batched.get_ydata(), r + 50.0)
    assert [float(dot.get_ydata()[0]) for dot in by_gid(ax, "current-rtt")] == [1050.0, 60.0]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"calls": 0}, "calls must be an int >= 1, got 0"),
        ({"calls": 5, "rtt_ms": 500.0}, "rtt_ms must be a number from 0.01 to 200, got 500.0"),
        ({"calls": 5, "work_ms": -1.0}, "work_ms must be"),
    ],
)
def test_plot_chatty_vs_batched_rejects_bad_input(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plot_chatty_vs_batched(ax=new_axes(), **kwargs)  # type: ignore[arg-type]


def test_plots_given_an_axes_leave_pyplot_alone() -> None:
    assert_leaves_pyplot_alone(
        lambda ax: plot_wire_sizes([1, 10], {"JSON": [99, 567]}, ax=ax),
        lambda ax: plot_call_latency({"local": np.array([0.1, 0.2])}, ax=ax),
        lambda ax: plot_chatty_vs_batched(10, ax=ax),
    )


@pytest.mark.parametrize(
    "draw",
    [
        lambda: plot_wire_sizes([1, 10], {"JSON": [99, 567]}),
        lambda: plot_call_latency({"local": np.array([0.1, 0.2])}),
        lambda: plot_chatty_vs_batched(10),
    ],
)
def test_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    assert_draws_on_a_new_figure(draw)  # type: ignore[arg-type]
