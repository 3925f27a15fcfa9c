"""Every explorer the course has, found in the unit packages (never listed by hand).

Used by the explorer contract test (tests/kit/test_explorers.py) and by the benchmark
(tests/bench.py), which times each explorer's moves from its declared ``CONTROLS``.
"""

from __future__ import annotations

import importlib
import inspect
from types import ModuleType
from typing import Any

from helpers.explorer import Explorer

from paths import ROOT

KIT_PACKAGES = {"grading"}
"""Packages of helpers/ that are part of the kit, not units."""


def unit_packages() -> list[str]:
    """Every unit's package name (helpers/<unit>/), in alphabetical order."""
    return sorted(
        path.name
        for path in (ROOT / "helpers").iterdir()
        if (path / "__init__.py").is_file() and path.name not in KIT_PACKAGES
    )


def explorer_modules() -> list[ModuleType]:
    """The ``helpers.<unit>.explorer`` module of every unit that has one."""
    return [
        importlib.import_module(f"helpers.{unit}.explorer")
        for unit in unit_packages()
        if (ROOT / "helpers" / unit / "explorer.py").is_file()
    ]


def defined_in(module: ModuleType) -> list[Any]:
    """The classes and functions ``module`` defines itself (not those it imports)."""
    return [value for value in vars(module).values() if getattr(value, "__module__", None) == module.__name__]


def explorer_classes() -> list[type[Explorer]]:
    """Every Explorer subclass of every unit."""
    return [
        value for module in explorer_modules() for value in defined_in(module)
        if inspect.isclass(value) and issubclass(value, Explorer)
    ]  # fmt: skip


def one_liners() -> list[Any]:
    """Every lesson's one-line ``explore_*()`` function."""
    return [
        value for module in explorer_modules() for value in defined_in(module)
        if inspect.isfunction(value) and value.__name__.startswith("explore_")
    ]  # fmt: skip
