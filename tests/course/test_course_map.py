"""The course map in README.md and in 00-start-here lists every topic, and every link works."""

from __future__ import annotations

import re
from pathlib import Path

import nbformat
import pytest

from paths import EXERCISES, LESSONS, ROOT

START_HERE = ROOT / "notebooks" / "00-start-here.ipynb"
TOPIC_COUNT = 14
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")


def _start_here_markdown() -> str:
    notebook = nbformat.read(START_HERE, as_version=4)
    return "\n".join(cell.source for cell in notebook.cells if cell.cell_type == "markdown")


def _map_rows(markdown: str) -> dict[str, str]:
    """Topic number -> topic title, from the course-map table."""
    rows = re.findall(r"^\| (\d\d) \| ([^|]+?) \|", markdown, flags=re.MULTILINE)
    return {number: title for number, title in rows if number != "00"}


def _local_links(markdown: str, base: Path) -> list[Path]:
    targets = [target for target in LINK.findall(markdown) if "://" not in target and not target.startswith("#")]
    return [(base / target.split("#")[0]).resolve() for target in targets]


def _map(name: str) -> tuple[str, Path]:
    """Markdown of one course map and the folder its links are relative to."""
    if name == "README":
        return (ROOT / "README.md").read_text(), ROOT
    return _start_here_markdown(), START_HERE.parent


@pytest.mark.parametrize("name", ["README", "00-start-here"])
def test_every_local_link_resolves(name: str) -> None:
    broken = [str(path) for path in _local_links(*_map(name)) if not path.exists()]
    assert not broken, f"broken links in {name}: {broken}"


def test_both_maps_list_the_same_fourteen_topics_in_order() -> None:
    readme, start_here = _map_rows(_map("README")[0]), _map_rows(_map("00-start-here")[0])
    assert list(readme) == [f"{i:02d}" for i in range(1, TOPIC_COUNT + 1)]
    assert readme == start_here


@pytest.mark.parametrize("name", ["README", "00-start-here"])
def test_every_lesson_and_exercise_is_on_the_map(name: str) -> None:
    linked = set(_local_links(*_map(name)))
    for path in LESSONS + EXERCISES:
        if path != START_HERE or name == "README":
            assert path.resolve() in linked, f"{path.relative_to(ROOT)} is not linked from {name}"


def test_topics_marked_coming_have_no_lesson_yet() -> None:
    for line in _start_here_markdown().splitlines():
        match = re.match(r"^\| (\d\d) \|[^|]+\| coming \|", line)
        if match:
            assert not list((ROOT / "notebooks").glob(f"{match.group(1)}-*.ipynb")), f"topic {match.group(1)}"
