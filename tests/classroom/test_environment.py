"""The hub side's pins (classroom/requirements-*.txt) are exact, locked, and kept apart from the learners'.

environment.yml stays the learners' (and Binder's) one list of versions: the classroom adds
JupyterHub and its proxy on top of it (requirements-hub.txt), ngshare-exchange without its
dependencies (requirements-no-deps.txt), and runs ngshare in an environment of its own
(requirements-ngshare.txt, with the SQLAlchemy 1.4 it needs). These checks need no network and
no root; tests/classroom/test_classroom.py checks that environments built from the files hold exactly
these versions (``test_classroom_environments_hold_exactly_the_locks``).
"""

from __future__ import annotations

import pytest

from paths import ROOT
from requirement_pins import CLASSROOM, environment_pins, pins


@pytest.mark.parametrize("name", ["requirements-hub.txt", "requirements-no-deps.txt", "requirements-ngshare.txt"])
def test_every_line_is_an_exact_pin(name: str) -> None:
    assert pins(CLASSROOM / name)


def test_the_hub_side_adds_to_the_learners_pins_and_changes_none() -> None:
    learners = environment_pins()
    for name in ("requirements-hub.txt", "requirements-no-deps.txt"):
        overlap = set(pins(CLASSROOM / name)) & set(learners)
        assert not overlap, f"{name} pins what environment.yml pins already: {sorted(overlap)}"
    hub = pins(CLASSROOM / "requirements-hub.txt")
    assert hub["jupyterhub"] == "6.1.1"
    assert "configurable-http-proxy" in hub, "the PyPI proxy: no node needed"


def test_ngshare_gets_its_own_environment_with_sqlalchemy_1_4() -> None:
    ngshare = pins(CLASSROOM / "requirements-ngshare.txt")
    assert ngshare["ngshare"] == "0.6.0"
    assert ngshare["sqlalchemy"].startswith("1.4."), "ngshare 0.6.0 loses every release under SQLAlchemy 2"
    assert ngshare["alembic"].startswith("1.13."), "alembic 1.14+ needs SQLAlchemy 2"
    assert environment_pins()["sqlalchemy"].startswith("2."), "so it cannot share the course's environment"
    assert ngshare["jupyterhub"] == pins(CLASSROOM / "requirements-hub.txt")["jupyterhub"], "the hub's version"


def test_ngshare_exchange_is_installed_without_its_outdated_pin() -> None:
    assert pins(CLASSROOM / "requirements-no-deps.txt") == {"ngshare-exchange": "0.5.3"}
    install = (CLASSROOM / "install.sh").read_text()
    assert '--no-deps -r "$classroom/requirements-no-deps.txt"' in install
    assert '-r "$classroom/requirements-hub.txt"' in install
    assert '-r "$classroom/requirements-ngshare.txt"' in install


def test_readme_gives_the_commands_the_classroom_test_runs() -> None:
    """README "Running it for a class" names each script tests/classroom/test_classroom.py runs, in the same order."""
    text = (ROOT / "README.md").read_text()
    section = text[text.index("\n## Running it for a class\n") :]
    section = section[: section.index("\n## ", 1)]
    steps = [
        'classroom/relocate-python.sh "',
        "git clone --no-hardlinks",
        "make release DIR=",
        "classroom/install.sh /",
        "jupyterhub -f /root/system-design-hands-on/classroom/jupyterhub_config.py",
        "roster.py add --release",
        "python -m helpers.grading --class 08-consistent-hashing",
    ]
    positions = [section.find(step) for step in steps]
    assert -1 not in positions, [step for step, at in zip(steps, positions, strict=True) if at == -1]
    assert positions == sorted(positions), "README gives them in the order a class needs them"
    for claim in ("barely maintained", "ngshare 0.6.0", "ngshare-exchange 0.5.3", "readable by every account"):
        assert claim in section
