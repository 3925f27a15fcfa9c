"""Exercises grade honestly: solutions pass, untouched exercises fail, exercises/ is in sync.

Test cells (nbgrader "autograder tests") are graded by running them; answers graded by hand
(nbgrader "manually graded answer" cells) are never failed by a test: a person reads them.

Uses nbgrader's Python API (``Validator``), never the exit code of ``nbgrader validate``,
which is 0 even when tests fail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
import pytest
from nbgrader.validator import Validator
from traitlets.config import Config

from paths import ASSIGNMENTS, EXERCISES, ROOT, SOLUTIONS, course_id
from shipped import release, shipped_bytes

NBGRADER = [str(Path(sys.executable).parent / "nbgrader")]


def _validator(invert: bool = False) -> Validator:
    config = Config()
    config.Execute.timeout = 20
    return Validator(config=config, invert=invert)


def _grade_cells(path: Path) -> list[nbformat.NotebookNode]:
    notebook = nbformat.read(path, as_version=4)
    return [cell for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade")]


def _test_cells(path: Path) -> list[nbformat.NotebookNode]:
    """Graded cells that hold tests (graded by running them)."""
    return [cell for cell in _grade_cells(path) if not cell.metadata.nbgrader.get("solution")]


def _is_hand_graded(cell: nbformat.NotebookNode) -> bool:
    """An answer cell a person grades (nbgrader: solution and grade)."""
    nbgrader = cell.metadata.get("nbgrader", {})
    return bool(nbgrader.get("grade") and nbgrader.get("solution"))


def test_every_assignment_has_a_release() -> None:
    for assignment in ASSIGNMENTS:
        sources = sorted(p.name for p in (ROOT / "solutions" / assignment).glob("*.ipynb"))
        released = sorted(p.name for p in (ROOT / "exercises" / assignment).glob("*.ipynb"))
        assert sources, f"solutions/{assignment} holds no notebook"
        assert released == sources, f"exercises/{assignment} is stale: run `make exercises`"


@pytest.mark.parametrize("path", SOLUTIONS, ids=course_id)
def test_solution_passes_every_test(path: Path) -> None:
    assert _validator().validate(str(path)) == {}


def _first_lines(cells: list[dict[str, str]] | list[nbformat.NotebookNode]) -> set[str]:
    return {cell["source"].splitlines()[0] for cell in cells}


@pytest.mark.parametrize("path", EXERCISES, ids=course_id)
def test_untouched_exercise_fails_every_test_but_no_hand_graded_answer(path: Path, tmp_path: Path) -> None:
    """Every test fails on the released stubs; a written answer graded by hand is never failed by a test.

    The learner here answered the hand-graded parts and nothing else. (An answer left as the
    stub "YOUR ANSWER HERE" is scored 0 by nbgrader itself: there is nothing to read.)
    """
    path = release(path.parent.name) / path.name  # the release itself, never a learner's answered copy
    notebook = nbformat.read(path, as_version=4)
    hand_graded = [cell for cell in notebook.cells if _is_hand_graded(cell)]
    for cell in hand_graded:
        assert cell.source == "YOUR ANSWER HERE", f"{cell.metadata.nbgrader.grade_id}: the release shows the text stub"
        cell.source = "A short answer that a person will read and grade."
    copy = tmp_path / path.name
    nbformat.write(notebook, copy)
    result = _validator().validate(str(copy))
    assert "changed" not in result
    tests, failed = _first_lines(_test_cells(path)), _first_lines(result.get("failed", []))
    assert tests, "an exercise has test cells"
    assert tests - failed == set(), f"tests that pass without an answer: {tests - failed}"
    assert failed - tests == set(), f"cells failed that are not tests (a hand-graded answer?): {failed - tests}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=course_id)
def test_answers_imported_from_elsewhere_score_nothing(path: Path, tmp_path: Path) -> None:
    """Each part's first test fails when the answers come from a module instead of the notebook."""
    notebook = nbformat.read(path, as_version=4)
    answers = [
        cell
        for cell in notebook.cells
        if cell.metadata.get("nbgrader", {}).get("solution") and cell.cell_type == "code"
    ]
    setup = "\n".join(
        cell.source for cell in notebook.cells if cell.metadata.get("nbgrader", {}).get("grade_id") == "setup"
    )
    (tmp_path / "answers.py").write_text(setup + "\n\n" + "\n\n".join(cell.source for cell in answers))
    for cell in answers:
        cell.source = "from answers import *  # noqa: F403"
    copy = tmp_path / path.name
    nbformat.write(notebook, copy)
    failed = _first_lines(_validator().validate(str(copy)).get("failed", []))
    first_test_of_each_part: dict[str, str] = {}
    for cell in _test_cells(path):
        part = cell.source.split(":", 1)[0]  # '"""Part A (2 points)'
        first_test_of_each_part.setdefault(part.split(" (")[0], cell.source.splitlines()[0])
    passing = set(first_test_of_each_part.values()) - failed
    assert not passing, f"imported answers pass: {passing}"


@pytest.mark.parametrize("path", SOLUTIONS, ids=course_id)
def test_exercise_is_substantial_and_has_hidden_tests(path: Path) -> None:
    cells = _grade_cells(path)
    tests = _test_cells(path)
    points = sum(cell.metadata.nbgrader.get("points", 0) for cell in cells)
    hidden = [cell for cell in tests if "### BEGIN HIDDEN TESTS" in cell.source]
    parts = [
        cell
        for cell in nbformat.read(path, as_version=4).cells
        if cell.cell_type == "markdown" and cell.source.startswith("## Part ")
    ]
    assert points >= 10, f"{points} points; an exercise is worth at least 10"
    assert len(parts) >= 3, f"{len(parts)} parts; an exercise has at least 3"
    assert len(hidden) * 2 >= len(tests), "most test cells should hold hidden tests"
    for cell in tests:
        first_line = cell.source.splitlines()[0]
        assert first_line.startswith('"""'), f"{cell.metadata.nbgrader['grade_id']}: say what is checked"
    for cell in cells:
        if _is_hand_graded(cell):
            grade_id = cell.metadata.nbgrader["grade_id"]
            assert cell.cell_type == "markdown", f"{grade_id}: a hand-graded part is a written answer"
            assert cell.source.startswith("### BEGIN SOLUTION\n"), f"{grade_id}: keep a model answer for graders"
            assert cell.source.endswith("\n### END SOLUTION"), f"{grade_id}: keep a model answer for graders"


@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_exercises_are_generated_from_solutions(assignment: str) -> None:
    """exercises/ is what `make exercises` writes (a maintainer's check; a learner's answers in place pass it).

    Each file must equal the freshly generated one, as it is on disk or as committed when it
    differs from the commit only by a learner's answers and outputs (see tests/shipped.py).
    """
    fresh, committed = release(assignment), ROOT / "exercises" / assignment
    assert sorted(p.name for p in fresh.iterdir()) == sorted(p.name for p in committed.iterdir()), (
        "run `make exercises`"
    )
    for generated in sorted(fresh.iterdir()):
        ours = committed / generated.name
        expected = generated.read_bytes()
        assert expected in (ours.read_bytes(), shipped_bytes(ours)), f"{course_id(ours)} is stale: run `make exercises`"


def _bare_asserts(source: str) -> list[int]:
    """Lines of ``assert`` statements without a message, and of ``raise AssertionError`` without one."""
    import ast

    tree = ast.parse("\n".join(line for line in source.splitlines() if not line.lstrip().startswith("%")))
    bare = [node.lineno for node in ast.walk(tree) if isinstance(node, ast.Assert) and node.msg is None]
    for node in ast.walk(tree):
        if isinstance(node, ast.Raise) and node.exc is not None:
            exc = node.exc
            if (isinstance(exc, ast.Name) and exc.id == "AssertionError") or (
                isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name) and exc.func.id == "AssertionError"
                and not exc.args
            ):
                bare.append(node.lineno)
    return sorted(bare)


@pytest.mark.parametrize("path", SOLUTIONS, ids=course_id)
def test_every_failing_check_says_what_was_expected(path: Path) -> None:
    """No test cell fails with a bare AssertionError: each says what was expected and what to check."""
    for cell in _test_cells(path):
        bare = _bare_asserts(cell.source)
        assert not bare, f"{cell.metadata.nbgrader.grade_id}: give the assert on line(s) {bare} a message"
