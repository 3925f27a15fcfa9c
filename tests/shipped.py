"""The course's notebooks as the course ships them, also in a learner's own, well-used clone.

A learner works in the course folder: JupyterLab autosaves every lesson with its outputs after
Run All, and exercises are answered in place in ``exercises/``. Tests that check what the course
*ships* (notebooks committed stripped, ``exercises/`` generated from ``solutions/``, untouched
exercises failing their tests, simulated students starting from the release) must not fail on
that work, and must still catch a maintainer's mistake. So they read a notebook's shipped version:

* the working file, when it is the committed one, when the folder is not a git checkout, or
  when it differs from the commit by a maintainer's edit (a changed instruction, test or lesson
  cell is tested as it is now);
* the committed file (``git show HEAD:path``), when the working file differs from it only by
  what a learner's use changes: outputs, execution counts and metadata anywhere; in an exercise
  also the answer cells and the cells nbgrader leaves unlocked (demo cells, cells the learner
  added or deleted).

``release(assignment)`` is the student version as ``make exercises`` would write it now,
generated from ``solutions/`` by nbgrader into a temporary folder: never the learner's file.
On CI (a clean clone) every shipped version is the working file, so every check is exact there.
"""

from __future__ import annotations

import atexit
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import nbformat

from paths import ROOT

NBGRADER = Path(sys.executable).parent / "nbgrader"


@functools.cache
def committed_bytes(path: Path) -> bytes | None:
    """The file as committed at HEAD, or None (not a git checkout, no git, or not committed)."""
    relative = Path(path).resolve().relative_to(ROOT).as_posix()
    try:
        run = subprocess.run(["git", "show", f"HEAD:{relative}"], cwd=ROOT, capture_output=True, check=False)
    except FileNotFoundError:  # no git on this machine
        return None
    return run.stdout if run.returncode == 0 else None


def is_exercise(path: Path) -> bool:
    """A student version in exercises/ (learners answer in it)."""
    return Path(path).resolve().is_relative_to(ROOT / "exercises")


def _shape(notebook: nbformat.NotebookNode, exercise: bool) -> list[tuple[Any, ...]]:
    """What only a maintainer changes: every cell's type and source (an exercise: its locked cells')."""
    shape = []
    for cell in notebook.cells:
        nbgrader = cell.get("metadata", {}).get("nbgrader", {})
        if not exercise:
            shape.append((cell.cell_type, cell.source))
        elif nbgrader.get("solution"):
            shape.append((cell.cell_type, nbgrader.get("grade_id")))  # the learner's answer goes here
        elif nbgrader.get("locked") or nbgrader.get("grade"):
            shape.append((cell.cell_type, nbgrader.get("grade_id"), cell.source))
        # other cells are unlocked: a learner edits, adds and deletes them
    return shape


def learner_changed(path: Path) -> bool:
    """True when the working file differs from the commit only by a learner's use of it."""
    blob = committed_bytes(path)
    working = Path(path).read_bytes()
    if blob is None or blob == working:
        return False
    try:
        now = nbformat.reads(working.decode(), as_version=4)
    except Exception:
        return False
    then = nbformat.reads(blob.decode(), as_version=4)
    exercise = is_exercise(path)
    return _shape(now, exercise) == _shape(then, exercise)


def shipped_bytes(path: Path) -> bytes:
    """The notebook's content as the course ships it (see the module's docstring)."""
    if learner_changed(path):
        blob = committed_bytes(path)
        assert blob is not None
        return blob
    return Path(path).read_bytes()


def shipped(path: Path) -> nbformat.NotebookNode:
    """The shipped notebook, read with nbformat."""
    return nbformat.reads(shipped_bytes(path).decode(), as_version=4)


def write_shipped_notebooks(course: Path) -> None:
    """Overwrites every lesson and exercise in a copy of the course with its shipped version."""
    for path in [*ROOT.glob("notebooks/*.ipynb"), *ROOT.glob("exercises/*/*.ipynb")]:
        target = course / path.relative_to(ROOT)
        if target.is_file():
            target.write_bytes(shipped_bytes(path))


_RELEASES = Path(tempfile.mkdtemp(prefix="course-release-"))
atexit.register(shutil.rmtree, _RELEASES, ignore_errors=True)


@functools.cache
def release(assignment: str) -> Path:
    """Folder of ``assignment``'s student version, generated from solutions/ as `make exercises` does."""
    subprocess.run(
        [str(NBGRADER), "generate_assignment", assignment, "--force", "--no-db", "--log-level=WARN",
         f"--CourseDirectory.release_directory={_RELEASES}"],
        cwd=ROOT, check=True, env={**os.environ, "JUPYTER_DATA_DIR": str(_RELEASES / ".jupyter-data")},
    )  # fmt: skip
    return _RELEASES / assignment
