"""What every unit's plot tests share: Axes that pyplot never sees, and the plot functions' contract.

Every ``plot_*`` function draws on the Axes it is given without touching pyplot's list of
figures, and on a new pyplot figure when it is given none (see ``helpers.figures``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure


def new_axes() -> Axes:
    """Axes on a figure that pyplot does not know about (nothing to close)."""
    return Figure(figsize=(4, 4)).add_subplot()


def by_gid(ax: Axes, gid: str) -> list[Any]:
    """The artists of ``ax`` whose gid is ``gid``."""
    return [artist for artist in ax.get_children() if artist.get_gid() == gid]


def texts(ax: Axes) -> list[str]:
    """The text of every Text artist drawn on ``ax``."""
    return [text.get_text() for text in ax.texts]


def assert_leaves_pyplot_alone(*draws: Callable[[Axes], object]) -> None:
    """Each ``draw(ax)`` draws on the Axes it is given and opens no pyplot figure."""
    before = plt.get_fignums()
    for draw in draws:
        draw(new_axes())
    assert plt.get_fignums() == before


def assert_draws_on_a_new_figure(draw: Callable[[], Axes]) -> None:
    """``draw()``, given no Axes, returns the Axes of a new pyplot figure (closed afterwards)."""
    before = set(plt.get_fignums())
    ax = draw()
    try:
        assert isinstance(ax, Axes)
        assert getattr(ax.figure, "number", None) not in before, "the plot reused an open figure"
    finally:
        plt.close(ax.figure)  # type: ignore[arg-type]
