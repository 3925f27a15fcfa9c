"""Tests for helpers.versioning.plots: what each figure draws, checked on its artists."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
import pytest
from matplotlib.colors import to_hex
from matplotlib.figure import Figure

from helpers.versioning.model import Outcome, big_bang_failure_rate, compatibility
from helpers.versioning.plots import (
    BROKEN_COLOR,
    OK_COLOR,
    draw_matrix,
    draw_rollout,
    frame_matrix,
    frame_rollout,
    plot_big_bang,
    plot_plan_replay,
    plot_reader_outcomes,
)


def axes() -> object:
    return Figure().add_subplot()


def test_reader_outcomes_colour_each_cell_by_its_outcome() -> None:
    table = {
        "add": {"strict": Outcome(False, (("extra_forbidden", "gift_wrap"),)), "tolerant": Outcome(True)},
        "rename": {
            "strict": Outcome(False, (("missing", "price_cents"),)),
            "tolerant": Outcome(False, (("missing", "price_cents"),)),
        },
    }
    ax = plot_reader_outcomes(table, ax=axes())  # type: ignore[arg-type]
    colours = [to_hex(a.get_facecolor()) for a in ax.patches]
    assert colours == [BROKEN_COLOR, OK_COLOR, BROKEN_COLOR, BROKEN_COLOR]
    assert [t.get_text() for t in ax.get_yticklabels()] == ["add", "rename"]
    assert [t.get_text() for t in ax.texts][2] == "missing\nprice_cents"


def test_reader_outcomes_refuse_ragged_tables() -> None:
    with pytest.raises(ValueError, match="at least one change"):
        plot_reader_outcomes({}, ax=axes())  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="same readers"):
        plot_reader_outcomes({"a": {"x": Outcome(True)}, "b": {"y": Outcome(True)}}, ax=axes())  # type: ignore[arg-type]


def test_big_bang_draws_the_formula_and_the_measured_points() -> None:
    half, zero = Fraction(1, 2), Fraction(0)
    measured = {(p, c): big_bang_failure_rate(p, c) for p in (zero, half, Fraction(1)) for c in (zero, half)}
    ax = plot_big_bang(measured, ax=axes())  # type: ignore[arg-type]
    formula, points = ax.lines[0], ax.lines[1]
    x, y = formula.get_data()
    assert np.allclose(y, [big_bang_failure_rate(float(p), 0.0) for p in x])
    assert list(points.get_ydata()) == [0.0, 0.5, 1.0]
    assert len(ax.lines) == 4
    with pytest.raises(ValueError, match="at least one"):
        plot_big_bang({}, ax=axes())  # type: ignore[arg-type]


def test_plan_replay_draws_one_step_line_per_plan() -> None:
    ax = plot_plan_replay({"a": [Fraction(0), Fraction(1)], "b": [Fraction(1, 2)]}, ax=axes())  # type: ignore[arg-type]
    assert [line.get_label() for line in ax.lines] == ["a", "b"]
    with pytest.raises(ValueError, match="non-empty"):
        plot_plan_replay({"a": []}, ax=axes())  # type: ignore[arg-type]


def test_matrix_cells_show_share_and_reason() -> None:
    ax = frame_matrix(axes())  # type: ignore[arg-type]
    draw_matrix(compatibility("rename field", "big bang", "tolerant"), ((0.5, 0.5), (0.0, 0.0)), ax, title="rename")
    assert [t.get_text() for t in ax.texts] == [
        "50% \u00b7 reads it",
        "50% \u00b7 missing price_cents",
        "0% \u00b7 missing price",
        "0% \u00b7 reads it",
    ]
    assert [to_hex(a.get_facecolor()) for a in ax.patches] == [OK_COLOR, BROKEN_COLOR, BROKEN_COLOR, OK_COLOR]
    assert ax.get_title() == "rename"
    with pytest.raises(ValueError, match="2x2"):
        draw_matrix([[Outcome(True)]], ((1.0,),), ax)


def test_rollout_marks_the_current_point() -> None:
    ax = frame_rollout(axes())  # type: ignore[arg-type]
    grid = [0.0, 0.5, 1.0]
    draw_rollout({"big bang": [0.0, 0.5, 1.0], "expand-migrate-contract": [0.0, 0.0, 0.0]}, 0.25, "big bang", ax, grid)
    dot = next(line for line in ax.lines if line.get_gid() == "now")
    assert (list(dot.get_xdata()), list(dot.get_ydata())) == ([0.25], [0.25])
    widths = {line.get_gid(): line.get_linewidth() for line in ax.lines}
    assert widths["big bang"] > widths["expand-migrate-contract"]
    with pytest.raises(ValueError, match="current must be one of"):
        draw_rollout({"big bang": [0.0, 1.0]}, 0.5, "canary", ax)
