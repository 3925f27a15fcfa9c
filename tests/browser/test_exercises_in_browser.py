"""nbgrader's Validate button in JupyterLab, as a learner presses it.

An untouched exercise (exercises/) must be reported as failing its tests, and its reference
solution (solutions/) as passing them all; either way the dialog must say that these are the
visible tests and that hidden tests run at grading (lab/custom/custom.css adds that). The
tests read the dialog the button opens; they do not depend on which parts an exercise has
(tests/grading/test_exercises.py checks those).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from playwright.sync_api import Page

from lab_session import LabServer, NotebookPage
from paths import EXERCISES, ROOT, SOLUTIONS, course_id

pytestmark = pytest.mark.browser


def _test_cell_first_lines(path: Path) -> list[str]:
    """First line of each autograder test cell (graded code cells that hold no answer)."""
    notebook = nbformat.read(path, as_version=4)
    return [
        cell.source.splitlines()[0]
        for cell in notebook.cells
        if cell.cell_type == "code"
        and cell.metadata.get("nbgrader", {}).get("grade")
        and not cell.metadata.get("nbgrader", {}).get("solution")
    ]


def _validate(page: Page, lab: LabServer, path: Path) -> tuple[str, str]:
    try:
        notebook = NotebookPage(page, lab, path.relative_to(ROOT).as_posix()).open(wait_for_kernel=False)
        validation = notebook.validate()
    finally:
        lab.shut_down_kernels()
    return validation.outcome, validation.text


@pytest.mark.parametrize("path", EXERCISES, ids=course_id)
def test_validate_reports_failing_tests_for_an_untouched_exercise(page: Page, lab: LabServer, path: Path) -> None:
    outcome, text = _validate(page, lab, path)
    assert outcome == "failed", text
    tests = _test_cell_first_lines(path)
    assert tests, "an exercise has test cells"
    assert any(first_line in text for first_line in tests), f"the dialog names no test cell:\n{text}"
    assert "Visible tests only: hidden tests run too when your work is graded." in text.splitlines()[0]


@pytest.mark.parametrize("path", SOLUTIONS, ids=course_id)
def test_validate_reports_success_for_the_solution(page: Page, lab: LabServer, path: Path) -> None:
    outcome, text = _validate(page, lab, path)
    assert outcome == "success", text
    assert "passes all the tests" in text
    # honest: a pass is the visible tests; the course's note says the hidden ones run at grading
    note = "That means the visible tests pass. Hidden tests run too when your work is graded"
    assert text.splitlines()[-1].startswith(note)
