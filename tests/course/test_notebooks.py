"""Every lesson and every reference solution runs top to bottom, twice, in one fresh kernel.

nbval (``--nbval-lax``, configured in pyproject.toml) runs each notebook once as a learner's
"Restart Kernel and Run All"; this test runs every cell a second time in the same kernel, as
a learner who presses Run All again, and fails on any error or anything written to stderr
(warnings included).
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from paths import LESSONS, SOLUTIONS, course_id


def _stderr_text(cell: nbformat.NotebookNode) -> str:
    return "".join(
        output.get("text", "")
        for output in cell.get("outputs", [])
        if output.get("output_type") == "stream" and output.get("name") == "stderr"
    )


@pytest.mark.parametrize("path", LESSONS + SOLUTIONS, ids=course_id)
def test_run_all_twice_without_errors_or_warnings(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=60,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    with client.setup_kernel():
        for run in (1, 2):
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)  # raises CellExecutionError on any error
                noise = _stderr_text(cell)
                assert not noise, f"run {run}, cell {index} wrote to stderr:\n{noise}"
