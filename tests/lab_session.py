"""JupyterLab as a learner meets it: a server on 127.0.0.1 and a headless Chromium driving it.

Used by the browser tests (``tests/browser/``) and by the benchmark (``tests/bench.py``).

* ``lab_server(scratch)`` copies the repository into ``scratch`` and starts ``jupyter lab`` there
  on a free loopback port with a random token, so Run All and Validate (which save the
  notebook) never touch the committed notebooks. The server's home, config, data and
  runtime folders are in ``scratch`` too, so no user settings leak in; the settings
  postBuild applies in the environment (``sys.prefix``) stay active, as for a learner.
  On exit it stops the server and every process the server started (kernels run in
  sessions of their own), by process id, and reports any that had to be killed.
* ``chromium(playwright)`` launches Debian's Chromium (never a downloaded browser).
* ``NotebookPage`` opens a notebook, runs it, validates it, and reads what the learner sees.
"""

from __future__ import annotations

import ast
import io
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import PIL.Image
import psutil
from playwright.sync_api import Browser, Locator, Page, Playwright

from paths import ROOT
from shipped import write_shipped_notebooks

BIN = Path(sys.executable).parent
# What the server serves: a copy of the repository as a learner gets it (and as Binder copies
# it), without local environments, caches and test output. nbgrader_config.py stays at the
# root so Validate grades with the course's settings (the server extension reads it there).
NOT_COPIED = shutil.ignore_patterns(
    ".git", ".venv", "test-output", ".*_cache", ".hypothesis", "__pycache__", "*.egg-info", ".ipynb_checkpoints",
    "gradebook.db", "submitted", "autograded", "feedback",
)
CHROMIUM_CANDIDATES = ("/usr/bin/chromium", "/usr/bin/chromium-browser")
# Without the background-networking flags Chromium tries to reach Google's servers at start.
CHROMIUM_ARGS = [
    "--no-proxy-server",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-crash-reporter",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORT = {"width": 1280, "height": 800}
# For requests to the server: never through a proxy named in the environment.
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))
SERVER_START_S = 60.0
SERVER_STOP_S = 15.0

# Selectors (JupyterLab 4.6, ipywidgets 8): see also shared/TOOLCHAIN.md.
NOTEBOOK = ".jp-NotebookPanel:not(.lm-mod-hidden)"
KERNEL_IDLE = ".jp-Notebook-ExecutionIndicator[data-status='idle']"
# The toolbar's indicator says "idle" before the kernel is connected; the status bar does not.
KERNEL_CONNECTED = re.compile(r"^Python 3 \(ipykernel\) \| Idle$")
STDERR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.stderr']"
ERROR_OUTPUT = ".jp-OutputArea-output[data-mime-type='application/vnd.jupyter.error']"
WIDGET_OUTPUT = ".jp-OutputArea-output:has(> .jupyter-widgets)"  # a widget view, rendered
SLIDER_HANDLE = ".widget-slider .noUi-handle"
EXPLORER_IMAGE = "img.widget-image"


def chromium_executable() -> str | None:
    """Path of the system Chromium, or None when it is not installed."""
    for candidate in (os.environ.get("CHROMIUM"), *CHROMIUM_CANDIDATES, shutil.which("chromium")):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return None


CHROMIUM_MISSING = "Debian's Chromium is not installed (as root: `apt-get install -y chromium`; .ci/run does it)"


@contextmanager
def chromium(playwright: Playwright) -> Iterator[Browser]:
    """Headless Debian Chromium, closed on exit."""
    executable = chromium_executable()
    if executable is None:
        raise RuntimeError(CHROMIUM_MISSING)
    browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS, headless=True)
    try:
        yield browser
    finally:
        browser.close()


def new_page(browser: Browser) -> Page:
    """A page in a fresh browser context (nothing shared with other pages), 1280x800."""
    return browser.new_context(viewport=VIEWPORT).new_page()


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class LabServer:
    """A running ``jupyter lab``: where it serves from and how to reach it."""

    root: Path
    port: int
    token: str
    process: subprocess.Popen[bytes]
    log: Path

    def url(self, path: str) -> str:
        """Address of ``path`` on the server, with the token."""
        separator = "&" if "?" in path else "?"
        return f"http://127.0.0.1:{self.port}/{path.lstrip('/')}{separator}token={self.token}"

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def api(self, method: str, path: str) -> Any:
        """Calls the server's REST API; the decoded JSON answer (None when empty)."""
        request = urllib.request.Request(self.url(path), method=method)
        with LOCAL.open(request, timeout=30) as response:
            body = response.read()
        return json.loads(body) if body else None

    def shut_down_kernels(self) -> None:
        """Closes every session, as File > Shut Down All Kernels would, so kernels don't pile up."""
        for session in self.api("GET", "api/sessions"):
            self.api("DELETE", f"api/sessions/{session['id']}")


def isolated_environment(home: Path, bin_dir: Path = BIN) -> dict[str, str]:
    """This process's environment with ``bin_dir`` first on PATH and every per-user folder in ``home``.

    Per-user folders: Jupyter's config, data and runtime, IPython's, Matplotlib's, and XDG's.
    """
    env = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith(("JUPYTER", "XDG_", "IPYTHON", "MPLCONFIG")) and name != "PYTHONSTARTUP"
    }
    env.update(
        HOME=str(home),
        JUPYTER_CONFIG_DIR=str(home / ".jupyter"),
        JUPYTER_DATA_DIR=str(home / ".local" / "share" / "jupyter"),
        JUPYTER_RUNTIME_DIR=str(home / "runtime"),
        IPYTHONDIR=str(home / ".ipython"),
        MPLCONFIGDIR=str(home / ".config" / "matplotlib"),
        PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}",
    )
    return env


def copy_course(destination: Path) -> Path:
    """A scratch copy of the repository as the course ships it: what the notebooks open, link to and import.

    Lessons and exercises are their shipped versions (tests/shipped.py), so a learner's own
    answers and outputs in this checkout never reach the tests.
    """
    shutil.copytree(ROOT, destination, ignore=NOT_COPIED)
    write_shipped_notebooks(destination)
    return destination


def wait_until_serving(server: LabServer, timeout_s: float = SERVER_START_S) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"jupyter lab exited with {server.process.returncode}:\n{server.log_tail()}")
        try:
            with LOCAL.open(server.url("api/status"), timeout=2) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"jupyter lab did not answer within {timeout_s:.0f} s:\n{server.log_tail()}")


def stop_process_tree(process: subprocess.Popen[bytes], timeout_s: float = SERVER_STOP_S) -> list[str]:
    """Stops a server started with ``start_new_session=True`` and everything it started.

    SIGTERM first (Jupyter then shuts its kernels down), SIGKILL for whatever is left. Kernels
    run in sessions of their own, so they are found as the server's descendants, by process
    id, before it stops. Returns a description of each process that outlived the server's
    own shutdown and had to be killed.
    """
    try:
        descendants = psutil.Process(process.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        descendants = []
    with suppress(ProcessLookupError, psutil.NoSuchProcess):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError, psutil.NoSuchProcess):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout_s)
    _, alive = psutil.wait_procs(descendants, timeout=5)
    survivors = []
    for child in alive:
        with suppress(ProcessLookupError, psutil.NoSuchProcess):
            survivors.append(f"pid {child.pid}: {' '.join(child.cmdline())[:120]}")
            child.kill()
    psutil.wait_procs(alive, timeout=5)
    return survivors


@contextmanager
def lab_server(
    scratch: Path, serve: Path | None = None, bin_dir: Path = BIN, env: Mapping[str, str] | None = None
) -> Iterator[LabServer]:
    """JupyterLab serving a copy of the course from ``scratch / "course"``; stopped on exit.

    ``serve`` serves that folder instead of a copy; ``bin_dir`` is the environment whose
    ``jupyter-lab`` runs (this one by default); ``env`` sets variables of the server's
    environment over the isolated one (e.g. a ``JUPYTER_CONFIG_DIR`` of its own). Raises
    RuntimeError on exit if a process the server started had to be killed.
    """
    root = serve or copy_course(scratch / "course")
    # Kernels import the copy's helpers (so "Your progress" grades the copy's exercises), not this checkout's.
    own = {} if serve else {"PYTHONPATH": str(root)}
    home = scratch / "home"
    home.mkdir(parents=True, exist_ok=True)
    port, token = free_port(), secrets.token_hex(24)
    log = scratch / "jupyter-lab.log"
    command = [
        str(bin_dir / "jupyter-lab"),
        "--no-browser",
        "--allow-root",
        f"--port={port}",
        "--ServerApp.port_retries=0",
        "--ServerApp.ip=127.0.0.1",
        f"--IdentityProvider.token={token}",
        f"--ServerApp.root_dir={root}",
        # Nothing leaves 127.0.0.1: no news feed, no update check, no PyPI extension listing.
        "--LabApp.news_url=None",
        "--LabApp.check_for_updates_class=jupyterlab.handlers.announcements.NeverCheckForUpdate",
        "--LabApp.extension_manager=readonly",
    ]
    with log.open("wb") as log_file:
        process = subprocess.Popen(
            command, cwd=root, env={**isolated_environment(home, bin_dir), **own, **(env or {})},
            stdin=subprocess.DEVNULL, stdout=log_file, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = LabServer(root, port, token, process, log)
    survivors: list[str] = []
    try:
        wait_until_serving(server)
        yield server
    finally:
        survivors = stop_process_tree(process)
    if survivors:
        raise RuntimeError("processes outlived the JupyterLab server and were killed:\n" + "\n".join(survivors))


# --- what a lesson builds --------------------------------------------------------------------

WIDGET_FUNCTIONS = re.compile(r"quiz|explore_\w+")


def widget_cells(path: Path) -> dict[int, str]:
    """Index of each code cell that ends by building a widget -> the function it calls.

    In the house style a widget cell ends in one call, ``quiz(...)`` or ``explore_...()``,
    whose value the cell displays.
    """
    notebook = nbformat.read(path, as_version=4)
    found = {}
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code" or not cell.source.strip():
            continue
        body = ast.parse(cell.source).body
        last = body[-1] if body else None
        call = last.value if isinstance(last, ast.Expr) else None
        if isinstance(call, ast.Call) and isinstance(call.func, ast.Name) and WIDGET_FUNCTIONS.fullmatch(call.func.id):
            found[index] = call.func.id
    return found


def explorer_cells(path: Path) -> list[int]:
    """Indices of the cells that build an explorer (``explore_...()``)."""
    return [index for index, name in widget_cells(path).items() if name.startswith("explore_")]


def mermaid_block_count(path: Path) -> int:
    notebook = nbformat.read(path, as_version=4)
    return sum(cell.source.count("```mermaid") for cell in notebook.cells if cell.cell_type == "markdown")


# --- a notebook in the browser ---------------------------------------------------------------


def save_screenshot(page: Page, path: Path) -> Path:
    """A screenshot of the page as a small PNG: 256 colours are plenty for JupyterLab and plots."""
    path.parent.mkdir(parents=True, exist_ok=True)
    image = PIL.Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    image.quantize(colors=256, method=PIL.Image.Quantize.MEDIANCUT).save(path, optimize=True)
    return path


@dataclass(frozen=True)
class Validation:
    """What nbgrader's Validate dialog said: its outcome and the cells it names."""

    outcome: str  # "success", "failed", "changed", "type-changed", "passed" (inverted) or "" (an error)
    text: str  # everything the dialog says: the cells it lists and their tracebacks


class NotebookPage:
    """One notebook open in JupyterLab in a Playwright page, used as a learner uses it."""

    def __init__(self, page: Page, server: LabServer, path: str) -> None:
        self.page = page
        self.server = server
        self.path = path
        self.panel = page.locator(NOTEBOOK)

    def open(self, timeout_ms: float = 60_000, wait_for_kernel: bool = True) -> NotebookPage:
        """Opens the notebook (``?reset``: no tabs restored) and waits until its kernel is connected.

        ``wait_for_kernel=False`` waits only for the notebook's cells and toolbar (Validate
        runs the notebook in a kernel of its own).
        """
        self.page.goto(self.server.url(f"lab/tree/{self.path}?reset"))
        self.panel.locator(".jp-Notebook .jp-Cell").first.wait_for(timeout=timeout_ms)
        if wait_for_kernel:
            self.page.locator(".jp-StatusBar-TextItem", has_text=KERNEL_CONNECTED).wait_for(timeout=timeout_ms)
            self.wait_for_idle_kernel(timeout_ms)
        return self

    def wait_for_idle_kernel(self, timeout_ms: float = 60_000) -> None:
        self.panel.locator(KERNEL_IDLE).wait_for(timeout=timeout_ms)

    def cell(self, index: int) -> Locator:
        """The notebook's cell ``index`` (markdown and code cells alike, as in the .ipynb)."""
        return self.panel.locator(".jp-Notebook .jp-Cell").nth(index)

    def scroll_to(self, index: int, block: str = "start") -> None:
        """Scrolls cell ``index`` to the top (or the bottom: ``"end"``) of the notebook area."""
        for _ in range(3):  # images above it may still be decoding and move it
            self.cell(index).evaluate("(cell, block) => cell.scrollIntoView({block})", block)
            self.page.wait_for_timeout(300)

    def run_all(self, timeout_ms: float = 120_000) -> float:
        """Run > Run All Cells, as a learner does; waits until every code cell has run.

        Returns the seconds from the click to the last cell finishing.
        """
        self.page.locator(".lm-MenuBar-itemLabel", has_text=re.compile(r"^Run$")).click()
        started = time.perf_counter()
        self.page.locator(".lm-Menu-itemLabel", has_text=re.compile(r"^Run All Cells$")).click()
        # Every code cell's prompt shows a number ("[3]:"), none "[*]:" or "[ ]:".
        self.page.wait_for_function(
            """(selector) => {
                const prompts = [...document.querySelectorAll(selector + ' .jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(p => /^\\[\\d+\\]:$/.test(p.textContent.trim()));
            }""",
            arg=NOTEBOOK,
            timeout=timeout_ms,
            polling=100,
        )
        seconds = time.perf_counter() - started
        self.wait_for_idle_kernel(timeout_ms)
        return seconds

    def error_texts(self) -> list[str]:
        """Text of every error and stderr output (warnings included) in the notebook."""
        outputs = self.panel.locator(f"{ERROR_OUTPUT}, {STDERR_OUTPUT}")
        # textContent, not innerText: cells scrolled out of view are not laid out (content-visibility).
        return [text.strip()[:800] for text in outputs.all_text_contents()]

    def validate(self, timeout_ms: float = 120_000) -> Validation:
        """Presses nbgrader's Validate button and reads (then closes) the dialog it opens."""
        self.panel.locator(".validate-button").click()
        message = self.page.locator(".jp-Dialog #validation-message")
        message.wait_for(timeout=timeout_ms)
        classes = (message.get_attribute("class") or "").split()
        outcome = next((name.removeprefix("validation-") for name in classes if name.startswith("validation-")), "")
        # What the learner reads includes the course's note (lab/custom/custom.css adds it as
        # ::before / ::after text, which inner_text leaves out).
        before, after = message.evaluate(
            """(node) => ['::before', '::after'].map((part) => {
                const content = getComputedStyle(node, part).content;
                return content && content !== 'none' ? JSON.parse(content) : '';
            })"""
        )
        text = "\n".join(part for part in (before, message.inner_text(), after) if part)
        self.page.locator(".jp-Dialog .jp-Dialog-button.jp-mod-accept").click()
        message.wait_for(state="detached")
        return Validation(outcome, text)

    def explorer_slider(self, cell_index: int) -> Locator:
        """The explorer's main slider handle: its first slider."""
        return self.cell(cell_index).locator(SLIDER_HANDLE).first

    def explorer_image(self, cell_index: int) -> Locator:
        return self.cell(cell_index).locator(EXPLORER_IMAGE).first

    def move_slider(self, cell_index: int, key: str, timeout_ms: float = 30_000) -> float:
        """Presses ``key`` on the explorer's main slider; milliseconds until the new figure is shown.

        Timed inside the page: from the key's keydown event to the image's new ``src``
        being decoded, ready to paint. Raises AssertionError when the figure does not change.
        """
        handle, image = self.explorer_slider(cell_index), self.explorer_image(cell_index)
        handle.evaluate(
            """(handle, image) => {
                window.__keyDown = null;
                handle.addEventListener('keydown', () => { window.__keyDown = performance.now(); },
                                        {once: true, capture: true});
                window.__newFigure = new Promise((resolve) => {
                    const observer = new MutationObserver(async () => {
                        observer.disconnect();
                        try { await image.decode(); } catch (error) { /* shown all the same */ }
                        resolve(performance.now());
                    });
                    observer.observe(image, {attributes: true, attributeFilter: ['src']});
                });
            }""",
            image.element_handle(),
        )
        handle.focus()
        handle.press(key)
        elapsed = self.page.evaluate(
            """async (timeout) => {
                const late = new Promise((resolve) => setTimeout(() => resolve(null), timeout));
                const shown = await Promise.race([window.__newFigure, late]);
                return shown === null || window.__keyDown === null ? null : shown - window.__keyDown;
            }""",
            timeout_ms,
        )
        if elapsed is None:
            raise AssertionError(f"pressing {key} on the slider of cell {cell_index} did not change the figure")
        return float(elapsed)

    def slider_sweep(self, cell_index: int, moves: int) -> list[float]:
        """Milliseconds of ``moves`` key presses on the explorer's main slider, as a drag would go.

        Up (ArrowRight) for the first half and back down, turning at either end, so every
        press changes the value and draws a new figure.
        """
        handle = self.explorer_slider(cell_index)
        times_ms = []
        for move in range(moves):
            now, low, high = (float(handle.get_attribute(f"aria-value{end}") or "nan") for end in ("now", "min", "max"))
            up = (move < (moves + 1) // 2 and now < high) or now <= low
            times_ms.append(self.move_slider(cell_index, "ArrowRight" if up else "ArrowLeft"))
            self.wait_for_idle_kernel()
        return times_ms
