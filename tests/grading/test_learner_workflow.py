"""A learner who follows 00-start-here word for word gets their real grade.

00-start-here says: answer the exercises in place, in ``exercises/NN-topic/``, then grade with
``make grade``, ``make grade NB=...`` or the **Grade my exercises** button under "Your
progress". Here a learner does exactly that in their own copy of the course (this checkout's
files as the course ships them, with this checkout's environment linked in as its ``.venv``):

* exercises 08 (hash ring) and 04 (DNS routing policies) answered correctly in place: every
  way of grading shows 12 / 14 for 08 (Part D waits for the instructor) and 12 / 12 for 04,
  and every other exercise "not started";
* the same two answered partly wrong in place: the failing parts and their messages;
* grading never changes a notebook in ``exercises/``.

``make`` runs with ``-o .venv/.installed`` so it never reinstalls into the linked environment.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import submissions
from lab_session import copy_course
from paths import ROOT

HASH_RING = "exercises/08-consistent-hashing/hash-ring.ipynb"
ROUTING = "exercises/04-dns/routing-policies.ipynb"

# A plausible slip in each: TtlCache keeps an entry fresh at exactly now + ttl (<= for <), and
# moved_fraction and place_bounded as the partly wrong student of the grading cycle has them.
CACHE_OFF_BY_ONE = {"cache": ("if entry is not None and now < entry[1]:", "if entry is not None and now <= entry[1]:")}


@dataclass(frozen=True)
class Learner:
    course: Path
    before: dict[str, tuple[bytes, int]]
    """Every exercise notebook's bytes and mtime (ns) after answering, before any grading."""

    def run_make(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["make", "--no-print-directory", "-o", ".venv/.installed", *arguments],
            cwd=self.course, capture_output=True, text=True, check=False, timeout=600,
        )  # fmt: skip

    def make(self, *arguments: str) -> str:
        run = self.run_make(*arguments)
        assert run.returncode == 0, run.stdout + run.stderr
        return run.stdout

    def assert_notebooks_unchanged(self) -> None:
        assert _snapshot(self.course) == self.before, "grading changed a notebook in exercises/"


def _snapshot(course: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(path.relative_to(course)): (path.read_bytes(), path.stat().st_mtime_ns)
        for path in sorted((course / "exercises").glob("*/*.ipynb"))
    }


def _learner(folder: Path, hash_ring: nbformat.NotebookNode, routing: nbformat.NotebookNode) -> Learner:
    course = copy_course(folder / "system-design-hands-on")
    (course / ".venv").symlink_to(ROOT / ".venv")
    nbformat.write(hash_ring, course / HASH_RING)  # answered in place, where 00-start-here says
    nbformat.write(routing, course / ROUTING)
    return Learner(course, _snapshot(course))


@pytest.fixture(scope="module")
def solved(tmp_path_factory: pytest.TempPathFactory) -> Learner:
    routing = submissions.answered_in_release("04-dns", "routing-policies.ipynb")
    return _learner(tmp_path_factory.mktemp("solved"), submissions.correct(), routing)


@pytest.fixture(scope="module")
def partly_wrong(tmp_path_factory: pytest.TempPathFactory) -> Learner:
    routing = submissions.answered_in_release("04-dns", "routing-policies.ipynb", CACHE_OFF_BY_ONE)
    return _learner(tmp_path_factory.mktemp("partly-wrong"), submissions.partly_wrong(), routing)


def _block(table: str, heading: str) -> list[str]:
    """The lines of one exercise's table: its heading line up to the next exercise."""
    lines = table.splitlines()
    start = next((i for i, line in enumerate(lines) if line.startswith(heading)), None)
    assert start is not None, f"no line starts with {heading!r} in:\n{table}"
    end = next((i for i in range(start + 1, len(lines)) if lines[i] and not lines[i].startswith(" ")), len(lines))
    return lines[start:end]


def _assert_solved(table: str) -> None:
    ring = _block(table, "08-consistent-hashing/hash-ring.ipynb: 12 / 14 points")
    assert sum(line.rstrip().endswith("  passed") for line in ring) == 6, "\n".join(ring)
    assert any("D: a ring or jump hash?" in line and line.endswith("graded by your instructor") for line in ring)
    routing = _block(table, "04-dns/routing-policies.ipynb: 12 / 12 points")
    assert sum(line.rstrip().endswith("  passed") for line in routing) == 7, "\n".join(routing)


def test_make_grade_grades_exercises_answered_in_place(solved: Learner) -> None:
    table = solved.make("grade")
    _assert_solved(table)
    others = [path for path in sorted((solved.course / "exercises").glob("*/*.ipynb"))
              if path.relative_to(solved.course).as_posix() not in (HASH_RING, ROUTING)]  # fmt: skip
    for path in others:
        assert f"{path.parent.name}/{path.name}: 0 / " in table
    assert table.count(", not started (no answer changed yet)") == len(others)
    feedback = solved.course / "my-feedback"
    assert sorted(p.relative_to(feedback).as_posix() for p in feedback.rglob("*.html")) == [
        "04-dns/routing-policies.html", "08-consistent-hashing/hash-ring.html"]  # fmt: skip
    solved.assert_notebooks_unchanged()


def test_make_grade_nb_grades_one_exercise_answered_in_place(solved: Learner) -> None:
    table = solved.make("grade", f"NB={HASH_RING}")
    assert "08-consistent-hashing/hash-ring.ipynb: 12 / 14 points\n" in table
    assert "04-dns" not in table, "only the notebook named is graded"
    solved.assert_notebooks_unchanged()


def test_your_progress_in_00_start_here_grades_exercises_answered_in_place(
    solved: Learner, monkeypatch: pytest.MonkeyPatch
) -> None:
    """00-start-here run in a kernel in the learner's course, then its button pressed."""
    path = solved.course / "notebooks" / "00-start-here.ipynb"
    notebook = nbformat.read(path, as_version=4)
    press = "panel = show_progress()\npanel.children[0].click()\nprint(panel.children[1].value)"
    notebook.cells.append(nbformat.v4.new_code_cell(press))
    monkeypatch.setenv("PYTHONPATH", str(solved.course))  # the kernel imports the learner's copy of helpers
    NotebookClient(notebook, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(path.parent)}}).execute()  # fmt: skip
    report = "".join(output.get("text", "") for output in notebook.cells[-1].outputs)
    assert report.startswith("<pre>"), report
    _assert_solved(report.replace("&lt;", "<").replace("&gt;", ">").replace("&#x27;", "'").replace("&quot;", '"'))
    assert "not started" in report
    solved.assert_notebooks_unchanged()


def test_make_exercises_refuses_to_overwrite_answers(solved: Learner) -> None:
    run = solved.run_make("exercises")
    assert run.returncode != 0
    listed = [line for line in run.stdout.splitlines() if line.endswith(" holds your answers")]
    assert listed == [f"{ROUTING} holds your answers", f"{HASH_RING} holds your answers"], run.stdout
    assert "make exercises FORCE=1" in run.stdout
    solved.assert_notebooks_unchanged()


def test_make_grade_shows_what_fails_in_a_partly_wrong_answer(partly_wrong: Learner) -> None:
    table = partly_wrong.make("grade")
    ring = "\n".join(_block(table, "08-consistent-hashing/hash-ring.ipynb: 8 / 14 points"))
    assert submissions.MOVED_FRACTION_MESSAGE in ring
    assert submissions.WALK_MESSAGE in ring
    routing = "\n".join(_block(table, "04-dns/routing-policies.ipynb: 9 / 12 points"))
    assert "AssertionError: expired at exactly now + ttl" in routing
    assert "AssertionError: and expires after its (negative) TTL" in routing
    assert routing.count("  failed") == 2, routing
    partly_wrong.assert_notebooks_unchanged()


# --- the course's own checks in a learner's well-used clone ---------------------------------

MAINTAINER_CHECKS = [
    "tests/course/test_hygiene.py", "tests/grading/test_exercises.py", "-k", "stripped or generated or untouched",
]


def _pytest_in(clone: Path, *arguments: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(ROOT / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-p", "no:randomly", *arguments],
        cwd=clone, capture_output=True, text=True, check=False, timeout=900,
    )  # fmt: skip


def test_the_course_checks_pass_in_a_learners_clone_and_still_catch_a_stale_release(tmp_path: Path) -> None:
    """A learner's answers in exercises/ and autosaved lesson outputs fail no test; committed answers do.

    In a clone of the course: exercise 08 answered in place, with a cell of the learner's own;
    lesson 08 saved with outputs, as JupyterLab autosaves it after Run All. The checks of what
    the course ships (stripped notebooks, exercises/ generated from solutions/, untouched
    exercises fail their tests) pass. Then the answered exercise is committed, as a maintainer
    might by mistake: the generated-exercises check fails and says what to run.
    """
    if shutil.which("git") is None:
        pytest.skip("git is not installed: there is no clone to make")
    if subprocess.run(["git", "rev-parse", "--verify", "HEAD"], cwd=ROOT, capture_output=True).returncode:
        pytest.skip("the course folder is not a git checkout: there is no clone to make")
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "-q", "--no-hardlinks", str(ROOT), str(clone)], check=True)
    exercise = submissions.correct()
    exercise.cells.append(nbformat.v4.new_code_cell("ring = Ring(['a', 'b'], 5)\nring.node_for('x')"))
    nbformat.write(exercise, clone / HASH_RING)
    lesson_path = clone / "notebooks" / "08-consistent-hashing.ipynb"
    lesson = nbformat.read(lesson_path, as_version=4)
    for number, cell in enumerate(c for c in lesson.cells if c.cell_type == "code"):
        cell.execution_count = number + 1
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="ran\n")]
        cell.metadata["scrolled"] = True
    lesson.metadata["widgets"] = {"application/vnd.jupyter.widget-state+json": {"state": {}}}
    nbformat.write(lesson, lesson_path)

    used = _pytest_in(clone, *MAINTAINER_CHECKS)
    assert used.returncode == 0, used.stdout[-3000:] + used.stderr[-2000:]

    subprocess.run(["git", "-c", "user.name=Maintainer", "-c", "user.email=m@example.invalid", "commit", "-q",
                    "-am", "oops: answers committed"], cwd=clone, check=True)  # fmt: skip
    stale = _pytest_in(clone, "tests/grading/test_exercises.py", "-k", "generated and 08")
    assert stale.returncode == 1, stale.stdout[-3000:]
    assert "exercises/08-consistent-hashing/hash-ring.ipynb is stale: run `make exercises`" in stale.stdout
