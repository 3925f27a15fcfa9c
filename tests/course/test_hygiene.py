"""The repository stays clean: stripped notebooks, ruff and mypy --strict pass."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from paths import EXERCISES, LESSONS, ROOT, SOLUTIONS, course_id
from shipped import shipped

BIN = Path(sys.executable).parent
ALLOWED_NOTEBOOK_METADATA = {"kernelspec", "language_info"}


STRIP = (
    "commit notebooks stripped (Edit > Clear Outputs of All Cells, then save). This is a check for the course's "
    "maintainers: if it is your own experiment in a lesson, `git stash` sets it aside while the tests run"
)


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS + EXERCISES, ids=course_id)
def test_notebook_is_committed_stripped(path: Path) -> None:
    """Checks the notebook as the course ships it: a learner's outputs and answers are theirs (tests/shipped.py)."""
    notebook = shipped(path)
    nbformat.validate(notebook)
    assert notebook.metadata.kernelspec.name == "python3"
    extra = set(notebook.metadata) - ALLOWED_NOTEBOOK_METADATA
    assert not extra, f"noisy notebook metadata {sorted(extra)}: {STRIP}"
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type == "code":
            assert cell.outputs == [], f"cell {index} has outputs: {STRIP}"
            assert cell.execution_count is None, f"cell {index} has an execution count: {STRIP}"
        noisy = set(cell.metadata) - {"nbgrader", "deletable", "editable", "tags"}
        assert not noisy, f"cell {index} has noisy metadata {sorted(noisy)}: {STRIP}"


def test_lessons_are_numbered_in_reading_order() -> None:
    for path in LESSONS:
        assert re.fullmatch(r"\d\d-[a-z0-9-]+", path.stem), f"{path.name}: name lessons NN-topic.ipynb"


def test_ruff_passes_on_code_and_notebooks() -> None:
    result = subprocess.run([BIN / "ruff", "check", "."], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_passes_on_helpers() -> None:
    result = subprocess.run([BIN / "mypy"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
