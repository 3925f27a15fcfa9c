"""README "For instructors", step 4: grade exercise 08's written answer (Part D) in Formgrader.

A scratch copy of the course is the instructor's course folder. nbgrader generates exercise
08 into its gradebook, three students' notebooks (``submissions.py``) are placed where
``nbgrader collect`` puts them, and ``nbgrader autograde`` grades them: two wrote a Part D
answer, which waits for hand grading; one left "YOUR ANSWER HERE", which scores 0 by itself.

JupyterLab then serves that copy with Formgrader turned on for this server only: its own
``JUPYTER_CONFIG_DIR`` enables the formgrader server extension and the Nbgrader menu and
Formgrader Lab plugins, and ``JUPYTER_PREFER_ENV_PATH=0`` lets that folder win over the
environment's learner set-up (postBuild turns them off there; a venv's config wins by default).
In Chromium the instructor opens **Nbgrader → Formgrader → Manual Grading →
08-consistent-hashing → hash-ring**, opens the student who wrote a good answer, sees the
autograded parts' points, types Part D's points and leaves the field with Tab (Formgrader
saves on change). The Gradebook and ``nbgrader export`` must then show those points.

The browser may reach the server only. Formgrader's submission page loads MathJax from a CDN;
refused, as on a machine offline, the page's keyboard shortcuts are not set up (its start-up
stops at ``MathJax is not defined``), but typing a score and leaving the field still saves it.
"""

from __future__ import annotations

import csv
import json
import re
import signal
import subprocess
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from playwright.sync_api import FrameLocator, Page, Route, expect
from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

import submissions
from lab_session import BIN, LabServer, copy_course, isolated_environment, lab_server
from submissions import ASSIGNMENT, EXPECTED, HAND_GRADED, NOTEBOOK, PARTS, TESTS

pytestmark = pytest.mark.browser

COURSE_ID = "system-design-hands-on"
NOTEBOOK_ID = NOTEBOOK.removesuffix(".ipynb")
PART_D = "jump_or_ring"  # the "Manually graded answer" cell's grade id
GRADED = "correct"  # wrote a good Part D answer
WAITING = "partly-wrong"  # wrote a weak one, left for another day
UNANSWERED = "untouched"  # left "YOUR ANSWER HERE": 0 points, nothing to grade by hand
POINTS = 1.5  # what the instructor gives GRADED's answer (out of 2, not "Full credit")
# The server's own Jupyter config: Formgrader's server extension and the Lab plugins that
# open it (the Nbgrader menu and its Formgrader item), on for this server only.
SERVER_CONFIG = {"ServerApp": {"jpserver_extensions": {"nbgrader.server_extensions.formgrader": True}}}
PAGE_CONFIG = {"disabledExtensions": {"@jupyter/nbgrader:menu": False, "@jupyter/nbgrader:formgrader": False}}
MATHJAX_CDN = re.compile(r"https://cdnjs\.cloudflare\.com/ajax/libs/mathjax/")
UI_TIMEOUT_MS = 60_000  # a busy 2-core machine: Lab's first load and each Formgrader page


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # pytest then tears fixtures down


@dataclass
class Course:
    """The instructor's course folder after autograding, and how to run nbgrader in it."""

    root: Path
    env: dict[str, str]

    def nbgrader(self, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [str(BIN / "nbgrader"), *args],
            cwd=self.root,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        assert result.returncode == 0, f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
        return result

    def gradebook(self) -> Any:  # nbgrader ships no type hints
        from nbgrader.api import Gradebook

        return Gradebook(f"sqlite:///{self.root / 'gradebook.db'}", COURSE_ID)

    def autograde(self) -> None:
        """Exercise 08 generated, three submissions autograded; GRADED's Part D waits for a person."""
        self.nbgrader("generate_assignment", ASSIGNMENT, "--force")
        for student in (GRADED, WAITING, UNANSWERED):
            path = self.root / "submitted" / student / ASSIGNMENT / NOTEBOOK
            submissions.write(submissions.STUDENTS[student](), path)
        self.nbgrader("autograde", ASSIGNMENT)
        with self.gradebook() as gradebook:
            waiting = {
                student
                for student in (GRADED, WAITING, UNANSWERED)
                if gradebook.find_grade(PART_D, NOTEBOOK_ID, ASSIGNMENT, student).needs_manual_grade
            }
        assert waiting == {GRADED, WAITING}, "only written answers wait for hand grading"


@pytest.fixture
def course(tmp_path: Path) -> Course:
    """A copy of the course as the instructor's course folder, with an exchange of its own."""
    root = copy_course(tmp_path / "course")
    exchange = tmp_path / "exchange"  # Formgrader looks for one: not /usr/local/share/nbgrader
    exchange.mkdir()
    with (root / "nbgrader_config.py").open("a") as config:
        config.write(f"\nc.Exchange.root = {str(exchange)!r}\n")
    env = isolated_environment(tmp_path / "instructor-home")
    env.pop("NBGRADER_EXECUTION", None)
    # As in tests/grading/test_class_cycle.py: jsonschema would compile rfc3987_syntax's grammar (~3 s) in
    # every nbgrader process for a format notebooks never use; this stand-in leaves it unchecked.
    fast_imports = tmp_path / "fast-imports" / "rfc3987_syntax"
    fast_imports.mkdir(parents=True)
    (fast_imports / "__init__.py").write_text('raise ImportError("not needed here")\n')
    env["PYTHONPATH"] = str(fast_imports.parent)
    return Course(root, env)


@pytest.fixture
def formgrader_lab(tmp_path: Path, course: Course) -> Iterator[LabServer]:
    """JupyterLab on the course folder, with Formgrader and the Nbgrader menu on for it alone.

    The course is autograded while the server starts (Formgrader opens the gradebook only
    when a page asks); both are done when the test begins.
    """
    config_dir = tmp_path / "instructor-config"
    (config_dir / "labconfig").mkdir(parents=True)
    (config_dir / "jupyter_server_config.json").write_text(json.dumps(SERVER_CONFIG, indent=2))
    (config_dir / "labconfig" / "page_config.json").write_text(json.dumps(PAGE_CONFIG, indent=2))
    own_config = {"JUPYTER_CONFIG_DIR": str(config_dir), "JUPYTER_PREFER_ENV_PATH": "0"}
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with ThreadPoolExecutor(max_workers=1) as pool:
            grading = pool.submit(course.autograde)
            with lab_server(tmp_path / "lab", serve=course.root, env=own_config) as server:
                grading.result()
                yield server
    finally:
        signal.signal(signal.SIGTERM, previous)


def _only_the_server(page: Page, server: LabServer) -> list[str]:
    """Lets the page's requests reach the server only; the list fills with the addresses refused."""
    refused: list[str] = []
    origin = f"http://127.0.0.1:{server.port}/"

    def gate(route: Route) -> None:
        if route.request.url.startswith(origin):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort("blockedbyclient")

    page.context.route("**/*", gate)
    return refused


def _open_formgrader(page: Page, server: LabServer) -> FrameLocator:
    """Nbgrader → Formgrader in JupyterLab's menu bar; the Formgrader tab's page."""
    page.goto(server.url("lab?reset"))
    page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Nbgrader$")).click(timeout=UI_TIMEOUT_MS)
    page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Formgrader$")).click()
    return page.frame_locator("#formgrader iframe")


def _submissions_table(formgrader: FrameLocator) -> dict[str, list[str]]:
    """The hash-ring page's table, names shown: student -> Overall, Code and Written Score."""
    formgrader.locator(".dataTables_filter input").wait_for(timeout=UI_TIMEOUT_MS)  # rows in, table built
    shown = formgrader.locator("#main-table td.name a.name-shown").first
    for _ in range(3):  # "Show All Names" clicks every row's eye icon
        if shown.is_visible():
            break
        formgrader.get_by_role("button", name="Show All Names").click()
        with suppress(PlaywrightTimeoutError):
            shown.wait_for(state="visible", timeout=5_000)
    expect(shown).to_be_visible()
    rows = {}
    for row in formgrader.locator("#main-table tr").all():
        name = row.locator("td.name a.name-shown").inner_text().strip()
        rows[name] = [row.locator(f"td.{column}").inner_text().strip() for column in ("score", "code-score",
                                                                                       "written-score")]  # fmt: skip
    return rows


def test_instructor_grades_part_d_in_formgrader(page: Page, course: Course, formgrader_lab: LabServer) -> None:
    page.set_default_timeout(30_000)
    refused = _only_the_server(page, formgrader_lab)
    autograded, weak = (sum(EXPECTED[student][part] for part in TESTS) for student in (GRADED, WAITING))  # 12, 8
    total, code, written = sum(PARTS.values()), sum(TESTS.values()), HAND_GRADED[PART_D]  # 14, 12, 2

    # Nbgrader → Formgrader → Manual Grading → 08-consistent-hashing → hash-ring
    formgrader = _open_formgrader(page, formgrader_lab)
    formgrader.get_by_role("link", name="Manual Grading", exact=True).click(timeout=UI_TIMEOUT_MS)
    formgrader.get_by_role("link", name=ASSIGNMENT, exact=True).click(timeout=UI_TIMEOUT_MS)
    formgrader.get_by_role("link", name=NOTEBOOK_ID, exact=True).click(timeout=UI_TIMEOUT_MS)
    table = _submissions_table(formgrader)
    assert table == {
        GRADED: [f"{autograded:g} / {total:g}", f"{autograded:g} / {code:g}", f"0 / {written:g}"],
        WAITING: [f"{weak:g} / {total:g}", f"{weak:g} / {code:g}", f"0 / {written:g}"],
        UNANSWERED: [f"0 / {total:g}", f"0 / {code:g}", f"0 / {written:g}"],
    }

    # The student's submission: the autograded parts show their points, Part D waits.
    formgrader.locator("#main-table").get_by_role("link", name=GRADED, exact=True).click()
    score = formgrader.locator(f"input.score#{PART_D}")
    expect(score).to_have_class(re.compile(r"\bneeds_manual_grade\b"), timeout=UI_TIMEOUT_MS)
    expect(score.locator("xpath=..")).to_contain_text(f"/ {written:.1f}")
    expect(formgrader.locator(f".nbgrader_cell:has(#{PART_D})")).to_contain_text(submissions.GOOD_ESSAY[:60])
    shown = {part: formgrader.locator(f"input.score#{part}").get_attribute("placeholder") for part in TESTS}
    assert {part: float(points or "nan") for part, points in shown.items()} == {
        part: EXPECTED[GRADED][part] for part in TESTS
    }, f"the autograded parts' points as Formgrader shows them: {shown}"

    # Type the points and leave the field with Tab (Formgrader saves on change); wait for the save.
    with page.expect_response(
        lambda response: "/formgrader/api/grade/" in response.url and response.request.method == "PUT"
    ) as saving:
        score.fill(f"{POINTS:g}")
        score.press("Tab")
    saved = saving.value
    assert saved.ok, f"saving the grade: HTTP {saved.status} {saved.text()}"
    answer = saved.json()
    assert (answer["name"], float(answer["manual_score"]), answer["needs_manual_grade"]) == (PART_D, POINTS, False)
    expect(score).not_to_have_class(re.compile(r"\bneeds_manual_grade\b"))
    expect(score).to_have_value(f"{POINTS:g}")

    # Back to the list (breadcrumb): the student's scores now include Part D.
    formgrader.locator(".breadcrumb").get_by_role("link", name=NOTEBOOK_ID, exact=True).click()
    assert _submissions_table(formgrader)[GRADED] == [
        f"{autograded + POINTS:g} / {total:g}",
        f"{autograded:g} / {code:g}",
        f"{POINTS:g} / {written:g}",
    ]

    # Formgrader's submission page loads MathJax from a CDN: refused, as on a machine offline.
    assert [url for url in refused if not MATHJAX_CDN.match(url)] == [], "nothing else leaves the machine"

    # nbgrader's own record: the Gradebook ...
    with course.gradebook() as gradebook:
        notebook = gradebook.find_submission_notebook(NOTEBOOK_ID, ASSIGNMENT, GRADED)
        grades = {grade.name: grade for grade in notebook.grades}
        assert grades[PART_D].manual_score == POINTS
        assert grades[PART_D].score == POINTS
        assert [name for name, grade in grades.items() if grade.needs_manual_grade] == []
        assert {name: grade.score for name, grade in grades.items()} == {**EXPECTED[GRADED], PART_D: POINTS}
        assert gradebook.find_grade(PART_D, NOTEBOOK_ID, ASSIGNMENT, WAITING).needs_manual_grade, "others untouched"

    # ... and the export.
    course.nbgrader("export", "--to=grades.csv")
    with (course.root / "grades.csv").open(newline="") as file:
        rows = {row["student_id"]: row for row in csv.DictReader(file) if row["assignment"] == ASSIGNMENT}
    assert {student: float(row["score"]) for student, row in rows.items()} == {
        GRADED: autograded + POINTS,
        WAITING: weak,
        UNANSWERED: 0.0,
    }
    assert float(rows[GRADED]["raw_score"]) == autograded + POINTS
    assert float(rows[GRADED]["max_score"]) == total
