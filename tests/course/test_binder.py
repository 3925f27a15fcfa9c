"""Binder can build the course: the parts of its build that run without conda or Docker.

repo2docker copies the repository, creates the conda environment of environment.yml (here
only Python 3.11 and pip; see test_environment.py), installs its pip section, runs postBuild
and starts JupyterLab at the README badge's ``urlpath``. This test does the same in a fresh
virtual environment, on a copy of the repository: install exactly the pip section, run
postBuild, then check the Lab extensions, the learner settings and what JupyterLab serves.
It takes a minute or two (pip's cache helps): ``-m 'not slow'`` leaves it out.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from lab_session import LOCAL, NOT_COPIED, isolated_environment, lab_server
from paths import ROOT

pytestmark = pytest.mark.slow

START_HERE = "notebooks/00-start-here.ipynb"
NOT_LOCKED = {"pip", "setuptools", "wheel", "system-design-hands-on"}
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*m")
PLUGIN = re.compile(r"@[\w.-]+/[\w.-]+:[\w.-]+")
HEREDOC = re.compile(r"<<-?\s*'?(\w+)'?\n(.*?)\n\1\n", re.DOTALL)


def pip_section() -> list[str]:
    """The requirement lines Binder's pip installs: environment.yml's pip section, verbatim."""
    dependencies = yaml.safe_load((ROOT / "environment.yml").read_text())["dependencies"]
    return next(entry["pip"] for entry in dependencies if isinstance(entry, dict))


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def postbuild_disabled_plugins(text: str) -> set[str]:
    """Plugins postBuild disables: every ``@scope/package:plugin`` on its command lines."""
    commands = HEREDOC.sub("\n", text)  # heredocs hold settings files, not commands
    return {
        plugin
        for line in commands.splitlines()
        if not line.lstrip().startswith("#") and "labextension enable" not in line
        for plugin in PLUGIN.findall(line)
    }


def postbuild_settings_files(text: str) -> dict[str, object]:
    """Settings files postBuild writes with ``cat > ".../NAME.json" <<'EOF'``: name -> content."""
    written = re.finditer(r"cat\s+>\s*\"?[^\s\"]*/([\w.-]+\.json)\"?\s*<<-?\s*'?(\w+)'?\n(.*?)\n\2\n", text, re.DOTALL)
    return {match.group(1): json.loads(match.group(3)) for match in written}


@dataclass(frozen=True)
class BinderBuild:
    repository: Path  # the copy postBuild ran in
    requirements: list[str]  # the pip section as installed
    bin_dir: Path
    prefix: Path
    scratch: Path

    def run(self, program: str, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Runs ``program`` (from the environment when it has one) in the repository's copy."""
        in_environment = self.bin_dir / program
        return subprocess.run(
            [str(in_environment) if in_environment.exists() else program, *arguments],
            cwd=self.repository, capture_output=True, text=True,
            env=isolated_environment(self.scratch / "home", self.bin_dir), timeout=600,
        )


@pytest.fixture(scope="module")
def binder(tmp_path_factory: pytest.TempPathFactory) -> BinderBuild:
    """A fresh environment built as Binder builds one, on a copy of the repository."""
    scratch = tmp_path_factory.mktemp("binder")
    repository = scratch / "repo"
    shutil.copytree(ROOT, repository, ignore=NOT_COPIED)
    environment = scratch / "env"
    base_python = Path(sys.base_prefix) / "bin" / "python3"
    subprocess.run([str(base_python), "-m", "venv", str(environment)], check=True, timeout=300)
    build = BinderBuild(repository, pip_section(), environment / "bin", environment, scratch)
    requirements = scratch / "requirements.txt"
    requirements.write_text("\n".join(build.requirements) + "\n")
    installed = build.run("python", "-m", "pip", "install", "--disable-pip-version-check", "--quiet", "-r",
                          str(requirements))
    assert installed.returncode == 0, installed.stderr[-3000:]
    post_build = build.run("bash", str(repository / "postBuild"))  # bash from PATH, env's bin first
    assert post_build.returncode == 0, post_build.stdout[-2000:] + post_build.stderr[-3000:]
    return build


def test_fresh_environment_holds_exactly_the_pip_section(binder: BinderBuild) -> None:
    frozen = binder.run("python", "-m", "pip", "list", "--format=json", "--disable-pip-version-check")
    installed = {_normalise(entry["name"]): entry["version"] for entry in json.loads(frozen.stdout)}
    pinned = {_normalise(line.split("==")[0]): line.split("==")[1] for line in binder.requirements}
    locked = {name: version for name, version in installed.items() if name not in NOT_LOCKED}
    assert locked == pinned  # so none of the course's test tools (requirements-dev.txt) either
    check = binder.run("python", "-m", "pip", "check", "--disable-pip-version-check")
    assert check.returncode == 0, check.stdout  # every dependency of every package is in the lock


def test_lessons_run_in_the_learners_environment(binder: BinderBuild) -> None:
    """What a lesson imports is in environment.yml, not only in the test tools' lock."""
    for lesson in ("notebooks/00-start-here.ipynb", "notebooks/08-consistent-hashing.ipynb"):
        folder = {"metadata": {"path": str(Path(lesson).parent)}}
        script = (
            "import nbformat; from nbclient import NotebookClient; "
            f"NotebookClient(nbformat.read({lesson!r}, as_version=4), timeout=120, resources={folder!r}).execute()"
        )
        ran = binder.run("python", "-c", script)
        assert ran.returncode == 0, f"{lesson}:\n{ran.stderr[-3000:]}"


def test_lab_extensions_for_widgets_and_nbgrader_are_enabled(binder: BinderBuild) -> None:
    listed = binder.run("jupyter", "labextension", "list")
    text = ANSI_ESCAPE.sub("", listed.stdout + listed.stderr)
    for extension in ("@jupyter-widgets/jupyterlab-manager", "@jupyter/nbgrader"):
        assert re.search(rf"^\s*{re.escape(extension)} v\S+ enabled OK", text, re.MULTILINE), text


def test_postbuild_applies_the_learner_settings(binder: BinderBuild) -> None:
    text = (ROOT / "postBuild").read_text()
    page_config = binder.prefix / "etc" / "jupyter" / "labconfig" / "page_config.json"
    disabled = {name for name, off in json.loads(page_config.read_text()).get("disabledExtensions", {}).items() if off}
    expected = postbuild_disabled_plugins(text)
    assert "@jupyterlab/apputils-extension:announcements" in expected
    assert expected <= disabled, f"postBuild disables {sorted(expected - disabled)}, the environment does not"
    server_config = json.loads((binder.prefix / "etc" / "jupyter" / "jupyter_server_config.json").read_text())
    assert server_config["ServerApp"]["kernel_websocket_connection_class"] == (
        "helpers.labserver.NoDelayKernelConnection"
    ), "kernel websockets without Nagle's delay (helpers/labserver.py)"
    settings = postbuild_settings_files(text)
    assert "overrides.json" in settings
    for name, content in settings.items():
        written = binder.prefix / "share" / "jupyter" / "lab" / "settings" / name
        assert json.loads(written.read_text()) == content


def test_jupyterlab_serves_start_here_with_the_learner_settings(binder: BinderBuild) -> None:
    with lab_server(binder.scratch / "lab", serve=binder.repository, bin_dir=binder.bin_dir) as server:
        with LOCAL.open(server.url(f"lab/tree/{START_HERE}"), timeout=30) as response:
            assert response.status == 200
            page = response.read().decode()
        contents = server.api("GET", f"api/contents/{START_HERE}")
        notification = server.api("GET", "lab/api/settings/@jupyterlab/apputils-extension:notification")
        with LOCAL.open(server.url("custom/custom.css"), timeout=30) as response:
            custom_css = response.read().decode()
    assert contents["type"] == "notebook"
    assert contents["content"]["cells"]
    config = json.loads(re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>',
                                  page, re.DOTALL).group(1))
    assert postbuild_disabled_plugins((ROOT / "postBuild").read_text()) <= set(config["disabledExtensions"])
    defaults = {name: spec.get("default") for name, spec in notification["schema"]["properties"].items()}
    assert defaults["checkForUpdates"] is False
    assert defaults["fetchNews"] == "false"
    # the course's note in nbgrader's Validate dialog (hidden tests run at grading) is loaded
    assert '<link rel="stylesheet" href="/custom/custom.css">' in page
    assert custom_css == (ROOT / "lab" / "custom" / "custom.css").read_text()


def test_binder_sessions_start_with_pact_telemetry_off() -> None:
    """repo2docker runs ./start before JupyterLab: it must export PACT_DO_NOT_TRACK=true, then run the server."""
    import os
    import stat

    start = ROOT / "start"
    assert start.stat().st_mode & stat.S_IXUSR, "start must be executable, or repo2docker ignores it"
    run = subprocess.run([str(start), "env"], capture_output=True, text=True, check=True,
                         env={k: v for k, v in os.environ.items() if k != "PACT_DO_NOT_TRACK"})  # fmt: skip
    assert "PACT_DO_NOT_TRACK=true" in run.stdout.splitlines()
