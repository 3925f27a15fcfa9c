"""The command line: ``python -m helpers.grading`` grades your exercises (``make grade``), or a class (``--class``)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from helpers.grading.classroom import autograde_class, format_class
from helpers.grading.learner import (
    WITHOUT_SOLUTIONS,
    answered_exercises,
    format_results,
    grade_in_worker,
    grade_notebooks,
    has_solutions,
)
from helpers.grading.results import COURSE_ROOT, FEEDBACK_FOLDER


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m helpers.grading",
        description="Grade your exercise notebooks with every test, hidden ones included (make grade); "
        "or, for instructors, autograde a class's submissions (--class).",
        epilog="Example: python -m helpers.grading --class 08-consistent-hashing --Execute.timeout=60",
    )
    parser.add_argument("notebooks", nargs="*", type=Path, help="exercise notebooks (default: all of exercises/)")
    parser.add_argument("--class", dest="assignment", metavar="ASSIGNMENT",
                        help="autograde every collected submission of ASSIGNMENT, in the current course folder; "
                        "options after it go to nbgrader autograde")  # fmt: skip
    parser.add_argument("--feedback-dir", type=Path, help=f"where HTML feedback goes (default: {FEEDBACK_FOLDER}/)")
    parser.add_argument("--answered", action="store_true",
                        help="list the exercises that hold your answers and exit 1 if there are any "
                        "(make exercises checks this before it overwrites exercises/)")  # fmt: skip
    parser.add_argument("--root", type=Path, default=COURSE_ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--json", type=Path, metavar="FILE", help=argparse.SUPPRESS)  # the worker's output
    return parser


def _main_class(argv: list[str]) -> int:
    """``--class ASSIGNMENT [nbgrader options]``: everything but --class and its value goes to nbgrader."""
    for index, token in enumerate(argv):
        if token.startswith("--class="):
            assignment, options = token.split("=", 1)[1], argv[:index] + argv[index + 1 :]
            break
        if token == "--class" and index + 1 < len(argv):
            assignment, options = argv[index + 1], argv[:index] + argv[index + 2 :]
            break
    else:
        _parser().error("--class needs an assignment, e.g. --class 08-consistent-hashing")
    try:
        result = autograde_class(assignment, Path.cwd(), options)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print()
    print(format_class(result))
    unexpected = [problem for problem in result.problems if "was not graded" in problem.reason]
    return 1 if unexpected else 0


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m helpers.grading``: grade your exercises, or (``--class``) a class. Returns the exit code."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if any(token == "--class" or token.startswith("--class=") for token in arguments):
        return _main_class(arguments)
    args = _parser().parse_args(arguments)
    if args.json is not None:  # the worker: autograde started notebooks in this process
        feedback_dir = (args.feedback_dir or args.root / FEEDBACK_FOLDER).resolve()
        results = grade_in_worker([path.resolve() for path in args.notebooks], args.root.resolve(), feedback_dir)
        args.json.write_text(json.dumps([asdict(result) for result in results], indent=1))
        return 0
    if args.answered:
        answered = answered_exercises(args.root)
        for path in answered:
            print(f"{path.relative_to(args.root)} holds your answers")
        if answered:
            print("`make exercises` would replace them with the released stubs: save a copy elsewhere first, "
                  "or run `make exercises FORCE=1` to overwrite them.")  # fmt: skip
        return 1 if answered else 0
    if not has_solutions(args.root):  # the learner release: see WITHOUT_SOLUTIONS
        print(WITHOUT_SOLUTIONS)
        return 0
    try:
        results = grade_notebooks(args.notebooks or None, root=args.root, feedback_dir=args.feedback_dir)
    except (ValueError, RuntimeError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    if not results:
        print(f"No exercise notebooks found in {args.root / 'exercises'}.")
        return 0
    print(format_results(results, root=args.root))
    return 1 if any(result.error for result in results) else 0


