"""Speed table for the course: notebook run times and memory, widget update times.

Run with ``make bench`` (or ``.venv/bin/python tests/bench.py``). Every row has a goal
and says PASS or FAIL; the script exits 1 if any row fails. It is not a test module
(pytest does not collect it): timings depend on the machine, so they are reported, not
asserted in ``make test``.

Rows:
    * every notebook in notebooks/*.ipynb and solutions/*/*.ipynb, run headless in a
      fresh kernel from its own folder: run time, and peak memory (RSS) of the kernel;
    * every explorer in EXPLORERS: the time one slider move takes (recompute, redraw,
      encode the PNG), median and 95th percentile over a sweep of slider values.

To add a lesson's explorer, append an ``ExplorerBench`` to EXPLORERS.
"""

from __future__ import annotations

import os
import platform
import re
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError, CellTimeoutError

from helpers.widgets import KEY_COUNT_CHOICES, NODE_RANGE, VIRTUAL_NODE_CHOICES, RingExplorer

from paths import LESSONS, ROOT, SOLUTIONS  # tests/paths.py: where the course's files are

NOTEBOOK_GOAL_S = 15.0
MEMORY_GOAL_MB = 400.0
CELL_TIMEOUT_S = 120
MEMORY_POLL_S = 0.02
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")


# --- explorers ----------------------------------------------------------------------------

Move = tuple[str, Any]
"""One slider move: the slider's name in the explorer's ``sliders`` and the value to set."""


@dataclass(frozen=True)
class Sweep:
    """A series of slider moves, each timed, after an untimed start."""

    name: str
    goal_p95_ms: float
    moves: Sequence[Move]
    start: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class ExplorerBench:
    """An explorer to time: how to build it, and the sweeps to time it on.

    ``factory`` returns an object with a ``sliders`` dict (name -> ipywidgets slider);
    setting ``slider.value`` must run the explorer's update, as a learner's drag does.
    """

    name: str
    factory: Callable[[], Any]
    sweeps: Sequence[Sweep]


def up_down_home(slider: str, values: Sequence[Any], home: Any) -> list[Move]:
    """One notch at a time from ``home`` up to the last value, down to the first, back home.

    Every move is to a neighbouring value, as when a learner drags a slider.
    """
    values = list(values)
    at = values.index(home)
    path = [*values[at + 1 :], *values[-2::-1], *values[1 : at + 1]]
    return [(slider, value) for value in path]


def _ring_explorer_sweeps() -> list[Sweep]:
    low, high = NODE_RANGE
    defaults = Sweep(
        "defaults (8 nodes, v=50, 50,000 keys)",
        goal_p95_ms=100.0,
        moves=[
            *up_down_home("nodes", range(low, high + 1), 8),
            *up_down_home("virtual_nodes", VIRTUAL_NODE_CHOICES, 50),
            *up_down_home("keys", KEY_COUNT_CHOICES, 50_000),
        ],
    )
    maxima = Sweep(
        f"maxima ({high} nodes, v={VIRTUAL_NODE_CHOICES[-1]}, {KEY_COUNT_CHOICES[-1]:,} keys)",
        goal_p95_ms=250.0,
        start={"virtual_nodes": VIRTUAL_NODE_CHOICES[-1], "keys": KEY_COUNT_CHOICES[-1], "nodes": high},
        moves=up_down_home("nodes", range(high - 10, high + 1), high),
    )
    return [defaults, maxima]


EXPLORERS: list[ExplorerBench] = [
    ExplorerBench("RingExplorer (lesson 08)", RingExplorer, _ring_explorer_sweeps()),
]


def time_sweep(explorer: Any, sweep: Sweep) -> list[float]:
    """Milliseconds each move of the sweep took (moves to the current value are skipped)."""
    for name, value in sweep.start.items():
        explorer.sliders[name].value = value
    times_ms = []
    for name, value in sweep.moves:
        slider = explorer.sliders[name]
        if slider.value == value:
            continue  # no change, no update: nothing to time
        started = time.perf_counter()
        slider.value = value  # observe -> update: recompute, redraw, encode
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
    for bench in EXPLORERS:
        for sweep in bench.sweeps:
            print(f"timing {bench.name}, {sweep.name} ...", flush=True)
            explorer = bench.factory()  # a fresh explorer per sweep (module-level caches stay warm)
            times_ms = time_sweep(explorer, sweep)
            if not times_ms:
                rows.append(Row(f"{bench.name}, {sweep.name}", "no move changed a slider", "-", "-", False))
                continue
            median, slow = statistics.median(times_ms), p95(times_ms)
            rows.append(
                Row(f"{bench.name}, {sweep.name}", f"update median / p95 over {len(times_ms)} moves",
                    f"{median:.0f} / {slow:.0f} ms", f"p95 < {sweep.goal_p95_ms:.0f} ms", slow < sweep.goal_p95_ms)
            )
    return rows


def main() -> int:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    print(f"Machine: {os.cpu_count()} logical cores ({psutil.cpu_count(logical=False)} physical), "
          f"load average {load}; {platform.platform()}")
    print(f"Python {platform.python_version()} ({sys.executable})")
    print()
    rows = notebook_rows() + explorer_rows()
    print()
    print_table(rows)
    failed = [row for row in rows if not row.passed]
    print()
    print(f"{len(rows) - len(failed)} of {len(rows)} goals met." + (" Some goals FAILED." if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
