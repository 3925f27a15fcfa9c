"""nbgrader configuration for this course (run nbgrader from this folder)."""

from pathlib import Path

c = get_config()  # type: ignore[name-defined]  # noqa: F821  (injected by traitlets)

c.CourseDirectory.root = str(Path(__file__).resolve().parent)
c.CourseDirectory.course_id = "system-design-hands-on"
# Instructor notebooks (solutions and hidden tests) live in solutions/, the student
# versions nbgrader generates from them in exercises/.
c.CourseDirectory.source_directory = "solutions"
c.CourseDirectory.release_directory = "exercises"
# A student's cell that runs longer than this is interrupted and its part scores 0;
# every graded cell of the reference solutions finishes in well under a second.
c.Execute.timeout = 20
# A test cell a student deleted is put back and graded (nbgrader's default leaves it out, so
# the part would wait for a manual grade); one a student edited is replaced by the original.
c.OverwriteCells.add_missing_cells = True
c.ClearSolutions.code_stub = {"python": "# YOUR CODE HERE\nraise NotImplementedError()"}
c.ClearSolutions.text_stub = "YOUR ANSWER HERE"
