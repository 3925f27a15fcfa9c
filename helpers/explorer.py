"""The explorer every lesson ends with: controls declared once, a figure, and a status line.

A unit's explorer subclasses ``Explorer`` and declares:

- ``CONTROLS``: its sliders and toggles, each a ``Control`` (name, label, options, default);
  the base builds the widgets, checks constructor arguments against the options, and calls
  ``update`` whenever one moves;
- ``FIGSIZE`` and ``PANELS``: the figure's size and its panels (``helpers.panels.Panel``);
- ``frame(*axes)``: draws what never changes (titles, axes, legends), once;
- ``draw(*axes, **settings)``: draws what the settings change and returns the status line
  (HTML) shown under the figure;
- optionally ``ROWS`` (which controls share a row), ``CAPTION`` (HTML under everything),
  ``extra_widgets()`` (more widgets by name, such as buttons, placed by ``ROWS`` too) and
  ``changed(name, old)`` (a hook that runs before the redraw when a control moves).

The figure is a ``PanelFigure`` shown as PNG bytes in an ``ipywidgets.Image``: that works
the same in a kernel, in a browser and in a plain process, so the course's tests and
benchmark find and move every explorer's controls from ``CONTROLS`` alone.

Examples:
    >>> from matplotlib.axes import Axes
    >>> from helpers.panels import Panel
    >>> class Square(Explorer):
    ...     CONTROLS = (Control("side", "side", (1, 2, 3), 2),)
    ...     FIGSIZE, PANELS = (3.0, 3.0), (Panel((0.15, 0.15, 0.8, 0.8)),)
    ...     def frame(self, ax: Axes) -> None:
    ...         ax.set_xlim(0, 3), ax.set_ylim(0, 3)
    ...     def draw(self, ax: Axes, side: int) -> str:
    ...         ax.fill([0, side, side, 0], [0, 0, side, side])
    ...         return f"area {side * side}"
    >>> square = Square(side=3)
    >>> square.status.value
    'area 9'
    >>> square.controls["side"].value = 1
    >>> square.status.value, square.image.value[:4] == b"\\x89PNG"
    ('area 1', True)
    >>> Square(side=4)
    Traceback (most recent call last):
    ...
    ValueError: side must be one of [1, 2, 3], got 4
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

import ipywidgets as widgets

from helpers import checks
from helpers.panels import Panel, PanelFigure

__all__ = ["Control", "Explorer"]

_STYLE = {"description_width": "initial"}


@dataclass(frozen=True)
class Control:
    """One control of an explorer: a slider over ``options`` (or toggle buttons), set to ``default``.

    ``labels`` are how the options read (default ``str``, or ``format`` applied to each);
    ``kind="toggle"`` shows them as buttons, for a few named choices.
    """

    name: str
    label: str
    options: tuple[Any, ...]
    default: Any
    format: Callable[[Any], str] | None = field(default=None, compare=False)
    kind: Literal["slider", "toggle"] = "slider"

    def __post_init__(self) -> None:
        if not self.options:
            raise ValueError(f"control {self.name!r} needs at least one option")
        checks.choice(f"the default of control {self.name!r}", self.default, self.options)

    @property
    def labels(self) -> list[str]:
        """How each option reads on the control."""
        return [(self.format or str)(option) for option in self.options]

    def widget(self, value: Any) -> Any:
        """A new widget for this control, set to ``value``."""
        options = list(self.options)
        if self.kind == "toggle":
            # "auto": a button as wide as its label, so a long one ("weighted-round-robin") is never cut
            return widgets.ToggleButtons(options=list(zip(self.labels, options, strict=True)), value=value,
                                         description=self.label, style={**_STYLE, "button_width": "auto"})  # fmt: skip
        consecutive = all(isinstance(o, int) and not isinstance(o, bool) for o in options) and options == list(
            range(options[0], options[-1] + 1)
        )
        if consecutive and self.format is None:
            return widgets.IntSlider(value=value, min=options[0], max=options[-1], description=self.label, style=_STYLE)
        return widgets.SelectionSlider(options=list(zip(self.labels, options, strict=True)), value=value,
                                       description=self.label, style=_STYLE)  # fmt: skip


class Explorer(widgets.VBox):
    """Base of every explorer; see the module docstring for what a subclass declares.

    Attributes:
        controls: the control widgets by name, as declared in ``CONTROLS``.
        extras: the extra widgets by name, from ``extra_widgets()``.
        image: the Image widget showing the figure as PNG.
        status: the HTML widget under the figure.
        panels: the PanelFigure the figure is drawn on.
    """

    CONTROLS: ClassVar[tuple[Control, ...]] = ()
    ROWS: ClassVar[tuple[tuple[str, ...], ...] | None] = None
    FIGSIZE: ClassVar[tuple[float, float]] = (10.0, 4.0)
    PANELS: ClassVar[tuple[Panel, ...]] = ()
    DPI: ClassVar[float] = 80
    CAPTION: ClassVar[str] = ""

    def __init__(self, **settings: Any) -> None:
        names = [control.name for control in self.CONTROLS]
        unknown = sorted(set(settings) - set(names))
        if unknown:
            raise TypeError(f"{type(self).__name__} has no setting {unknown[0]!r}: its settings are {names}")
        chosen = {control.name: settings.get(control.name, control.default) for control in self.CONTROLS}
        self.controls: dict[str, Any] = {
            control.name: control.widget(checks.choice(control.name, chosen[control.name], control.options))
            for control in self.CONTROLS
        }
        self.image = widgets.Image(format="png", layout=widgets.Layout(max_width="100%", height="auto"))
        self.status = widgets.HTML("")
        self.panels = PanelFigure(self.FIGSIZE, self.PANELS, self.DPI)
        self.frame(*self.panels.axes)
        self.panels.seal()
        self.extras: dict[str, Any] = dict(self.extra_widgets())
        parts = {**self.controls, **self.extras}
        rows = self.ROWS or (
            *(tuple(names[i : i + 3]) for i in range(0, len(names), 3)),
            *((tuple(self.extras),) if self.extras else ()),
        )
        placed = [name for row in rows for name in row]
        missing = sorted(set(parts) - set(placed))
        if missing or len(placed) != len(set(placed)):
            raise ValueError(f"ROWS must place every control and extra widget once; {missing} are missing")
        children = [widgets.HBox([parts[name] for name in row]) for row in rows]
        children += [self.image, self.status]
        if self.CAPTION:
            children.append(widgets.HTML(f"<span style='color:#555;font-size:90%'>{self.CAPTION}</span>"))
        super().__init__(children)
        for name, control in self.controls.items():
            control.observe(lambda change, name=name: self._on_change(name, change["old"]), names="value")
        self.update()

    @property
    def settings(self) -> dict[str, Any]:
        """The current value of every control, by name."""
        return {name: control.value for name, control in self.controls.items()}

    def _on_change(self, name: str, old: Any) -> None:
        self.changed(name, old)
        self.update()

    def changed(self, name: str, old: Any) -> None:
        """Called when control ``name`` moves from ``old``, before the redraw (does nothing here)."""

    def extra_widgets(self) -> Mapping[str, Any]:
        """More widgets by name, for ``ROWS`` to place (none here)."""
        return {}

    def frame(self, *axes: Any) -> None:
        """Draws what never changes, once (nothing here)."""

    def draw(self, *axes: Any, **settings: Any) -> str:
        """Draws what the settings change and returns the status line (HTML)."""
        raise NotImplementedError(f"{type(self).__name__} must define draw()")

    def update(self) -> None:
        """Redraws the figure for the current settings and shows the new status line."""
        self.panels.clear()
        status = self.draw(*self.panels.axes, **self.settings)
        self.image.value = self.panels.png()  # the figure first: it is what the learner waits for
        self.status.value = status
