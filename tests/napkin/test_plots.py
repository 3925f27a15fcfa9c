"""Figures of lesson 14: the latency ladder and the downtime bars draw exactly the model's numbers."""

from __future__ import annotations

import numpy as np

from helpers.napkin.model import OPERATIONS, PERIODS_S, TABLES, downtime_s, scott_model
from helpers.napkin.plots import LADDER_LIMITS, plot_downtime, plot_ladder

from figure_checks import assert_draws_on_a_new_figure, assert_leaves_pyplot_alone, new_axes


def test_the_ladder_puts_each_number_on_its_operations_row() -> None:
    dean = {operation: row.seconds for operation, row in TABLES["Dean 2009"].items()}
    model = scott_model(2020)
    ax = plot_ladder({"Dean 2009": dean, "model 2020": model}, ax=new_axes())
    table_line, model_line = ax.lines
    assert np.allclose(table_line.get_xdata(), list(dean.values()))
    rows = np.round(np.asarray(table_line.get_ydata()))
    assert [OPERATIONS[int(row)] for row in rows] == list(dean)
    assert np.allclose(model_line.get_xdata(), np.clip(list(model.values()), LADDER_LIMITS[0] * 1.05, None))
    assert [text.get_text() for text in ax.get_legend().get_texts()] == ["Dean 2009", "model 2020"]


def test_the_downtime_bars_are_labelled_with_the_exact_durations() -> None:
    ax = plot_downtime({period: downtime_s("99.9%", period) for period in PERIODS_S}, ax=new_axes())
    assert [text.get_text() for text in ax.texts] == ["1 m 26.4 s", "10 m 4.8 s", "43 m 49.7 s", "8 h 45 m 57 s"]
    (collection,) = ax.collections
    tops = [float(path.vertices[:, 0].max()) for path in collection.get_paths()]
    assert np.allclose(tops, [float(downtime_s("99.9%", period)) for period in PERIODS_S])


def test_plots_leave_pyplot_alone_and_draw_on_new_figures() -> None:
    model = scott_model(2026)
    seconds = {period: downtime_s("99%", period) for period in PERIODS_S}
    assert_leaves_pyplot_alone(lambda ax: plot_ladder({"m": model}, ax=ax), lambda ax: plot_downtime(seconds, ax=ax))
    assert_draws_on_a_new_figure(lambda: plot_ladder({"m": model}))
    assert_draws_on_a_new_figure(lambda: plot_downtime(seconds))
