"""Widgets: the self-check quiz and the lesson 08 ring explorer, driven as a learner would."""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image

from helpers.hashing import HashRing, expected_remapped_fraction, mod_n_placement, remapped_fraction
from helpers.widgets import Quiz, RingExplorer, explore_ring, png_bytes, quiz

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
