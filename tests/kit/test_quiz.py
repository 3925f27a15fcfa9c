"""The self-check quiz: the question, its options, and feedback after each choice."""

from __future__ import annotations

import pytest

from helpers.quiz import Quiz, quiz

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
