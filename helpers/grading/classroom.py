"""An instructor grades a class: ``python -m helpers.grading --class ASSIGNMENT``.

``autograde_class`` runs ``nbgrader autograde ASSIGNMENT`` in the course folder, names every
student whose submission could not be graded (a notebook missing from it, or a file that is
not a valid notebook), scores those 0 as nbgrader does for a missing notebook, and returns
the class's scores per part; ``format_class`` prints them, a row per student.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from helpers.grading.results import (
    BY_INSTRUCTOR,
    PartResult,
    part_result,
    part_specs,
    points_text,
    read_notebook,
    skip_slow_optional_imports,
)

__all__ = ["ClassResult", "SubmissionProblem", "autograde_class", "format_class"]



@dataclass(frozen=True)
class SubmissionProblem:
    """A submitted notebook nbgrader cannot grade: missing from the submission, or not a notebook."""

    student: str
    path: str
    """The notebook's path in submitted/, relative to the course folder."""
    reason: str

    def __str__(self) -> str:
        return f"student {self.student!r}: {self.path} {self.reason}"


@dataclass(frozen=True)
class ClassResult:
    """The outcome of autograding one assignment for a whole class."""

    assignment: str
    scores: dict[str, tuple[PartResult, ...]] = field(default_factory=dict)
    """Every student with a submission -> their parts, in notebook order (all notebooks)."""
    problems: tuple[SubmissionProblem, ...] = ()
    nbgrader_exit_code: int = 0


def _notebook_problem(path: Path) -> str:
    """Why ``path`` cannot be read as a notebook ("not a valid notebook: not JSON (...)"), or ""."""
    try:
        read_notebook(path)
    except ValueError as error:
        return str(error).removeprefix(f"{path} ").removeprefix("is ")
    return ""


def _course_directory(course_dir: Path, nbgrader_options: Sequence[str]) -> Any:
    """nbgrader's CourseDirectory for ``course_dir``, configured as ``nbgrader`` would be there.

    Reads the same config files as nbgrader (the user's, then the course's
    nbgrader_config.py) and a ``--db`` among ``nbgrader_options``.
    """
    from nbgrader.apps.baseapp import NbGrader
    from nbgrader.coursedir import CourseDirectory

    previous = Path.cwd()
    os.chdir(course_dir)
    try:
        app = NbGrader()
        app.load_config_file()
        config = app.config
        for index, option in enumerate(nbgrader_options):
            if option.startswith(("--db=", "--CourseDirectory.db_url=")):
                config.CourseDirectory.db_url = option.split("=", 1)[1]
            elif option in ("--db", "--CourseDirectory.db_url") and index + 1 < len(nbgrader_options):
                config.CourseDirectory.db_url = nbgrader_options[index + 1]
        return CourseDirectory(config=config)  # its root defaults to the current folder
    finally:
        os.chdir(previous)


def autograde_class(assignment: str, course_dir: Path | str = ".", nbgrader_options: Sequence[str] = ()) -> ClassResult:
    """Autogrades every collected submission of ``assignment`` and reports what could not be graded.

    Runs ``nbgrader autograde ASSIGNMENT [nbgrader_options]`` in ``course_dir`` (its output
    goes to this process's terminal). Before that, every submission in ``submitted/`` is
    checked for the assignment's notebooks: a missing notebook or a file that is not a valid
    notebook becomes a SubmissionProblem naming the student and the file, and after
    autograding every part of it scores 0 in the gradebook, as nbgrader itself does for a
    notebook missing from a submission that holds others. The rest of the class is graded.

    Raises:
        ValueError: ``assignment`` has no source folder or is not in the gradebook.
    """
    skip_slow_optional_imports()
    from nbgrader.api import Gradebook, MissingEntry

    course_dir = Path(course_dir).resolve()
    coursedir = _course_directory(course_dir, nbgrader_options)
    source = Path(coursedir.format_path(coursedir.source_directory, ".", assignment))
    notebooks = sorted(source.glob("*.ipynb"))
    if not notebooks:
        raise ValueError(f"assignment {assignment!r} has no notebooks in {source}")
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        try:
            gradebook.find_assignment(assignment)
        except MissingEntry:
            raise ValueError(
                f"assignment {assignment!r} is not in the gradebook {coursedir.db_url}: "
                f"run `nbgrader generate_assignment {assignment}` first"
            ) from None

    submitted_root = Path(coursedir.root) / coursedir.submitted_directory
    students = sorted(p.parent.name for p in submitted_root.glob(f"*/{assignment}") if p.is_dir())
    problems: list[SubmissionProblem] = []
    for student in students:
        folder = Path(coursedir.format_path(coursedir.submitted_directory, student, assignment))
        for notebook in notebooks:
            path = folder / notebook.name
            shown = str(path.relative_to(course_dir)) if path.is_relative_to(course_dir) else str(path)
            if not path.exists():
                present = sorted(
                    p.name for p in folder.iterdir() if p.name not in ("timestamp.txt", "submission_secret.txt")
                )
                holds = ", ".join(present) if present else "no other files"
                problems.append(SubmissionProblem(student, shown, f"is missing (the submission holds: {holds})"))
            elif reason := _notebook_problem(path):
                problems.append(SubmissionProblem(student, shown, f"is {reason}"))

    nbgrader = str(Path(sys.executable).parent / "nbgrader")
    env = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}
    run = subprocess.run([nbgrader, "autograde", assignment, *nbgrader_options], cwd=course_dir, env=env, check=False)

    scores: dict[str, tuple[PartResult, ...]] = {}
    specs = {notebook.stem: part_specs(read_notebook(notebook)) for notebook in notebooks}
    broken = {(problem.student, Path(problem.path).stem) for problem in problems}
    with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
        for student, stem in sorted(broken):
            gradebook.update_or_create_student(student)
            folder = coursedir.format_path(coursedir.submitted_directory, student, assignment)
            timestamp = coursedir.get_existing_timestamp(folder)
            extra = {"timestamp": timestamp} if timestamp else {}
            gradebook.update_or_create_submission(assignment, student, **extra)
            for grade in gradebook.find_submission_notebook(stem, assignment, student).grades:
                grade.auto_score = 0.0
                grade.needs_manual_grade = False
            gradebook.db.commit()
        for student in students:
            parts: list[PartResult] = []
            for notebook in notebooks:
                try:
                    found = gradebook.find_submission_notebook(notebook.stem, assignment, student).grades
                except MissingEntry:
                    found = []
                grades = {grade.name: grade for grade in found}
                autograded = Path(coursedir.format_path(coursedir.autograded_directory, student, assignment))
                if not (autograded / notebook.name).is_file() and (student, notebook.stem) not in broken:
                    shown = f"{coursedir.submitted_directory}/{student}/{assignment}/{notebook.name}"
                    problems.append(SubmissionProblem(student, shown, "was not graded: see nbgrader's messages above"))
                parts += [part_result(spec, grades.get(spec.grade_id), {}, None) for spec in specs[notebook.stem]]
            scores[student] = tuple(parts)
    return ClassResult(assignment, scores, tuple(problems), run.returncode)


def format_class(result: ClassResult) -> str:
    """The class's scores, one row per student, after a list of submissions that could not be graded.

    Examples:
        >>> from helpers.grading.results import BY_INSTRUCTOR, FAILED, PASSED, PartResult
        >>> ok = PartResult("test_a", "Part A (1 point): a", 1.0, 1.0, False, PASSED)
        >>> bad = PartResult("test_b", "Part B (2 points): b", 0.0, 2.0, True, FAILED)
        >>> essay = PartResult("essay", "Part C: why?", 0.0, 2.0, False, BY_INSTRUCTOR, by_hand=True)
        >>> problem = SubmissionProblem("sam", "submitted/sam/hw/hw.ipynb", "is missing (the submission holds: x.txt)")
        >>> print(format_class(ClassResult("hw", {"ana": (ok, bad, essay), "sam": (bad, bad, bad)}, (problem,))))
        Could not grade 1 submitted notebook: every part of it scores 0.
        Fix the file or ask the student to submit again, then run this command again.
          student 'sam': submitted/sam/hw/hw.ipynb is missing (the submission holds: x.txt)
        <BLANKLINE>
        hw: 2 students
          student  points  to grade by hand  below full marks
          ana      1 / 5   essay             test_b 0/2
          sam      0 / 6   -                 every part scores 0
    """
    lines: list[str] = []
    if result.problems:
        count = len(result.problems)
        lines += [
            f"Could not grade {count} submitted notebook{'s' if count > 1 else ''}: every part of "
            f"{'them' if count > 1 else 'it'} scores 0.",
            "Fix the file or ask the student to submit again, then run this command again.",
            *(f"  {problem}" for problem in result.problems),
            "",
        ]
    rows = []
    for student, parts in result.scores.items():
        points = sum(part.points for part in parts)
        possible = sum(part.max_points for part in parts)
        by_hand = [part.grade_id for part in parts if part.status == BY_INSTRUCTOR]
        below = [
            f"{part.grade_id} {points_text(part.points)}/{points_text(part.max_points)}"
            for part in parts
            if part.points < part.max_points and part.status != BY_INSTRUCTOR
        ]
        if not by_hand and points == 0:
            below = ["every part scores 0"]
        rows.append((student, f"{points_text(points)} / {points_text(possible)}", ", ".join(by_hand) or "-",
                     ", ".join(below) or "-"))  # fmt: skip
    headers = ("student", "points", "to grade by hand", "below full marks")
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]
    lines.append(f"{result.assignment}: {len(rows)} student{'s' if len(rows) != 1 else ''}")
    for row in [headers, *rows]:
        lines.append("  " + "  ".join(f"{cell:<{width}}" for cell, width in zip(row[:3], widths, strict=True))
                     + "  " + row[3])  # fmt: skip
    return "\n".join(lines)

