"""Imports go one way: kit <- unit models <- a unit's live servers, plots and explorer.

``helpers/`` is a small kit (checks, text, figures, panels, explorer, quiz, serving, and
the grading package) under one package per unit (``model``, ``live``, ``plots``,
``explorer``). The rules, checked on every import statement of every module (inside
functions too), and in fresh interpreters:

- the kit and grading import no unit;
- a unit's model imports the kit's checks and text, its own model and other units' models,
  never matplotlib or ipywidgets: ``import helpers.<unit>`` loads neither;
- ``live`` adds the kit's ``serving``; ``plots`` imports ``figures``, ``text``, ``checks``
  and its own model; ``explorer`` adds ``explorer``, ``panels``, its own plots and live;
- no unit imports another unit's ``live``, ``plots`` or ``explorer``.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

from paths import ROOT

HELPERS = ROOT / "helpers"
KIT = {"checks", "text", "figures", "panels", "explorer", "quiz", "serving", "labserver"}
GRADING = "grading"
UNITS = sorted(p.name for p in HELPERS.iterdir() if (p / "__init__.py").is_file() and p.name != GRADING)
UI_LIBRARIES = {"matplotlib", "ipywidgets"}

# What each layer of a unit may import from the kit (besides the unit's own modules allowed below).
KIT_ALLOWED = {
    "model": {"checks", "text"},
    "live": {"checks", "text", "serving"},
    "plots": {"checks", "text", "figures"},
    "explorer": {"checks", "text", "figures", "panels", "explorer"},
}
OWN_ALLOWED = {
    "model": {"model"},
    "live": {"model", "live"},
    "plots": {"model", "plots"},
    "explorer": {"model", "plots", "live", "explorer"},
}


def layer(module: str) -> str:
    """A unit module's layer, by its name: live*, plots*, explorer*, else model (__init__ too)."""
    for name in ("live", "plots", "explorer"):
        if module.startswith(name):
            return name
    return "model"


def imports(path: Path) -> list[tuple[int, str]]:
    """Every module ``path`` imports (absolute names), with its line, functions included."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found += [(node.lineno, node.module)]
            if node.module == "helpers":  # from helpers import checks
                found += [(node.lineno, f"helpers.{alias.name}") for alias in node.names]
    return found


def problems_of(path: Path, helpers: Path = HELPERS) -> list[str]:
    """Every import of ``path`` (in the package folder ``helpers``) that breaks the layering, with why."""
    units = {p.name for p in helpers.iterdir() if p.is_dir() and p.name not in (GRADING, "__pycache__")}
    parts = path.relative_to(helpers).with_suffix("").parts
    problems = []
    for line, name in imports(path):
        where = f"helpers/{path.relative_to(helpers)}:{line} imports {name}"
        top = name.split(".")
        if top[0] != "helpers":
            draws = top[0] in UI_LIBRARIES
            if draws and len(parts) == 2 and parts[0] in units and layer(parts[1]) in ("model", "live"):
                problems.append(f"{where} (a unit's {layer(parts[1])} never draws: keep it free of {top[0]})")
            continue
        if len(top) < 2:
            continue
        target = top[1]
        if len(parts) == 1 or parts[0] == GRADING:  # the kit, or grading
            if target in units:
                problems.append(f"{where} (the kit and grading import no unit)")
            continue
        unit, module = parts[0], layer(parts[1])
        if target in KIT:
            if target not in KIT_ALLOWED[module]:
                problems.append(f"{where} (a unit's {module} may use {sorted(KIT_ALLOWED[module])} of the kit)")
        elif target == GRADING:
            problems.append(f"{where} (units do not grade)")
        elif target in units:
            their = layer(top[2]) if len(top) > 2 else "model"
            if target == unit:
                if their not in OWN_ALLOWED[module]:
                    problems.append(f"{where} (a unit's {module} may use its own {sorted(OWN_ALLOWED[module])})")
            elif their != "model" or module not in ("model", "live"):
                problems.append(f"{where} (only a unit's model and live use other units, and only their models)")
    return problems


MODULES = sorted(HELPERS.rglob("*.py"))


@pytest.mark.parametrize("path", MODULES, ids=lambda path: str(path.relative_to(ROOT)))
def test_imports_go_one_way(path: Path) -> None:
    assert problems_of(path) == []


@pytest.mark.parametrize(
    ("module", "source", "problem"),
    [
        ("checks.py", "from helpers.hashing import HashRing", "the kit and grading import no unit"),
        ("grading/learner.py", "import helpers.dns.model", "the kit and grading import no unit"),
        ("hashing/model.py", "import matplotlib.pyplot as plt", "a unit's model never draws"),
        ("hashing/model.py", "from helpers.figures import bars", "a unit's model may use ['checks', 'text']"),
        ("hashing/plots.py", "from helpers.hashing.explorer import RingExplorer", "may use its own ['model', 'plots']"),
        ("cdn/live.py", "from helpers.hashing.plots import plot_ring", "only a unit's model and live use other units"),
        ("cdn/explorer.py", "from helpers.hashing import HashRing", "only a unit's model and live use other units"),
    ],
)
def test_the_rules_catch_a_broken_import(tmp_path: Path, module: str, source: str, problem: str) -> None:
    fake = tmp_path / "helpers" / module
    fake.parent.mkdir(parents=True, exist_ok=True)
    fake.write_text(source + "\n")
    for unit in ("hashing", "cdn", "dns"):
        (tmp_path / "helpers" / unit).mkdir(exist_ok=True)
    found = problems_of(fake, tmp_path / "helpers")
    assert len(found) == 1, found
    assert problem in found[0]


def _loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print('\\n'.join(sorted(sys.modules)))"
    run = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    return set(run.stdout.split())


@pytest.mark.parametrize("unit", UNITS)
def test_importing_a_unit_loads_no_plotting_or_widgets(unit: str) -> None:
    loaded = _loaded_after(f"import helpers.{unit}")
    assert not {name for name in loaded if name.split(".")[0] in UI_LIBRARIES}


@pytest.mark.parametrize("kit", ["helpers", "helpers.quiz", "helpers.explorer", "helpers.grading"])
def test_importing_the_kit_loads_no_unit(kit: str) -> None:
    loaded = _loaded_after(f"import {kit}")
    assert not {name for name in loaded if name.split(".")[0] == "helpers" and name.split(".")[1:2] and
                name.split(".")[1] in UNITS}  # fmt: skip
