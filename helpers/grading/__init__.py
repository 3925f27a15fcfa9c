"""Grading with nbgrader, end to end: your own exercises, and a whole class for instructors.

Learners: ``make grade`` (or **Grade my exercises** under "Your progress" in 00-start-here)
grades your exercise notebooks the way your instructor's nbgrader would, hidden tests
included, and prints a table per exercise and part: points earned and possible, and the
message of every failing test. Your files are never changed: each run builds a throw-away
nbgrader course in a temporary folder holding only the exercises being graded (so the cost
does not grow with the number of lessons), runs nbgrader's ``generate_assignment``,
``autograde`` and ``generate_feedback`` there, reads the scores from its gradebook, and
copies one HTML feedback file per notebook into ``my-feedback/`` (ignored by git).

Instructors: ``python -m helpers.grading --class ASSIGNMENT`` runs ``nbgrader autograde
ASSIGNMENT`` in the course folder, then names every student whose submission could not be
graded (a notebook missing from it, or a file that is not a valid notebook), scores those 0
as nbgrader does for a missing notebook, and prints the class's scores per part.

Modules:
    * results: PartResult, NotebookResult, and reading exercise notebooks (shared)
    * learner: grade_notebooks, format_results and the nbgrader worker behind them
    * progress: show_progress, the button in 00-start-here
    * classroom: autograde_class, format_class (instructors)
    * cli: main, behind ``python -m helpers.grading``
"""

from helpers.grading.classroom import ClassResult, SubmissionProblem, autograde_class, format_class
from helpers.grading.cli import main
from helpers.grading.learner import (
    WITHOUT_SOLUTIONS,
    answered_exercises,
    exercise_notebooks,
    format_results,
    grade_notebooks,
    has_solutions,
)
from helpers.grading.progress import show_progress
from helpers.grading.results import (
    BY_INSTRUCTOR,
    FAILED,
    NOT_ANSWERED,
    NOT_STARTED,
    PASSED,
    NotebookResult,
    PartResult,
    failure_message,
    part_title,
    short_title,
)

__all__ = [
    "BY_INSTRUCTOR",
    "FAILED",
    "NOT_ANSWERED",
    "NOT_STARTED",
    "PASSED",
    "WITHOUT_SOLUTIONS",
    "ClassResult",
    "NotebookResult",
    "PartResult",
    "SubmissionProblem",
    "answered_exercises",
    "autograde_class",
    "exercise_notebooks",
    "failure_message",
    "format_class",
    "format_results",
    "grade_notebooks",
    "has_solutions",
    "main",
    "part_title",
    "short_title",
    "show_progress",
]
