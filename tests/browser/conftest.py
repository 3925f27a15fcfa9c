"""One JupyterLab server and one headless Chromium for the whole browser session.

The server serves a scratch copy of the course (see ``lab_session.lab_server``), so Run All
and Validate, which save notebooks, never change the committed ones. It is stopped, with
every kernel it started, when the session ends: after the last test, after a failure, and
after Ctrl+C or SIGTERM.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, sync_playwright

from lab_session import CHROMIUM_MISSING, LabServer, chromium, chromium_executable, lab_server, new_page
from paths import ROOT

SCREENSHOTS = ROOT / "test-output" / "screenshots"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")  # pytest then tears fixtures down


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Without Chromium the browser tests are left out, with one line saying why; on CI they are required."""
    if chromium_executable() is not None or os.environ.get("CI"):
        return
    browser_tests = [item for item in items if item.get_closest_marker("browser")]
    if not browser_tests:
        return
    items[:] = [item for item in items if not item.get_closest_marker("browser")]
    config.hook.pytest_deselected(items=browser_tests)
    config.stash[_LEFT_OUT] = (
        f"{len(browser_tests)} browser tests left out: {CHROMIUM_MISSING}; on CI (CI set) they are required"
    )


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if _LEFT_OUT in config.stash:
        terminalreporter.write_line(config.stash[_LEFT_OUT], yellow=True)


_LEFT_OUT = pytest.StashKey[str]()


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on a free 127.0.0.1 port with a random token, serving a copy of the course."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        with lab_server(tmp_path_factory.mktemp("lab")) as server:
            yield server
    finally:
        signal.signal(signal.SIGTERM, previous)


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if chromium_executable() is None:
        pytest.fail(CHROMIUM_MISSING)
    with chromium(playwright) as launched:
        yield launched


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return SCREENSHOTS


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    page = new_page(browser)
    yield page
    page.context.close()
