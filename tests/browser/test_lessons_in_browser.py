"""Every lesson in JupyterLab in a real browser, as a learner meets it.

Each lesson in notebooks/ is opened once and run with Run > Run All Cells; the tests then
read the page: no error and no warning in any output, every widget the lesson builds
rendered, each explorer drawing a new figure when its main slider moves, each quiz
answering a click, every Mermaid diagram drawn. A screenshot of each lesson after Run All
is saved as test-output/screenshots/<lesson>.png (`make screenshot` copies lesson 08's
to docs/ for the README).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser

from lab_session import (
    WIDGET_OUTPUT,
    LabServer,
    NotebookPage,
    explorer_cells,
    mermaid_block_count,
    new_page,
    save_screenshot,
    widget_cells,
)
from paths import LESSONS, ROOT, course_id

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class RanLesson:
    path: Path
    notebook: NotebookPage
    run_all_s: float


def _screenshot(lesson: NotebookPage, path: Path, folder: Path) -> None:
    """The lesson's first explorer whole (else its first widget, with the text above), sidebar closed."""
    lesson.page.locator(".jp-SideBar.jp-mod-left .lm-TabBar-tab.lm-mod-current").click()  # closes the file browser
    explorers = explorer_cells(path)
    if explorers:
        lesson.scroll_to(explorers[0], block="end")
    else:
        lesson.scroll_to(max(min(widget_cells(path), default=0) - 1, 0))  # the cell before a widget introduces it
    save_screenshot(lesson.page, folder / f"{path.stem}.png")


@pytest.fixture(scope="module", params=LESSONS, ids=course_id)
def lesson(request: pytest.FixtureRequest, lab: LabServer, browser: Browser, screenshots: Path) -> Iterator[RanLesson]:
    """The lesson, open in JupyterLab after Run All Cells; its kernel is shut down afterwards."""
    path: Path = request.param
    page = new_page(browser)
    try:
        notebook = NotebookPage(page, lab, path.relative_to(ROOT).as_posix()).open()
        run_all_s = notebook.run_all()
        _screenshot(notebook, path, screenshots)
        yield RanLesson(path, notebook, run_all_s)
    finally:
        page.context.close()
        lab.shut_down_kernels()


def test_run_all_shows_no_error_and_no_warning(lesson: RanLesson) -> None:
    assert lesson.notebook.error_texts() == []


def test_every_widget_the_lesson_builds_is_rendered(lesson: RanLesson) -> None:
    notebook = lesson.notebook
    for index, function in widget_cells(lesson.path).items():
        output = notebook.cell(index).locator(WIDGET_OUTPUT)
        assert output.count() == 1, f"cell {index} ({function}(...)) shows {output.count()} rendered widgets, not 1"
        if function == "quiz":
            assert output.locator(".widget-radio-box input[type='radio']").count() >= 2, f"cell {index}: no options"
        else:
            image = output.locator("img.widget-image").first
            width = image.evaluate("(img) => img.complete ? img.naturalWidth : 0")
            assert width > 0, f"cell {index}: the explorer's figure is not drawn"
    assert notebook.panel.get_by_text("Error displaying widget").count() == 0


def test_moving_each_explorers_main_slider_draws_a_new_figure(lesson: RanLesson) -> None:
    explorers = explorer_cells(lesson.path)
    if not explorers:
        pytest.skip(f"{lesson.path.name} has no explorer")
    notebook = lesson.notebook
    for index in explorers:
        readout = notebook.cell(index).locator(".widget-readout").first
        before = readout.inner_text()
        notebook.move_slider(index, "ArrowRight")  # fails unless the figure's image changes
        notebook.wait_for_idle_kernel()
        assert readout.inner_text() != before, f"cell {index}: the slider's readout did not change"
        notebook.move_slider(index, "ArrowLeft")
        notebook.wait_for_idle_kernel()
        assert readout.inner_text() == before


def test_every_quiz_answers_a_click(lesson: RanLesson) -> None:
    notebook = lesson.notebook
    quizzes = [index for index, function in widget_cells(lesson.path).items() if function == "quiz"]
    for index in quizzes:
        cell = notebook.cell(index)
        cell.locator(".widget-radio-box label").first.click()
        feedback = cell.locator(".widget-html-content", has_text=re.compile(r"Correct\.|Not quite\."))
        feedback.wait_for(timeout=10_000)


def test_every_mermaid_diagram_is_drawn(lesson: RanLesson) -> None:
    drawn = lesson.notebook.panel.locator(".jp-RenderedMermaid img[src^='data:image/svg+xml']")
    assert drawn.count() == mermaid_block_count(lesson.path)
