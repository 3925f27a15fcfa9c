"""What a grade is made of: an exercise's parts, how each scored, and reading notebooks as JSON.

Shared by the learner's grading (``learner``) and the class's (``classroom``). Notebooks are
read as plain JSON here, which keeps ``import helpers.grading`` fast in a kernel; nbgrader is
imported only where it runs.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = [
    "BY_INSTRUCTOR",
    "COURSE_ROOT",
    "FAILED",
    "NOT_ANSWERED",
    "NOT_STARTED",
    "PASSED",
    "NotebookResult",
    "PartResult",
    "PartSpec",
    "answers",
    "cell_source",
    "failure_message",
    "nbgrader_metadata",
    "part_result",
    "part_specs",
    "part_title",
    "points_text",
    "read_notebook",
    "released_answers",
    "short_title",
    "skip_slow_optional_imports",
]

COURSE_ROOT = Path(__file__).resolve().parents[2]
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
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
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


def cell_source(cell: dict[str, Any]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def nbgrader_metadata(cell: dict[str, Any]) -> dict[str, Any]:
    metadata = cell.get("metadata", {})
    found = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
    return found if isinstance(found, dict) else {}


def read_notebook(path: Path) -> Notebook:
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
class PartSpec:
    """A graded cell as the instructor's notebook defines it."""

    grade_id: str
    title: str
    max_points: float
    hidden: bool
    by_hand: bool


def part_specs(source: Notebook) -> list[PartSpec]:
    """The graded cells of an instructor notebook (solutions/), in order."""
    specs = []
    heading = ""
    for cell in source["cells"]:
        text, metadata = cell_source(cell), nbgrader_metadata(cell)
        if cell.get("cell_type") == "markdown" and text.lstrip().startswith("#") and not metadata.get("solution"):
            heading = text.strip().splitlines()[0].lstrip("#").strip()
        if not (metadata.get("grade") or metadata.get("task")):
            continue
        grade_id = str(metadata.get("grade_id", ""))
        by_hand = bool(metadata.get("solution") or metadata.get("task"))
        title = (heading or grade_id) if by_hand else part_title(text, grade_id)
        specs.append(PartSpec(grade_id, title, float(metadata.get("points", 0)), HIDDEN_TESTS_MARK in text, by_hand))
    return specs


def answers(notebook: Notebook) -> dict[str, str]:
    """Source of every answer cell (nbgrader "solution" cell) by grade id."""
    return {
        str(nbgrader_metadata(cell).get("grade_id")): cell_source(cell).strip()
        for cell in notebook["cells"]
        if nbgrader_metadata(cell).get("solution")
    }


def released_answers(source: Notebook, root: Path) -> dict[str, str]:
    """Every answer cell of the student version, by grade id: the stubs nbgrader makes from ``source``.

    ``source`` is the instructor notebook (solutions/). Its answers go through nbgrader's own
    ``ClearSolutions``, configured by the course's ``nbgrader_config.py`` (its code and text
    stubs), exactly as ``generate_assignment`` writes them into exercises/. Never the
    exercises/ file itself: a learner answers in it, so it is their work, not the release.
    """
    skip_slow_optional_imports()
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
    return answers(notebook)


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
            name = ANSI_ESCAPE.sub("", str(output.get("ename", "Error")))
            value = ANSI_ESCAPE.sub("", str(output.get("evalue", ""))).strip()
            if name in ("CellTimeoutError", "KeyboardInterrupt") and not value:
                # nbgrader interrupts a cell that runs over the per-cell limit: no one presses Ctrl+C here.
                limit = f"the {timeout_s:g} s per-cell limit" if timeout_s else "the per-cell time limit"
                return f"{name}: the cell ran longer than {limit} and was stopped (a loop that never ends?)"
            if name == "NotImplementedError" and not value:
                return f"{name}: an answer this test uses still raises NotImplementedError()"
            return f"{name}: {value}" if value else name
        if kind == "stream" and output.get("name") == "stderr" and not stderr:
            text = ANSI_ESCAPE.sub("", "".join(output.get("text", ""))).strip()
            stderr = text.splitlines()[0] if text else "(empty)"
    return f"wrote to stderr, which counts as a failure: {stderr}" if stderr else ""



def skip_slow_optional_imports() -> None:
    """Keep jsonschema from importing rfc3987_syntax in this process.

    jsonschema imports it, if installed, to check "iri" string formats, and it compiles an
    Earley grammar at import: about 3 s of every nbgrader run here. Notebook validation never
    checks those formats (nbformat validates with fastjsonschema), and jsonschema imports it
    inside ``suppress(ImportError)``, so a ``None`` entry simply leaves the format unchecked.
    """
    if "jsonschema" not in sys.modules:
        sys.modules.setdefault("rfc3987_syntax", None)  # type: ignore[arg-type]



def part_result(spec: PartSpec, grade: Any, outputs: dict[str, list[Any]], timeout_s: float | None) -> PartResult:
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


def points_text(value: float) -> str:
    return f"{value:g}"

