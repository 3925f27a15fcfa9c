"""Self-check quizzes: a question, its options, and instant feedback on each choice.

Lessons ask before they tell, so most quizzes ask the learner to predict what the next cell
will show. The explanation appears after every choice; after a wrong one the feedback also
names the right option.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from html import escape
from typing import Any

import ipywidgets as widgets

__all__ = ["Quiz", "quiz"]


_CODE = re.compile(r"`([^`]+)`")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


def _inline_markdown(text: str) -> str:
    """HTML for text that may hold HTML plus the two Markdown marks used in lessons: **bold**, `code`."""
    return _BOLD.sub(r"<b>\1</b>", _CODE.sub(r"<code>\1</code>", text))


def _check_text(name: str, value: object) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"{name} must be a non-empty string, got {value!r}")
    return value


class Quiz(widgets.VBox):
    """A multiple-choice self-check: the question, its options, and feedback on each choice.

    ``choices`` (the RadioButtons) and ``feedback`` (the HTML under them) are exposed so
    tests can pick an option and read the answer. Build one with ``quiz(...)``.
    """

    def __init__(self, question: str, options: Sequence[str], answer: int, explanation: str) -> None:
        _check_text("question", question)
        _check_text("explanation", explanation)
        if isinstance(options, str) or not isinstance(options, Sequence):
            raise ValueError(f"options must be a list of strings, got {options!r}")
        if len(options) < 2:
            raise ValueError(f"options must hold at least 2 choices, got {list(options)!r}")
        for position, option in enumerate(options):
            _check_text(f"options[{position}]", option)
        duplicates = sorted({option for option in options if list(options).count(option) > 1})
        if duplicates:
            raise ValueError(f"options must be distinct, got duplicates {duplicates}")
        if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(options):
            raise ValueError(
                f"answer must be the index of the right option, 0 to {len(options) - 1}, got {answer!r}"
            )
        self._options = tuple(options)
        self._answer = answer
        self._explanation = _inline_markdown(explanation)
        self.choices = widgets.RadioButtons(options=self._options, value=None, layout=widgets.Layout(width="auto"))
        self.feedback = widgets.HTML("")
        super().__init__([widgets.HTML(_inline_markdown(question)), self.choices, self.feedback])
        self.choices.observe(self._show_feedback, names="index")

    def _show_feedback(self, change: dict[str, Any]) -> None:
        index = change["new"]
        if index is None:
            self.feedback.value = ""
        elif index == self._answer:
            self.feedback.value = f"<b style='color:#1a7f37'>✅ Correct.</b> {self._explanation}"
        else:
            right = escape(self._options[self._answer])
            self.feedback.value = (
                f"<b style='color:#b3261e'>❌ Not quite.</b> The answer is <b>{right}</b>. {self._explanation}"
            )


def quiz(question: str, options: Sequence[str], answer: int, explanation: str) -> Quiz:
    """Instant-feedback multiple-choice question: pick an option, see why it is right or wrong.

    ``answer`` is the index of the right option. The explanation shows after every choice;
    after a wrong one the feedback also names the right option.

    Examples:
        >>> q = quiz("Adding an 11th node to a 10-node ring moves about...",
        ...          ["1/11 of the keys", "10/11 of the keys"], answer=0,
        ...          explanation="Only the keys the new node takes over move.")
        >>> q.feedback.value
        ''
        >>> q.choices.value = "10/11 of the keys"
        >>> "Not quite" in q.feedback.value and "1/11 of the keys" in q.feedback.value
        True
        >>> q.choices.value = "1/11 of the keys"
        >>> q.feedback.value.count("Correct")
        1
    """
    return Quiz(question, options, answer, explanation)
