"""Your progress: the **Grade my exercises** button at the end of 00-start-here."""

from __future__ import annotations

import os
from html import escape
from pathlib import Path
from typing import Any

from helpers.grading.learner import WITHOUT_SOLUTIONS, format_results, grade_notebooks, has_solutions
from helpers.grading.results import COURSE_ROOT

__all__ = ["show_progress"]


def show_progress(root: Path = COURSE_ROOT) -> Any:
    """A **Grade my exercises** button; pressing it shows ``format_results`` for every exercise.

    Grading runs only when the button is pressed (a few seconds per started exercise), never
    on Run All. Returns an ``ipywidgets.VBox`` of the button and an HTML report, so a
    notebook cell that ends with ``show_progress()`` displays it. While nbgrader runs the
    notebook (``NBGRADER_EXECUTION`` is set) it returns a note instead and grades nothing; in
    a course folder without ``solutions/`` (the learner release) it returns WITHOUT_SOLUTIONS.

    Examples:
        >>> panel = show_progress()
        >>> button, report = panel.children
        >>> button.description, "Press" in report.value
        ('Grade my exercises', True)
    """
    import ipywidgets as widgets

    if os.environ.get("NBGRADER_EXECUTION"):
        return widgets.HTML("<i>Your progress is not graded while nbgrader runs this notebook.</i>")
    if not has_solutions(root):  # the learner release: see WITHOUT_SOLUTIONS
        return widgets.HTML(f"<p>{escape(WITHOUT_SOLUTIONS)}</p>")
    idle = "Grade my exercises"
    button = widgets.Button(description=idle, icon="check", button_style="primary", layout=widgets.Layout(width="auto"))
    report = widgets.HTML(
        "<i>Press the button to grade every exercise in <code>exercises/</code> with all its tests, hidden ones "
        "included (about 10 s for each exercise you have started; nothing in your notebooks changes).</i>"
    )

    def grade(_: Any) -> None:
        button.disabled, button.description = True, "Grading…"
        report.value = "<i>Grading with nbgrader…</i>"
        try:
            table = format_results(grade_notebooks(root=root), root=root)
            report.value = f"<pre>{escape(table)}</pre>"
        except (ValueError, RuntimeError) as error:
            report.value = f"<pre style='color:#b3261e'>Could not grade: {escape(str(error))}</pre>"
        finally:
            button.disabled, button.description = False, idle

    button.on_click(grade)
    return widgets.VBox([button, report])

