"""The explorer contract, checked for every explorer the package has (found, never listed by hand).

Every lesson's explorer is a ``helpers.explorer.Explorer`` subclass in its unit's
``explorer`` module. Each one must build at its declared defaults; every move of every
control through every option must redraw once, change the picture and give the picture a
full redraw gives (the frame drawn once and the data on top; see ``helpers.panels``); and
settings outside its controls must be refused with a message naming them.
"""

from __future__ import annotations

import importlib
import inspect
from typing import Any

import pytest

from helpers.explorer import Explorer

from explorer_catalogue import defined_in, explorer_classes, one_liners, unit_packages

EXPLORERS = explorer_classes()
ONE_LINERS = one_liners()


def _name(value: Any) -> str:
    return str(value.__name__)


def test_explorers_are_found() -> None:
    assert EXPLORERS, "no Explorer subclass found in helpers/<unit>/explorer.py"
    for unit in unit_packages():
        module = importlib.import_module(f"helpers.{unit}.explorer")
        assert any(issubclass(cls, Explorer) for cls in defined_in(module) if inspect.isclass(cls)), (
            f"helpers/{unit}/explorer.py defines no Explorer: every unit's lesson has one"
        )


@pytest.mark.parametrize("cls", EXPLORERS, ids=_name)
def test_builds_at_its_declared_defaults(cls: type[Explorer]) -> None:
    explorer = cls()
    assert explorer.settings == {control.name: control.default for control in cls.CONTROLS}
    assert explorer.image.value[:8] == b"\x89PNG\r\n\x1a\n"
    assert explorer.status.value.strip(), "the status line says what the figure shows"
    assert explorer.image.value == explorer.panels.full_png(), "the first picture is what a full redraw gives"


@pytest.mark.parametrize("cls", EXPLORERS, ids=_name)
def test_every_move_redraws_once_changes_the_picture_and_matches_a_full_redraw(
    cls: type[Explorer], monkeypatch: pytest.MonkeyPatch
) -> None:
    explorer = cls()
    updates: list[None] = []
    update = explorer.update
    monkeypatch.setattr(explorer, "update", lambda: updates.append(None) or update())
    moves = 0
    for control in cls.CONTROLS:
        start = control.options.index(control.default)
        for value in [*control.options[start + 1 :], *control.options[: start + 1]]:  # all round, back to default
            before = explorer.image.value
            explorer.controls[control.name].value = value
            moves += 1
            where = f"{cls.__name__}: {control.name} moved to {value!r}"
            assert len(updates) == moves, f"{where}: one move must redraw once, not {len(updates) - moves + 1} times"
            assert explorer.image.value != before, f"{where} left the picture as it was"
            assert explorer.status.value.strip(), f"{where} left no status line"
            full = explorer.panels.full_png()
            assert explorer.image.value == full, f"{where}: the fast redraw differs from a full one"


@pytest.mark.parametrize("cls", EXPLORERS, ids=_name)
def test_refuses_settings_outside_its_controls(cls: type[Explorer]) -> None:
    for control in cls.CONTROLS:
        with pytest.raises(ValueError, match=f"^{control.name} must be one of .*, got 'not an option'$"):
            cls(**{control.name: "not an option"})
        if 1 in control.options:
            with pytest.raises(ValueError, match=f"^{control.name} must be one of .*, got True$"):
                cls(**{control.name: True})
    with pytest.raises(TypeError, match="has no setting 'colour'"):
        cls(colour="red")


@pytest.mark.parametrize("explore", ONE_LINERS, ids=_name)
def test_a_lessons_one_line_builds_its_explorer_at_the_defaults(explore: Any) -> None:
    explorer = explore()
    assert isinstance(explorer, Explorer)
    assert explorer.settings == {control.name: control.default for control in type(explorer).CONTROLS}
