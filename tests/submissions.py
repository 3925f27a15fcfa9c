"""Simulated students' work on exercise 08 (hash ring), built from the released notebook.

Each submission starts from the student version of ``08-consistent-hashing/hash-ring.ipynb`` as
nbgrader generates it from ``solutions/`` (a student fetches exactly that) and changes only
what that student would change (nbformat round trips, cell ids kept). Correct answers come
from the instructor notebook with its solution markers removed; every wrong answer is a
small, named edit of a correct one, so a test fails loudly if the reference solution changes
under it.

``EXPECTED`` is each student's score per part, as nbgrader must grade it; ``MANUAL`` the
score an instructor gives the hand-graded Part D (``jump_or_ring``) where there is an answer.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path

import nbformat

from paths import ROOT
from shipped import release

ASSIGNMENT = "08-consistent-hashing"
NOTEBOOK = "hash-ring.ipynb"
SOLUTION = ROOT / "solutions" / ASSIGNMENT / NOTEBOOK

TESTS = {
    "test_ring_lookup": 2.0,
    "test_ring_changes": 2.0,
    "test_moved_fraction": 1.0,
    "test_measure_growth": 2.0,
    "test_bounded_capacity": 2.0,
    "test_bounded_walk": 3.0,
}
HAND_GRADED = {"jump_or_ring": 2.0}
PARTS = {**TESTS, **HAND_GRADED}
ANSWER_CELLS = ("ring", "moved", "bounded", "jump_or_ring")

GOOD_ESSAY = (
    "Jump hash suits numbered shards that only grow at the end, such as database partitions: it keeps no ring, "
    "looks up in O(ln n) and moves only the keys that must move. A cache pool where any server may die wants a "
    "ring: jump hash can only drop the last bucket, so losing server 3 would renumber the others and move most keys."
)
WEAK_ESSAY = "Jump hash is faster and uses less memory, so I would always use it."


def _grade_id(cell: nbformat.NotebookNode) -> str | None:
    grade_id = cell.metadata.get("nbgrader", {}).get("grade_id")
    return str(grade_id) if grade_id is not None else None


def cell(notebook: nbformat.NotebookNode, grade_id: str) -> nbformat.NotebookNode:
    """The cell with this nbgrader grade id."""
    matches = [c for c in notebook.cells if _grade_id(c) == grade_id]
    assert len(matches) == 1, f"{grade_id!r}: {len(matches)} cells"
    return matches[0]


def reference_answers(assignment: str, name: str) -> dict[str, str]:
    """Every answer cell's reference answer in an exercise, by grade id, without nbgrader's solution markers."""
    solution = nbformat.read(ROOT / "solutions" / assignment / name, as_version=4)
    markers = ("### BEGIN SOLUTION", "### END SOLUTION")
    return {
        str(_grade_id(c)): "\n".join(line for line in c.source.splitlines() if line.strip() not in markers)
        for c in solution.cells
        if c.metadata.get("nbgrader", {}).get("solution")
    }


def answered_in_release(assignment: str, name: str, edits: dict[str, tuple[str, str]] | None = None
                        ) -> nbformat.NotebookNode:  # fmt: skip
    """An exercise's student version with every answer cell holding the reference answer.

    ``edits`` maps a grade id to (old, new): a small change of that reference answer, to make
    a plausible mistake.
    """
    notebook = nbformat.read(release(assignment) / name, as_version=4)
    for grade_id, answer in reference_answers(assignment, name).items():
        if grade_id in (edits or {}):
            answer = _edit(answer, *edits[grade_id])
        cell(notebook, grade_id).source = answer
    return notebook


def solution_answers() -> dict[str, str]:
    """The reference answer of every answer cell of exercise 08."""
    answers = reference_answers(ASSIGNMENT, NOTEBOOK)
    assert set(answers) == set(ANSWER_CELLS), f"exercise 08's answer cells changed: {sorted(answers)}"
    return answers


def _edit(source: str, old: str, new: str) -> str:
    assert old in source, f"the reference answer changed: {old!r} not found"
    return source.replace(old, new)


def released_path() -> Path:
    """The student version as `make exercises` writes it now (generated once per test run)."""
    return release(ASSIGNMENT) / NOTEBOOK


def released() -> nbformat.NotebookNode:
    """The exercise as a student fetches it."""
    return nbformat.read(released_path(), as_version=4)


def answered(answers: dict[str, str] | None = None, essay: str | None = GOOD_ESSAY) -> nbformat.NotebookNode:
    """The released notebook with the reference answers, some replaced by ``answers``; Part D gets ``essay``."""
    notebook = released()
    chosen = {**solution_answers(), **(answers or {})}
    for grade_id in ("ring", "moved", "bounded"):
        cell(notebook, grade_id).source = chosen[grade_id]
    if essay is not None:
        cell(notebook, "jump_or_ring").source = essay
    return notebook


# --- the students -------------------------------------------------------------------------


def correct() -> nbformat.NotebookNode:
    """Every answer right; a good Part D."""
    return answered()


def partly_wrong() -> nbformat.NotebookNode:
    """moved_fraction accepts mismatched keys (only a hidden test notices); place_bounded keeps a
    repeated key's first node instead of its last (a visible test notices); a weak Part D."""
    answers = solution_answers()
    moved = _edit(
        answers["moved"],
        '    if set(before) != set(after):\n        raise ValueError("both placements must hold the same keys")\n'
        '    if not before:\n        raise ValueError("placements are empty")\n'
        "    return sum(before[key] != after[key] for key in before) / len(before)",
        "    return sum(before.get(key) != after.get(key) for key in before) / len(before)",
    )
    bounded = _edit(answers["bounded"], "        placement[key] = node", "        placement.setdefault(key, node)")
    return answered({"moved": moved, "bounded": bounded}, essay=WEAK_ESSAY)


def untouched() -> nbformat.NotebookNode:
    """Submitted exactly as fetched."""
    return released()


def loops_forever() -> nbformat.NotebookNode:
    """measure_growth's counting loop never advances; the student took the call out of the demo
    cell when it hung, and left Part D unanswered."""
    answers = solution_answers()
    loop = (
        "    ring = Ring([f\"node-{i}\" for i in range(n)], virtual_nodes)\n"
        "    before = {key: ring.node_for(key) for key in keys}\n"
        "    ring.add_node(f\"node-{n}\")\n"
        "    moved = i = 0\n"
        "    while i < len(keys):  # i is never increased\n"
        "        if ring.node_for(keys[i]) != before[keys[i]]:\n"
        "            moved += 1\n"
        "    return moved / len(keys), 0.0"
    )
    start = answers["moved"].index("    ring = Ring([f\"node-{i}\" for i in range(n)], virtual_nodes)")
    notebook = answered({"moved": answers["moved"][:start] + loop}, essay=None)
    demo = next(c for c in notebook.cells if c.cell_type == "code" and c.source.startswith("print(moved_fraction("))
    demo.source = demo.source.splitlines()[0]
    return notebook


def raises_at_import() -> nbformat.NotebookNode:
    """The Ring cell starts by importing a module the student never submitted."""
    ring = "from my_ring_helpers import SortedRing  # my own file, on my laptop\n\n" + solution_answers()["ring"]
    return answered({"ring": ring}, essay=None)


def tampered() -> nbformat.NotebookNode:
    """place_bounded never walks past a full node; the student edited the failing test to ``assert True``."""
    bounded = _edit(
        solution_answers()["bounded"],
        "        while load[ring.owners[index]] >= capacity:\n            index = (index + 1) % len(ring.positions)\n",
        "",
    )
    notebook = answered({"bounded": bounded}, essay=None)
    cell(notebook, "test_bounded_walk").source = "assert True"
    return notebook


def deleted_test() -> nbformat.NotebookNode:
    """measure_growth returns its pair the wrong way round; the student deleted the failing test cell."""
    measure = _edit(
        solution_answers()["moved"],
        "    return moved_fraction(ring_before, ring_after), moved_fraction(mod_before, mod_after)",
        "    return moved_fraction(mod_before, mod_after), moved_fraction(ring_before, ring_after)",
    )
    notebook = answered({"moved": measure})
    notebook.cells.remove(cell(notebook, "test_measure_growth"))
    return notebook


STUDENTS: dict[str, Callable[[], nbformat.NotebookNode]] = {
    "correct": correct,
    "partly-wrong": partly_wrong,
    "untouched": untouched,
    "loops-forever": loops_forever,
    "raises-at-import": raises_at_import,
    "tampered": tampered,
    "deleted-test": deleted_test,
}
"""Students whose notebooks nbgrader grades; BROKEN ones submit no gradable notebook."""

BROKEN = {
    "broken-json": "its notebook is cut off half way, so it is not valid JSON",
    "no-notebook": "submits a notes file instead of the notebook",
}


def _all(value: float, **changes: float) -> dict[str, float]:
    scores = {part: (points if value else 0.0) for part, points in PARTS.items()}
    return {**scores, **changes}


EXPECTED: dict[str, dict[str, float]] = {
    "correct": _all(1),
    "partly-wrong": _all(1, test_moved_fraction=0.0, test_bounded_walk=0.0, jump_or_ring=1.0),
    "untouched": _all(0),
    "loops-forever": _all(1, test_measure_growth=0.0, jump_or_ring=0.0),
    "raises-at-import": _all(0, test_moved_fraction=1.0),
    "tampered": _all(1, test_bounded_capacity=0.0, test_bounded_walk=0.0, jump_or_ring=0.0),
    "deleted-test": _all(1, test_measure_growth=0.0),
    "broken-json": _all(0),
    "no-notebook": _all(0),
}
"""Every student's score per part after autograding and the instructor's hand grading of Part D."""

MANUAL = {"correct": 2.0, "partly-wrong": 1.0, "deleted-test": 2.0}
"""The Part D scores the instructor gives (the students who wrote an answer)."""


MOVED_FRACTION_MESSAGE = (
    "AssertionError: moved_fraction({'k1': 'a'}, {'k2': 'a'}) must raise ValueError: the two placements must hold "
    "the same keys, and not none (it raised nothing)"
)
"""What exercise 08's hidden test says to the partly wrong student's moved_fraction (no key check)."""

WALK_MESSAGE = (
    "AssertionError: with epsilon=0.25 and 50 users sending 12 requests each, some keys must end up displaced: a "
    "request walks on when its own node is full, and the dict keeps each key's last placement"
)
"""What exercise 08's visible walk test says when no key ends up displaced."""


def write(notebook: nbformat.NotebookNode, path: Path) -> Path:
    """Writes a copy of ``notebook`` to ``path`` (folders created) and returns the path."""
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(copy.deepcopy(notebook), path)
    return path


def break_json(path: Path) -> None:
    """Cuts a notebook file off half way, as an interrupted upload or a bad merge would."""
    text = path.read_text()
    path.write_text(text[: len(text) // 2])
