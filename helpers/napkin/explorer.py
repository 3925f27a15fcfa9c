"""The numbers explorer of lesson 14: a model of any year against a classic table, and the nines."""

from __future__ import annotations

from collections.abc import Mapping

from matplotlib.axes import Axes

from helpers.explorer import Control, Explorer
from helpers.napkin.live import Measurement
from helpers.napkin.model import (
    PERIODS_S,
    TABLES,
    downtime_s,
    duration_text,
    parallel,
    scott_model,
    serial,
)
from helpers.napkin.model import nines as nines_of
from helpers.napkin.plots import draw_downtime, draw_ladder, frame_downtime, frame_ladder
from helpers.panels import Panel

__all__ = ["NumbersExplorer", "explore_numbers"]

YEARS = (1990, 1995, 2000, 2005, 2010, 2015, 2020, 2026, 2030)
"""The years the explorer's model slider offers (Colin Scott's page runs 1990-2030)."""

COMPARED = ("Dean 2009", "Norvig 2001", "napkin-math 2026")
"""The classic tables the ladder can set beside the model."""

DISK = "read 1 MB sequentially from disk"


def percent(value: float) -> str:
    """An availability as a percentage with as many digits as it needs: 99.9%, 99.95%, 99.999999%."""
    text = f"{value * 100:.10f}".rstrip("0").rstrip(".")
    return f"{text}%"


def _percent_of_nines(count: float) -> str:
    return percent(float(nines_of(count)))


class NumbersExplorer(Explorer):
    """Explorer for lesson 14: Colin Scott's model for a year beside a classic table, and composed nines.

    Left: seconds per operation on a log scale, one row per operation: the chosen table
    (blue squares), the model for the chosen year (orange circles) and, when the lesson has
    measured it, this machine (green diamonds). Right: the downtime a chain of ``in_series``
    parts allows per day, week, month and year, each part being ``replicas`` redundant
    copies of a component with the chosen number of nines (independent failures assumed).

    Examples:
        >>> explorer = NumbersExplorer()
        >>> "1 m 26.4 s a day" in explorer.status.value
        True
    """

    CONTROLS = (
        Control("year", "model year", YEARS, 2026),
        Control("table", "compare with", COMPARED, "Dean 2009", kind="toggle"),
        Control("nines", "each component", (2, 2.5, 3, 3.5, 4, 4.5, 5), 3, format=_percent_of_nines),
        Control("in_series", "parts in series", (1, 2, 3, 5, 10), 1),
        Control("replicas", "replicas of each part", (1, 2, 3), 1),
    )
    ROWS = (("year", "table"), ("nines", "in_series", "replicas"))
    FIGSIZE = (11.0, 4.0)
    PANELS = (Panel((0.22, 0.1, 0.42, 0.8)), Panel((0.73, 0.1, 0.25, 0.8)))
    CAPTION = (
        "<b>Left:</b> the chosen table (blue squares), Colin Scott's model for the chosen year (orange circles: a "
        "model that extrapolates trends, not a measurement) and, when measured, this machine (green diamonds). "
        "<b>Right:</b> downtime allowed per period by the whole chain: serial parts multiply their availabilities, "
        "replicas multiply their unavailabilities (if they fail independently)."
    )
    measured: Mapping[str, float] = {}

    def frame(self, ladder: Axes, downtime: Axes) -> None:
        frame_ladder(ladder)
        frame_downtime(downtime)

    def draw(self, ladder: Axes, downtime: Axes, *, year: int, table: str, nines: float, in_series: int,
             replicas: int) -> str:  # fmt: skip
        model = scott_model(year)
        series = {table: {op: row.seconds for op, row in TABLES[table].items()}, f"model {year}": model}
        if self.measured:
            series["this machine"] = dict(self.measured)
        draw_ladder(ladder, series)
        part = parallel(*[nines_of(nines)] * replicas)
        whole = serial(*[part] * in_series)
        seconds = {period: float(downtime_s(whole, period)) for period in PERIODS_S}
        draw_downtime(downtime, seconds)
        disk_model = model[DISK]
        disk_table = TABLES[table][DISK].seconds
        return (
            f"{in_series} part{'s' if in_series > 1 else ''} in series, each {replicas} replica"
            f"{'s' if replicas > 1 else ''} at {percent(float(nines_of(nines)))}: "
            f"<b>{percent(float(whole))}</b>, down <b>{duration_text(seconds['day'])} a day</b>, "
            f"{duration_text(seconds['year'])} a year. The {year} model reads 1 MB from disk in "
            f"{duration_text(disk_model)}; {table} says {duration_text(disk_table)}."
        )


def explore_numbers(measured: Mapping[str, float | Measurement] | None = None) -> NumbersExplorer:
    """The numbers explorer of lesson 14; ``measured`` (seconds or Measurements, by operation) adds this machine."""
    explorer = NumbersExplorer()
    if measured:
        explorer.measured = {
            operation: value.seconds if isinstance(value, Measurement) else float(value)
            for operation, value in measured.items()
        }
        explorer.update()
    return explorer
