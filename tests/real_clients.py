"""Clients nobody here wrote, to check the live components against: dig, curl, openssl, promtool.

``.ci/run`` installs them (Debian's bind9-dnsutils, curl, openssl), so on CI (``CI`` set) a
missing one fails its tests; on a learner's or a newcomer's machine those tests skip with one
line saying how to install them.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Sequence

import pytest

PACKAGES = {"dig": "bind9-dnsutils", "curl": "curl", "openssl": "openssl", "promtool": "prometheus"}


def require(program: str) -> str:
    """The path of ``program``; skips the test without it (fails on CI, where .ci/run installs it)."""
    path = shutil.which(program)
    if path is None:
        why = f"{program} is not installed: `apt-get install {PACKAGES.get(program, program)}` (.ci/run does it on CI)"
        if os.environ.get("CI"):
            pytest.fail(why)
        pytest.skip(why)
    return path


def run(program: str, arguments: Sequence[str], timeout_s: float = 20.0) -> subprocess.CompletedProcess[str]:
    """Runs ``program`` with ``arguments`` (never through a proxy) and returns what it did."""
    env = {name: value for name, value in os.environ.items() if "proxy" not in name.lower()}
    return subprocess.run([require(program), *arguments], capture_output=True, text=True, timeout=timeout_s,
                          env=env, check=False)  # fmt: skip
