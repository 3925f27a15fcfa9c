"""Widgets: the self-check quiz and the lessons' explorers (01 to 08), driven as a learner would."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from helpers.balancing import SIMULATED_POLICIES, compare_policies
from helpers.cdn import crossover_rate, push_pull_costs
from helpers.dns_routing import simulate_split, zipf_populations
from helpers.hashing import HashRing, expected_remapped_fraction, mod_n_placement, remapped_fraction
from helpers.ipc import CallGraph, simulate
from helpers.ratelimit import TokenBucket, max_in_any_span, replay, token_bucket_bound
from helpers.rest import OrderApi, expected_duplicates, simulate_retries
from helpers.rpc import encoded_sizes
from helpers.widgets import (
    BalancerExplorer,
    CdnExplorer,
    DnsExplorer,
    HypermediaBrowser,
    IpcExplorer,
    Quiz,
    RateLimitExplorer,
    RetryExplorer,
    RingExplorer,
    RpcExplorer,
    browse_orders,
    explore_balancing,
    explore_cdn,
    explore_dns,
    explore_ipc,
    explore_rate_limits,
    explore_retries,
    explore_ring,
    explore_rpc,
    png_bytes,
    quiz,
)
from helpers.widgets import _rate_limit_trace as _rate_limit_trace  # the explorer's seeded trace

# --- quiz ---------------------------------------------------------------------------------

OPTIONS = ["1/11 of the keys", "10/11 of the keys", "all of them"]


def make_quiz() -> Quiz:
    return quiz(
        "Adding an 11th node to a **10-node** ring moves about...",
        OPTIONS,
        answer=0,
        explanation="Only the keys the new node takes over move.",
    )


def test_quiz_shows_the_question_and_no_feedback_before_a_choice() -> None:
    q = make_quiz()
    assert isinstance(q, Quiz)
    assert "<b>10-node</b>" in q.children[0].value  # the Markdown bold became HTML
    assert list(q.choices.options) == OPTIONS
    assert q.choices.value is None
    assert q.feedback.value == ""


def test_quiz_says_correct_and_explains_after_the_right_choice() -> None:
    q = make_quiz()
    q.choices.value = OPTIONS[0]
    assert "Correct" in q.feedback.value
    assert "Not quite" not in q.feedback.value
    assert "Only the keys the new node takes over move." in q.feedback.value


def test_quiz_says_not_quite_names_the_answer_and_explains_after_a_wrong_choice() -> None:
    q = make_quiz()
    q.choices.value = OPTIONS[2]
    assert "Not quite" in q.feedback.value
    assert "Correct" not in q.feedback.value
    assert OPTIONS[0] in q.feedback.value
    assert "Only the keys the new node takes over move." in q.feedback.value


def test_quiz_feedback_follows_a_changed_mind() -> None:
    q = make_quiz()
    q.choices.value = OPTIONS[1]
    q.choices.value = OPTIONS[0]
    assert "Correct" in q.feedback.value


@pytest.mark.parametrize(
    ("question", "options", "answer", "explanation", "message"),
    [
        ("Q?", ["a", "b"], 2, "E", "0 to 1, got 2"),
        ("Q?", ["a", "b"], -1, "E", "got -1"),
        ("Q?", ["a", "b"], True, "E", "got True"),
        ("Q?", ["only"], 0, "E", r"at least 2 choices, got \['only'\]"),
        ("Q?", "ab", 0, "E", "got 'ab'"),
        ("Q?", ["a", " "], 0, "E", r"options\[1\] must be a non-empty string, got ' '"),
        ("Q?", ["a", "a"], 0, "E", r"duplicates \['a'\]"),
        ("", ["a", "b"], 0, "E", "question must be a non-empty string, got ''"),
        ("Q?", ["a", "b"], 0, "", "explanation must be a non-empty string, got ''"),
    ],
)
def test_quiz_rejects_bad_arguments_naming_the_value(
    question: str, options: list[str], answer: int, explanation: str, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        quiz(question, options, answer, explanation)


# --- png_bytes ----------------------------------------------------------------------------


def test_png_bytes_round_trips_the_pixels() -> None:
    rgba = np.random.default_rng(42).integers(0, 256, size=(7, 5, 4), dtype=np.uint8)
    decoded = Image.open(io.BytesIO(png_bytes(rgba)))
    assert decoded.mode == "RGBA"
    np.testing.assert_array_equal(np.asarray(decoded), rgba)


def test_png_bytes_rejects_an_image_that_is_not_rgba() -> None:
    with pytest.raises(ValueError, match=r"got \(2, 2, 3\) uint8"):
        png_bytes(np.zeros((2, 2, 3), dtype=np.uint8))


# --- RingExplorer -------------------------------------------------------------------------


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


def test_explorer_defaults_and_slider_ranges(explorer: RingExplorer) -> None:
    nodes, virtual_nodes, keys = (explorer.sliders[name] for name in ("nodes", "virtual_nodes", "keys"))
    assert (nodes.value, nodes.min, nodes.max, nodes.description) == (8, 2, 30, "nodes")
    assert (virtual_nodes.value, virtual_nodes.options[0][1], virtual_nodes.options[-1][1]) == (50, 1, 500)
    assert (keys.value, keys.options[0][1], keys.options[-1][1]) == (50_000, 1_000, 200_000)
    assert explorer.widget is explorer


@pytest.mark.parametrize(("slider", "value"), [("nodes", 12), ("virtual_nodes", 200), ("keys", 20_000)])
def test_every_slider_changes_the_image_and_the_status(explorer: RingExplorer, slider: str, value: int) -> None:
    image, status = explorer.image.value, explorer.status.value
    explorer.sliders[slider].value = value
    assert explorer.image.value[:4] == b"\x89PNG"
    assert explorer.image.value != image
    assert explorer.status.value != status


def test_add_button_adds_the_next_node_with_the_right_counts(explorer: RingExplorer) -> None:
    explorer.buttons["add"].click()
    assert explorer.sliders["nodes"].value == 9
    status = explorer.status.value
    assert status.startswith("Added node-8 (8 → 9 nodes, 50 points each)")
    for number in expected_status_numbers(8, 9, 50, 50_000):
        assert number in status


def test_remove_button_removes_the_highest_node(explorer: RingExplorer) -> None:
    explorer.buttons["remove"].click()
    assert explorer.sliders["nodes"].value == 7
    status = explorer.status.value
    assert status.startswith("Removed node-7 (8 → 7 nodes, 50 points each)")
    for number in expected_status_numbers(8, 7, 50, 50_000):
        assert number in status


def test_remove_is_disabled_and_harmless_at_two_nodes(explorer: RingExplorer) -> None:
    explorer.sliders["nodes"].value = 2
    assert explorer.buttons["remove"].disabled
    status = explorer.status.value
    explorer.buttons["remove"].click()
    assert explorer.sliders["nodes"].value == 2
    assert explorer.status.value == status
    explorer.buttons["add"].click()
    assert not explorer.buttons["remove"].disabled


def test_add_is_disabled_at_thirty_nodes(explorer: RingExplorer) -> None:
    explorer.sliders["nodes"].value = 30
    assert explorer.buttons["add"].disabled
    explorer.buttons["add"].click()
    assert explorer.sliders["nodes"].value == 30


def test_changing_v_or_keys_keeps_the_last_node_change(explorer: RingExplorer) -> None:
    explorer.buttons["add"].click()
    explorer.sliders["virtual_nodes"].value = 10
    explorer.sliders["keys"].value = 10_000
    status = explorer.status.value
    assert status.startswith("Added node-8 (8 → 9 nodes, 10 points each)")
    for number in expected_status_numbers(8, 9, 10, 10_000):
        assert number in status


def test_a_jump_of_several_nodes_names_them_all(explorer: RingExplorer) -> None:
    explorer.sliders["nodes"].value = 11
    assert explorer.status.value.startswith("Added node-8 … node-10 (3 nodes) (8 → 11 nodes")
    explorer.sliders["nodes"].value = 5
    assert explorer.status.value.startswith("Removed node-5 … node-10 (6 nodes) (11 → 5 nodes")
    for number in expected_status_numbers(11, 5, 50, 50_000):
        assert number in explorer.status.value


def test_ring_panel_rings_exactly_the_sample_keys_that_moved(explorer: RingExplorer) -> None:
    explorer.buttons["add"].click()
    before = HashRing(node_names(8), 50).place(range(300)).node_index
    after = HashRing(node_names(9), 50).place(range(300)).node_index
    ring_ax = explorer._panels.axes[0]
    (ringed,) = [line for line in ring_ax.lines if line.get_gid() == "moved"]
    assert len(ringed.get_xdata()) == int(np.sum(before != after)) > 0


def test_one_slider_move_is_one_update(explorer: RingExplorer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    original = explorer.update
    monkeypatch.setattr(explorer, "update", lambda: calls.append(None) or original())
    explorer.sliders["keys"].value = 100_000
    explorer.sliders["virtual_nodes"].value = 5
    explorer.sliders["nodes"].value = 3
    explorer.buttons["add"].click()
    assert len(calls) == 4


def test_fast_redraw_matches_a_full_redraw(explorer: RingExplorer) -> None:
    # The explorer draws constant parts once and redraws only the rest: check that the
    # result is the picture a full redraw gives, after moves that change every panel.
    explorer.sliders["nodes"].value = 30
    explorer.sliders["virtual_nodes"].value = 1
    explorer.sliders["nodes"].value = 2
    fast = np.asarray(Image.open(io.BytesIO(explorer.image.value)))
    full = np.asarray(Image.open(io.BytesIO(explorer._panels.full_png())))
    np.testing.assert_array_equal(fast, full)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nodes": 1}, "from 2 to 30, got 1"),
        ({"nodes": 31}, "got 31"),
        ({"virtual_nodes": 7}, "virtual_nodes must be one of .* got 7"),
        ({"keys": 123}, "keys must be one of .* got 123"),
    ],
)
def test_explorer_rejects_settings_outside_its_sliders(kwargs: dict[str, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RingExplorer(**kwargs)


def test_explore_ring_is_the_one_line_for_notebooks() -> None:
    explorer = explore_ring()
    assert isinstance(explorer, RingExplorer)
    assert explorer.image.value[:4] == b"\x89PNG"


# --- IpcExplorer (lesson 01) -----------------------------------------------------------------


@pytest.fixture
def ipc_explorer() -> IpcExplorer:
    return IpcExplorer()


def test_ipc_explorer_renders_and_states_the_default_numbers(ipc_explorer: IpcExplorer) -> None:
    assert ipc_explorer.image.value[:4] == b"\x89PNG"
    graph = CallGraph()
    result = simulate(graph, np.random.default_rng(42), requests=10_000)
    status = ipc_explorer.status.value
    assert "13 calls: 3 in the chain + 10 backends" in status
    assert f"answered <b>{result.sync_availability:.2%}</b> (A<sup>N</sup> = {graph.sync_availability:.2%})" in status
    assert f"accepted <b>{result.async_availability:.2%}</b>" in status
    assert ipc_explorer.widget is ipc_explorer


def test_ipc_explorer_slider_ranges(ipc_explorer: IpcExplorer) -> None:
    sliders = ipc_explorer.sliders
    assert (sliders["hops"].value, sliders["hops"].min, sliders["hops"].max) == (3, 1, 10)
    assert [value for _, value in sliders["fan_out"].options] == [0, 1, 2, 5, 10, 20, 50, 100]
    assert [label for label, _ in sliders["availability"].options] == ["90%", "99%", "99.5%", "99.9%", "99.99%"]
    assert [label for label, _ in sliders["slow_probability"].options][:4] == ["0%", "0.1%", "0.5%", "1%"]


@pytest.mark.parametrize(
    ("slider", "value"),
    [("hops", 7), ("hop_latency_ms", 50), ("availability", 0.99), ("fan_out", 100), ("slow_probability", 0.05)],
)
def test_every_ipc_slider_changes_the_image_and_the_status(
    ipc_explorer: IpcExplorer, slider: str, value: float
) -> None:
    image, status = ipc_explorer.image.value, ipc_explorer.status.value
    ipc_explorer.sliders[slider].value = value
    assert ipc_explorer.image.value != image
    assert ipc_explorer.status.value != status


def test_ipc_explorer_shows_the_sync_chain_failing_where_async_still_accepts(ipc_explorer: IpcExplorer) -> None:
    ipc_explorer.sliders["availability"].value = 0.9
    ipc_explorer.sliders["hops"].value = 10
    ipc_explorer.sliders["fan_out"].value = 100
    status = ipc_explorer.status.value
    assert "answered <b>0.00%</b>" in status
    accepted = float(status.split("accepted <b>")[1].split("%")[0])
    assert 88.0 < accepted < 92.0


def test_ipc_explorer_marks_the_simulated_values_at_the_current_call_count(ipc_explorer: IpcExplorer) -> None:
    ipc_explorer.sliders["fan_out"].value = 50
    risk_ax = ipc_explorer._panels.axes[1]
    (dot,) = [line for line in risk_ax.lines if line.get_gid() == "measured-slow"]
    assert dot.get_xdata()[0] == 53


def test_ipc_fast_redraw_matches_a_full_redraw(ipc_explorer: IpcExplorer) -> None:
    ipc_explorer.sliders["fan_out"].value = 100
    ipc_explorer.sliders["availability"].value = 0.9
    ipc_explorer.sliders["slow_probability"].value = 0.1
    ipc_explorer.sliders["hops"].value = 1
    fast = np.asarray(Image.open(io.BytesIO(ipc_explorer.image.value)))
    full = np.asarray(Image.open(io.BytesIO(ipc_explorer._panels.full_png())))
    np.testing.assert_array_equal(fast, full)


def test_one_ipc_slider_move_is_one_update(ipc_explorer: IpcExplorer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    original = ipc_explorer.update
    monkeypatch.setattr(ipc_explorer, "update", lambda: calls.append(None) or original())
    for name, value in [("hops", 4), ("fan_out", 20), ("slow_probability", 0.0)]:
        ipc_explorer.sliders[name].value = value
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"hops": 0}, "hops must be an int from 1 to 10, got 0"),
        ({"hop_latency_ms": 3}, "hop_latency_ms must be one of .* got 3"),
        ({"availability": 0.5}, "availability must be one of .* got 0.5"),
        ({"fan_out": 7}, "fan_out must be one of .* got 7"),
        ({"slow_probability": 0.3}, "slow_probability must be one of .* got 0.3"),
    ],
)
def test_ipc_explorer_rejects_settings_outside_its_sliders(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        IpcExplorer(**kwargs)  # type: ignore[arg-type]


def test_explore_ipc_is_the_one_line_for_notebooks() -> None:
    explorer = explore_ipc()
    assert isinstance(explorer, IpcExplorer)
    assert explorer.image.value[:4] == b"\x89PNG"


# --- RpcExplorer (lesson 02) -----------------------------------------------------------------


@pytest.fixture
def rpc_explorer() -> RpcExplorer:
    return RpcExplorer()


def test_rpc_explorer_renders_and_states_measured_sizes(rpc_explorer: RpcExplorer) -> None:
    assert rpc_explorer.image.value[:4] == b"\x89PNG"
    sizes = encoded_sizes(10)
    status = rpc_explorer.status.value
    assert f"protobuf <b>{sizes['protobuf']:,} B</b>" in status
    assert f"XML-RPC {sizes['XML-RPC']:,} B" in status
    assert rpc_explorer.widget is rpc_explorer


def test_rpc_explorer_slider_ranges(rpc_explorer: RpcExplorer) -> None:
    sliders = rpc_explorer.sliders
    assert (sliders["items"].value, sliders["rtt_ms"].value, sliders["calls"].value) == (10, 0.5, 10)
    assert sliders["items"].options[0] == ("1", 1)
    assert [label for label, _ in sliders["rtt_ms"].options][-1] == "150 ms"
    assert [value for _, value in sliders["calls"].options][-1] == 1000


@pytest.mark.parametrize(("slider", "value"), [("items", 1000), ("rtt_ms", 150), ("calls", 100)])
def test_every_rpc_slider_changes_the_image_and_the_status(rpc_explorer: RpcExplorer, slider: str, value: int) -> None:
    image, status = rpc_explorer.image.value, rpc_explorer.status.value
    rpc_explorer.sliders[slider].value = value
    assert rpc_explorer.image.value != image
    assert rpc_explorer.status.value != status


def test_rpc_explorer_chatty_costs_n_round_trips(rpc_explorer: RpcExplorer) -> None:
    rpc_explorer.sliders["rtt_ms"].value = 10
    rpc_explorer.sliders["calls"].value = 1000
    status = rpc_explorer.status.value
    # r = 10 ms of network plus the 0.6 ms loopback call: 1,000 calls take 10.6 s, one batch 10.6 ms.
    assert "N&middot;r = 10.60 s" in status
    assert "r = 11 ms (r = 10.6 ms)" in status
    dots = [line for line in rpc_explorer._panels.axes[2].lines if line.get_gid() == "current-rtt"]
    assert [float(dot.get_ydata()[0]) for dot in dots] == pytest.approx([10_600.0, 10.6])


def test_rpc_explorer_uses_the_calibration_it_is_given() -> None:
    explorer = explore_rpc(local_us=0.05, loopback_us=250.0)
    assert (explorer.local_us, explorer.loopback_us) == (0.05, 250.0)
    assert "(r = 0.75 ms)" in explorer.status.value  # the 0.5 ms round trip plus the 250 µs loopback call


def test_rpc_fast_redraw_matches_a_full_redraw(rpc_explorer: RpcExplorer) -> None:
    rpc_explorer.sliders["items"].value = 500
    rpc_explorer.sliders["rtt_ms"].value = 50
    rpc_explorer.sliders["calls"].value = 2
    fast = np.asarray(Image.open(io.BytesIO(rpc_explorer.image.value)))
    full = np.asarray(Image.open(io.BytesIO(rpc_explorer._panels.full_png())))
    np.testing.assert_array_equal(fast, full)


def test_one_rpc_slider_move_is_one_update(rpc_explorer: RpcExplorer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    original = rpc_explorer.update
    monkeypatch.setattr(rpc_explorer, "update", lambda: calls.append(None) or original())
    for name, value in [("items", 20), ("rtt_ms", 1), ("calls", 5)]:
        rpc_explorer.sliders[name].value = value
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"items": 3}, "items must be one of .* got 3"),
        ({"rtt_ms": 0.3}, "rtt_ms must be one of .* got 0.3"),
        ({"calls": 7}, "calls must be one of .* got 7"),
        ({"local_us": 0.0}, "local_us must be a measured time in µs, above 0 and below 1 s, got 0.0"),
        ({"loopback_us": float("nan")}, "loopback_us must be"),
    ],
)
def test_rpc_explorer_rejects_settings_outside_its_sliders(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RpcExplorer(**kwargs)  # type: ignore[arg-type]


# --- RetryExplorer and HypermediaBrowser (lesson 03) -----------------------------------------


@pytest.fixture
def retry_explorer() -> RetryExplorer:
    return RetryExplorer()


def test_retry_explorer_renders_and_states_the_default_numbers(retry_explorer: RetryExplorer) -> None:
    assert retry_explorer.image.value[:4] == b"\x89PNG"
    status = retry_explorer.status.value
    assert status.startswith("q = 10%, R = 1 retry, N = 1,000: POST created <b>1,")
    assert "expected 100.0, q&middot;N = 100.0" in status
    assert "PUT <b>1,000</b>; POST + Idempotency-Key <b>1,000</b>" in status
    assert retry_explorer.widget is retry_explorer


def test_retry_explorer_slider_ranges(retry_explorer: RetryExplorer) -> None:
    sliders = retry_explorer.sliders
    assert list(sliders) == ["loss_rate", "retries", "requests"]  # the first slider is the main one
    assert [label for label, _ in sliders["loss_rate"].options][:5] == ["0%", "1%", "2%", "5%", "10%"]
    assert (sliders["retries"].min, sliders["retries"].max) == (1, 5)
    assert [value for _, value in sliders["requests"].options] == [100, 1_000, 10_000, 100_000]


@pytest.mark.parametrize(("slider", "value"), [("loss_rate", 0.3), ("retries", 3), ("requests", 10_000)])
def test_every_retry_slider_changes_the_image_and_the_status(
    retry_explorer: RetryExplorer, slider: str, value: float
) -> None:
    image, status = retry_explorer.image.value, retry_explorer.status.value
    retry_explorer.sliders[slider].value = value
    assert retry_explorer.image.value != image
    assert retry_explorer.status.value != status


def test_retry_explorer_counts_match_the_simulation(retry_explorer: RetryExplorer) -> None:
    retry_explorer.sliders["requests"].value = 10_000
    retry_explorer.sliders["retries"].value = 2
    retry_explorer.sliders["loss_rate"].value = 0.2
    outcome = simulate_retries(np.round(np.linspace(0.0, 0.5, 51), 2), 10_000, 2, np.random.default_rng(42))
    posted = int(outcome.created["POST"][20])
    assert f"POST created <b>{posted:,}</b>" in retry_explorer.status.value
    assert abs(posted - 10_000 - expected_duplicates(0.2, 10_000, 2)) < 150
    (bar_ax,) = [ax for ax in retry_explorer._panels.axes if ax.patches]
    assert [round(float(bar.get_height()), 4) for bar in bar_ax.patches] == [posted / 10_000, 1.0, 1.0]


def test_no_loss_means_no_duplicates(retry_explorer: RetryExplorer) -> None:
    retry_explorer.sliders["loss_rate"].value = 0.0
    assert "POST created <b>1,000</b> orders (0 duplicates" in retry_explorer.status.value
    assert "0 requests lost every response" in retry_explorer.status.value


def test_retry_fast_redraw_matches_a_full_redraw(retry_explorer: RetryExplorer) -> None:
    retry_explorer.sliders["retries"].value = 5
    retry_explorer.sliders["requests"].value = 100
    retry_explorer.sliders["loss_rate"].value = 0.5
    fast = np.asarray(Image.open(io.BytesIO(retry_explorer.image.value)))
    full = np.asarray(Image.open(io.BytesIO(retry_explorer._panels.full_png())))
    np.testing.assert_array_equal(fast, full)


def test_one_retry_slider_move_is_one_update(retry_explorer: RetryExplorer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    original = retry_explorer.update
    monkeypatch.setattr(retry_explorer, "update", lambda: calls.append(None) or original())
    for name, value in [("loss_rate", 0.2), ("retries", 2), ("requests", 100)]:
        retry_explorer.sliders[name].value = value
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"loss_rate": 0.33}, "loss_rate must be one of .* got 0.33"),
        ({"retries": 0}, "retries must be an int from 1 to 5, got 0"),
        ({"requests": 5}, "requests must be one of .* got 5"),
    ],
)
def test_retry_explorer_rejects_settings_outside_its_sliders(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RetryExplorer(**kwargs)  # type: ignore[arg-type]


def test_explore_retries_is_the_one_line_for_notebooks() -> None:
    explorer = explore_retries()
    assert isinstance(explorer, RetryExplorer)
    assert explorer.image.value[:4] == b"\x89PNG"


def test_hypermedia_browser_offers_only_the_links_of_each_state() -> None:
    browser = HypermediaBrowser()
    try:
        assert sorted(browser.buttons) == ["create", "orders"]  # the template create-at gets no button
        seen = []
        for rel in ("create", "pay", "cancel", "delete"):
            browser.buttons[rel].click()
            seen.append(sorted(browser.buttons))
        assert seen == [["cancel", "edit", "pay", "self"], ["cancel", "self", "ship"], ["delete", "self"], []]
        assert [entry.rsplit("-> ", 1)[1] for entry in browser.history] == [
            "200 OK", "201 Created", "200 OK", "200 OK", "204 No Content",
        ]
        assert "204 No Content" in browser.view.value
        assert "(no body)" in browser.view.value
        browser.home.click()
        assert sorted(browser.buttons) == ["create", "orders"]
    finally:
        browser.close()
    assert not browser.api.running


def test_hypermedia_browser_edit_sends_if_match_and_shows_the_new_representation() -> None:
    with OrderApi(prefix="/v9") as api:
        browser = HypermediaBrowser(api)
        browser.follow("create")
        browser.follow("edit")
        assert browser.representation["quantity"] == 2
        assert "&quot;quantity&quot;: 2" in browser.view.value
        browser.close()
        assert api.running  # a browser never stops an API it was given
    with pytest.raises(ValueError, match="api must be running"):
        HypermediaBrowser(api)


def test_browse_orders_closes_the_previous_browser_and_its_server() -> None:
    first = browse_orders()
    second = browse_orders()
    try:
        assert not first.api.running
        assert second.api.running
    finally:
        second.close()
    assert not second.api.running


# --- DnsExplorer (lesson 04) -------------------------------------------------------------------


@pytest.fixture
def dns_explorer() -> DnsExplorer:
    return DnsExplorer()


def test_dns_explorer_renders_and_states_the_default_numbers(dns_explorer: DnsExplorer) -> None:
    assert dns_explorer.image.value[:4] == b"\x89PNG"
    status = dns_explorer.status.value
    assert status.startswith("<b>weighted</b>: eu-west expected <b>50%</b>")
    assert "90% see it after 54 s" in status
    assert "about 1.7 queries/s" in status
    assert dns_explorer.widget is dns_explorer


def test_dns_explorer_slider_ranges(dns_explorer: DnsExplorer) -> None:
    sliders = dns_explorer.sliders
    assert list(sliders) == ["eu_weight", "us_weight", "resolvers", "ttl_s", "europe_share", "policy"]
    assert (sliders["eu_weight"].options[0][1], sliders["eu_weight"].options[-1][1]) == (0, 255)
    assert [value for _, value in sliders["resolvers"].options][-1] == 10_000
    assert list(sliders["policy"].options) == ["weighted", "geolocation"]


@pytest.mark.parametrize(
    ("control", "value"),
    [("eu_weight", 5), ("us_weight", 10), ("resolvers", 1_000), ("ttl_s", 300), ("policy", "geolocation")],
)
def test_every_dns_control_changes_the_image_and_the_status(
    dns_explorer: DnsExplorer, control: str, value: object
) -> None:
    image, status = dns_explorer.image.value, dns_explorer.status.value
    dns_explorer.sliders[control].value = value
    assert dns_explorer.image.value != image
    assert dns_explorer.status.value != status


def test_dns_explorer_split_matches_the_simulation(dns_explorer: DnsExplorer) -> None:
    dns_explorer.sliders["eu_weight"].value = 255
    dns_explorer.sliders["us_weight"].value = 1
    dns_explorer.sliders["resolvers"].value = 10_000
    rng = np.random.default_rng(42)
    populations = zipf_populations(10_000, rng)
    split = simulate_split([[1 / 256, 255 / 256]], populations, 60, np.linspace(0, 600, 121), rng)[:, 1]
    (realised,) = [line for line in dns_explorer._panels.axes[0].lines if line.get_gid() == "realised"]
    np.testing.assert_allclose(realised.get_ydata(), split)
    assert "expected <b>100%</b>" in dns_explorer.status.value  # 255/256 rounds to 100%


def test_dns_geolocation_ignores_weights(dns_explorer: DnsExplorer) -> None:
    dns_explorer.sliders["policy"].value = "geolocation"
    status = dns_explorer.status.value
    dns_explorer.sliders["eu_weight"].value = 200
    assert dns_explorer.status.value == status
    assert "expected <b>30%</b>" in status


def test_dns_fast_redraw_matches_a_full_redraw(dns_explorer: DnsExplorer) -> None:
    dns_explorer.sliders["resolvers"].value = 3
    dns_explorer.sliders["ttl_s"].value = 3_600
    fast = np.asarray(Image.open(io.BytesIO(dns_explorer.image.value)))
    full = np.asarray(Image.open(io.BytesIO(dns_explorer._panels.full_png())))
    np.testing.assert_array_equal(fast, full)


def test_one_dns_slider_move_is_one_update(dns_explorer: DnsExplorer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    original = dns_explorer.update
    monkeypatch.setattr(dns_explorer, "update", lambda: calls.append(None) or original())
    for name, value in [("eu_weight", 2), ("ttl_s", 30), ("europe_share", 0.5)]:
        dns_explorer.sliders[name].value = value
    assert len(calls) == 3


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"eu_weight": 3}, "eu_weight must be one of .* got 3"),
        ({"resolvers": 7}, "resolvers must be one of .* got 7"),
        ({"ttl_s": 5}, "ttl_s must be one of .* got 5"),
        ({"policy": "latency"}, "policy must be one of"),
    ],
)
def test_dns_explorer_rejects_settings_outside_its_sliders(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        DnsExplorer(**kwargs)  # type: ignore[arg-type]


def test_explore_dns_is_the_one_line_for_notebooks() -> None:
    explorer = explore_dns()
    assert isinstance(explorer, DnsExplorer)
    assert explorer.image.value[:4] == b"\x89PNG"


# --- RateLimitExplorer (lesson 07) ----------------------------------------------------------


@pytest.fixture
def rate_limit_explorer() -> RateLimitExplorer:
    return RateLimitExplorer()


def test_rate_limit_explorer_renders_and_states_the_default_numbers(rate_limit_explorer: RateLimitExplorer) -> None:
    assert rate_limit_explorer.image.value[:4] == b"\x89PNG"
    status = rate_limit_explorer.status.value
    assert "Token bucket (b = 10, r = 1/s) admitted <b>" in status
    assert "the bound b + r&middot;t holds for every span" in status
    assert "With N = 10 per W = 10 s: fixed window" in status
    assert rate_limit_explorer.widget is rate_limit_explorer
    assert list(rate_limit_explorer.decisions) == ["token bucket", "fixed window", "sliding log", "sliding counter"]


def test_rate_limit_explorer_slider_ranges(rate_limit_explorer: RateLimitExplorer) -> None:
    sliders = rate_limit_explorer.sliders
    assert list(sliders) == ["capacity", "refill_per_s", "limit", "window_s"]  # the first slider is the main one
    assert [value for _, value in sliders["capacity"].options] == [1, 2, 5, 10, 15, 20, 30, 50]
    assert [label for label, _ in sliders["refill_per_s"].options][:3] == ["0.2/s", "0.5/s", "1/s"]
    assert [label for label, _ in sliders["window_s"].options][-1] == "30 s"


@pytest.mark.parametrize(
    ("slider", "value"), [("capacity", 20), ("refill_per_s", 0.5), ("limit", 20), ("window_s", 5.0)]
)
def test_every_rate_limit_slider_changes_the_image_and_the_status(
    rate_limit_explorer: RateLimitExplorer, slider: str, value: float
) -> None:
    image, status = rate_limit_explorer.image.value, rate_limit_explorer.status.value
    rate_limit_explorer.sliders[slider].value = value
    assert rate_limit_explorer.image.value != image
    assert rate_limit_explorer.status.value != status


@pytest.mark.parametrize(("capacity", "refill"), [(1, 0.2), (10, 1.0), (50, 10.0)])
def test_rate_limit_explorer_decisions_match_the_limiters(
    rate_limit_explorer: RateLimitExplorer, capacity: int, refill: float
) -> None:
    rate_limit_explorer.sliders["capacity"].value = capacity
    rate_limit_explorer.sliders["refill_per_s"].value = refill
    trace = _rate_limit_trace()
    expected = replay(trace, TokenBucket(capacity, refill))
    np.testing.assert_array_equal(rate_limit_explorer.decisions["token bucket"], expected)
    spans = np.linspace(0.0, 30.0, 121)
    assert (max_in_any_span(trace[expected], spans) <= token_bucket_bound(capacity, refill, spans) + 1e-9).all()
    assert f"admitted <b>{int(expected.sum())}</b>" in rate_limit_explorer.status.value


def test_rate_limit_explorer_shows_the_fixed_window_boundary_burst(rate_limit_explorer: RateLimitExplorer) -> None:
    rate_limit_explorer.sliders["limit"].value = 10
    rate_limit_explorer.sliders["window_s"].value = 10.0
    status = rate_limit_explorer.status.value
    assert "(busiest 10 s: <b>20</b>, up to 2N = 20)" in status
    assert "(busiest: <b>10</b>, never above N)" in status


def test_rate_limit_fast_redraw_matches_a_full_redraw(rate_limit_explorer: RateLimitExplorer) -> None:
    rate_limit_explorer.sliders["capacity"].value = 50
    rate_limit_explorer.sliders["window_s"].value = 1.0
    fast = np.asarray(Image.open(io.BytesIO(rate_limit_explorer.image.value)))
    full = np.asarray(Image.open(io.BytesIO(rate_limit_explorer._panels.full_png())))
    np.testing.assert_array_equal(fast, full)


def test_one_rate_limit_slider_move_is_one_update(
    rate_limit_explorer: RateLimitExplorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[None] = []
    original = rate_limit_explorer.update
    monkeypatch.setattr(rate_limit_explorer, "update", lambda: calls.append(None) or original())
    for name, value in [("capacity", 5), ("refill_per_s", 2.0), ("limit", 30), ("window_s", 2.0)]:
        rate_limit_explorer.sliders[name].value = value
    assert len(calls) == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"capacity": 7}, "capacity must be one of .* got 7"),
        ({"refill_per_s": 3.0}, "refill_per_s must be one of .* got 3.0"),
        ({"limit": 0}, "limit must be one of .* got 0"),
        ({"window_s": 60.0}, "window_s must be one of .* got 60.0"),
    ],
)
def test_rate_limit_explorer_rejects_settings_outside_its_sliders(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        RateLimitExplorer(**kwargs)  # type: ignore[arg-type]


def test_explore_rate_limits_is_the_one_line_for_notebooks() -> None:
    explorer = explore_rate_limits()
    assert isinstance(explorer, RateLimitExplorer)
    assert explorer.image.value[:4] == b"\x89PNG"


# --- CdnExplorer (lesson 06) -----------------------------------------------------------------


@pytest.fixture
def cdn_explorer() -> CdnExplorer:
    return CdnExplorer()


def test_cdn_explorer_renders_and_states_the_default_numbers(cdn_explorer: CdnExplorer) -> None:
    assert cdn_explorer.image.value[:4] == b"\x89PNG"
    costs = push_pull_costs([10.0], 10_000, 3_600.0, 1 / 86_400, edges=10)
    status = cdn_explorer.status.value
    assert status.startswith("10 requests/s over 10,000 objects and 10 edges, TTL 1 h")
    assert f"pull answers <b>{costs.pull_hit_ratio[0]:.1%}</b>" in status
    assert f"the edges hold {costs.push_storage:,.0f} objects" in status
    assert "Egress crossover at <b>2.39 requests/s</b>: you are above it" in status
    assert cdn_explorer.widget is cdn_explorer


def test_cdn_explorer_slider_ranges(cdn_explorer: CdnExplorer) -> None:
    sliders = cdn_explorer.sliders
    assert list(sliders) == ["request_rate", "ttl_s", "objects", "updates_per_day"]  # the first is the main one
    assert (sliders["request_rate"].options[0][1], sliders["request_rate"].options[-1][1]) == (0.01, 100_000)
    assert [label for label, _ in sliders["ttl_s"].options] == ["1 min", "5 min", "15 min", "1 h", "6 h", "1 day"]
    assert [value for _, value in sliders["objects"].options] == [100, 1_000, 10_000, 100_000]


@pytest.mark.parametrize(
    ("slider", "value"), [("request_rate", 1_000), ("ttl_s", 60), ("objects", 100_000), ("updates_per_day", 96)]
)
def test_every_cdn_slider_changes_the_image_and_the_status(
    cdn_explorer: CdnExplorer, slider: str, value: float
) -> None:
    image, status = cdn_explorer.image.value, cdn_explorer.status.value
    cdn_explorer.sliders[slider].value = value
    assert cdn_explorer.image.value != image
    assert cdn_explorer.status.value != status


def test_cdn_explorer_curves_match_the_model(cdn_explorer: CdnExplorer) -> None:
    cdn_explorer.sliders["ttl_s"].value = 900
    cdn_explorer.sliders["objects"].value = 1_000
    costs = cdn_explorer.costs
    exact = push_pull_costs(costs.request_rate_per_s, 1_000, 900.0, 1 / 86_400, edges=10)
    np.testing.assert_allclose(costs.pull_hit_ratio, exact.pull_hit_ratio, rtol=1e-4)
    np.testing.assert_allclose(costs.pull_egress_per_s, exact.pull_egress_per_s, rtol=1e-4)
    assert costs.crossover_rate_per_s == pytest.approx(crossover_rate(1_000, 900.0, 1 / 86_400, 10))
    (pull,) = [line for line in cdn_explorer._panels.axes[0].lines if line.get_gid() == "pull"]
    np.testing.assert_allclose(pull.get_ydata(), exact.pull_hit_ratio, rtol=1e-4)


def test_cdn_explorer_says_when_there_is_no_crossover(cdn_explorer: CdnExplorer) -> None:
    cdn_explorer.sliders["updates_per_day"].value = 24  # u·T = 1 with a one-hour TTL
    assert "No crossover" in cdn_explorer.status.value
    assert not [line for ax in cdn_explorer._panels.axes for line in ax.lines if line.get_gid() == "crossover"]


def test_cdn_fast_redraw_matches_a_full_redraw(cdn_explorer: CdnExplorer) -> None:
    cdn_explorer.sliders["objects"].value = 100
    cdn_explorer.sliders["request_rate"].value = 0.3
    cdn_explorer.sliders["ttl_s"].value = 86_400
    fast = np.asarray(Image.open(io.BytesIO(cdn_explorer.image.value)))
    full = np.asarray(Image.open(io.BytesIO(cdn_explorer._panels.full_png())))
    np.testing.assert_array_equal(fast, full)


def test_one_cdn_slider_move_is_one_update(cdn_explorer: CdnExplorer, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[None] = []
    original = cdn_explorer.update
    monkeypatch.setattr(cdn_explorer, "update", lambda: calls.append(None) or original())
    for name, value in [("request_rate", 3), ("ttl_s", 300), ("objects", 1_000), ("updates_per_day", 4)]:
        cdn_explorer.sliders[name].value = value
    assert len(calls) == 4


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"request_rate": 7}, "request_rate must be one of .* got 7"),
        ({"ttl_s": 10}, "ttl_s must be one of .* got 10"),
        ({"objects": 5}, "objects must be one of .* got 5"),
        ({"updates_per_day": 2}, "updates_per_day must be one of .* got 2"),
    ],
)
def test_cdn_explorer_rejects_settings_outside_its_sliders(kwargs: dict[str, float], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        CdnExplorer(**kwargs)  # type: ignore[arg-type]


def test_explore_cdn_is_the_one_line_for_notebooks() -> None:
    explorer = explore_cdn()
    assert isinstance(explorer, CdnExplorer)
    assert explorer.image.value[:4] == b"\x89PNG"


# --- BalancerExplorer (lesson 05) -------------------------------------------------------------


@pytest.fixture
def balancer_explorer() -> BalancerExplorer:
    return BalancerExplorer()


def test_balancer_explorer_renders_and_states_every_policy(balancer_explorer: BalancerExplorer) -> None:
    assert balancer_explorer.image.value[:4] == b"\x89PNG"
    status = balancer_explorer.status.value
    assert status.startswith("&lambda; = 0.9, 10 servers")
    assert all(name in status for name in SIMULATED_POLICIES)
    assert "T<sub>1</sub> = 10.00" in status
    assert "T<sub>2</sub> = 2.61" in status
    assert "<b>power-of-two</b>" in status
    assert balancer_explorer.widget is balancer_explorer


def test_balancer_explorer_slider_ranges(balancer_explorer: BalancerExplorer) -> None:
    sliders = balancer_explorer.sliders
    assert list(sliders) == ["load", "servers", "spread", "refresh", "policy"]  # the first slider is the main one
    assert [value for _, value in sliders["load"].options] == [0.5, 0.7, 0.8, 0.9, 0.95, 0.99]
    assert [value for _, value in sliders["servers"].options][-1] == 20
    assert sliders["refresh"].options[0] == ("fresh", 0.0)
    assert list(sliders["policy"].options) == list(SIMULATED_POLICIES)


@pytest.mark.parametrize(
    ("slider", "value"),
    [("load", 0.95), ("servers", 4), ("spread", 4.0), ("refresh", 5.0), ("policy", "round-robin")],
)
def test_every_balancer_slider_changes_the_image_and_the_status(
    balancer_explorer: BalancerExplorer, slider: str, value: object
) -> None:
    image, status = balancer_explorer.image.value, balancer_explorer.status.value
    balancer_explorer.sliders[slider].value = value
    assert balancer_explorer.image.value != image
    assert balancer_explorer.status.value != status


def test_balancer_explorer_numbers_match_the_simulation(balancer_explorer: BalancerExplorer) -> None:
    balancer_explorer.sliders["spread"].value = 4.0
    balancer_explorer.sliders["policy"].value = "round-robin"
    results = compare_policies(0.9, 10, 4.0, 3_000, seed=42)
    for name, result in results.items():
        expected = f"{result.percentile(50):.2f} / {result.percentile(99):.1f} / {result.mean:.2f}"
        assert f"{name} {expected}" in balancer_explorer.status.value.replace("<b>", "").replace("</b>", "")
    assert "could not keep up" in balancer_explorer.status.value  # round robin overloads the slow servers
    np.testing.assert_allclose(balancer_explorer.results["round-robin"].busy, results["round-robin"].busy)


def test_balancer_fast_redraw_matches_a_full_redraw(balancer_explorer: BalancerExplorer) -> None:
    for name, value in [("servers", 20), ("spread", 8.0), ("load", 0.99), ("policy", "random")]:
        balancer_explorer.sliders[name].value = value
        fast = np.asarray(Image.open(io.BytesIO(balancer_explorer.image.value)))
        full = np.asarray(Image.open(io.BytesIO(balancer_explorer._panels.full_png())))
        np.testing.assert_array_equal(fast, full)


def test_one_balancer_slider_move_is_one_update(
    balancer_explorer: BalancerExplorer, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[None] = []
    original = balancer_explorer.update
    monkeypatch.setattr(balancer_explorer, "update", lambda: calls.append(None) or original())
    for name, value in [("load", 0.8), ("servers", 6), ("spread", 2.0), ("refresh", 1.0), ("policy", "random")]:
        balancer_explorer.sliders[name].value = value
    assert len(calls) == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"load": 0.6}, "load must be one of .* got 0.6"),
        ({"servers": 7}, "servers must be one of .* got 7"),
        ({"spread": 5.0}, "spread must be one of"),
        ({"refresh": 3.0}, "refresh must be one of"),
        ({"policy": "hash"}, "policy must be one of"),
    ],
)
def test_balancer_explorer_rejects_settings_outside_its_sliders(kwargs: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        BalancerExplorer(**kwargs)  # type: ignore[arg-type]


def test_explore_balancing_is_the_one_line_for_notebooks() -> None:
    explorer = explore_balancing()
    assert isinstance(explorer, BalancerExplorer)
    assert explorer.image.value[:4] == b"\x89PNG"
