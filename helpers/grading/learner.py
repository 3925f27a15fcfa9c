"""A learner grades their own exercises: ``make grade``, and the button in 00-start-here.

``grade_notebooks`` grades exercise notebooks the way the instructor's nbgrader would,
hidden tests included. The learner's files are only read: each run builds a throw-away
nbgrader course in a temporary folder holding only the exercises being graded (so the cost
does not grow with the number of lessons), runs ``generate_assignment``, ``autograde`` and
``generate_feedback`` there in a worker process (``python -m helpers.grading --json``), reads
the scores from its gradebook, and copies one HTML feedback file per notebook into
``my-feedback/``. ``format_results`` prints them as a table per exercise and part.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from helpers.grading.results import (
    ANSI_ESCAPE,
    COURSE_ROOT,
    FEEDBACK_FOLDER,
    NOT_STARTED,
    STUDENT_ID,
    NotebookResult,
    PartResult,
    PartSpec,
    answers,
    nbgrader_metadata,
    part_result,
    part_specs,
    points_text,
    read_notebook,
    released_answers,
    short_title,
    skip_slow_optional_imports,
)

__all__ = [
    "WITHOUT_SOLUTIONS",
    "answered_exercises",
    "exercise_notebooks",
    "format_results",
    "grade_notebooks",
    "has_solutions",
]


WITHOUT_SOLUTIONS = (
    "This copy of the course has no solutions/ folder: it is the edition your instructor hands out, and the "
    "hidden tests stay with your instructor. So only the visible tests can run here: in each exercise, run "
    "Kernel > Restart Kernel and Run All Cells, then press Validate. Your instructor grades with the hidden "
    "tests too, so a part can pass Validate and still lose points; their feedback shows every test."
)
"""What "Your progress" and ``make grade`` say in a course folder without ``solutions/`` (``make release``)."""


def has_solutions(root: Path = COURSE_ROOT) -> bool:
    """Whether the course folder holds ``solutions/``, which grading with hidden tests needs.

    ``make release`` writes the learner edition a class gets without it; there "Your
    progress" and ``make grade`` say what a learner can run instead (WITHOUT_SOLUTIONS).

    Examples:
        >>> has_solutions()
        True
    """
    return (Path(root) / "solutions").is_dir()


def exercise_notebooks(root: Path = COURSE_ROOT) -> list[Path]:
    """Every exercise notebook of the course, in course order.

    Examples:
        >>> [path.parent.name for path in exercise_notebooks() if path.name == "hash-ring.ipynb"]
        ['08-consistent-hashing']
    """
    return sorted((root / "exercises").glob("*/*.ipynb"))


def answered_exercises(root: Path = COURSE_ROOT) -> list[Path]:
    """The notebooks in ``exercises/`` that hold a learner's answers: answer cells that are not the stubs.

    ``make exercises`` checks this first: regenerating the student versions would overwrite
    them. A notebook with no instructor version, or one that cannot be read, is left out.
    """
    answered = []
    for path in exercise_notebooks(root):
        source = root / "solutions" / path.parent.name / path.name
        try:
            if answers(read_notebook(path)) != released_answers(read_notebook(source), root):
                answered.append(path)
        except ValueError:
            continue
    return answered


def assignment_of(path: Path, root: Path) -> str:
    """The assignment a learner's notebook belongs to: its folder's name, else its file name."""
    solutions = root / "solutions"
    if (solutions / path.parent.name / path.name).is_file():
        return path.parent.name
    matches = sorted(candidate.parent.name for candidate in solutions.glob(f"*/{path.name}"))
    if len(matches) == 1:
        return matches[0]
    known = sorted(str(p.relative_to(solutions)) for p in solutions.glob("*/*.ipynb"))
    raise ValueError(
        f"cannot tell which exercise {path} is: name it and its folder like one of {known} "
        f"(for example exercises/{known[0] if known else 'NN-topic/name.ipynb'})"
    )


def _unstarted_result(path: Path, assignment: str, specs: Sequence[PartSpec]) -> NotebookResult:
    parts = tuple(PartResult(s.grade_id, s.title, 0.0, s.max_points, s.hidden, NOT_STARTED, s.by_hand) for s in specs)
    return NotebookResult(assignment, path.name, str(path), parts)


def grade_notebooks(
    paths: Sequence[Path | str] | None = None, *, root: Path = COURSE_ROOT, feedback_dir: Path | None = None
) -> list[NotebookResult]:
    """Grades of exercise notebooks with all their tests, hidden ones included, by nbgrader.

    ``paths`` defaults to every notebook in ``exercises/``. A notebook whose answer cells
    all still hold the stubs nbgrader releases (computed from ``solutions/``, so it does not
    matter where the learner works) is reported as not started (0 points) without running
    it; outputs and unlocked cells do not count as a start. A file that is not a notebook,
    or whose instructor version is unreadable (or, among the defaults, missing from
    ``solutions/``), gets an ``error`` and no parts. The others are autograded by nbgrader in
    a separate process and a throw-away course folder, and their HTML feedback goes to
    ``feedback_dir/ASSIGNMENT/NAME.html`` (default ``my-feedback/`` in the course). The
    notebooks themselves are only read.

    Raises:
        ValueError: a path that is not an exercise of this course (the message names it).
        RuntimeError: nbgrader itself failed to start; the message holds its output.
    """
    root = Path(root).resolve()
    feedback_dir = Path(feedback_dir) if feedback_dir is not None else root / FEEDBACK_FOLDER
    notebooks = [Path(p).resolve() for p in paths] if paths is not None else exercise_notebooks(root)
    results: dict[Path, NotebookResult] = {}
    to_grade: list[Path] = []
    seen: dict[tuple[str, str], Path] = {}
    for path in notebooks:
        if path.suffix != ".ipynb":
            raise ValueError(f"{path} is not a notebook (.ipynb)")
        try:
            assignment = assignment_of(path, root)
        except ValueError as error:
            if paths is not None:
                raise
            results[path] = NotebookResult(path.parent.name, path.name, str(path), error=str(error))
            continue
        if (assignment, path.name) in seen:
            raise ValueError(f"{seen[assignment, path.name]} and {path} are the same exercise: grade one at a time")
        seen[assignment, path.name] = path
        try:
            source = read_notebook(root / "solutions" / assignment / path.name)
            mine = read_notebook(path)
        except ValueError as error:
            results[path] = NotebookResult(assignment, path.name, str(path), error=str(error))
            continue
        if answers(mine) == released_answers(source, root):
            results[path] = _unstarted_result(path, assignment, part_specs(source))
        else:
            to_grade.append(path)
    if to_grade:
        for result in run_worker(to_grade, root, feedback_dir):
            results[Path(result.path)] = result
    return [results[path] for path in notebooks]


def run_worker(paths: Sequence[Path], root: Path, feedback_dir: Path) -> list[NotebookResult]:
    """Results of the nbgrader worker (``python -m helpers.grading --json``) run on ``paths``."""
    with tempfile.TemporaryDirectory(prefix="grade-results-") as folder:
        out = Path(folder) / "results.json"
        command = [sys.executable, "-m", "helpers.grading", "--json", str(out), "--root", str(root),
                   "--feedback-dir", str(feedback_dir), *map(str, paths)]  # fmt: skip
        run = subprocess.run(command, capture_output=True, text=True, cwd=root, check=False)
        if run.returncode != 0 or not out.exists():
            tail = "\n".join((run.stdout + run.stderr).strip().splitlines()[-15:])
            raise RuntimeError(f"grading could not run (exit code {run.returncode}):\n{tail}")
        return [NotebookResult.from_dict(item) for item in json.loads(out.read_text())]



def _isolate_environment(base: Path) -> None:
    """Point HOME and Jupyter's folders of this (worker) process, and its kernels, into ``base``.

    Nothing nbgrader or a kernel writes lands in the learner's home, and a personal
    ``~/.jupyter/nbgrader_config.py`` cannot change how the course grades.
    """
    matplotlib_cache = os.environ.get("MPLCONFIGDIR") or str(Path.home() / ".cache" / "matplotlib")
    home = base / "home"
    home.mkdir()
    os.environ.update(
        {
            "HOME": str(home),
            "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
            "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
            "JUPYTER_RUNTIME_DIR": str(base / "runtime"),
            "IPYTHONDIR": str(home / ".ipython"),
            "MPLCONFIGDIR": matplotlib_cache,  # keep matplotlib's font cache: rebuilding it takes seconds
            # nbgrader runs `alembic` and kernels from PATH: use this environment's.
            "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")]),
        }
    )


def _new_gradebook(path: Path) -> str:
    """URL of a new sqlite gradebook stamped with nbgrader's current schema revision.

    nbgrader stamps a new gradebook by running ``alembic heads`` in a subprocess, which
    imports nbgrader again (2-4 s). Reading the head revision here gives the same stamp;
    nbgrader then sees an existing database and creates its tables as usual.
    """
    import nbgrader
    from alembic.script import ScriptDirectory

    head = ScriptDirectory(str(Path(nbgrader.__file__).parent / "alembic")).get_current_head()
    with sqlite3.connect(path) as database:
        database.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        database.execute("INSERT INTO alembic_version (version_num) VALUES (?)", (head,))
    database.close()
    return f"sqlite:///{path}"


def _last_line(text: str | None) -> str:
    lines = [line for line in (text or "").strip().splitlines() if line.strip()]
    return ANSI_ESCAPE.sub("", lines[-1]).strip() if lines else "no details"


def grade_in_worker(paths: Sequence[Path], root: Path, feedback_dir: Path) -> list[NotebookResult]:
    """Autogrades started notebooks with nbgrader in this process (the worker's job).

    Run only in a process of its own: it changes this process's environment.
    """
    skip_slow_optional_imports()
    with tempfile.TemporaryDirectory(prefix="grade-") as folder:
        base = Path(folder)
        _isolate_environment(base)
        course = base / "course"
        course.mkdir()
        # The course's own settings (its root is the folder the file is in: this one).
        shutil.copy(root / "nbgrader_config.py", course / "nbgrader_config.py")
        previous = Path.cwd()
        os.chdir(course)
        try:
            return _autograde_here(paths, root, feedback_dir, course, base)
        finally:
            os.chdir(previous)


def _autograde_here(
    paths: Sequence[Path], root: Path, feedback_dir: Path, course: Path, base: Path
) -> list[NotebookResult]:
    """The worker's nbgrader steps, in the throw-away ``course`` (the current folder)."""
    from nbgrader.api import Gradebook, MissingEntry
    from nbgrader.apps import NbGraderAPI
    from nbgrader.coursedir import CourseDirectory
    from traitlets.config.loader import PyFileConfigLoader

    config = PyFileConfigLoader("nbgrader_config.py", path=str(course)).load_config()
    config.CourseDirectory.db_url = _new_gradebook(base / "gradebook.db")
    config.Application.log_level = "WARN"
    coursedir = CourseDirectory(config=config)
    api = NbGraderAPI(coursedir=coursedir, config=config)
    timeout_s = float(config.Execute.timeout) if "timeout" in config.Execute else None

    by_assignment: dict[str, list[Path]] = {}
    for path in paths:
        by_assignment.setdefault(assignment_of(path, root), []).append(path)

    results = []
    for assignment, notebooks in by_assignment.items():
        source_folder = coursedir.format_path(coursedir.source_directory, ".", assignment)
        shutil.copytree(root / "solutions" / assignment, source_folder)
        submitted = Path(coursedir.format_path(coursedir.submitted_directory, STUDENT_ID, assignment))
        submitted.mkdir(parents=True)
        for path in notebooks:
            shutil.copyfile(path, submitted / path.name)
        failure = ""
        outcome = api.generate_assignment(assignment, force=True, create=True)
        if not outcome["success"]:
            failure = f"nbgrader could not prepare the assignment: {_last_line(outcome.get('error'))}"
        else:
            outcome = api.autograde(assignment, STUDENT_ID, force=True, create=True)
            if not outcome["success"]:
                failure = f"nbgrader could not autograde it: {_last_line(outcome.get('error'))}"
            api.generate_feedback(assignment, STUDENT_ID, force=True)  # a missing file below says if it failed
        with Gradebook(coursedir.db_url, coursedir.course_id) as gradebook:
            for path in notebooks:
                specs = part_specs(read_notebook(root / "solutions" / assignment / path.name))
                try:
                    grades = {
                        grade.name: grade
                        for grade in gradebook.find_submission_notebook(path.stem, assignment, STUDENT_ID).grades
                    }
                except MissingEntry:
                    grades = {}
                autograded = Path(coursedir.format_path(coursedir.autograded_directory, STUDENT_ID, assignment))
                if not grades or not (autograded / path.name).is_file():
                    error = failure or "nbgrader could not grade this notebook"
                    results.append(NotebookResult(assignment, path.name, str(path), error=error))
                    continue
                outputs = {
                    str(nbgrader_metadata(cell).get("grade_id")): cell.get("outputs", [])
                    for cell in read_notebook(autograded / path.name)["cells"]
                }
                parts = tuple(part_result(spec, grades.get(spec.grade_id), outputs, timeout_s) for spec in specs)
                feedback = Path(coursedir.format_path(coursedir.feedback_directory, STUDENT_ID, assignment))
                html = feedback / f"{path.stem}.html"
                kept = None
                if html.is_file():
                    target = feedback_dir / assignment / html.name
                    target.parent.mkdir(parents=True, exist_ok=True)
                    shutil.copyfile(html, target)
                    kept = str(target)
                results.append(NotebookResult(assignment, path.name, str(path), parts, kept))
    return results



def _tests_label(part: PartResult) -> str:
    if part.by_hand:
        return "read by a person"
    return "visible + hidden" if part.hidden else "visible"


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def format_results(results: Sequence[NotebookResult], root: Path | None = COURSE_ROOT, title_width: int = 62) -> str:
    """A text table per exercise notebook: each part's points and result, and why tests failed.

    Paths under ``root`` are shown relative to it.

    Examples:
        >>> from helpers.grading.results import BY_INSTRUCTOR, FAILED, NotebookResult, PartResult
        >>> part = PartResult("test_lookup", "Part A (2 points): finds the owner.", 0.0, 2.0, True, FAILED,
        ...                   message="AssertionError: expected 'b'")
        >>> essay = PartResult("essay", "Part D: ring or jump hash? (2 points, graded by hand)", 0.0, 2.0,
        ...                    False, BY_INSTRUCTOR, by_hand=True)
        >>> print(format_results([NotebookResult("08-hashing", "ring.ipynb", "ring.ipynb", (part, essay))]))
        08-hashing/ring.ipynb: 0 / 4 points
          part                   tests             points  result
          A: finds the owner.    visible + hidden  0 / 2   failed
               AssertionError: expected 'b'
          D: ring or jump hash?  read by a person  0 / 2   graded by your instructor
        <BLANKLINE>
        "visible + hidden": hidden tests ran too. Validate runs only the visible ones, so a part can pass Validate
        and still fail here.
        Parts graded by your instructor count 0 here until they have read your answer.
    """
    lines: list[str] = []

    def shown(path: str) -> str:
        if root is not None:
            try:
                return str(Path(path).resolve().relative_to(Path(root).resolve()))
            except ValueError:
                pass
        return path

    hidden_used = by_hand_used = False
    for result in results:
        name = f"{result.assignment}/{result.notebook}"
        if result.error:
            lines.append(f"{name}: could not be graded: {result.error}")
            continue
        if not result.started:  # every part is a stub: one line says it all
            lines.append(f"{name}: 0 / {points_text(result.max_points)} points, not started (no answer changed yet)")
            continue
        lines.append(f"{name}: {points_text(result.points)} / {points_text(result.max_points)} points")
        titles = [_clip(short_title(part.title), title_width) for part in result.parts]
        scores = [f"{points_text(part.points)} / {points_text(part.max_points)}" for part in result.parts]
        labels = [_tests_label(part) for part in result.parts]
        title_w = max([len("part"), *map(len, titles)])
        label_w = max([len("tests"), *map(len, labels)])
        score_w = max([len("points"), *map(len, scores)])
        lines.append(f"  {'part':<{title_w}}  {'tests':<{label_w}}  {'points':<{score_w}}  result")
        for part, title, label, score in zip(result.parts, titles, labels, scores, strict=True):
            lines.append(f"  {title:<{title_w}}  {label:<{label_w}}  {score:<{score_w}}  {part.status}".rstrip())
            if part.message:
                lines.append(f"       {part.message}")
            hidden_used |= part.hidden
            by_hand_used |= part.by_hand
        if result.feedback:
            lines.append(f"  feedback: {shown(result.feedback)}")
    notes = []
    if hidden_used:
        notes.append(
            '"visible + hidden": hidden tests ran too. Validate runs only the visible ones, so a part can pass '
            "Validate\nand still fail here."
        )
    if by_hand_used:
        notes.append("Parts graded by your instructor count 0 here until they have read your answer.")
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)

