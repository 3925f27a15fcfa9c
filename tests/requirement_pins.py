"""The course's pinned requirement files, read: the learners' environment.yml and the hub side's locks.

Used by tests/classroom/ (and its test with real accounts, which checks that the environments it
builds hold exactly these versions).
"""

from __future__ import annotations

import re
from pathlib import Path

from paths import ROOT

CLASSROOM = ROOT / "classroom"
PIN = re.compile(r"([A-Za-z0-9_.\-]+)==(\S+)")


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def pins(path: Path) -> dict[str, str]:
    """Every requirement of a requirements file; each line must be an exact pin (or a comment)."""
    found: dict[str, str] = {}
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = PIN.fullmatch(line)
        assert match, f"{path.name}: {line!r} is not an exact pin (name==version)"
        assert normalise(match.group(1)) not in found, f"{path.name}: {line!r} twice"
        found[normalise(match.group(1))] = match.group(2)
    return found


def environment_pins() -> dict[str, str]:
    text = (ROOT / "environment.yml").read_text()
    return {normalise(m.group(1)): m.group(2) for m in re.finditer(r"^\s*-\s*([A-Za-z0-9_.\-]+)==(\S+)", text, re.M)}


def classroom_environment_pins() -> dict[str, str]:
    """What the classroom environment (classroom/install.sh) must hold: the learners' pins and the hub side's."""
    return {**environment_pins(), **pins(CLASSROOM / "requirements-hub.txt"),
            **pins(CLASSROOM / "requirements-no-deps.txt")}  # fmt: skip
