"""`make release DIR=...` writes the learner edition a class gets: no solutions, and it runs.

The release is what students' accounts and images get (README "Running it for a class"); the
instructor keeps the full repository. This test builds it from this checkout's commit and
checks that

* it holds exactly the learner's folders and files, and its exercises are the ones nbgrader
  generates from ``solutions/``;
* no line of any reference solution, written model answer or hidden-test block is in any of
  its files (a few lines the lessons' own helpers share with exercises 01-08 are listed below,
  by file, with the reason);
* "Your progress" and ``make grade`` say that only the visible tests can run there, and fail on
  nothing;
* every lesson runs top to bottom from it, importing the release's own ``helpers``, and every
  exercise opens and validates there: its stubs fail the visible tests, the reference answers
  pass them.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient
from nbgrader.validator import Validator
from traitlets.config import Config

import submissions
from paths import ASSIGNMENTS, LESSONS, ROOT
from shipped import release as generated_release

LEARNER_FILES = {".gitignore", "CONTRIBUTING.md", "LICENSE", "LICENSE-CONTENT.md", "Makefile", "README.md", "docs",
                 "environment.yml", "requirements-dev.txt",
                 "exercises", "helpers", "lab", "nbgrader_config.py", "notebooks", "postBuild",
                 "pyproject.toml"}  # fmt: skip
MIN_LINE = 24
"""Shorter lines are idioms every Python file may share (``except ValueError:``, ``return None``)."""

# Lines of reference solutions and hidden tests that the lessons' own code holds too, found by
# this test on the first release (exercises 01-08). The lessons teach with working code in
# helpers/, and several exercises ask learners to build the same thing from scratch (exercise 07's
# token bucket and sliding-window log are helpers.gateway's; the hidden tests score answers
# imported from helpers 0, but the text is there to read). Any other line fails the test.
SHARED_WITH_LESSONS = {
    "helpers/balancing/model.py": {
        'for index, weight in enumerate(self.weights):',
    },
    "helpers/cdn/model.py": {
        'if entry is not None and now < entry[1]:',
    },
    "helpers/dns/live.py": {
        'from collections import Counter',
    },
    "helpers/gateway/live.py": {
        'except OSError as error:',
        'for name, key in api_keys.items():',
        'from collections import Counter',
        'if not limiter.allow(now):',
    },
    "helpers/gateway/model.py": {
        'def _expire(self, now: float) -> None:',
        'def _refill(self, now: float) -> None:',
        'except (ValueError, TypeError) as error:',
        'if len(self.log) < self.limit:',
        'ip = ipaddress.ip_address(address)',
        'return max(0.0, (1.0 - self.tokens) / self.refill_per_s)',
        'self.log: deque[float] = deque()',
        'self.tokens = self.capacity',
        'while self.log and self.log[0] <= now - self.window_s:',
    },
    "helpers/ipc/live.py": {
        'def do_POST(self) -> None:  # noqa: N802 (the name http.server calls)',
        'except OSError as error:',
        'if not isinstance(topic, str) or not topic:',
        'if response.status != 200:',
        'raise ValueError(f"topic must be a non-empty string, got {topic!r}")',
        'self.seen: set[object] = set()',
    },
    "notebooks/01-interprocess-communication.ipynb": {
        'rng = np.random.default_rng(7)',
    },
    "helpers/ipc/model.py": {
        'return 1.0 - (1.0 - p) ** n',
    },
    "helpers/rest/live.py": {
        'except OSError as error:',
    },
    "helpers/rest/model.py": {
        'return offered[rel.lower()]',
    },
    "helpers/rpc/live.py": {
        'self.timeout_s = timeout_s',
    },
    "helpers/rpc/model.py": {
        'if at + size > len(data):',
        'if not isinstance(data, (bytes, bytearray)):',
        'raise ValueError(f"data must be bytes, got {type(data).__name__}")',
    },
    "helpers/hashing/model.py": {
        'if not isinstance(text, str):',
    },
    "helpers/monitoring/model.py": {  # the course's increase() and trace ids; refused while Parts B and D are graded
        'average = sampled / (len(window) - 1)',
        'span = f"{rng.getrandbits(64):016x}"',
    },
    "helpers/versioning/model.py": {
        'shapes, readers = ["v1"] * providers, ["v1"] * consumers',
    },
    "notebooks/09-versioning.ipynb": {  # the lesson's worked Pact consumer test, which Part D builds on
        '.given("product 7 exists")',
        '.with_body({"id": pact.match.int(7), "price_cents": pact.match.int(2599)}, content_type="application/json")',
        '.with_request("GET", "/products/7")',
        'contract = pact.Pact("checkout", "catalogue").with_specification("V4")',
        'contract.upon_receiving("a request for product 7")',
        'contract.write_file(folder, overwrite=True)',
    },
    "notebooks/11-testing.ipynb": {
        'except PaymentUnavailable as error:',
        'rng = np.random.default_rng(2026)',
    },
    "notebooks/03-rest.ipynb": {
        'renamed = {"orders": "purchases", "pay": "settle", "ship": "dispatch", "cancel": "void"}',
        'with OrderApi(prefix=prefix, routes=routes, methods=methods) as api:',
        'created = api.orders_created',
    },
    "notebooks/04-dns.ipynb": {
        'from collections import Counter',
    },
    "notebooks/07-api-gateways.ipynb": {
        'rng = np.random.default_rng(7)',
    },
}
MARKERS = (("### BEGIN SOLUTION", "### END SOLUTION"), ("### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"))


@pytest.fixture(scope="module")
def release(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The learner edition of this checkout's commit, written by `make release`."""
    folder = tmp_path_factory.mktemp("release") / "system-design-hands-on"
    run = subprocess.run(["make", "--no-print-directory", "release", f"DIR={folder}"], cwd=ROOT,
                         capture_output=True, text=True, check=False, timeout=120)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"to {folder}" in run.stdout
    return folder


def _lines(text: str) -> set[str]:
    return {line.strip() for line in text.splitlines() if line.strip()}


def _cell_text(cell: dict[str, object]) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def secret_lines() -> dict[str, str]:
    """Every line of a reference solution, written model answer or hidden-test block -> where it is from.

    Lines the student version of any exercise shows anyway (nbgrader keeps them: signatures,
    visible tests) and lines shorter than MIN_LINE are left out.
    """
    public: set[str] = set()
    for assignment in ASSIGNMENTS:
        for notebook in generated_release(assignment).glob("*.ipynb"):
            public |= {line for cell in json.loads(notebook.read_text())["cells"] for line in _lines(_cell_text(cell))}
    secrets: dict[str, str] = {}
    for notebook in sorted(ROOT.glob("solutions/*/*.ipynb")):
        where = str(notebook.relative_to(ROOT))
        for cell in json.loads(notebook.read_text())["cells"]:
            text = _cell_text(cell)
            blocks = [block for begin, end in MARKERS
                      for block in re.findall(f"{re.escape(begin)}(.*?){re.escape(end)}", text, re.DOTALL)]  # fmt: skip
            metadata = cell.get("metadata", {})
            nbgrader = metadata.get("nbgrader", {}) if isinstance(metadata, dict) else {}
            if cell.get("cell_type") == "markdown" and nbgrader.get("solution"):
                blocks.append(text)  # a written model answer
            for block in blocks:
                for line in _lines(block) - public:
                    if len(line) >= MIN_LINE:
                        secrets.setdefault(line, where)
    return secrets


def test_release_holds_the_learner_files_and_generated_exercises(release: Path) -> None:
    assert {path.name for path in release.iterdir()} == LEARNER_FILES
    assert not list(release.rglob("solutions"))
    assert not list(release.rglob("gradebook.db"))
    for assignment in ASSIGNMENTS:
        released = sorted(path.name for path in (release / "exercises" / assignment).iterdir())
        generated = sorted(path.name for path in generated_release(assignment).iterdir())
        assert released == generated, assignment
        for name in released:
            same = filecmp.cmp(release / "exercises" / assignment / name, generated_release(assignment) / name,
                               shallow=False)  # fmt: skip
            assert same, f"exercises/{assignment}/{name} is not what nbgrader generates from solutions/"


def test_release_holds_no_solution_or_hidden_test_text(release: Path) -> None:
    secrets = secret_lines()
    assert len(secrets) > 500, "every exercise's solutions and hidden tests are searched"
    found: dict[str, set[str]] = {}
    for path in sorted(release.rglob("*")):
        if not path.is_file():
            continue
        text = path.read_bytes().decode(errors="replace")
        if path.suffix == ".ipynb":
            text = "\n".join(_cell_text(cell) for cell in json.loads(text)["cells"])
        shared = _lines(text) & secrets.keys()
        if shared:
            found[str(path.relative_to(release))] = shared
    # A line in two or more files of the release is one of the course's own idioms (a handler class, a
    # timer, an import), which a solution uses too: a solution or hidden test leaked by mistake sits in one.
    files_with = Counter(line for lines in found.values() for line in lines)
    idioms = {line for line, count in files_with.items() if count >= 2}
    unexpected = {path: sorted(lines - idioms - SHARED_WITH_LESSONS.get(path, set())) for path, lines in found.items()}
    unexpected = {path: lines for path, lines in unexpected.items() if lines}
    details = "\n".join(f"{path}: {line!r} (from {secrets[line]})" for path, lines in unexpected.items()
                        for line in lines)  # fmt: skip
    assert not unexpected, f"solution or hidden-test text in the release:\n{details}"


def test_the_search_finds_a_solution_line_wherever_it_is(release: Path, tmp_path: Path) -> None:
    """The search above is no formality: a hidden test pasted into a lesson is caught."""
    hidden = next(line for line, where in secret_lines().items() if "08-consistent-hashing" in where)
    copy = tmp_path / "release"
    shutil.copytree(release, copy)
    lesson = copy / "notebooks" / "08-consistent-hashing.ipynb"
    notebook = nbformat.read(lesson, as_version=4)
    notebook.cells.append(nbformat.v4.new_code_cell(f"# copied by mistake\n{hidden}"))
    nbformat.write(notebook, lesson)
    with pytest.raises(AssertionError, match=re.escape("notebooks/08-consistent-hashing.ipynb: ")):
        test_release_holds_no_solution_or_hidden_test_text(copy)


def test_grading_in_the_release_says_only_visible_tests_run(release: Path, tmp_path: Path) -> None:
    """`make grade` and the "Your progress" panel explain and exit 0: they never error."""
    from helpers.grading import WITHOUT_SOLUTIONS, has_solutions, show_progress

    course = tmp_path / "course"
    shutil.copytree(release, course)
    (course / ".venv").symlink_to(ROOT / ".venv")  # this checkout's environment, not reinstalled (-o below)
    run = subprocess.run(["make", "--no-print-directory", "-o", ".venv/.installed", "grade"], cwd=course,
                         capture_output=True, text=True, check=False, timeout=300)  # fmt: skip
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().endswith(WITHOUT_SOLUTIONS)
    assert "only the visible tests can run" in WITHOUT_SOLUTIONS
    assert not has_solutions(course)
    assert has_solutions(ROOT)
    panel = show_progress(root=course)
    assert "only the visible tests can run" in panel.value
    assert "Validate" in panel.value
    assert not list(course.glob("my-feedback")), "nothing was graded"


def _release_environment(release: Path) -> dict[str, str]:
    """This environment with the release's folder first on the import path (its helpers, not this checkout's)."""
    path = f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"
    return {**os.environ, "PYTHONPATH": str(release), "PATH": path}


@pytest.mark.slow
def test_every_lesson_runs_from_the_release(release: Path, tmp_path: Path) -> None:
    course = tmp_path / "course"
    shutil.copytree(release, course)
    for lesson in LESSONS:
        path = course / "notebooks" / lesson.name
        notebook = nbformat.read(path, as_version=4)
        client = NotebookClient(notebook, timeout=60, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}})  # fmt: skip
        client.execute(env=_release_environment(course))  # raises CellExecutionError on any error
        if lesson.name == "00-start-here.ipynb":
            outputs = json.dumps([cell.get("outputs", []) for cell in notebook.cells])
            assert f"course helpers loaded from {course / 'helpers'}" in outputs, "the release's own helpers"
            # "Your progress" (the last cell) shows a widget: what it says is in the widget state nbclient keeps
            [view] = [output["data"]["application/vnd.jupyter.widget-view+json"]["model_id"]
                      for output in notebook.cells[-1].outputs]  # fmt: skip
            state = notebook.metadata.widgets["application/vnd.jupyter.widget-state+json"]["state"][view]["state"]
            assert "only the visible tests can run" in state["value"], "Your progress says what runs without solutions"


@pytest.mark.slow
@pytest.mark.parametrize("assignment", ASSIGNMENTS)
def test_every_exercise_opens_and_validates_from_the_release(
    release: Path, tmp_path: Path, assignment: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    course = tmp_path / "course"
    shutil.copytree(release, course)
    monkeypatch.setenv("PYTHONPATH", str(course))  # the kernels Validate starts import the release's helpers
    config = Config()
    config.Execute.timeout = 20
    for path in sorted((course / "exercises" / assignment).glob("*.ipynb")):
        untouched = Validator(config=config).validate(str(path))
        assert untouched.get("failed"), f"{path.name}: the stubs fail the visible tests"
        assert "changed" not in untouched
        errors = {
            output.get("ename") for cell in untouched["failed"] for output in cell.get("outputs", [])
            if output.get("output_type") == "error"
        }  # fmt: skip
        assert not errors & {"ModuleNotFoundError", "ImportError"}, errors
        answered = path.with_name(f"answered-{path.name}")
        nbformat.write(submissions.answered_in_release(assignment, path.name), answered)
        assert Validator(config=config).validate(str(answered)) == {}, f"{path.name}: reference answers pass"
