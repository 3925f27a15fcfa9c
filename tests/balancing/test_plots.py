"""Figures of lesson 05: response time per policy, and load per server."""

from __future__ import annotations

import pytest

from helpers.balancing.plots import (
    RESPONSE_TIME_RANGE,
    SERVER_LOAD_MAX,
    draw_policy_latency,
    draw_server_load,
    frame_policy_latency,
    frame_server_load,
    plot_policy_latency,
    plot_server_load,
)

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, by_gid, new_axes, texts

# --- plot_policy_latency --------------------------------------------------------------------


def test_plot_policy_latency_draws_p50_p99_bars_mean_dots_and_references() -> None:
    ax = new_axes()
    latencies = {"random": (7.0, 46.0, 10.0), "power-of-two": (2.0, 9.0, 2.6)}
    drawn = plot_policy_latency(latencies, {"T1": 10.0, "T2": 2.61}, highlight="random", ax=ax)
    assert drawn is ax
    (p50,) = by_gid(ax, "p50")
    (p99,) = by_gid(ax, "p99")
    assert [float(path.vertices[1, 1]) for path in p50.get_paths()] == [7.0, 2.0]
    assert [float(path.vertices[1, 1]) for path in p99.get_paths()] == [46.0, 9.0]
    (means,) = by_gid(ax, "mean")
    assert list(means.get_ydata()) == [10.0, 2.6]
    assert [line.get_ydata()[0] for line in by_gid(ax, "reference")] == [10.0, 2.61]
    assert ax.get_yscale() == "log"
    assert ax.get_ylim() == pytest.approx(RESPONSE_TIME_RANGE)
    assert [t.get_fontweight() for t in ax.get_xticklabels()] == ["bold", "normal"]
    legend = [text.get_text() for text in ax.get_legend().get_texts()]  # type: ignore[union-attr]
    assert legend == ["p50", "p99", "mean", "T1", "T2"]


def test_plot_policy_latency_shades_the_highlighted_policy_only() -> None:
    ax = plot_policy_latency({"a": (1.0, 2.0, 1.5), "b": (1.0, 2.0, 1.5)}, highlight="b", ax=new_axes())
    (band,) = by_gid(ax, "highlight")
    assert band.get_x() + band.get_width() / 2 == pytest.approx(1.0)  # the slot of "b"
    assert not by_gid(plot_policy_latency({"a": (1.0, 2.0, 1.5)}, ax=new_axes()), "highlight")


def test_plot_policy_latency_clips_values_to_its_fixed_range() -> None:
    ax = plot_policy_latency({"round-robin": (0.1, 10_000.0, 500.0)}, ax=new_axes())
    (p50,) = by_gid(ax, "p50")
    (p99,) = by_gid(ax, "p99")
    assert float(p50.get_paths()[0].vertices[1, 1]) == RESPONSE_TIME_RANGE[0]
    assert float(p99.get_paths()[0].vertices[1, 1]) == RESPONSE_TIME_RANGE[1]


def test_policy_latency_frame_holds_no_data_and_the_data_no_frame() -> None:
    framed = frame_policy_latency(new_axes(), ["random", "power-of-two"], ["T1"])
    assert framed.get_title()
    assert framed.get_legend() is not None
    assert not framed.collections
    assert not framed.lines
    data = draw_policy_latency({"random": (1.0, 2.0, 1.5)}, {"T1": 3.0}, ax=new_axes())
    assert data.get_title() == ""
    assert data.get_legend() is None
    assert [artist.get_gid() for artist in data.get_children() if artist.get_gid()] == [
        "p50",
        "p99",
        "mean",
        "reference",
    ]


# --- plot_server_load -----------------------------------------------------------------------


def test_plot_server_load_marks_overloaded_servers() -> None:
    ax = new_axes()
    assert plot_server_load([0.5, 0.9, 2.0], [0.5, 1.0, 1.5], ax=ax) is ax
    (bars,) = by_gid(ax, "busy")
    assert [round(float(p.vertices[1, 1]), 2) for p in bars.get_paths()] == [0.5, 0.9, SERVER_LOAD_MAX]
    assert texts(ax) == ["2.0"]
    assert by_gid(ax, "full")
    assert ax.get_title() == "Load per server"
    assert ax.get_xlim() == (-0.5, 2.5)


def test_plot_server_load_labels_overloaded_servers_only_up_to_ten() -> None:
    ax = plot_server_load([2.0] * 11, [1.0] * 11, ax=new_axes())
    assert texts(ax) == []


def test_server_load_frame_holds_no_data_and_the_data_no_frame() -> None:
    framed = frame_server_load(new_axes(), "Load per server, shaded policy")
    assert framed.get_title() == "Load per server, shaded policy"
    assert [line.get_gid() for line in framed.lines] == ["full"]
    assert not framed.collections
    data = draw_server_load([0.5], [1.0], ax=new_axes())
    assert data.get_title() == ""
    assert not data.lines


# --- bad input and pyplot -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("draw", "message"),
    [
        (lambda ax: plot_policy_latency({}, ax=ax), "empty"),
        (lambda ax: plot_policy_latency({"a": (1.0, 2.0)}, ax=ax), "three positive numbers"),
        (lambda ax: plot_policy_latency({"a": (1.0, 2.0, 0.0)}, ax=ax), "three positive numbers"),
        (lambda ax: plot_policy_latency({"a": (1.0, 2.0, 3.0)}, highlight="b", ax=ax), "highlight must be"),
        (lambda ax: plot_policy_latency({"a": (1.0, 2.0, 3.0)}, {"T": -1.0}, ax=ax), "positive number"),
        (lambda ax: draw_policy_latency({"a": (1.0, 2.0, 3.0)}, highlight="b", ax=ax), "highlight must be"),
        (lambda ax: frame_policy_latency(ax, []), "at least one policy"),
        (lambda ax: plot_server_load([], [], ax=ax), "same non-zero length"),
        (lambda ax: plot_server_load([0.5], [1.0, 2.0], ax=ax), "same non-zero length"),
        (lambda ax: plot_server_load([-0.5], [1.0], ax=ax), "busy must hold numbers >= 0"),
    ],
)
def test_plots_reject_bad_input(draw: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        draw(new_axes())  # type: ignore[operator]


def test_plots_given_an_axes_leave_pyplot_alone() -> None:
    assert_leaves_pyplot_alone(
        lambda ax: plot_policy_latency({"random": (1.0, 2.0, 1.5)}, {"T1": 2.0}, ax=ax),
        lambda ax: plot_server_load([0.5, 1.5], [1.0, 1.0], ax=ax),
    )


@pytest.mark.parametrize(
    "draw",
    [lambda: plot_policy_latency({"random": (1.0, 2.0, 1.5)}), lambda: plot_server_load([0.5], [1.0])],
)
def test_plots_without_an_axes_draw_on_a_new_figure(draw: object) -> None:
    assert_draws_on_a_new_figure(draw)  # type: ignore[arg-type]
