"""A learner grades their own exercises (helpers.grading, `make grade`, "Your progress").

The slow part (nbgrader autograding a notebook, about 5-8 s) runs once per module fixture;
everything else uses grading's fast paths (an untouched or unreadable notebook is never run).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from helpers import grading
from helpers.grading import (
    BY_INSTRUCTOR,
    FAILED,
    NOT_STARTED,
    PASSED,
    NotebookResult,
    PartResult,
    failure_message,
    format_results,
    grade_notebooks,
    learner,
    results,
    show_progress,
)

import submissions
from paths import ROOT
from shipped import release, write_shipped_notebooks
from submissions import ASSIGNMENT, NOTEBOOK, PARTS, SOLUTION, TESTS, released_path

HIDDEN_PARTS = set(TESTS)  # every test cell of exercise 08 holds hidden tests


def learner_copy(notebook: nbformat.NotebookNode, folder: Path) -> Path:
    """Where a learner keeps the exercise: a folder named after the assignment."""
    return submissions.write(notebook, folder / ASSIGNMENT / NOTEBOOK)


# --- what an instructor notebook defines ----------------------------------------------------


def test_parts_come_from_the_instructor_notebook_in_order() -> None:
    specs = results.part_specs(results.read_notebook(SOLUTION))
    assert [spec.grade_id for spec in specs] == list(PARTS)
    assert {spec.grade_id: spec.max_points for spec in specs} == PARTS
    assert {spec.grade_id for spec in specs if spec.hidden} == HIDDEN_PARTS
    assert [spec.grade_id for spec in specs if spec.by_hand] == ["jump_or_ring"]
    titles = {spec.grade_id: spec.title for spec in specs}
    assert titles["test_moved_fraction"].startswith("Part B (1 point): moved_fraction counts keys")
    assert titles["jump_or_ring"] == "Part D: a ring or jump hash? (2 points, graded by hand)"


@pytest.mark.parametrize(
    ("outputs", "expected"),
    [
        ([{"output_type": "error", "ename": "\x1b[0;31mValueError\x1b[0m", "evalue": "bad \x1b[1mkey\x1b[0m"}],
         "ValueError: bad key"),
        ([{"output_type": "error", "ename": "NotImplementedError", "evalue": ""}],
         "NotImplementedError: an answer this test uses still raises NotImplementedError()"),
        ([{"output_type": "error", "ename": "CellTimeoutError", "evalue": ""}],
         "CellTimeoutError: the cell ran longer than the 20 s per-cell limit and was stopped "
         "(a loop that never ends?)"),
        ([{"output_type": "stream", "name": "stdout", "text": "fine\n"}], ""),
        ([{"output_type": "stream", "name": "stderr", "text": ["Deprecation", "Warning: x\nmore"]},
          {"output_type": "error", "ename": "KeyError", "evalue": "'k'"}], "KeyError: 'k'"),
        ([], ""),
    ],
)  # fmt: skip
def test_failure_message_says_what_the_test_raised(outputs: list[dict[str, object]], expected: str) -> None:
    assert failure_message(outputs, timeout_s=20) == expected


def test_part_result_rejects_an_unknown_status_and_impossible_points() -> None:
    with pytest.raises(ValueError, match=r"status must be one of .* got 'great'"):
        PartResult("t", "T", 1.0, 1.0, False, "great")
    with pytest.raises(ValueError, match=r"points must be between 0 and max_points=2\.0, got 3\.0"):
        PartResult("t", "T", 3.0, 2.0, False, PASSED)


# --- fast paths: nothing to run -------------------------------------------------------------


def test_an_untouched_exercise_scores_0_as_not_started_without_running(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_worker(*args: object) -> None:
        raise AssertionError("an untouched exercise must not be run")

    monkeypatch.setattr(learner, "run_worker", no_worker)
    path = learner_copy(submissions.untouched(), tmp_path)
    [result] = grade_notebooks([path], feedback_dir=tmp_path / "feedback")
    assert (result.assignment, result.notebook, result.error) == (ASSIGNMENT, NOTEBOOK, "")
    assert not result.started
    assert [part.status for part in result.parts] == [NOT_STARTED] * len(PARTS)
    assert (result.points, result.max_points) == (0, sum(PARTS.values()))
    assert result.feedback is None
    assert "not started" in format_results([result])


def test_run_outputs_alone_do_not_count_as_started(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(learner, "run_worker", lambda *args: pytest.fail("an untouched exercise was run"))
    notebook = submissions.untouched()
    demo = next(cell for cell in notebook.cells if cell.cell_type == "code" and not cell.metadata.get("nbgrader"))
    demo.outputs = [nbformat.v4.new_output("stream", name="stdout", text="['a', 'b']\n")]
    [result] = grade_notebooks([learner_copy(notebook, tmp_path)], feedback_dir=tmp_path)
    assert not result.started


def test_a_file_that_is_not_json_gets_a_message_naming_it(tmp_path: Path) -> None:
    path = learner_copy(submissions.correct(), tmp_path)
    submissions.break_json(path)
    [result] = grade_notebooks([path], feedback_dir=tmp_path)
    assert result.parts == ()
    assert result.error.startswith(f"{path} is not a valid notebook: not JSON (")
    assert f"{ASSIGNMENT}/{NOTEBOOK}: could not be graded: {path} is not a valid notebook" in format_results([result])


def test_a_missing_notebook_gets_a_message_naming_it(tmp_path: Path) -> None:
    path = tmp_path / ASSIGNMENT / NOTEBOOK
    [result] = grade_notebooks([path], feedback_dir=tmp_path)
    assert result.error == f"{path} does not exist"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("essay.txt", r"essay\.txt is not a notebook \(\.ipynb\)"),
        ("homework.ipynb", r"cannot tell which exercise .*homework"),
    ],
)
def test_a_path_that_is_no_exercise_raises_naming_it(tmp_path: Path, name: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        grade_notebooks([tmp_path / "somewhere" / name])


def test_a_notebook_outside_its_folder_is_matched_by_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(learner, "run_worker", lambda *args: pytest.fail("an untouched exercise was run"))
    path = submissions.write(submissions.untouched(), tmp_path / "Downloads" / NOTEBOOK)
    [result] = grade_notebooks([path])
    assert result.assignment == ASSIGNMENT


def test_the_default_is_every_exercise_of_the_course(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(learner, "run_worker", lambda *args: pytest.fail("an untouched exercise was run"))
    course = tmp_path / "course"  # the course as shipped: every exercise untouched, so nothing runs
    course.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    for folder in ("solutions", "exercises"):
        shutil.copytree(ROOT / folder, course / folder)
    write_shipped_notebooks(course)
    results = grade_notebooks(root=course)
    assert [Path(result.path) for result in results] == sorted((course / "exercises").glob("*/*.ipynb"))
    assert len(results) == len(list((ROOT / "solutions").glob("*/*.ipynb")))
    assert all(not result.started and not result.error for result in results)


def test_main_prints_the_table_and_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert grading.main([str(released_path())]) == 0
    out = capsys.readouterr().out
    assert out == f"{ASSIGNMENT}/{NOTEBOOK}: 0 / 14 points, not started (no answer changed yet)\n"


def test_main_exits_1_and_names_an_unreadable_notebook(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = learner_copy(submissions.correct(), tmp_path)
    path.write_text("")
    assert grading.main([str(path)]) == 1
    assert f"could not be graded: {path} is not a valid notebook: not JSON" in capsys.readouterr().out


def test_main_exits_2_on_a_path_that_is_no_exercise(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert grading.main([str(tmp_path / "notes.ipynb")]) == 2
    assert "cannot tell which exercise" in capsys.readouterr().err


def test_grading_says_so_when_nbgrader_cannot_run(tmp_path: Path) -> None:
    root = tmp_path / "course"  # a course folder without nbgrader_config.py
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    path = learner_copy(submissions.correct(), tmp_path / "mine")
    with pytest.raises(RuntimeError, match=r"grading could not run \(exit code 1\):(.|\n)*nbgrader_config.py"):
        grade_notebooks([path], root=root, feedback_dir=tmp_path)


def test_the_gradebook_stamp_is_the_one_nbgrader_writes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from nbgrader.api import get_alembic_version

    monkeypatch.setenv("PATH", os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    learner._new_gradebook(tmp_path / "gradebook.db")
    with contextlib.closing(sqlite3.connect(tmp_path / "gradebook.db")) as database:
        [(stamp,)] = database.execute("SELECT version_num FROM alembic_version").fetchall()
    assert stamp == get_alembic_version()


# --- "Your progress" in 00-start-here -------------------------------------------------------


def test_progress_button_grades_every_exercise_on_a_press(tmp_path: Path) -> None:
    root = tmp_path / "course"
    root.mkdir()
    shutil.copy(ROOT / "nbgrader_config.py", root / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, root / "solutions" / ASSIGNMENT)
    shutil.copytree(release(ASSIGNMENT), root / "exercises" / ASSIGNMENT)
    panel = show_progress(root)
    button, report = panel.children
    assert "Press the button" in report.value  # nothing is graded until the press
    button.click()
    assert report.value.startswith(f"<pre>{ASSIGNMENT}/{NOTEBOOK}: 0 / 14 points, not started")
    assert (button.description, button.disabled) == ("Grade my exercises", False)


def test_progress_button_shows_why_grading_failed(tmp_path: Path) -> None:
    root = tmp_path / "course"  # solutions/ without the exercise's instructor version
    (root / "exercises" / ASSIGNMENT).mkdir(parents=True)
    (root / "solutions").mkdir()
    shutil.copy(released_path(), root / "exercises" / ASSIGNMENT / NOTEBOOK)
    button, report = show_progress(root).children
    button.click()
    assert f"{ASSIGNMENT}/{NOTEBOOK}: could not be graded: cannot tell which exercise" in report.value


def test_progress_is_skipped_while_nbgrader_runs_the_notebook(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    assert "not graded while nbgrader runs" in show_progress().value


def test_start_here_has_a_your_progress_section_with_the_button() -> None:
    notebook = nbformat.read(ROOT / "notebooks" / "00-start-here.ipynb", as_version=4)
    sources = [cell.source for cell in notebook.cells]
    heading = next(i for i, source in enumerate(sources) if source.startswith("## 6. Your progress"))
    assert sources[heading + 1] == "show_progress()"
    assert "hidden ones included" in sources[heading]
    assert "from helpers.grading import show_progress" in sources[2]


# --- a real grade: nbgrader autograde on a partly wrong answer ------------------------------


@pytest.fixture(scope="module")
def partly_wrong(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, bytes, float, NotebookResult]:
    """A learner's partly wrong exercise 08, graded in a course that also holds an unfinished exercise.

    The unfinished exercise's instructor notebook is not even JSON: grading exercise 08 works
    only because grading prepares nothing but the exercise being graded (so its cost does not
    grow with the number of lessons).
    """
    course = tmp_path_factory.mktemp("course")
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    shutil.copytree(release(ASSIGNMENT), course / "exercises" / ASSIGNMENT)
    (course / "solutions" / "99-unfinished").mkdir()
    (course / "solutions" / "99-unfinished" / "draft.ipynb").write_text('{"cells": [')
    folder = tmp_path_factory.mktemp("learner")
    path = learner_copy(submissions.partly_wrong(), folder)
    before = path.read_bytes(), path.stat().st_mtime
    [result] = grade_notebooks([path], root=course, feedback_dir=folder / "feedback")
    return path, *before, result


def test_a_grade_scores_every_part_as_nbgrader_does(partly_wrong: tuple[Path, bytes, float, NotebookResult]) -> None:
    *_, result = partly_wrong
    scores = {part.grade_id: part.points for part in result.parts}
    expected = submissions.EXPECTED["partly-wrong"]
    assert scores == {**expected, "jump_or_ring": 0.0}  # Part D waits for the instructor
    statuses = {part.grade_id: part.status for part in result.parts}
    assert statuses == {
        **{grade_id: PASSED for grade_id in TESTS},
        "test_moved_fraction": FAILED,
        "test_bounded_walk": FAILED,
        "jump_or_ring": BY_INSTRUCTOR,
    }
    assert result.started
    assert result.error == ""


def test_a_grade_gives_each_failing_test_its_message_and_says_which_tests_were_hidden(
    partly_wrong: tuple[Path, bytes, float, NotebookResult],
) -> None:
    *_, result = partly_wrong
    parts = {part.grade_id: part for part in result.parts}
    # passes Validate (its visible tests pass); only a hidden test catches it
    assert parts["test_moved_fraction"].message == submissions.MOVED_FRACTION_MESSAGE
    assert parts["test_bounded_walk"].message == submissions.WALK_MESSAGE
    assert {grade_id for grade_id, part in parts.items() if part.hidden} == HIDDEN_PARTS
    assert all(part.message == "" for part in result.parts if part.status != FAILED)
    table = format_results([result])
    assert table.splitlines()[0] == f"{ASSIGNMENT}/{NOTEBOOK}: 8 / 14 points"
    assert "       AssertionError: moved_fraction({'k1': 'a'}, {'k2': 'a'}) must raise ValueError: the two" in table
    assert "D: a ring or jump hash?" in table
    assert "graded by your instructor" in table
    assert "hidden tests ran too. Validate runs only the visible ones" in table


def test_a_grade_writes_html_feedback_and_leaves_the_notebook_alone(
    partly_wrong: tuple[Path, bytes, float, NotebookResult],
) -> None:
    path, content, mtime, result = partly_wrong
    assert result.feedback is not None
    feedback = Path(result.feedback)
    assert feedback == path.parent.parent / "feedback" / ASSIGNMENT / "hash-ring.html"
    html = feedback.read_text()
    assert "must raise ValueError" in html
    assert "8.0" in html
    assert f"feedback: {feedback}" in format_results([result], root=None)
    shown = format_results([result], root=path.parent.parent)
    assert f"  feedback: feedback/{ASSIGNMENT}/hash-ring.html" in shown, "paths under root are shown relative"
    assert (path.read_bytes(), path.stat().st_mtime) == (content, mtime), "grading changed the learner's notebook"
    assert sorted(p.name for p in path.parent.iterdir()) == [NOTEBOOK], "grading left files next to the notebook"


def test_make_grade_grades_one_notebook(tmp_path: Path) -> None:
    path = learner_copy(submissions.correct(), tmp_path)
    run = subprocess.run(
        ["make", "--no-print-directory", "grade", f"NB={path}", f"FEEDBACK={tmp_path / 'feedback'}"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    lines = run.stdout.splitlines()
    table = lines[lines.index(f"{ASSIGNMENT}/{NOTEBOOK}: 12 / 14 points") :]
    assert sum("  passed" in line for line in table) == len(TESTS)
    assert any(line.rstrip().endswith("graded by your instructor") for line in table)
    assert f"  feedback: {tmp_path / 'feedback' / ASSIGNMENT / 'hash-ring.html'}" in table
    assert (tmp_path / "feedback" / ASSIGNMENT / "hash-ring.html").is_file()

