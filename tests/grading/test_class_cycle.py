"""The instructors' nbgrader cycle from README "For instructors", run for real on one machine.

A copy of the course (its nbgrader_config.py and exercise 08 only) is the instructor's
course folder, with ``c.Exchange.root`` in a temporary folder. Nine simulated students, each
with their own HOME (so their own ~/.jupyter config and exchange cache) and ``--student=ID``,
fetch exercise 08 and submit the work in ``submissions.py``: correct, partly wrong, untouched,
looping forever, raising at import, with a test edited to ``assert True``, with a test deleted,
a notebook that is not valid JSON and a submission without the notebook. The instructor
collects, autogrades with the course's wrapper, grades Part D by hand through nbgrader's
Gradebook API (as Formgrader does), generates and releases feedback, the students fetch it,
and the grades are exported to CSV.

Every command runs exactly as README writes it, plus only the options that simulate students
on one account (``--student``, ``--ExchangeCollect.check_owner=False``); the last test checks
that the README's commands are the ones run. The per-cell timeout is the course's 20 s. To
keep the run near two minutes, the processes skip one slow optional import (see ``cycle``).
"""

from __future__ import annotations

import csv
import filecmp
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import nbformat
import pytest

import submissions
from paths import ROOT
from submissions import ASSIGNMENT, BROKEN, EXPECTED, MANUAL, NOTEBOOK, PARTS, STUDENTS

BIN = Path(sys.executable).parent
COURSE_ID = "system-design-hands-on"
ALL_STUDENTS = [*STUDENTS, *BROKEN]
# Jupyter's own variables would override the per-student HOME.
JUPYTER_VARIABLES = ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "JUPYTER_PATH",
                     "JUPYTER_CONFIG_PATH", "NBGRADER_EXECUTION")  # fmt: skip


def readme_commands() -> list[str]:
    """Every command in the ```sh blocks of README's "For instructors" section, in order."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n## For instructors\n") :]
    section = section[: section.index("\n## ", 1)]
    blocks = re.findall(r"^```sh\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    return [line.strip() for block in blocks for line in block.splitlines() if line.strip()]


@dataclass
class Cycle:
    """What the cycle did, for the tests to check."""

    course: Path
    homes: dict[str, Path]
    logs: Path
    fast_imports: Path
    ran: list[str] = field(default_factory=list)
    runs: dict[str, subprocess.CompletedProcess[str]] = field(default_factory=dict)
    waiting_for_hand_grading: set[str] = field(default_factory=set)
    seconds: dict[str, float] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def run(self, command: str, cwd: Path, home: Path, simulation: Sequence[str] = (), key: str = "") -> None:
        """Runs a README command as written (plus the simulation's options); it must succeed."""
        env = {name: value for name, value in os.environ.items() if name not in JUPYTER_VARIABLES}
        env.update(HOME=str(home), PATH=os.pathsep.join([str(BIN), os.environ.get("PATH", "")]))
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(self.fast_imports), os.environ.get("PYTHONPATH")]))
        args = shlex.split(command)
        args[0] = shutil.which(args[0], path=env["PATH"]) or args[0]
        started = time.perf_counter()
        result = subprocess.run(
            [*args, *simulation], cwd=cwd, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        with self._lock:
            self.ran.append(command)
            self.runs[key or command] = result
            self.seconds[key or command] = time.perf_counter() - started
        log = self.logs / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', key or command)}.txt"
        log.write_text(f"$ {shlex.join([*args, *simulation])}\n{result.stdout}\n--- stderr\n{result.stderr}")
        assert result.returncode == 0, f"`{command}` failed:\n{result.stdout}\n{result.stderr}"


def _prepare_student(cycle: Cycle, student: str) -> None:
    """Fetch, do the work (or break it), submit."""
    home = cycle.homes[student]
    fetch = f"nbgrader fetch_assignment {ASSIGNMENT} --course={COURSE_ID}"
    cycle.run(fetch, home, home, [f"--student={student}"], key=f"fetch {student}")
    fetched = home / ASSIGNMENT / NOTEBOOK
    assert fetched.read_bytes() == submissions.released_path().read_bytes(), "students fetch the release"
    if student in STUDENTS:
        submissions.write(STUDENTS[student](), fetched)
    elif student == "broken-json":
        submissions.write(submissions.correct(), fetched)
        submissions.break_json(fetched)
    else:
        fetched.unlink()
        (home / ASSIGNMENT / "notes.txt").write_text("I could not get the notebook to save, sorry!\n")
    submit = f"nbgrader submit {ASSIGNMENT} --course={COURSE_ID}"
    cycle.run(submit, home, home, [f"--student={student}"], key=f"submit {student}")


def _grade_by_hand(cycle: Cycle) -> None:
    """Part D's points, set as Formgrader's grade API does (manual score, no longer needs grading)."""
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{cycle.course / 'gradebook.db'}", COURSE_ID) as gradebook:
        for student in ALL_STUDENTS:
            grade = gradebook.find_grade("jump_or_ring", NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student)
            if grade.needs_manual_grade:
                cycle.waiting_for_hand_grading.add(student)
        for student, points in MANUAL.items():
            grade = gradebook.find_grade("jump_or_ring", NOTEBOOK.removesuffix(".ipynb"), ASSIGNMENT, student)
            grade.manual_score = points
            grade.needs_manual_grade = grade.manual_score is None and grade.auto_score is None
            gradebook.db.commit()


@pytest.fixture(scope="module")
def cycle(tmp_path_factory: pytest.TempPathFactory) -> Cycle:
    base = tmp_path_factory.mktemp("cycle")
    course, exchange, instructor = base / "course", base / "exchange", base / "instructor-home"
    shutil.copytree(ROOT / "solutions" / ASSIGNMENT, course / "solutions" / ASSIGNMENT)
    exchange_line = f"\nc.Exchange.root = {str(exchange)!r}\n"
    (course / "nbgrader_config.py").write_text((ROOT / "nbgrader_config.py").read_text() + exchange_line)
    homes = {student: base / "students" / student for student in ALL_STUDENTS}
    for home in [instructor, *homes.values()]:
        (home / ".jupyter").mkdir(parents=True)
        (home / ".jupyter" / "nbgrader_config.py").write_text("c = get_config()  # noqa: F821" + exchange_line)
    cycle = Cycle(course, homes, base / "logs", base / "fast-imports")
    cycle.logs.mkdir()
    # nbformat imports jsonschema, which imports rfc3987_syntax if installed to check "iri"
    # formats that notebooks never use, compiling a grammar for ~3 s in each of the cycle's 36
    # nbgrader processes. jsonschema imports it inside suppress(ImportError): this stand-in
    # just leaves that format unchecked (helpers.grading does the same in its own processes).
    (cycle.fast_imports / "rfc3987_syntax").mkdir(parents=True)
    (cycle.fast_imports / "rfc3987_syntax" / "__init__.py").write_text('raise ImportError("not needed here")\n')

    started = time.perf_counter()
    cycle.run(f"nbgrader generate_assignment {ASSIGNMENT} --force", course, instructor)
    cycle.run(f"nbgrader release_assignment {ASSIGNMENT}", course, instructor)
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda student: _prepare_student(cycle, student), ALL_STUDENTS))
    collect = f"nbgrader collect {ASSIGNMENT}"
    cycle.run(collect, course, instructor, ["--ExchangeCollect.check_owner=False"])
    cycle.run(f"python -m helpers.grading --class {ASSIGNMENT}", course, instructor, key="autograde the class")
    _grade_by_hand(cycle)
    cycle.run(f"nbgrader generate_feedback {ASSIGNMENT}", course, instructor)
    cycle.run(f"nbgrader release_feedback {ASSIGNMENT}", course, instructor)
    fetch_feedback = f"nbgrader fetch_feedback {ASSIGNMENT} --course={COURSE_ID}"
    with ThreadPoolExecutor(max_workers=3) as pool:
        list(pool.map(lambda s: cycle.run(fetch_feedback, homes[s], homes[s], [f"--student={s}"], key=f"feedback {s}"),
                      STUDENTS))  # fmt: skip
    cycle.run("nbgrader export --to=grades.csv", course, instructor)
    cycle.seconds["whole cycle"] = time.perf_counter() - started
    return cycle


def _autograded(cycle: Cycle, student: str) -> nbformat.NotebookNode:
    return nbformat.read(cycle.course / "autograded" / student / ASSIGNMENT / NOTEBOOK, as_version=4)


def _errors(cell: nbformat.NotebookNode) -> list[str]:
    return [f"{output.ename}: {output.evalue}" for output in cell.get("outputs", []) if output.output_type == "error"]


# --- the tests ------------------------------------------------------------------------------


def test_generate_writes_exactly_the_committed_exercise(cycle: Cycle) -> None:
    fresh = cycle.course / "exercises" / ASSIGNMENT
    assert filecmp.cmp(fresh / NOTEBOOK, submissions.released_path(), shallow=False), "README: same as `make exercises`"


def test_every_student_gets_exactly_the_expected_score_for_every_part(cycle: Cycle) -> None:
    from nbgrader.api import Gradebook

    with Gradebook(f"sqlite:///{cycle.course / 'gradebook.db'}", COURSE_ID) as gradebook:
        scores = {
            student: {
                grade.name: grade.score
                for grade in gradebook.find_submission_notebook("hash-ring", ASSIGNMENT, student).grades
            }
            for student in ALL_STUDENTS
        }
        assert {grade_cell.name: grade_cell.max_score for grade_cell in
                gradebook.find_notebook("hash-ring", ASSIGNMENT).grade_cells} == PARTS  # fmt: skip
    assert scores == EXPECTED


def test_only_written_answers_wait_for_hand_grading(cycle: Cycle) -> None:
    assert cycle.waiting_for_hand_grading == set(MANUAL)  # unanswered Part D scores 0 by itself


def test_the_loop_is_cut_by_its_parts_time_limit_with_a_hint_and_costs_only_its_part(cycle: Cycle) -> None:
    config = (cycle.course / "nbgrader_config.py").read_text()
    assert "c.Execute.timeout = 20\n" in config  # the backstop for code that loops outside any test's time limit
    notebook = _autograded(cycle, "loops-forever")
    tests = {submissions._grade_id(cell): cell for cell in notebook.cells if submissions._grade_id(cell) in PARTS}
    assert _errors(tests["test_measure_growth"]) == [
        "TimeoutError: Part B: your code was still running after 10 s (the tests need far less): does "
        "measure_growth's loop advance?"
    ]
    assert [grade_id for grade_id, cell in tests.items() if _errors(cell)] == ["test_measure_growth"]
    row = r"^  loops-forever +10 / 14 +- +test_measure_growth 0/2, jump_or_ring 0/2$"
    assert re.search(row, cycle.runs["autograde the class"].stdout, flags=re.MULTILINE)


def test_edited_and_deleted_tests_are_put_back_and_graded(cycle: Cycle) -> None:
    solution = nbformat.read(submissions.SOLUTION, as_version=4)
    original_walk = submissions.cell(solution, "test_bounded_walk").source
    original_growth = submissions.cell(solution, "test_measure_growth").source
    walk = submissions.cell(_autograded(cycle, "tampered"), "test_bounded_walk")
    assert walk.source == original_walk, "the `assert True` edit is replaced by the original, hidden tests included"
    assert _errors(walk) == [submissions.WALK_MESSAGE]
    growth = submissions.cell(_autograded(cycle, "deleted-test"), "test_measure_growth")
    assert growth.source.endswith(original_growth), "the deleted test cell is put back"
    assert _errors(growth) == [
        "AssertionError: the ring moved 0.917 of the keys, expected about 1/11 = 0.091 (measure_growth returns the "
        "ring's fraction first, then mod-N's)"
    ]


def test_unreadable_submissions_are_named_and_the_rest_of_the_class_is_graded(cycle: Cycle) -> None:
    out = cycle.runs["autograde the class"].stdout
    assert (
        f"  student 'broken-json': submitted/broken-json/{ASSIGNMENT}/{NOTEBOOK} is not a valid notebook: not JSON ("
        in out
    )
    assert f"  student 'no-notebook': submitted/no-notebook/{ASSIGNMENT}/{NOTEBOOK} is missing " \
           "(the submission holds: notes.txt)" in out  # fmt: skip
    assert "Could not grade 2 submitted notebooks: every part of them scores 0." in out
    graded = sorted(path.parent.name for path in (cycle.course / "autograded").glob(f"*/{ASSIGNMENT}"))
    assert graded == sorted(STUDENTS)
    table = out[out.index(f"{ASSIGNMENT}: 9 students") :].splitlines()
    assert len(table) == 2 + len(ALL_STUDENTS)
    assert re.search(r"^  correct +12 / 14 +jump_or_ring +-$", out, flags=re.MULTILINE)
    assert re.search(r"^  broken-json +0 / 14 +- +every part scores 0$", out, flags=re.MULTILINE)
    assert re.search(r"^  partly-wrong +8 / 14 +jump_or_ring +test_moved_fraction 0/1, test_bounded_walk 0/3$", out,
                     flags=re.MULTILINE)  # fmt: skip


def test_each_student_fetches_their_own_feedback(cycle: Cycle) -> None:
    for student in STUDENTS:
        home = cycle.homes[student]
        [page] = (home / ASSIGNMENT / "feedback").glob(f"*/{NOTEBOOK.removesuffix('.ipynb')}.html")
        total = sum(EXPECTED[student].values())
        assert f"Score: {total:.1f} / 14.0" in page.read_text(), f"{student} got someone else's feedback"
        caches = list((home / ".local" / "share" / "jupyter" / "nbgrader_cache" / COURSE_ID).glob(f"{student}+*"))
        assert caches, f"{student} has their own exchange cache in their HOME"


def test_the_csv_export_matches_the_gradebook(cycle: Cycle) -> None:
    with (cycle.course / "grades.csv").open(newline="") as file:
        rows = {row["student_id"]: row for row in csv.DictReader(file)}
    assert sorted(rows) == sorted(ALL_STUDENTS)
    for student, row in rows.items():
        assert row["assignment"] == ASSIGNMENT
        assert float(row["raw_score"]) == float(row["score"]) == sum(EXPECTED[student].values()), student
        assert float(row["max_score"]) == sum(PARTS.values())


def test_the_readme_walkthrough_is_what_ran(cycle: Cycle) -> None:
    written = [command for command in readme_commands() if not command.startswith("jupyter ")]
    ran_in_order = list(dict.fromkeys(cycle.ran))
    assert ran_in_order == written, "README's nbgrader commands and the cycle's differ (or their order does)"
    print(json.dumps({name: round(seconds, 1) for name, seconds in cycle.seconds.items()}, indent=1))


# --- turning the instructor tools on ------------------------------------------------------


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(path.relative_to(folder)): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def _nbgrader_state(prefix: Path) -> tuple[dict[str, bool], dict[str, bool]]:
    """nbgrader's Lab plugins that are off, and its server extensions' switches, in ``prefix``."""
    from jupyter_server.extension.config import ExtensionConfigManager

    page_config = json.loads((prefix / "etc" / "jupyter" / "labconfig" / "page_config.json").read_text())
    plugins = {name: off for name, off in page_config["disabledExtensions"].items() if name.startswith("@jupyter/")}
    manager = ExtensionConfigManager(read_config_path=[str(prefix / "etc" / "jupyter")])
    servers = {name: on for name, on in manager.get_jpserver_extensions().items() if name.startswith("nbgrader.")}
    return plugins, servers


def test_the_readme_turns_the_instructor_tools_on(tmp_path: Path) -> None:
    """README's two `jupyter` commands, run in a throw-away copy of this environment's Jupyter config.

    The copy is a venv whose Python sees this environment's packages (a .pth file), holds a
    copy of its etc/jupyter (the learner set-up postBuild made) and runs the same `jupyter`
    scripts: `--sys-prefix` then means the copy, and the real environment is left alone.
    """
    commands = [command for command in readme_commands() if command.startswith("jupyter ")]
    assert len(commands) == 2, commands
    real_config = Path(sys.prefix) / "etc" / "jupyter"
    before = _snapshot(real_config)
    prefix = tmp_path / "prefix"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(prefix)], check=True)
    site_packages = next(Path(sys.prefix).glob("lib/python3*/site-packages"))
    [own_site] = prefix.glob("lib/python3*/site-packages")
    (own_site / "course_environment.pth").write_text(f"import site; site.addsitedir({str(site_packages)!r})\n")
    shutil.copytree(real_config, prefix / "etc" / "jupyter")
    (prefix / "share").mkdir(exist_ok=True)
    (prefix / "share" / "jupyter").symlink_to(Path(sys.prefix) / "share" / "jupyter")
    for script in ("jupyter", "jupyter-labextension", "jupyter-server"):
        lines = (BIN / script).read_text().splitlines(keepends=True)
        (prefix / "bin" / script).write_text(f"#!{prefix / 'bin' / 'python'}\n" + "".join(lines[1:]))
        (prefix / "bin" / script).chmod(0o755)
    env = {name: value for name, value in os.environ.items() if name not in JUPYTER_VARIABLES}
    env.update(HOME=str(tmp_path / "home"), JUPYTER_CONFIG_DIR=str(tmp_path / "user-config"),
               PATH=os.pathsep.join([str(prefix / "bin"), env.get("PATH", "")]))  # fmt: skip

    learner_plugins, learner_servers = _nbgrader_state(prefix)
    assert set(learner_plugins.values()) == {True}, "postBuild's learner set-up turns the tools off"
    assert learner_servers["nbgrader.server_extensions.formgrader"] is False
    for command in commands:
        run = subprocess.run(shlex.split(command), env=env, capture_output=True, text=True, check=False)
        assert run.returncode == 0, f"`{command}` failed:\n{run.stdout}\n{run.stderr}"
    plugins, servers = _nbgrader_state(prefix)
    assert plugins == dict.fromkeys(learner_plugins, False), "every nbgrader Lab plugin is on"
    assert servers == dict.fromkeys(learner_servers, True), "every nbgrader server extension is on"
    assert _snapshot(real_config) == before, "the real environment is left alone"


def test_activating_the_environment_puts_the_course_tools_first() -> None:
    """README: run the instructor commands "with its environment active (`source .venv/bin/activate`)"."""
    script = "source .venv/bin/activate && command -v nbgrader jupyter && python -c 'import sys; print(sys.prefix)'"
    run = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    assert run.stdout.split() == [str(BIN / "nbgrader"), str(BIN / "jupyter"), str(Path(sys.prefix))]


def test_class_options_after_the_assignment_go_to_nbgrader(monkeypatch: pytest.MonkeyPatch) -> None:
    """README: "For one run, add `--Execute.timeout=60` after the assignment"."""
    from helpers import grading
    from helpers.grading import cli

    calls = []

    def autograde_class(assignment: str, course_dir: Path, options: list[str]) -> grading.ClassResult:
        calls.append((assignment, options))
        return grading.ClassResult(assignment)

    monkeypatch.setattr(cli, "autograde_class", autograde_class)
    assert grading.main(["--class", ASSIGNMENT, "--Execute.timeout=60", "--db", "sqlite:///x.db"]) == 0
    assert grading.main([f"--class={ASSIGNMENT}"]) == 0
    assert calls == [(ASSIGNMENT, ["--Execute.timeout=60", "--db", "sqlite:///x.db"]), (ASSIGNMENT, [])]


def test_class_grading_names_an_assignment_it_cannot_find(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from helpers import grading

    (tmp_path / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    monkeypatch.chdir(tmp_path)
    assert grading.main(["--class", "99-nothing"]) == 2
    assert "error: assignment '99-nothing' has no notebooks in" in capsys.readouterr().err
