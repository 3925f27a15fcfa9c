"""The installed environment is exactly what environment.yml (learners) and requirements-dev.txt (tests) pin."""

from __future__ import annotations

import json
import re
import sys
import sysconfig
import tomllib
from importlib import metadata
from pathlib import Path

import yaml

from paths import ROOT

# pip's own tooling is not part of the lock; the course's package is installed from the repo.
NOT_LOCKED = {"pip", "setuptools", "wheel", "system-design-hands-on"}
# Where pip installs into this environment. Not sys.path: importing setuptools (nbgrader does)
# appends setuptools/_vendor to it, whose vendored copies are not installed packages.
INSTALL_FOLDERS = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _pins(path: Path) -> dict[str, str]:
    """The exact pins of environment.yml's pip section or of a requirements file: name -> version."""
    pins: dict[str, str] = {}
    for line in path.read_text().splitlines():
        match = re.fullmatch(r"\s*-?\s*([A-Za-z0-9_.\-]+)==(\S+)\s*(#.*)?", line)
        if match:
            pins[_normalise(match.group(1))] = match.group(2)
    return pins


def _environment_pins() -> dict[str, str]:
    return _pins(ROOT / "environment.yml")


def _dev_pins() -> dict[str, str]:
    return _pins(ROOT / "requirements-dev.txt")


def test_the_test_tools_are_pinned_apart_from_the_learners_environment() -> None:
    learners, dev = _environment_pins(), _dev_pins()
    assert set(learners) & set(dev) == set(), "a package is pinned in both files"
    for tool in ("pytest", "nbval", "ruff", "mypy", "playwright", "hypothesis"):
        assert tool in dev, f"{tool} is a test tool: pin it in requirements-dev.txt"
        assert tool not in learners, f"{tool} is a test tool: learners do not need it in environment.yml"
    lines = [line for line in (ROOT / "requirements-dev.txt").read_text().splitlines() if line.strip()]
    assert all(line.startswith("#") or "==" in line for line in lines), "every requirement is an exact pin"


def test_environment_pins_python_311_and_only_python_and_pip_from_conda() -> None:
    dependencies = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    conda_part = [entry for entry in dependencies if isinstance(entry, str)]
    pip_part = [entry for entry in dependencies if isinstance(entry, dict)]
    assert conda_part == ["python=3.11", "pip"]
    assert len(pip_part) == 1
    assert len(pip_part[0]["pip"]) == len(_environment_pins()), "every pip entry is an exact pin"
    assert sys.version_info[:2] == (3, 11), "the course is pinned to Python 3.11"


def test_installed_packages_match_the_two_locks_exactly() -> None:
    pins = {**_environment_pins(), **_dev_pins()}
    installed = {
        _normalise(dist.metadata["Name"]): dist.version
        for dist in metadata.distributions(path=INSTALL_FOLDERS)
        if _normalise(dist.metadata["Name"]) not in NOT_LOCKED
    }
    missing = {name: version for name, version in pins.items() if name not in installed}
    unpinned = {name: version for name, version in installed.items() if name not in pins}
    different = {
        name: f"pinned {pins[name]}, installed {version}"
        for name, version in installed.items()
        if name in pins and pins[name] != version
    }
    assert not missing, f"pinned but not installed: {missing}"
    assert not unpinned, f"installed but pinned in neither environment.yml nor requirements-dev.txt: {unpinned}"
    assert not different, f"versions differ from the pins: {different}"


# The oldest Python the course promises to run on: Debian 12's python3 (README: "only python3 (3.11)").
OLDEST_PYTHON = "3.11.2"


def test_every_pinned_package_installs_on_the_oldest_python_311() -> None:
    """A pin whose wheel needs a later 3.11 (soupsieve 3 needs 3.11.5) breaks `make lab` on Debian 12."""
    from packaging.specifiers import SpecifierSet

    too_new = {
        dist.metadata["Name"]: dist.metadata["Requires-Python"]
        for dist in metadata.distributions(path=INSTALL_FOLDERS)
        if _normalise(dist.metadata["Name"]) not in NOT_LOCKED
        and dist.metadata["Requires-Python"]
        and OLDEST_PYTHON not in SpecifierSet(dist.metadata["Requires-Python"])
    }
    assert not too_new, f"these pins need a newer Python than {OLDEST_PYTHON} (Requires-Python): {too_new}"


def test_package_dependencies_are_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    pins = _environment_pins()
    for requirement in project["dependencies"]:
        name = _normalise(re.split(r"[<>=!~ ;\[]", requirement, maxsplit=1)[0])
        assert name in pins, f"{requirement!r} from pyproject.toml is not pinned in environment.yml"


def test_helpers_package_is_installed_from_this_checkout() -> None:
    import helpers

    assert Path(helpers.__file__).resolve().parent == ROOT / "helpers"
    assert (ROOT / "helpers" / "py.typed").exists()


def test_postbuild_stops_on_errors_and_installs_without_dependencies() -> None:
    text = (ROOT / "postBuild").read_text()
    assert "set -euo pipefail" in text.splitlines()[1:3]
    assert "pip install --no-deps" in text


NBGRADER_LAB_PLUGINS_OFF = {
    "@jupyter/nbgrader:menu",
    "@jupyter/nbgrader:assignment-list",
    "@jupyter/nbgrader:course-list",
    "@jupyter/nbgrader:formgrader",
    "@jupyter/nbgrader:create-assignment",
}
NBGRADER_SERVER_EXTENSIONS = {
    "nbgrader.server_extensions.validate_assignment": True,
    "nbgrader.server_extensions.formgrader": False,
    "nbgrader.server_extensions.assignment_list": False,
    "nbgrader.server_extensions.course_list": False,
}


def nbgrader_lab_plugins() -> set[str]:
    """Every JupyterLab plugin id in nbgrader's installed Lab extension (its "@jupyter/nbgrader:x" strings)."""
    static = Path(sys.prefix) / "share" / "jupyter" / "labextensions" / "@jupyter" / "nbgrader" / "static"
    code = "".join(path.read_text() for path in static.glob("*.js"))
    return set(re.findall(r"\"(@jupyter/nbgrader:[a-z-]+)\"", code))


def test_learner_lab_settings_are_applied() -> None:
    page_config = Path(sys.prefix) / "etc" / "jupyter" / "labconfig" / "page_config.json"
    disabled = json.loads(page_config.read_text()).get("disabledExtensions", {})
    assert disabled.get("@jupyterlab/apputils-extension:announcements") is True
    overrides = Path(sys.prefix) / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    notification = json.loads(overrides.read_text())["@jupyterlab/apputils-extension:notification"]
    assert notification == {"checkForUpdates": False, "fetchNews": "false"}


def test_learner_sees_validate_and_no_nbgrader_tool_that_needs_an_exchange_or_a_gradebook() -> None:
    """Exactly Validate is on: every other nbgrader plugin and server extension is off (postBuild)."""
    from jupyter_server.extension.config import ExtensionConfigManager

    plugins = nbgrader_lab_plugins()
    assert plugins == {*NBGRADER_LAB_PLUGINS_OFF, "@jupyter/nbgrader:validate-assignment"}, (
        f"nbgrader's Lab plugins changed: {sorted(plugins)}; decide which a learner gets in postBuild"
    )
    page_config = json.loads((Path(sys.prefix) / "etc" / "jupyter" / "labconfig" / "page_config.json").read_text())
    disabled = {name for name, off in page_config.get("disabledExtensions", {}).items() if off}
    assert disabled & plugins == NBGRADER_LAB_PLUGINS_OFF
    # what jupyter_server itself reads from this environment's config files (.d files included)
    config = ExtensionConfigManager(read_config_path=[str(Path(sys.prefix) / "etc" / "jupyter")])
    enabled = config.get_jpserver_extensions()
    assert {name: value for name, value in enabled.items() if name.startswith("nbgrader.")} == (
        NBGRADER_SERVER_EXTENSIONS
    )


def test_gitignore_keeps_grading_state_and_environments_out() -> None:
    ignored = set((ROOT / ".gitignore").read_text().split())
    for entry in ("gradebook.db", "submitted/", "autograded/", "feedback/", "grades.csv", "my-feedback/", ".venv/",
                  ".ipynb_checkpoints/"):  # fmt: skip
        assert entry in ignored, f".gitignore lacks {entry}"


def test_a_wheel_of_the_package_holds_every_subpackage(tmp_path: Path) -> None:
    """A non-editable install (a wheel) carries the kit, grading/ and every unit's package."""
    import shutil
    import subprocess
    import zipfile

    source = tmp_path / "source"  # a copy: building writes build/ and *.egg-info next to pyproject.toml
    shutil.copytree(ROOT / "helpers", source / "helpers", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--quiet", "-w",
         str(tmp_path / "wheel"), str(source)], capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr[-2000:]
    (wheel,) = (tmp_path / "wheel").glob("system_design_hands_on-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {str(path.relative_to(ROOT)) for path in (ROOT / "helpers").rglob("*.py")} | {"helpers/py.typed"}
    assert expected <= names, f"the wheel lacks {sorted(expected - names)}"
