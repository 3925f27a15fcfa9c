"""Grading with nbgrader, end to end: your own exercises, and a whole class for instructors.

Learners: ``make grade`` (or **Grade my exercises** under "Your progress" in 00-start-here)
grades your exercise notebooks the way your instructor's nbgrader would, hidden tests
included, and prints a table per exercise and part: points earned and possible, and the
message of every failing test. Your files are never changed: each run builds a throw-away
nbgrader course in a temporary folder holding only the exercises being graded (so the cost
does not grow with the number of lessons), runs nbgrader's ``generate_assignment``,
``autograde`` and ``generate_feedback`` there, reads the scores from its gradebook, and
copies one HTML feedback file per notebook into ``my-feedback/`` (ignored by git).

Instructors: ``python -m helpers.grading --class ASSIGNMENT`` runs ``nbgrader autograde
ASSIGNMENT`` in the course folder, then names every student whose submission could not be
graded (a notebook missing from it, or a file that is not a valid notebook), scores those 0
as nbgrader does for a missing notebook, and prints the class's scores per part.

Sections:
    * results: PartResult, NotebookResult and reading exercise notebooks
    * learners: grade_notebooks, format_results, show_progress and the nbgrader worker behind them
    * instructors: autograde_class, format_class
    * command line: main
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from html import escape
from pathlib import Path
from typing import Any

__all__ = [
    "BY_INSTRUCTOR",
    "FAILED",
    "NOT_ANSWERED",
    "NOT_STARTED",
    "PASSED",
    "ClassResult",
    "NotebookResult",
    "PartResult",
    "SubmissionProblem",
    "answered_exercises",
    "autograde_class",
    "exercise_notebooks",
    "failure_message",
    "format_class",
    "format_results",
    "grade_notebooks",
    "main",
    "part_title",
    "short_title",
    "show_progress",
]

COURSE_ROOT = Path(__file__).resolve().parents[1]
"""The course folder: ``helpers/`` is installed from it in editable mode."""

STUDENT_ID = "me"
"""The student id of a learner grading their own work in the throw-away course."""

FEEDBACK_FOLDER = "my-feedback"
"""Where ``make grade`` puts the HTML feedback, inside the course folder (ignored by git)."""

PASSED = "passed"
FAILED = "failed"
NOT_STARTED = "not started"
NOT_ANSWERED = "not answered"
BY_INSTRUCTOR = "graded by your instructor"
STATUSES = (PASSED, FAILED, NOT_STARTED, NOT_ANSWERED, BY_INSTRUCTOR)

HIDDEN_TESTS_MARK = "### BEGIN HIDDEN TESTS"
_ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_POINTS_IN_TITLE = re.compile(r"\s*\((?:\d+(?:\.\d+)?|one|two|three) points?[^)]*\)", flags=re.IGNORECASE)
_PART_TITLE = re.compile(r"^Part (\w+)\s*:\s*(.*)$")

Notebook = dict[str, Any]
"""A notebook as its JSON: reading it this way keeps ``import helpers.grading`` fast in a kernel."""


# --- results --------------------------------------------------------------------------------


@dataclass(frozen=True)
class PartResult:
    """How one graded cell of an exercise scored: a test cell, or an answer graded by hand."""

    grade_id: str
    title: str
    """First line of the test's docstring ("Part A (2 points): ..."), or the heading of a hand-graded part."""
    points: float
    max_points: float
    hidden: bool
    """The test cell holds hidden tests: Validate does not run them, grading does."""
    status: str
    """One of STATUSES."""
    by_hand: bool = False
    """An answer your instructor grades by hand (nbgrader's "manually graded answer")."""
    message: str = ""
    """For a failing test, the error it raised ("AssertionError: ..."); otherwise empty."""

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status must be one of {STATUSES}, got {self.status!r}")
        if not 0 <= self.points <= self.max_points:
            raise ValueError(f"points must be between 0 and max_points={self.max_points}, got {self.points}")


@dataclass(frozen=True)
class NotebookResult:
    """The grade of one exercise notebook: every graded part, and where its feedback is."""

    assignment: str
    notebook: str
    """File name of the notebook, e.g. "hash-ring.ipynb"."""
    path: str
    """The notebook that was graded, as given."""
    parts: tuple[PartResult, ...] = ()
    feedback: str | None = None
    """The HTML feedback nbgrader generated, if any."""
    error: str = ""
    """Why the notebook could not be graded at all (then there are no parts)."""

    @property
    def points(self) -> float:
        """Points earned so far."""
        return sum(part.points for part in self.parts)

    @property
    def max_points(self) -> float:
        """Points possible, hand-graded parts included."""
        return sum(part.max_points for part in self.parts)

    @property
    def started(self) -> bool:
        """False for an exercise whose answers are all still the released stubs."""
        return not any(part.status == NOT_STARTED for part in self.parts)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> NotebookResult:
        """The result ``dataclasses.asdict`` turned into a dict (as the grading worker sends it)."""
        parts = tuple(PartResult(**part) for part in data.get("parts", []))
        return cls(**{**data, "parts": parts})


def _source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _nbgrader(cell: dict[str, Any]) -> dict[str, Any]:
    metadata = cell.get("metadata", {})
    found = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    return found if isinstance(found, dict) else {}


def _read_notebook(path: Path) -> Notebook:
    """The notebook's JSON, or a ValueError that names the file and says what is wrong."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"{path} does not exist") from None
    except IsADirectoryError:
        raise ValueError(f"{path} is a folder, not a notebook") from None
    except UnicodeDecodeError as error:
        raise ValueError(f"{path} is not a valid notebook: not UTF-8 text ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise ValueError(f"{path} is not a valid notebook: not JSON ({error})") from None
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        raise ValueError(f"{path} is not a valid notebook: it holds no list of cells")
    return data


def part_title(source: str, default: str) -> str:
    """Title of a test cell: the first line of its docstring (or comment), else ``default``.

    Examples:
        >>> part_title('\"\"\"Part A (2 points): node_for finds the owner.\"\"\"\\nassert True', "t")
        'Part A (2 points): node_for finds the owner.'
        >>> part_title("# checks the ring\\nassert True", "test_ring")
        'checks the ring'
        >>> part_title("assert True", "test_ring")
        'test_ring'
    """
    lines = [line.strip() for line in source.strip().splitlines()]
    first = lines[0] if lines else ""
    for quote in ('"""', "'''"):
        if first.startswith(quote):
            title = first[len(quote) :].removesuffix(quote).strip()
            return title or default
    if first.startswith("#"):
        return first.lstrip("#").strip() or default
    return default


def short_title(title: str) -> str:
    """A part's title for a table: "Part A (2 points): text" becomes "A: text".

    Examples:
        >>> short_title("Part A (2 points): node_for finds the owner.")
        'A: node_for finds the owner.'
        >>> short_title("Part D: a ring or jump hash? (2 points, graded by hand)")
        'D: a ring or jump hash?'
        >>> short_title("test_ring")
        'test_ring'
    """
    title = _POINTS_IN_TITLE.sub("", title).strip()
    match = _PART_TITLE.match(title)
    return f"{match.group(1)}: {match.group(2)}" if match else title


@dataclass(frozen=True)
class _PartSpec:
    """A graded cell as the instructor's notebook defines it."""

    grade_id: str
    title: str
    max_points: float
    hidden: bool
    by_hand: bool


def _part_specs(source: Notebook) -> list[_PartSpec]:
    """The graded cells of an instructor notebook (solutions/), in order."""
    specs = []
    heading = ""
    for cell in source["cells"]:
        text, metadata = _source(cell), _nbgrader(cell)
        if cell.get("cell_type") == "markdown" and text.lstrip().startswith("#") and not metadata.get("solution"):
            heading = text.strip().splitlines()[0].lstrip("#").strip()
        if not (metadata.get("grade") or metadata.get("task")):
            continue
        grade_id = str(metadata.get("grade_id", ""))
        by_hand = bool(metadata.get("solution") or metadata.get("task"))
        title = (heading or grade_id) if by_hand else part_title(text, grade_id)
        specs.append(_PartSpec(grade_id, title, float(metadata.get("points", 0)), HIDDEN_TESTS_MARK in text, by_hand))
    return specs


def _answers(notebook: Notebook) -> dict[str, str]:
    """Source of every answer cell (nbgrader "solution" cell) by grade id."""
    return {
        str(_nbgrader(cell).get("grade_id")): _source(cell).strip()
        for cell in notebook["cells"]
        if _nbgrader(cell).get("solution")
    }


def _released_answers(source: Notebook, root: Path) -> dict[str, str]:
    """Every answer cell of the student version, by grade id: the stubs nbgrader makes from ``source``.

    ``source`` is the instructor notebook (solutions/). Its answers go through nbgrader's own
    ``ClearSolutions``, configured by the course's ``nbgrader_config.py`` (its code and text
    stubs), exactly as ``generate_assignment`` writes them into exercises/. Never the
    exercises/ file itself: a learner answers in it, so it is their work, not the release.
    """
    _skip_slow_optional_imports()
    import nbformat
    from nbgrader.preprocessors import ClearSolutions
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    config = Config()
    if (root / "nbgrader_config.py").is_file():
        config = PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()
    # nbformat joins sources stored as lists of lines, as nbgrader's own reading does
    notebook = nbformat.reads(json.dumps(source), as_version=nbformat.NO_CONVERT)  # type: ignore[no-untyped-call]
    notebook, _ = ClearSolutions(config=config).preprocess(notebook, {})
    return _answers(notebook)


def failure_message(outputs: Iterable[dict[str, Any]], timeout_s: float | None = None) -> str:
    """What a failing test cell said: its error as "Name: value", without terminal colours.

    A cell that nbgrader interrupted at the per-cell time limit (``timeout_s``) ends in a
    KeyboardInterrupt (or CellTimeoutError), which is explained. A cell that wrote to stderr
    fails under nbgrader too, so that is reported when there is no error. An empty string
    means the outputs hold neither.

    Examples:
        >>> failure_message([{"output_type": "error", "ename": "AssertionError",
        ...                   "evalue": "expected 'b', got 'a'", "traceback": []}])
        "AssertionError: expected 'b', got 'a'"
        >>> failure_message([{"output_type": "error", "ename": "KeyboardInterrupt", "evalue": ""}], timeout_s=20)
        'KeyboardInterrupt: the cell ran longer than the 20 s per-cell limit and was stopped (a loop that never ends?)'
        >>> failure_message([{"output_type": "stream", "name": "stderr", "text": "Warning: slow\\n"}])
        'wrote to stderr, which counts as a failure: Warning: slow'
    """
    stderr = ""
    for output in outputs:
        kind = output.get("output_type")
        if kind == "error":
            name = _ANSI_ESCAPE.sub("", str(output.get("ename", "Error")))
            value = _ANSI_ESCAPE.sub("", str(output.get("evalue", ""))).strip()
            if name in ("CellTimeoutError", "KeyboardInterrupt") and not value:
                # nbgrader interrupts a cell that runs over the per-cell limit: no one presses Ctrl+C here.
                limit = f"the {timeout_s:g} s per-cell limit" if timeout_s else "the per-cell time limit"
                return f"{name}: the cell ran longer than {limit} and was stopped (a loop that never ends?)"
            if name == "NotImplementedError" and not value:
                return f"{name}: an answer this test uses still raises NotImplementedError()"
            return f"{name}: {value}" if value else name
        if kind == "stream" and output.get("name") == "stderr" and not stderr:
            text = _ANSI_ESCAPE.sub("", "".join(output.get("text", ""))).strip()
            stderr = text.splitlines()[0] if text else "(empty)"
    return f"wrote to stderr, which counts as a failure: {stderr}" if stderr else ""


# --- learners -------------------------------------------------------------------------------


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
            if _answers(_read_notebook(path)) != _released_answers(_read_notebook(source), root):
                answered.append(path)
        except ValueError:
            continue
    return answered


def _assignment_of(path: Path, root: Path) -> str:
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


def _unstarted_result(path: Path, assignment: str, specs: Sequence[_PartSpec]) -> NotebookResult:
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
            assignment = _assignment_of(path, root)
        except ValueError as error:
            if paths is not None:
                raise
            results[path] = NotebookResult(path.parent.name, path.name, str(path), error=str(error))
            continue
        if (assignment, path.name) in seen:
            raise ValueError(f"{seen[assignment, path.name]} and {path} are the same exercise: grade one at a time")
        seen[assignment, path.name] = path
        try:
            source = _read_notebook(root / "solutions" / assignment / path.name)
            mine = _read_notebook(path)
        except ValueError as error:
            results[path] = NotebookResult(assignment, path.name, str(path), error=str(error))
            continue
        if _answers(mine) == _released_answers(source, root):
            results[path] = _unstarted_result(path, assignment, _part_specs(source))
        else:
            to_grade.append(path)
    if to_grade:
        for result in _run_worker(to_grade, root, feedback_dir):
            results[Path(result.path)] = result
    return [results[path] for path in notebooks]


def _run_worker(paths: Sequence[Path], root: Path, feedback_dir: Path) -> list[NotebookResult]:
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


def _skip_slow_optional_imports() -> None:
    """Keep jsonschema from importing rfc3987_syntax in this process.

    jsonschema imports it, if installed, to check "iri" string formats, and it compiles an
    Earley grammar at import: about 3 s of every nbgrader run here. Notebook validation never
    checks those formats (nbformat validates with fastjsonschema), and jsonschema imports it
    inside ``suppress(ImportError)``, so a ``None`` entry simply leaves the format unchecked.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]


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
    return _ANSI_ESCAPE.sub("", lines[-1]).strip() if lines else "no details"


def _grade_in_worker(paths: Sequence[Path], root: Path, feedback_dir: Path) -> list[NotebookResult]:
    """Autogrades started notebooks with nbgrader in this process (the worker's job).

    Run only in a process of its own: it changes this process's environment.
    """
    _skip_slow_optional_imports()
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
        by_assignment.setdefault(_assignment_of(path, root), []).append(path)

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
                specs = _part_specs(_read_notebook(root / "solutions" / assignment / path.name))
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
                    str(_nbgrader(cell).get("grade_id")): cell.get("outputs", [])
                    for cell in _read_notebook(autograded / path.name)["cells"]
                }
                parts = tuple(_part_result(spec, grades.get(spec.grade_id), outputs, timeout_s) for spec in specs)
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


def _part_result(spec: _PartSpec, grade: Any, outputs: dict[str, list[Any]], timeout_s: float | None) -> PartResult:
    """A part's result from its nbgrader Grade (None if nbgrader has none) and the cell's outputs."""
    if grade is None:
        return PartResult(spec.grade_id, spec.title, 0.0, spec.max_points, spec.hidden, FAILED, spec.by_hand,
                          "nbgrader recorded no grade for this part")  # fmt: skip
    score = min(max(float(grade.score or 0.0), 0.0), spec.max_points)
    if spec.by_hand:
        if grade.manual_score is not None:
            status = PASSED if score >= spec.max_points else FAILED
        elif grade.needs_manual_grade:
            status = BY_INSTRUCTOR
        else:
            status = NOT_ANSWERED  # nbgrader scores an answer left as the stub 0 by itself
        return PartResult(spec.grade_id, spec.title, score, spec.max_points, spec.hidden, status, True)
    if score >= spec.max_points:
        return PartResult(spec.grade_id, spec.title, score, spec.max_points, spec.hidden, PASSED)
    message = failure_message(outputs.get(spec.grade_id, []), timeout_s) or "the test did not pass"
    return PartResult(spec.grade_id, spec.title, score, spec.max_points, spec.hidden, FAILED, False, message)


def _points(value: float) -> str:
    return f"{value:g}"


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
            lines.append(f"{name}: 0 / {_points(result.max_points)} points, not started (no answer changed yet)")
            continue
        lines.append(f"{name}: {_points(result.points)} / {_points(result.max_points)} points")
        titles = [_clip(short_title(part.title), title_width) for part in result.parts]
        scores = [f"{_points(part.points)} / {_points(part.max_points)}" for part in result.parts]
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


def show_progress(root: Path = COURSE_ROOT) -> Any:
    """A **Grade my exercises** button; pressing it shows ``format_results`` for every exercise.

    Grading runs only when the button is pressed (a few seconds per started exercise), never
    on Run All. Returns an ``ipywidgets.VBox`` of the button and an HTML report, so a
    notebook cell that ends with ``show_progress()`` displays it. While nbgrader runs the
    notebook (``NBGRADER_EXECUTION`` is set) it returns a note instead and grades nothing.

    Examples:
        >>> panel = show_progress()
        >>> button, report = panel.children
        >>> button.description, "Press" in report.value
        ('Grade my exercises', True)
    """
    import ipywidgets as widgets

    if os.environ.get("NBGRADER_EXECUTION"):
        return widgets.HTML("<i>Your progress is not graded while nbgrader runs this notebook.</i>")
    idle = "Grade my exercises"
    button = widgets.Button(description=idle, icon="check", button_style="primary", layout=widgets.Layout(width="auto"))
    report = widgets.HTML(
        "<i>Press the button to grade every exercise in <code>exercises/</code> with all its tests, hidden ones "
        "included (about 10 s for each exercise you have started; nothing in your notebooks changes).</i>"
    )

    def grade(_: Any) -> None:
        button.disabled, button.description = True, "Grading…"
        report.value = "<i>Grading with nbgrader…</i>"
        try:
            table = format_results(grade_notebooks(root=root), root=root)
            report.value = f"<pre>{escape(table)}</pre>"
        except (ValueError, RuntimeError) as error:
            report.value = f"<pre style='color:#b3261e'>Could not grade: {escape(str(error))}</pre>"
        finally:
            button.disabled, button.description = False, idle

    button.on_click(grade)
    return widgets.VBox([button, report])


# --- instructors ----------------------------------------------------------------------------


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
        _read_notebook(path)
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
    _skip_slow_optional_imports()
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
    specs = {notebook.stem: _part_specs(_read_notebook(notebook)) for notebook in notebooks}
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
                parts += [_part_result(spec, grades.get(spec.grade_id), {}, None) for spec in specs[notebook.stem]]
            scores[student] = tuple(parts)
    return ClassResult(assignment, scores, tuple(problems), run.returncode)


def format_class(result: ClassResult) -> str:
    """The class's scores, one row per student, after a list of submissions that could not be graded.

    Examples:
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
            f"{part.grade_id} {_points(part.points)}/{_points(part.max_points)}"
            for part in parts
            if part.points < part.max_points and part.status != BY_INSTRUCTOR
        ]
        if not by_hand and points == 0:
            below = ["every part scores 0"]
        rows.append((student, f"{_points(points)} / {_points(possible)}", ", ".join(by_hand) or "-",
                     ", ".join(below) or "-"))  # fmt: skip
    headers = ("student", "points", "to grade by hand", "below full marks")
    widths = [max(len(row[i]) for row in [headers, *rows]) for i in range(3)]
    lines.append(f"{result.assignment}: {len(rows)} student{'s' if len(rows) != 1 else ''}")
    for row in [headers, *rows]:
        lines.append("  " + "  ".join(f"{cell:<{width}}" for cell, width in zip(row[:3], widths, strict=True))
                     + "  " + row[3])  # fmt: skip
    return "\n".join(lines)


# --- command line ---------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.grading",
        description="Grade your exercise notebooks with every test, hidden ones included (make grade); "
        "or, for instructors, autograde a class's submissions (--class).",
        epilog="Example: python -m helpers.grading --class 08-consistent-hashing --Execute.timeout=60",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="exercise notebooks (default: all of exercises/)")
    parser.add_argument("--class", dest="assignment", metavar="ASSIGNMENT",
                        help="autograde every collected submission of ASSIGNMENT, in the current course folder; "
                        "options after it go to nbgrader autograde")  # fmt: skip
    parser.add_argument("--feedback-dir", type=Path, help=f"where HTML feedback goes (default: {FEEDBACK_FOLDER}/)")
    parser.add_argument("--answered", action="store_true",
                        help="list the exercises that hold your answers and exit 1 if there are any "
                        "(make exercises checks this before it overwrites exercises/)")  # fmt: skip
    parser.add_argument("--root", type=Path, default=COURSE_ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, metavar="FILE", help=argparse.SUPPRESS)  # the worker's output
    return parser


def _main_class(argv: list[str]) -> int:
    """``--class ASSIGNMENT [nbgrader options]``: everything but --class and its value goes to nbgrader."""
    for index, token in enumerate(argv):
        if token.startswith("--class="):
            assignment, options = token.split("=", 1)[1], argv[:index] + argv[index + 1 :]
            break
        if token == "--class" and index + 1 < len(argv):
            assignment, options = argv[index + 1], argv[:index] + argv[index + 2 :]
            break
    else:
        _parser().error("--class needs an assignment, e.g. --class 08-consistent-hashing")
    try:
        result = autograde_class(assignment, Path.cwd(), options)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print()
    print(format_class(result))
    unexpected = [problem for problem in result.problems if "was not graded" in problem.reason]
    return 1 if unexpected else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.grading``: grade your exercises, or (``--class``) a class. Returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if any(token == "--class" or token.startswith("--class=") for token in arguments):
        return _main_class(arguments)
    args = _parser().parse_args(arguments)
    if args.json is not None:  # the worker: autograde started notebooks in this process
        feedback_dir = (args.feedback_dir or args.root / FEEDBACK_FOLDER).resolve()
        results = _grade_in_worker([path.resolve() for path in args.notebooks], args.root.resolve(), feedback_dir)
        args.json.write_text(json.dumps([asdict(result) for result in results], indent=1))
        return 0
    if args.answered:
        answered = answered_exercises(args.root)
        for path in answered:
            print(f"{path.relative_to(args.root)} holds your answers")
        if answered:
            print("`make exercises` would replace them with the released stubs: save a copy elsewhere first, "
                  "or run `make exercises FORCE=1` to overwrite them.")  # fmt: skip
        return 1 if answered else 0
    try:
        results = grade_notebooks(args.notebooks or None, root=args.root, feedback_dir=args.feedback_dir)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not results:
        print(f"No exercise notebooks found in {args.root / 'exercises'}.")
        return 0
    print(format_results(results, root=args.root))
    return 1 if any(result.error for result in results) else 0


if __name__ == "__main__":
    sys.exit(main())
