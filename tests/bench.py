"""Speed table for the course: notebook run times and memory, widget update times.

Run with ``make bench`` (or ``.venv/bin/python tests/bench.py``). Every row has a goal
and says PASS or FAIL; the script exits 1 if any row fails. It is not a test module
(pytest does not collect it): timings depend on the machine, so they are reported, not
asserted in ``make test``.

Rows:
    * every notebook in notebooks/*.ipynb and solutions/*/*.ipynb, run headless in a
      fresh kernel from its own folder: run time, and peak memory (RSS) of the kernel;
    * every explorer the unit packages have (tests/explorer_catalogue.py): the time one move
      of a control takes in the kernel (recompute, redraw, encode the PNG), median and 95th
      percentile, over sweeps derived from its declared ``CONTROLS`` (at the defaults and at
      the maxima), next to the figures measured before the per-unit packages (``BEFORE``).
    * every lesson with an explorer, in JupyterLab in headless Chromium (as the browser
      tests drive it): the time of Run All Cells, and for each explorer the time from a key
      press on its main slider to the new figure being shown, timed inside the page
      (``performance.now()`` from the keydown event to the new image decoded), median and
      95th percentile over BROWSER_MOVES moves. Without Chromium these rows say so and fail.
    * grading: for every exercise, the seconds ``make grade`` takes to autograde one
      submission (the reference answers) with nbgrader, also in a course of
      SIMULATED_COURSE_SIZE exercises (the cost must not grow with the course); and the
      seconds ``python -m helpers.grading --class`` takes on the simulated class of
      exercise 08 (tests/submissions.py), in all and per submission.

A new unit's explorer is timed as soon as it exists: nothing to add here.
"""

from __future__ import annotations

import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError
from playwright.sync_api import Browser, sync_playwright

from helpers.explorer import Explorer
from helpers.grading import grade_notebooks

import submissions  # tests/submissions.py: the simulated class of exercise 08
from explorer_catalogue import explorer_classes  # tests/explorer_catalogue.py: every explorer, found
from lab_session import (  # tests/lab_session.py: JupyterLab and Chromium, as the browser tests use them
    CHROMIUM_MISSING,
    LabServer,
    NotebookPage,
    chromium,
    chromium_executable,
    explorer_cells,
    lab_server,
    new_page,
)
from paths import ASSIGNMENTS, LESSONS, ROOT, SOLUTIONS  # tests/paths.py: where the course's files are

NOTEBOOK_GOAL_S = 15.0
MEMORY_GOAL_MB = 400.0
BROWSER_GOAL_P95_MS = 80.0
BROWSER_MOVES = 30
CELL_TIMEOUT_S = 120
MEMORY_POLL_S = 0.02
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


# --- explorers ----------------------------------------------------------------------------

BEFORE: dict[tuple[str, str], str] = {
    ("RingExplorer", "defaults"): "23 / 32 ms",
    ("BalancerExplorer", "defaults"): "7 / 14 ms",
    ("IpcExplorer", "defaults"): "15 / 20 ms",
    ("RpcExplorer", "defaults"): "8 / 9 ms",
    ("RetryExplorer", "defaults"): "14 / 16 ms",
    ("RateLimitExplorer", "defaults"): "8 / 10 ms",
    ("DnsExplorer", "defaults"): "5 / 6 ms",
    ("CdnExplorer", "defaults"): "7 / 10 ms",
}
"""Median / p95 of each explorer's moves at its defaults before the per-unit packages (commit 5b65d3a, the
old helpers.widgets explorers, the same machine and sweeps; the old DNS sweep left out us_weight and europe_share)."""

BROWSER_BEFORE: dict[str, str] = {
    "01-interprocess-communication": "74 / 106 ms",
    "02-rpc": "52 / 56 ms",
    "03-rest": "63 / 98 ms",
    "04-dns": "60 / 116 ms",
    "05-load-balancers": "44 / 72 ms",
    "06-content-delivery-networks": "56 / 84 ms",
    "07-api-gateways": "63 / 69 ms",
    "08-consistent-hashing": "72 / 121 ms",
}
"""Key press to new figure, median / p95, before the per-unit packages and the server's TCP_NODELAY
(commit 5b65d3a, 12 moves each, the same machine)."""

KERNEL_GOAL_P95_MS = 40.0
"""Goal for one move at an explorer's defaults, in the kernel: recompute, redraw, encode the PNG."""

KERNEL_MAXIMA_GOAL_P95_MS = 250.0
"""Goal for one move with every control at its last (largest) option."""

Move = tuple[str, Any]
"""One control move: the control's name in the explorer's ``controls`` and the value to set."""


@dataclass(frozen=True)
class Sweep:
    """A series of control moves, each timed, after an untimed start."""

    name: str
    goal_p95_ms: float
    moves: Sequence[Move]
    start: Mapping[str, Any] = field(default_factory=dict)


def up_down_home(control: str, values: Sequence[Any], home: Any) -> list[Move]:
    """One notch at a time from ``home`` up to the last value, down to the first, back home.

    Every move is to a neighbouring value, as when a learner drags a slider.
    """
    values = list(values)
    at = values.index(home)
    path = [*values[at + 1 :], *values[-2::-1], *values[1 : at + 1]]
    return [(control, value) for value in path]


def sweeps(explorer: type[Explorer]) -> list[Sweep]:
    """The explorer's two sweeps, from its declared controls.

    At the defaults, every control dragged up, down and home in turn; at the maxima (every
    control at its last option), the same.
    """
    controls = explorer.CONTROLS
    at_defaults = [move for c in controls for move in up_down_home(c.name, c.options, c.default)]
    maxima = {c.name: c.options[-1] for c in controls}
    at_maxima = [move for c in controls for move in up_down_home(c.name, c.options, c.options[-1])]
    shown = ", ".join(f"{c.name} {c.labels[-1]}" for c in controls)
    return [
        Sweep("defaults", KERNEL_GOAL_P95_MS, at_defaults),
        Sweep(f"maxima ({shown})", KERNEL_MAXIMA_GOAL_P95_MS, at_maxima, maxima),
    ]


def time_sweep(explorer: Explorer, sweep: Sweep) -> list[float]:
    """Milliseconds each move of the sweep took (moves to the current value are skipped)."""
    for name, value in sweep.start.items():
        explorer.controls[name].value = value
    times_ms = []
    for name, value in sweep.moves:
        control = explorer.controls[name]
        if control.value == value:
            continue  # no change, no update: nothing to time
        started = time.perf_counter()
        control.value = value  # observe -> update: recompute, redraw, encode
        times_ms.append((time.perf_counter() - started) * 1000.0)
    return times_ms


def p95(values: Sequence[float]) -> float:
    """95th percentile, interpolated between the two nearest ranks."""
    if len(values) < 2:
        return max(values)
    return statistics.quantiles(values, n=20, method="inclusive")[-1]


# --- notebooks ----------------------------------------------------------------------------


class PeakMemory(threading.Thread):
    """Polls the RSS of the kernel (and any processes it starts) and keeps the peak."""

    def __init__(self, client: NotebookClient) -> None:
        super().__init__(daemon=True)
        self.client = client
        self.peak_bytes = 0
        self.done = threading.Event()

    def _kernel(self) -> psutil.Process | None:
        # jupyter_client 8: the local provisioner knows the kernel's process id once it started.
        provisioner = getattr(self.client.km, "provisioner", None)
        pid = getattr(provisioner, "pid", None)
        return psutil.Process(pid) if pid else None

    def run(self) -> None:
        kernel = None
        while not self.done.is_set():
            try:
                kernel = kernel or self._kernel()
                if kernel is not None:
                    processes = [kernel, *kernel.children(recursive=True)]
                    self.peak_bytes = max(self.peak_bytes, sum(p.memory_info().rss for p in processes))
            except psutil.Error:
                pass  # the kernel (or a child) exited between listing and reading it
            self.done.wait(MEMORY_POLL_S)


@dataclass(frozen=True)
class NotebookRun:
    seconds: float
    peak_mb: float
    error: str | None


def run_notebook(path: Path) -> NotebookRun:
    """Runs a notebook top to bottom in a fresh kernel started in its folder."""
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook, timeout=CELL_TIMEOUT_S, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    monitor = PeakMemory(client)
    monitor.start()
    error = None
    started = time.perf_counter()
    try:
        client.execute(stderr=subprocess.DEVNULL)  # silence the kernel's "running over TCP" warning
    except CellTimeoutError:
        error = f"a cell ran over {CELL_TIMEOUT_S} s"
    except CellExecutionError as exc:
        error = ANSI_ESCAPE.sub("", str(exc)).strip().splitlines()[-1][:80]
    except Exception as exc:  # a kernel that dies or never starts is a failed row, not a crash
        error = f"{type(exc).__name__}: {exc}"[:80]
    seconds = time.perf_counter() - started
    monitor.done.set()
    monitor.join()
    return NotebookRun(seconds, monitor.peak_bytes / 2**20, error)


# --- the table ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    item: str
    measure: str
    value: str
    goal: str
    passed: bool


def print_table(rows: Sequence[Row]) -> None:
    headers = ("item", "measure", "value", "goal", "result")
    cells = [(r.item, r.measure, r.value, r.goal, "PASS" if r.passed else "FAIL") for r in rows]
    widths = [max(len(row[i]) for row in [headers, *cells]) for i in range(len(headers))]
    for row in [headers, tuple("-" * width for width in widths), *cells]:
        print("  ".join(f"{cell:<{width}}" for cell, width in zip(row, widths, strict=True)).rstrip())


def notebook_rows() -> list[Row]:
    paths = LESSONS + SOLUTIONS
    if not paths:
        print("No notebooks yet (notebooks/*.ipynb, solutions/*/*.ipynb): no notebook rows.")
        return []
    rows = []
    for path in paths:
        name = str(path.relative_to(ROOT))
        print(f"running {name} ...", flush=True)
        run = run_notebook(path)
        ran = run.error is None
        rows.append(
            Row(name, "run time" + ("" if ran else f" (error: {run.error})"), f"{run.seconds:.1f} s",
                f"< {NOTEBOOK_GOAL_S:.0f} s", ran and run.seconds < NOTEBOOK_GOAL_S)
        )
        rows.append(
            Row(name, "peak kernel memory", f"{run.peak_mb:.0f} MB", f"< {MEMORY_GOAL_MB:.0f} MB",
                0 < run.peak_mb < MEMORY_GOAL_MB)
        )
    return rows


def explorer_rows() -> list[Row]:
    rows = []
    for cls in explorer_classes():
        name = f"{cls.__name__} ({cls.__module__})"
        for sweep in sweeps(cls):
            print(f"timing {name}, {sweep.name} ...", flush=True)
            explorer = cls()  # a fresh explorer per sweep (module-level caches stay warm)
            times_ms = time_sweep(explorer, sweep)
            if not times_ms:
                rows.append(Row(f"{name}, {sweep.name}", "no move changed a control", "-", "-", False))
                continue
            median, slow = statistics.median(times_ms), p95(times_ms)
            before = BEFORE.get((cls.__name__, sweep.name.split(" (")[0]))
            rows.append(
                Row(f"{name}, {sweep.name}", f"update median / p95 over {len(times_ms)} moves",
                    f"{median:.0f} / {slow:.0f} ms" + (f" (before: {before})" if before else ""),
                    f"p95 < {sweep.goal_p95_ms:.0f} ms", slow < sweep.goal_p95_ms)
            )
    return rows


def _lesson_in_browser_rows(browser: Browser, server: LabServer, path: Path) -> list[Row]:
    name = str(path.relative_to(ROOT))
    print(f"timing {name} in JupyterLab ...", flush=True)
    page = new_page(browser)
    rows = []
    try:
        lesson = NotebookPage(page, server, path.relative_to(ROOT).as_posix()).open()
        seconds = lesson.run_all()
        rows.append(Row(f"{name} in the browser", "Run All Cells", f"{seconds:.1f} s", f"< {NOTEBOOK_GOAL_S:.0f} s",
                        seconds < NOTEBOOK_GOAL_S))
        for index in explorer_cells(path):
            times_ms = lesson.slider_sweep(index, BROWSER_MOVES)
            median, slow = statistics.median(times_ms), p95(times_ms)
            earlier = BROWSER_BEFORE.get(path.stem)
            rows.append(
                Row(f"{name} in the browser, explorer in cell {index}",
                    f"key press to new figure, median / p95 over {len(times_ms)} moves",
                    f"{median:.0f} / {slow:.0f} ms" + (f" (before: {earlier})" if earlier else ""),
                    f"p95 < {BROWSER_GOAL_P95_MS:.0f} ms", slow < BROWSER_GOAL_P95_MS)
            )
    except Exception as exc:  # a lesson that fails in the browser is a failed row, not a crash
        rows.append(Row(f"{name} in the browser", f"error: {type(exc).__name__}: {exc}"[:80], "-", "-", False))
    finally:
        page.context.close()
        server.shut_down_kernels()
    return rows


WEBSOCKET_GOAL_P95_MS = 10.0
"""Goal for a kernel round trip through JupyterLab's websocket (helpers/labserver.py)."""


def websocket_rows(server: LabServer, trips: int = 40) -> list[Row]:
    """Milliseconds of a kernel_info request and its reply through the server's kernel websocket.

    Every widget move pays this round trip at least once; with Nagle's algorithm on, the
    server's small messages wait ~40 ms for delayed ACKs (helpers/labserver.py).
    """
    import asyncio
    import json
    import uuid

    import tornado.websocket

    kernel = server.api("POST", "api/kernels")

    async def measure() -> list[float]:
        url = server.url(f"api/kernels/{kernel['id']}/channels").replace("http://", "ws://", 1)
        connection = await tornado.websocket.websocket_connect(url)
        times_ms = []
        for _ in range(trips + 5):  # the first few warm the connection up
            message_id = uuid.uuid4().hex
            header = {"msg_id": message_id, "username": "", "session": "bench", "msg_type": "kernel_info_request",
                      "version": "5.3", "date": ""}  # fmt: skip
            started = time.perf_counter()
            await connection.write_message(json.dumps({"header": header, "parent_header": {}, "metadata": {},
                                                       "content": {}, "channel": "shell", "buffers": []}))  # fmt: skip
            while True:
                reply = await connection.read_message()
                if isinstance(reply, str) and f'"msg_id": "{message_id}"' in reply and "kernel_info_reply" in reply:
                    break
            times_ms.append((time.perf_counter() - started) * 1000.0)
        connection.close()
        return times_ms[5:]

    try:  # in a thread of its own: Playwright's sync API keeps an event loop running in this one
        with ThreadPoolExecutor(1) as pool:
            times_ms = pool.submit(asyncio.run, measure()).result()
    finally:
        server.api("DELETE", f"api/kernels/{kernel['id']}")
    median, slow = statistics.median(times_ms), p95(times_ms)
    return [Row("JupyterLab's kernel websocket", f"kernel_info round trip, median / p95 over {trips}",
                f"{median:.1f} / {slow:.1f} ms", f"p95 < {WEBSOCKET_GOAL_P95_MS:.0f} ms", slow < WEBSOCKET_GOAL_P95_MS)]


def browser_rows() -> list[Row]:
    """Run All and slider-to-figure times in JupyterLab in Chromium, for each lesson with an explorer."""
    lessons = [path for path in LESSONS if explorer_cells(path)]
    if not lessons:
        return []
    if chromium_executable() is None:
        print(CHROMIUM_MISSING)
        return [Row("JupyterLab in Chromium", "not measured: Chromium is missing", "-", "-", False)]
    rows = []
    with (
        tempfile.TemporaryDirectory() as scratch,
        lab_server(Path(scratch)) as server,
        sync_playwright() as driver,
        chromium(driver) as browser,
    ):
        rows += websocket_rows(server)
        for path in lessons:
            rows += _lesson_in_browser_rows(browser, server, path)
    return rows


# --- grading ------------------------------------------------------------------------------

GRADING_GOAL_S = 10.0
SIMULATED_COURSE_SIZE = 14


def _time_learner_grade(root: Path, assignment: str, scratch: Path) -> tuple[float, str | None]:
    """Seconds ``make grade`` takes on the reference answers of one exercise, and what went wrong."""
    folder = Path(tempfile.mkdtemp(dir=scratch)) / assignment
    folder.mkdir()
    paths = []
    for source in sorted((ROOT / "solutions" / assignment).glob("*.ipynb")):
        paths.append(folder / source.name)
        paths[-1].write_bytes(source.read_bytes())  # a started submission with every answer right
    started = time.perf_counter()
    results = grade_notebooks(paths, root=root, feedback_dir=scratch / "feedback")
    seconds = time.perf_counter() - started
    for result in results:
        tests = [part for part in result.parts if not part.by_hand]
        if result.error or not tests or any(part.points < part.max_points for part in tests):
            return seconds, result.error or f"{result.notebook}: the reference answers lost points"
    return seconds, None


def _course_with_copies(scratch: Path, assignment: str, total: int) -> Path:
    """A course folder holding every exercise plus copies of ``assignment``, ``total`` in all."""
    root = scratch / f"course-of-{total}"
    root.mkdir()
    (root / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    for folder in ("solutions", "exercises"):
        for existing in ASSIGNMENTS:
            shutil.copytree(ROOT / folder / existing, root / folder / existing)
        for number in range(total - len(ASSIGNMENTS)):
            shutil.copytree(ROOT / folder / assignment, root / folder / f"{90 + number:02d}-copy-of-{assignment}")
    return root


def _time_simulated_class(scratch: Path) -> tuple[float, int, str | None]:
    """Seconds ``python -m helpers.grading --class`` takes on the simulated class of exercise 08."""
    course = scratch / "class"
    (course / "solutions").mkdir(parents=True)
    shutil.copytree(ROOT / "solutions" / submissions.ASSIGNMENT, course / "solutions" / submissions.ASSIGNMENT)
    (course / "nbgrader_config.py").write_bytes((ROOT / "nbgrader_config.py").read_bytes())
    env = {**os.environ, "HOME": str(scratch / "home"), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    nbgrader = [str(Path(sys.executable).parent / "nbgrader")]
    generate = [*nbgrader, "generate_assignment", submissions.ASSIGNMENT, "--force", "--log-level=WARN"]
    subprocess.run(generate, cwd=course, env=env, check=True, capture_output=True)
    for student, make in submissions.STUDENTS.items():
        submissions.write(make(), course / "submitted" / student / submissions.ASSIGNMENT / submissions.NOTEBOOK)
    broken = submissions.write(submissions.correct(), course / "submitted" / "broken-json" / submissions.ASSIGNMENT
                               / submissions.NOTEBOOK)  # fmt: skip
    submissions.break_json(broken)
    (course / "submitted" / "no-notebook" / submissions.ASSIGNMENT).mkdir(parents=True)
    count = len(submissions.STUDENTS) + 2
    started = time.perf_counter()
    run = subprocess.run([sys.executable, "-m", "helpers.grading", "--class", submissions.ASSIGNMENT], cwd=course,
                         env=env, capture_output=True, text=True, check=False)  # fmt: skip
    seconds = time.perf_counter() - started
    expected = f"{submissions.ASSIGNMENT}: {count} students"
    error = None if run.returncode == 0 and expected in run.stdout else f"exit code {run.returncode}"
    return seconds, count, error


def grading_rows() -> list[Row]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        scratch = Path(folder)
        for assignment in ASSIGNMENTS:
            print(f"grading {assignment} as a learner (make grade) ...", flush=True)
            seconds, error = _time_learner_grade(ROOT, assignment, scratch)
            measure = "autograde one submission (make grade)" + (f" (error: {error})" if error else "")
            rows.append(Row(f"exercises/{assignment}", measure, f"{seconds:.1f} s", f"< {GRADING_GOAL_S:.0f} s",
                            error is None and seconds < GRADING_GOAL_S))  # fmt: skip
        last = ASSIGNMENTS[-1]
        print(f"grading {last} in a course of {SIMULATED_COURSE_SIZE} exercises ...", flush=True)
        big = _course_with_copies(scratch, last, SIMULATED_COURSE_SIZE)
        seconds, error = _time_learner_grade(big, last, scratch)
        rows.append(
            Row(f"exercises/{last}, course of {SIMULATED_COURSE_SIZE} exercises",
                "autograde one submission (make grade)" + (f" (error: {error})" if error else ""),
                f"{seconds:.1f} s", f"< {GRADING_GOAL_S:.0f} s", error is None and seconds < GRADING_GOAL_S)
        )  # fmt: skip
        print("grading the simulated class of exercise 08 (python -m helpers.grading --class) ...", flush=True)
        seconds, count, error = _time_simulated_class(scratch)
        rows.append(
            Row(f"simulated class, {submissions.ASSIGNMENT} ({count} submissions, 1 loops for 20 s)",
                "grade the class (autograde + report)" + (f" (error: {error})" if error else ""),
                f"{seconds:.0f} s = {seconds / count:.1f} s per submission", f"< {GRADING_GOAL_S:.0f} s per submission",
                error is None and seconds / count < GRADING_GOAL_S)
        )  # fmt: skip
    return rows


def machine() -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"Machine: {os.cpu_count()} logical cores ({psutil.cpu_count(logical=False)} physical), "
        f"load average {load}; {platform.platform()}\n"
        f"Python {platform.python_version()} ({sys.executable})"
    )


def main() -> int:
    print(machine())
    print()
    rows = notebook_rows() + explorer_rows() + browser_rows() + grading_rows()
    print()
    print(machine())  # again, with the table: the load may have changed
    print()
    print_table(rows)
    failed = [row for row in rows if not row.passed]
    print()
    print(f"{len(rows) - len(failed)} of {len(rows)} goals met." + (" Some goals FAILED." if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
