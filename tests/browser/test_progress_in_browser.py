""""Your progress" in 00-start-here, pressed in JupyterLab by a learner who answered in place.

The learner answers exercise 08 where 00-start-here says, in ``exercises/``, runs
00-start-here and presses **Grade my exercises**: the table shows their real grade (every
test part passed, Part D waiting for the instructor) and the other exercises as not started,
and their notebook is not changed. (tests/grading/test_learner_workflow.py does the same with
``make grade`` and a kernel, and with wrong answers.)
"""

from __future__ import annotations

import nbformat
import pytest
from playwright.sync_api import Page

import submissions
from lab_session import LabServer, NotebookPage

pytestmark = pytest.mark.browser

HASH_RING = "exercises/08-consistent-hashing/hash-ring.ipynb"


def test_your_progress_grades_an_exercise_answered_in_place(page: Page, lab: LabServer) -> None:
    exercise = lab.root / HASH_RING
    released = exercise.read_bytes()
    try:
        nbformat.write(submissions.correct(), exercise)
        answered = exercise.read_bytes(), exercise.stat().st_mtime_ns
        start_here = NotebookPage(page, lab, "notebooks/00-start-here.ipynb").open()
        start_here.run_all()
        start_here.panel.get_by_role("button", name="Grade my exercises").click()
        report = start_here.panel.locator("pre", has_text="hash-ring.ipynb:")
        report.wait_for(timeout=180_000)
        text = report.inner_text()
        assert "08-consistent-hashing/hash-ring.ipynb: 12 / 14 points" in text, text
        assert text.count("  passed") == 6, text
        assert "graded by your instructor" in text
        assert "04-dns/routing-policies.ipynb: 0 / 12 points, not started" in text
        assert start_here.error_texts() == []
        assert (exercise.read_bytes(), exercise.stat().st_mtime_ns) == answered, "grading changed the notebook"
    finally:
        exercise.write_bytes(released)
        lab.shut_down_kernels()
