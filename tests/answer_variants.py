"""Answers a learner would really write, graded by nbgrader, against what grading must make of each.

Every exercise keeps, in its unit's ``tests/<unit>/test_exercise.py``, a list of ``Answer``s:
for each part, at least three plausible wrong answers (each names the tests that must fail
and words each failure's message must hold, so the learner is told what to fix) and correct
answers written differently from the reference (which must get full marks, hidden tests
included). ``grade_answers`` runs them the way a class is graded:

* each answer becomes a learner's notebook: the student version as nbgrader generates it
  from ``solutions/``, every answer cell holding the reference answer, then the answer's
  edits (a whole cell, or a small change of the reference);
* nbgrader autogrades them all, one student each, in a throw-away course with the course's
  ``nbgrader_config.py`` (hidden tests, the 20 s per-cell limit, test cells put back);
* an answer that must get full marks also passes nbgrader's Validator (the Validate button).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import pytest
from nbgrader.validator import Validator
from traitlets.config import Config

from helpers.grading.results import ANSI_ESCAPE, failure_message

from paths import ROOT
from shipped import release
from submissions import cell, reference_answers

BIN = Path(sys.executable).parent
# nbgrader's Validator sets and restores os.environ (nbgrader.utils.setenv), which is not
# thread-safe: two validations side by side raised KeyError 'NBGRADER_VALIDATING'. One at a time.
_VALIDATING = threading.Lock()
Edit = str | tuple[str, str]
"""A new source for an answer cell, or (old, new): the reference answer with ``old`` replaced by ``new``."""


@dataclass(frozen=True)
class Answer:
    """One way a learner answers, and what grading must make of it.

    ``part`` is the part it answers ("A"); ``edits`` change answer cells (by grade id) from
    the reference; ``fails`` maps each test cell (grade id) that must fail to words its message
    must hold. No ``fails``: the answer is correct and must get full marks.
    """

    part: str
    name: str
    edits: Mapping[str, Edit]
    fails: Mapping[str, str] = field(default_factory=dict)

    @property
    def correct(self) -> bool:
        return not self.fails


@dataclass(frozen=True)
class Graded:
    """What nbgrader gave one answer: each test cell's score and, for a failing one, its message."""

    scores: dict[str, float]
    max_scores: dict[str, float]
    messages: dict[str, str]
    validation: dict[str, object] | None = None
    """nbgrader's Validator result for answers that must get full marks ({} is a pass)."""
    tracebacks: dict[str, str] = field(default_factory=dict)
    """A failing test cell's traceback, last lines, without terminal colours: where it stopped."""


def notebook_for(assignment: str, notebook: str, answer: Answer) -> nbformat.NotebookNode:
    """The student version with the reference answers, then ``answer``'s edits."""
    student = nbformat.read(release(assignment) / notebook, as_version=4)
    reference = reference_answers(assignment, notebook)
    for grade_id, source in reference.items():
        cell(student, grade_id).source = source
    for grade_id, edit in answer.edits.items():
        if grade_id not in reference:
            raise ValueError(f"{answer.name}: {grade_id!r} is not an answer cell of {notebook} ({sorted(reference)})")
        if isinstance(edit, tuple):
            old, new = edit
            if old not in reference[grade_id]:
                raise ValueError(f"{answer.name}: the reference answer of {grade_id!r} changed: {old!r} not found")
            edit = reference[grade_id].replace(old, new)
        cell(student, grade_id).source = edit
    return student


def _environment(folder: Path) -> dict[str, str]:
    home = folder / "home"
    home.mkdir(parents=True, exist_ok=True)
    return {
        **os.environ,
        "HOME": str(home),
        "JUPYTER_CONFIG_DIR": str(home / ".jupyter"),
        "JUPYTER_DATA_DIR": str(home / ".local" / "share" / "jupyter"),
        "JUPYTER_RUNTIME_DIR": str(folder / "runtime"),
        "IPYTHONDIR": str(home / ".ipython"),
        "PATH": os.pathsep.join([str(BIN), os.environ.get("PATH", "")]),
    }


def grade_answers(
    assignment: str, notebook: str, answers: Sequence[Answer], folder: Path, workers: int = 2
) -> dict[str, Graded]:
    """Each answer's grade, by name: nbgrader autogrades them in ``workers`` courses side by side."""
    names = [answer.name for answer in answers]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"answers need distinct names: {duplicates}")
    chunks = [list(answers[index::workers]) for index in range(workers) if answers[index::workers]]
    with ThreadPoolExecutor(len(chunks)) as pool:
        graded = pool.map(lambda job: _grade_chunk(assignment, notebook, job[1], folder / f"course-{job[0]}"),
                          enumerate(chunks))  # fmt: skip
        return {name: result for part in graded for name, result in part.items()}


def _grade_chunk(assignment: str, notebook: str, answers: Sequence[Answer], folder: Path) -> dict[str, Graded]:
    """Grades of ``answers`` from one nbgrader autograde run over all of them, in a course of their own."""
    from nbgrader.api import Gradebook

    course = folder / "course"
    shutil.copytree(ROOT / "solutions" / assignment, course / "solutions" / assignment)
    shutil.copy(ROOT / "nbgrader_config.py", course / "nbgrader_config.py")
    students = {f"answer-{index:02d}": answer for index, answer in enumerate(answers)}
    for student, answer in students.items():
        path = course / "submitted" / student / assignment / notebook
        path.parent.mkdir(parents=True)
        nbformat.write(notebook_for(assignment, notebook, answer), path)
    database = f"sqlite:///{folder / 'gradebook.db'}"
    env = _environment(folder)
    for step in (["generate_assignment", assignment, "--force"], ["autograde", assignment, "--force"]):
        run = subprocess.run([str(BIN / "nbgrader"), *step, f"--db={database}", "--log-level=ERROR"], cwd=course,
                             env=env, capture_output=True, text=True, timeout=1800, check=False)  # fmt: skip
        assert run.returncode == 0, f"nbgrader {step[0]} failed:\n{run.stdout[-2000:]}\n{run.stderr[-3000:]}"
    graded = {}
    with Gradebook(database) as gradebook:
        for student, answer in students.items():
            grades = gradebook.find_submission_notebook(Path(notebook).stem, assignment, student).grades
            tests = [grade for grade in grades if grade.cell_type == "code"]  # written answers: a person grades them
            autograded = json.loads((course / "autograded" / student / assignment / notebook).read_text())
            outputs = {
                str(c.get("metadata", {}).get("nbgrader", {}).get("grade_id")): c.get("outputs", [])
                for c in autograded["cells"]
            }
            validation = None
            if answer.correct:
                config = Config()
                config.Execute.timeout = 20
                submitted = course / "submitted" / student / assignment / notebook
                with _VALIDATING:
                    validation = Validator(config=config).validate(str(submitted))
            graded[answer.name] = Graded(
                scores={grade.name: float(grade.score or 0.0) for grade in tests},
                max_scores={grade.name: float(grade.max_score) for grade in tests},
                messages={grade.name: failure_message(outputs.get(grade.name, []), timeout_s=20) for grade in tests},
                validation=validation,
                tracebacks={grade.name: _traceback(outputs.get(grade.name, [])) for grade in tests},
            )
    return graded


def _traceback(outputs: list[Any], lines: int = 40) -> str:
    """The last ``lines`` lines of a cell's error traceback, without terminal colours ("" if none)."""
    for output in outputs:
        if output.get("output_type") == "error":
            text = "\n".join(ANSI_ESCAPE.sub("", str(line)) for line in output.get("traceback", []))
            return "\n".join(text.splitlines()[-lines:])
    return ""


def problems(answer: Answer, graded: Graded) -> list[str]:
    """How grading went wrong for ``answer``: each test that passed or failed when it should not."""
    found = []
    tests = set(graded.scores)
    unknown = sorted(set(answer.fails) - tests)
    if unknown:
        found.append(f"fails names tests the exercise does not have: {unknown} (it has {sorted(tests)})")
    for test in sorted(tests):
        score, top, message = graded.scores[test], graded.max_scores[test], graded.messages[test]
        if test in answer.fails:
            if score >= top:
                found.append(f"{test} passed ({score:g}/{top:g}) but must fail: the answer is wrong")
            elif answer.fails[test].lower() not in message.lower():
                found.append(f"{test} failed with {message!r}, which does not say {answer.fails[test]!r}")
        elif score < top:
            found.append(f"{test} failed ({score:g}/{top:g}) but must pass: {message}")
            if graded.tracebacks.get(test):  # where a right answer stopped (a hang shows its line)
                found.append(graded.tracebacks[test])
    if answer.correct and graded.validation != {}:
        found.append(f"Validate does not pass a correct answer: {graded.validation}")
    return found


def coverage_problems(answers: Sequence[Answer], parts: Sequence[str], wrong_per_part: int = 3) -> list[str]:
    """Parts with fewer than ``wrong_per_part`` wrong answers, or with no correct answer written differently."""
    found = []
    for part in parts:
        wrong = [a for a in answers if a.part == part and not a.correct]
        right = [a for a in answers if a.part == part and a.correct]
        if len(wrong) < wrong_per_part:
            found.append(f"Part {part}: {len(wrong)} wrong answers, keep at least {wrong_per_part}")
        if not right:
            found.append(f"Part {part}: no correct answer written differently from the reference")
    return found


def corpus_tests(
    assignment: str, notebook: str, answers: Sequence[Answer], parts: Sequence[str]
) -> tuple[Callable[..., object], Callable[..., None], Callable[[], None]]:
    """The fixture and the two tests of an exercise's corpus file, to assign to module names::

        graded, test_grading_..., test_every_part_... = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, "ABC")

    ``parts`` names every auto-graded part, so a part with no answers at all is reported too.
    """

    @pytest.fixture(scope="module")
    def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Graded]:
        return grade_answers(assignment, notebook, answers, Path(tmp_path_factory.mktemp("answers")))

    @pytest.mark.parametrize("answer", answers, ids=lambda answer: f"{answer.part}: {answer.name}")
    def test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one(
        graded: dict[str, Graded], answer: Answer
    ) -> None:
        found = problems(answer, graded[answer.name])
        assert not found, "\n".join(found)  # this module is not assertion-rewritten: say what went wrong

    def test_every_part_has_three_wrong_answers_and_a_right_one_written_differently() -> None:
        assert coverage_problems(answers, list(parts)) == []

    return (
        graded,
        test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
        test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
    )
