"""A class on JupyterHub with real Unix accounts: README "Running it for a class", run for real.

It does what the README tells an instructor to do on a server, on this machine: builds the
classroom environments (classroom/install.sh) from a learner release (make release), creates an
instructor with a clone of the course and three students (classroom/roster.py), starts the hub
(classroom/jupyterhub_config.py) on free loopback ports, and runs exercise 08's whole cycle the
way the interface does:

* each student through their **own** server: Assignment List (fetch, submit, fetch feedback),
  Validate, and the contents API to open and save their notebook;
* the instructor through the Formgrader service's API (generate, release, collect, grade Part D
  by hand, generate and release feedback) and the course's class grading command, run as the
  instructor in the course folder with the Formgrader service's environment (its terminal).

The students play tests/submissions.py's ``correct``, ``partly-wrong`` and ``tampered``, and
get exactly their expected score for every part. A student gets 403 from Formgrader and cannot
read another student's home or the instructor's course folder; the instructor's Course List
shows the course. All of it once with nbgrader's filesystem exchange, then with ngshare.

It needs root and ``useradd`` (it creates accounts named ``sdh-*``) and skips elsewhere,
saying why. Whatever happens, it stops every process it started, by process id, and removes
every account it made with ``userdel -r``. About 2 minutes per exchange, plus building the
environments (about 1 minute with pip's cache). Timings and memory go to
test-output/classroom-timings.json.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest

import submissions
from paths import ROOT
from requirement_pins import classroom_environment_pins, normalise, pins
from submissions import ASSIGNMENT, EXPECTED, MANUAL, NOTEBOOK, PARTS

COURSE = "system-design-hands-on"
CLASSROOM = ROOT / "classroom"
INSTRUCTOR = "sdh-instructor"
NGSHARE_ACCOUNT = "sdh-ngshare"
STUDENTS = {"sdh-correct": "correct", "sdh-partly-wrong": "partly-wrong", "sdh-tampered": "tampered"}
ACCOUNTS = [INSTRUCTOR, NGSHARE_ACCOUNT, *STUDENTS]
"""Every account this test makes; the ``sdh-`` prefix is this test's (a stale one from a killed run is removed)."""
OUTPUT = ROOT / "test-output"
LOCAL = urllib.request.build_opener(urllib.request.ProxyHandler({}))
HUB_START_S = 120.0
HUB_STOP_S = 90.0  # trap 3 of the design notes: the managed Formgrader stops only at SIGTERM


def _private_interpreter() -> bool:
    """True when some folder above this Python is closed to other accounts (pyenv's under /root, mode 700)."""
    folder = Path(sys.base_prefix).resolve()
    return any(not part.stat().st_mode & stat.S_IXOTH for part in [folder, *folder.parents])


def _why_not() -> str:
    if sys.platform != "linux":
        return "needs Linux (real Unix accounts and a local process spawner)"
    if os.geteuid() != 0:
        return "needs root: it creates real Unix accounts (useradd) and runs JupyterHub as root, as a class server does"
    missing = [tool for tool in ("useradd", "userdel", "runuser", "git") if shutil.which(tool) is None]
    if missing:
        return f"needs {', '.join(missing)} (Debian: passwd, util-linux, git)"
    if _private_interpreter() and shutil.which("patchelf") is None:
        return (f"this Python lives in a private folder ({sys.base_prefix}); copying it out needs patchelf "
                "(apt-get install patchelf; .ci/run installs it)")  # fmt: skip
    return ""


pytestmark = [pytest.mark.slow, pytest.mark.skipif(bool(_why_not()), reason=_why_not() or "runs")]


# --- processes and accounts -----------------------------------------------------------------


def _account_uids() -> dict[str, int]:
    uids = {}
    for name in ACCOUNTS:
        with contextlib.suppress(KeyError):
            uids[name] = pwd.getpwnam(name).pw_uid
    return uids


def _kill(pids: set[int]) -> list[str]:
    """SIGTERM, then SIGKILL, each process by its id; what had to be killed."""
    found = []
    for pid in sorted(pids):
        with contextlib.suppress(psutil.NoSuchProcess):
            found.append(psutil.Process(pid))
    for process in found:
        with contextlib.suppress(psutil.NoSuchProcess):
            process.terminate()
    _, alive = psutil.wait_procs(found, timeout=10)
    killed = []
    for process in alive:
        with contextlib.suppress(psutil.NoSuchProcess):
            killed.append(f"{process.pid}: {' '.join(process.cmdline())[:100]}")
            process.kill()
    psutil.wait_procs(alive, timeout=10)
    return killed


def _processes_of_accounts() -> set[int]:
    uids = set(_account_uids().values())
    return {p.pid for p in psutil.process_iter(["uids"]) if p.info["uids"] and p.info["uids"].real in uids}


def remove_accounts() -> None:
    """Stops every process of the test's accounts (by id), then ``userdel -r`` each account that exists."""
    _kill(_processes_of_accounts())
    for name in _account_uids():
        run = subprocess.run(["userdel", "-r", name], capture_output=True, text=True, check=False)
        assert run.returncode in (0, 12), f"userdel -r {name}: {run.stderr}"  # 12: no home folder to remove
    leftover = set(_account_uids())
    assert not leftover, f"accounts left behind: {leftover}"


def run_as(account: str, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["runuser", "-u", account, "--", *command], capture_output=True, text=True,
                          check=False, timeout=600, **kwargs)  # fmt: skip


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def tree_memory_mib(pid: int) -> tuple[float, float]:
    """RSS and PSS of a process and all its descendants, in MiB."""
    rss = pss = 0
    root = psutil.Process(pid)
    for process in [root, *root.children(recursive=True)]:
        with contextlib.suppress(psutil.NoSuchProcess):
            info = process.memory_full_info()
            rss, pss = rss + info.rss, pss + info.pss
    return rss / 2**20, pss / 2**20


# --- the class's machine: environments built once -------------------------------------------


@dataclass
class Machine:
    base: Path
    python: Path
    release: Path
    seconds: dict[str, float]

    @property
    def venv(self) -> Path:
        return self.base / "venv"


@pytest.fixture(scope="module")
def machine() -> Iterator[Machine]:
    """The classroom environments under a folder every account can read, as README builds them in /opt/sdh."""
    remove_accounts()  # a run killed half way may have left accounts behind
    reuse = os.environ.get("SDH_TEST_MACHINE")  # for working on this test: a folder an earlier run's build is in
    if reuse:
        yield Machine(Path(reuse), Path(reuse) / "python" / "bin" / "python3", Path(reuse) / "release", {})
        return
    base = Path(tempfile.mkdtemp(prefix="sdh-classroom-", dir="/tmp"))
    try:
        base.chmod(0o755)
        seconds: dict[str, float] = {}
        started = time.perf_counter()
        python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
        if _private_interpreter():  # trap 1: relocate it as README says
            run = subprocess.run(["bash", str(CLASSROOM / "relocate-python.sh"), sys.base_prefix, str(base / "python")],
                                 capture_output=True, text=True, check=False)  # fmt: skip
            assert run.returncode == 0, run.stdout + run.stderr
            python = base / "python" / "bin" / python.name
        release = base / "release"
        run = subprocess.run(["make", "--no-print-directory", "release", f"DIR={release}"], cwd=ROOT,
                             capture_output=True, text=True, check=False)  # fmt: skip
        assert run.returncode == 0, run.stdout + run.stderr
        run = subprocess.run(["bash", str(CLASSROOM / "install.sh"), str(python), str(base), str(release)],
                             capture_output=True, text=True, check=False, timeout=1200)  # fmt: skip
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        seconds["build environments"] = time.perf_counter() - started
        yield Machine(base, python, release, seconds)
    finally:
        shutil.rmtree(base, ignore_errors=True)


# --- a class: the hub, the accounts and the cycle --------------------------------------------


@dataclass
class Class:
    exchange: str
    machine: Machine
    course_dir: Path
    state: Path
    exchange_root: Path
    ports: dict[str, int]
    hub: subprocess.Popen[bytes] | None = None
    tokens: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)
    memory_mib: dict[str, float] = field(default_factory=dict)
    results: dict[str, Any] = field(default_factory=dict)
    pids: set[int] = field(default_factory=set)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.ports['HUB']}"

    def environment(self) -> dict[str, str]:
        """What README exports before starting the hub."""
        env = {name: value for name, value in os.environ.items()
               if not name.startswith(("JUPYTER", "SDH_", "PYTHON"))}  # fmt: skip
        env.update({f"SDH_{name}_PORT": str(port) for name, port in self.ports.items()})
        env.update(SDH_INSTRUCTOR=INSTRUCTOR, SDH_COURSE_DIR=str(self.course_dir), SDH_EXCHANGE=self.exchange,
                   SDH_EXCHANGE_ROOT=str(self.exchange_root), SDH_STATE_DIR=str(self.state),
                   SDH_NGSHARE_USER=NGSHARE_ACCOUNT, SDH_NGSHARE_DIR=str(self.state.parent / "ngshare"),
                   PATH=f"{self.machine.venv / 'bin'}{os.pathsep}{os.environ['PATH']}")  # fmt: skip
        return env

    def call(self, method: str, path: str, token: str, body: Any = None, form: bool = False) -> tuple[int, Any]:
        """Status and decoded answer of a request through the hub's proxy, as a browser or script makes it."""
        headers = {"Authorization": f"token {token}"}
        data = None
        if form:
            data = urllib.parse.urlencode(body).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(self.url + path, data=data, headers=headers, method=method)
        try:
            with LOCAL.open(request, timeout=300) as response:
                status, text = response.status, response.read()
        except urllib.error.HTTPError as error:
            status, text = error.code, error.read()
        try:
            return status, json.loads(text) if text else None
        except ValueError:
            return status, text.decode(errors="replace")

    def ok(self, method: str, path: str, token: str, body: Any = None, form: bool = False) -> Any:
        status, answer = self.call(method, path, token, body, form)
        assert 200 <= status < 300, f"{method} {path}: {status} {str(answer)[:2000]}\n{self.log_tail()}"
        return answer

    def admin(self) -> str:
        return (self.state / "admin-token").read_text().strip()

    def log_tail(self, lines: int = 30) -> str:
        log = self.state.parent / "hub.log"
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""

    def remember_processes(self) -> None:
        """Records the hub's descendants (proxy, services, servers, kernels) so cleanup can stop each by id."""
        if self.hub is not None:
            with contextlib.suppress(psutil.NoSuchProcess):
                self.pids |= {child.pid for child in psutil.Process(self.hub.pid).children(recursive=True)}

    def server_pid(self, user: str) -> int:
        """The process id of a user's jupyterhub-singleuser."""
        for child in psutil.Process(self.hub.pid).children(recursive=True):  # type: ignore[union-attr]
            with contextlib.suppress(psutil.NoSuchProcess):
                if child.username() == user and "jupyterhub-singleuser" in " ".join(child.cmdline()):
                    environment = child.environ()
                    if "JUPYTERHUB_SERVICE_NAME" not in environment:
                        return child.pid
        raise AssertionError(f"no server of {user} runs")

    def formgrader_environment(self) -> dict[str, str]:
        """The Formgrader service's environment: what a terminal opened in it has."""
        for child in psutil.Process(self.hub.pid).children(recursive=True):  # type: ignore[union-attr]
            with contextlib.suppress(psutil.NoSuchProcess):
                environment = child.environ()
                if environment.get("JUPYTERHUB_SERVICE_NAME") == COURSE:
                    return environment
        raise AssertionError("the Formgrader service does not run")


def start_hub(klass: Class) -> None:
    for name, port in klass.ports.items():  # trap 3: a second hub on the same ports "answers" the first's API
        with socket.socket() as probe:
            assert probe.connect_ex(("127.0.0.1", port)) != 0, f"port {port} ({name}) is taken"
    log = (klass.state.parent / "hub.log").open("wb")
    started = time.perf_counter()
    klass.hub = subprocess.Popen(
        [str(klass.machine.venv / "bin" / "jupyterhub"), "-f", str(CLASSROOM / "jupyterhub_config.py")],
        cwd=klass.state.parent, env=klass.environment(), stdin=subprocess.DEVNULL, stdout=log,
        stderr=subprocess.STDOUT, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + HUB_START_S
    while time.monotonic() < deadline:
        klass.remember_processes()
        assert klass.hub.poll() is None, f"the hub exited with {klass.hub.returncode}:\n{klass.log_tail(60)}"
        with contextlib.suppress(OSError), LOCAL.open(f"{klass.url}/hub/api/", timeout=2) as response:
            if response.status == 200:
                break
        time.sleep(0.25)
    else:
        raise AssertionError(f"the hub did not answer within {HUB_START_S:.0f} s:\n{klass.log_tail(60)}")
    klass.seconds["hub start (until /hub/api/ answers)"] = time.perf_counter() - started
    klass.remember_processes()


def stop_hub(klass: Class) -> list[str]:
    """SIGTERM to the hub (it stops its servers and services), then every recorded process by its id."""
    if klass.hub is None:
        return []
    klass.remember_processes()
    started = time.perf_counter()
    with contextlib.suppress(ProcessLookupError):
        klass.hub.send_signal(signal.SIGTERM)
    try:
        klass.hub.wait(HUB_STOP_S)
    except subprocess.TimeoutExpired:
        klass.hub.kill()
        klass.hub.wait(10)
    klass.seconds["hub stop (SIGTERM until exit)"] = time.perf_counter() - started
    return _kill(klass.pids | _processes_of_accounts())


def make_accounts(klass: Class) -> None:
    """The instructor with a clone of the course, ngshare's account; the students come through roster.py."""
    for name in (INSTRUCTOR, NGSHARE_ACCOUNT):
        subprocess.run(["useradd", "--create-home", "--shell", "/bin/bash", name], check=True)
        Path(pwd.getpwnam(name).pw_dir).chmod(0o700)
    # trap 13: a plain local clone hardlinks the object packs, and chown on the clone changes the original
    subprocess.run(["git", "clone", "--quiet", "--no-hardlinks", str(ROOT), str(klass.course_dir)], check=True)
    subprocess.run(["chown", "-R", f"{INSTRUCTOR}:{INSTRUCTOR}", str(klass.course_dir)], check=True)


def mint_tokens(klass: Class) -> None:
    """A token per user, as each would make one on the hub's Token page (here through the admin service)."""
    for user in [INSTRUCTOR, *STUDENTS]:
        answer = klass.ok("POST", f"/hub/api/users/{user}/tokens", klass.admin(), {"note": "classroom test"})
        klass.tokens[user] = answer["token"]


def spawn_servers(klass: Class) -> None:
    """Each user starts their server; seconds from the request until the hub reports it ready."""
    asked = {}
    for user in [INSTRUCTOR, *STUDENTS]:
        asked[user] = time.perf_counter()
        status, answer = klass.call("POST", f"/hub/api/users/{user}/server", klass.tokens[user])
        assert status in (201, 202), f"{user}: {status} {answer}\n{klass.log_tail()}"
    ready: dict[str, float] = {}
    deadline = time.monotonic() + 180
    while len(ready) < len(asked) and time.monotonic() < deadline:
        for user in set(asked) - set(ready):
            model = klass.ok("GET", f"/hub/api/users/{user}", klass.admin())
            if model.get("servers", {}).get("", {}).get("ready"):
                ready[user] = time.perf_counter() - asked[user]
        klass.remember_processes()
        time.sleep(0.25)
    assert len(ready) == len(asked), f"servers not ready: {set(asked) - set(ready)}\n{klass.log_tail(60)}"
    klass.seconds["spawn, slowest of 4 started together"] = max(ready.values())
    klass.seconds["spawn, fastest of 4 started together"] = min(ready.values())


def log_in_with_password(klass: Class, user: str) -> str:
    """A PAM login through the hub's login form, as a student does in a browser; the page they land on."""
    password = secrets.token_urlsafe(16)
    subprocess.run(["chpasswd"], input=f"{user}:{password}\n", text=True, check=True)
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(jar))
    with browser.open(f"{klass.url}/hub/login", timeout=30) as response:
        page = response.read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page)
    assert xsrf, page[:2000]
    form = urllib.parse.urlencode({"username": user, "password": password, "_xsrf": xsrf.group(1)}).encode()
    with browser.open(f"{klass.url}/hub/login?next=%2Fhub%2Fhome", data=form, timeout=60) as response:
        return f"{response.url}\n{response.read().decode(errors='replace')}"


def course_list(klass: Class) -> Any:
    return klass.ok("GET", f"/user/{INSTRUCTOR}/formgraders", klass.tokens[INSTRUCTOR])


def page_config(klass: Class, user: str) -> dict[str, Any]:
    _, page = klass.call("GET", f"/user/{user}/lab", klass.tokens[user])
    found = re.search(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', str(page), re.S)
    assert found, str(page)[:2000]
    config: dict[str, Any] = json.loads(found.group(1))
    return config


def run_cycle(klass: Class) -> None:
    """Exercise 08 from release to feedback, each step through the interface that does it in a class."""
    formgrader = f"/services/{COURSE}/formgrader/api"
    teacher = klass.tokens[INSTRUCTOR]
    notebook_path = f"{ASSIGNMENT}/{NOTEBOOK}"
    action = {"assignment_id": ASSIGNMENT, "course_id": COURSE}
    started = time.perf_counter()

    generated = klass.ok("POST", f"{formgrader}/assignment/{ASSIGNMENT}/assign", teacher)
    assert generated["success"], generated
    released = klass.ok("POST", f"{formgrader}/assignment/{ASSIGNMENT}/release", teacher)
    assert released["success"], released

    for user, kind in STUDENTS.items():
        token = klass.tokens[user]
        listed = klass.ok("POST", f"/user/{user}/assignments/fetch", token, action, form=True)
        assert listed["success"], listed
        fetched = klass.ok("GET", f"/user/{user}/api/contents/{notebook_path}", token)
        klass.results.setdefault("fetched", {})[user] = fetched["content"]
        work = json.loads(nbformat.writes(submissions.STUDENTS[kind]()))
        klass.ok("PUT", f"/user/{user}/api/contents/{notebook_path}", token,
                 {"type": "notebook", "format": "json", "content": work})  # fmt: skip
        validated = klass.ok("POST", f"/user/{user}/assignments/validate", token, {"path": notebook_path}, form=True)
        klass.results.setdefault("validate", {})[user] = validated
        if kind == "correct":  # memory of a server running a kernel, as a learner's open notebook does
            klass.memory_mib["student server, idle (RSS)"], klass.memory_mib["student server, idle (PSS)"] = (
                tree_memory_mib(klass.server_pid(user)))  # fmt: skip
            kernel = klass.ok("POST", f"/user/{user}/api/kernels", token, {"name": "python3"})
            time.sleep(3)
            klass.memory_mib["student server with a kernel (RSS)"], _ = tree_memory_mib(klass.server_pid(user))
            klass.ok("DELETE", f"/user/{user}/api/kernels/{kernel['id']}", token)
        submitted = klass.ok("POST", f"/user/{user}/assignments/submit", token, action, form=True)
        assert submitted["success"], submitted
    klass.seconds["cycle: students fetched, validated, submitted"] = time.perf_counter() - started

    collected = klass.ok("POST", f"{formgrader}/assignment/{ASSIGNMENT}/collect", teacher)
    assert collected["success"], collected
    klass.results["collect"] = collected

    # The class grading command, as the instructor types it in a terminal of the Formgrader service's Lab
    graded_at = time.perf_counter()
    terminal = klass.formgrader_environment()
    command = ["python", "-m", "helpers.grading", "--class", ASSIGNMENT]
    run = run_as(INSTRUCTOR, ["env", "-i", *(f"{k}={v}" for k, v in terminal.items()), *command], cwd=klass.course_dir)
    klass.results["class grading"] = run
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-5000:]
    klass.seconds["autograde (3 submissions, helpers.grading --class)"] = time.perf_counter() - graded_at

    # Part D by hand, as Formgrader's Manual Grading page saves it
    for submission in klass.ok("GET", f"{formgrader}/submitted_notebooks/{ASSIGNMENT}/hash-ring", teacher):
        kind = STUDENTS[submission["student"]]
        grades = klass.ok("GET", f"{formgrader}/grades?submission_id={submission['id']}", teacher)
        [essay] = [grade for grade in grades if grade["name"] == "jump_or_ring"]
        klass.results.setdefault("waiting for hand grading", {})[kind] = essay["needs_manual_grade"]
        if kind in MANUAL:
            klass.ok("PUT", f"{formgrader}/grade/{essay['id']}", teacher, {"manual_score": MANUAL[kind]})
    scores = {}
    for submission in klass.ok("GET", f"{formgrader}/submitted_notebooks/{ASSIGNMENT}/hash-ring", teacher):
        grades = klass.ok("GET", f"{formgrader}/grades?submission_id={submission['id']}", teacher)
        # a grade's score is its manual score where a person gave one, else its automatic one (nbgrader's rule)
        scores[STUDENTS[submission["student"]]] = {
            grade["name"]: grade["manual_score"] if grade["manual_score"] is not None else grade["auto_score"]
            for grade in grades
        }
    klass.results["scores"] = scores

    for step in ("generate_feedback", "release_feedback"):
        answer = klass.ok("POST", f"{formgrader}/assignment/{ASSIGNMENT}/{step}", teacher)
        assert answer["success"], answer
    for user in STUDENTS:
        listed = klass.ok("POST", f"/user/{user}/assignments/fetch_feedback", klass.tokens[user], action, form=True)
        assert listed["success"], listed
        folder = klass.ok("GET", f"/user/{user}/api/contents/{ASSIGNMENT}/feedback", klass.tokens[user])
        [stamp] = folder["content"]
        where = urllib.parse.quote(f"{stamp['path']}/hash-ring.html")  # the folder is a time stamp with spaces
        page = klass.ok("GET", f"/user/{user}/api/contents/{where}", klass.tokens[user])
        klass.results.setdefault("feedback", {})[user] = page["content"]
    klass.seconds["cycle: generate to feedback fetched (3 students)"] = time.perf_counter() - started


@pytest.fixture(scope="module", params=["fs", "ngshare"])
def klass(request: pytest.FixtureRequest, machine: Machine) -> Iterator[Class]:
    """A class run from empty accounts to feedback with one exchange; everything is stopped and removed after."""
    exchange = str(request.param)
    folder = machine.base / f"hub-{exchange}"
    folder.mkdir()
    home = Path("/home") / INSTRUCTOR  # useradd's default; checked below
    ports = {name: free_port() for name in ("HUB", "HUB_API", "PROXY_API", "FORMGRADER", "NGSHARE")}
    klass = Class(exchange, machine, home / COURSE, folder / "state", folder / "exchange", ports)
    killed: list[str] = []
    whole = time.perf_counter()
    try:
        make_accounts(klass)
        assert Path(pwd.getpwnam(INSTRUCTOR).pw_dir) == home
        start_hub(klass)
        roster = subprocess.run(
            [sys.executable, str(CLASSROOM / "roster.py"), "add", "--release", str(machine.release),
             "--exchange", exchange, "--hub", klass.url, "--token-file", str(klass.state / "admin-token"),
             *STUDENTS],
            capture_output=True, text=True, check=False, timeout=300,
        )  # fmt: skip
        assert roster.returncode == 0, roster.stdout + roster.stderr + klass.log_tail()
        klass.results["login"] = log_in_with_password(klass, next(iter(STUDENTS)))
        mint_tokens(klass)
        spawn_servers(klass)
        klass.memory_mib["instructor server, idle (RSS)"], _ = tree_memory_mib(klass.server_pid(INSTRUCTOR))
        klass.results["course list"] = course_list(klass)
        klass.results["page config"] = {user: page_config(klass, user) for user in [INSTRUCTOR, *STUDENTS]}
        run_cycle(klass)
        ngshare_files = folder / "ngshare" / "files"
        klass.results["ngshare files"] = [str(path) for path in ngshare_files.rglob("*")]  # empty with fs
        klass.remember_processes()
        yield klass
    finally:
        try:
            killed = stop_hub(klass)
        finally:
            remove_accounts()
            shutil.rmtree(folder, ignore_errors=True)
        klass.seconds["whole class: accounts, hub, cycle, stop, userdel"] = time.perf_counter() - whole
        OUTPUT.mkdir(exist_ok=True)
        timings = OUTPUT / "classroom-timings.json"
        recorded = json.loads(timings.read_text()) if timings.exists() else {}
        recorded[exchange] = {"seconds": {name: round(value, 1) for name, value in
                                          {**machine.seconds, **klass.seconds}.items()},
                              "memory_mib": {name: round(value) for name, value in klass.memory_mib.items()},
                              "killed after the hub stopped": killed}  # fmt: skip
        timings.write_text(json.dumps(recorded, indent=1) + "\n")
    assert not [pid for pid in klass.pids if psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie"]


# --- the tests -------------------------------------------------------------------------------


def test_classroom_environments_hold_exactly_the_locks(machine: Machine) -> None:
    """classroom/install.sh builds exactly environment.yml + requirements-hub.txt + requirements-no-deps.txt,
    and ngshare's environment exactly requirements-ngshare.txt."""
    not_locked = {"pip", "setuptools", "wheel", "system-design-hands-on"}
    for folder, expected in ((machine.venv, classroom_environment_pins()),
                             (machine.base / "ngshare", pins(CLASSROOM / "requirements-ngshare.txt"))):  # fmt: skip
        command = [str(folder / "bin" / "python"), "-m", "pip", "list", "--format=json", "--disable-pip-version-check"]
        listed = subprocess.run(command, capture_output=True, text=True, check=True)
        installed = {normalise(item["name"]): item["version"] for item in json.loads(listed.stdout)}
        assert {name: version for name, version in installed.items() if name not in not_locked} == expected, folder
    check = subprocess.run([str(machine.venv / "bin" / "python"), "-m", "pip", "check"], capture_output=True, text=True)
    problems = [line for line in check.stdout.splitlines() if line.strip()]
    assert problems == ["ngshare-exchange 0.5.3 has requirement jupyter-core<4.11.2, but you have jupyter-core 5.9.1."]




def test_a_student_logs_in_with_their_unix_password(klass: Class) -> None:
    assert "/hub/home" in klass.results["login"].splitlines()[0]
    assert "sdh-correct" in klass.results["login"]


def test_students_fetch_exactly_the_release(klass: Class) -> None:
    released = nbformat.read(klass.machine.release / "exercises" / ASSIGNMENT / NOTEBOOK, as_version=4)
    for user, content in klass.results["fetched"].items():
        fetched = nbformat.from_dict(content)
        assert [cell.source for cell in fetched.cells] == [cell.source for cell in released.cells], user


def test_validate_runs_the_visible_tests_in_each_students_own_server(klass: Class) -> None:
    validate = {STUDENTS[user]: answer for user, answer in klass.results["validate"].items()}
    assert validate["correct"] == {"success": True, "value": {}}
    failed = [cell["source"].splitlines()[0] for cell in validate["partly-wrong"]["value"]["failed"]]
    solution = nbformat.read(submissions.SOLUTION, as_version=4)
    walk = submissions.cell(solution, "test_bounded_walk").source.splitlines()[0]
    assert failed == [walk], "only the visible test that notices the slip fails; the hidden one waits for grading"
    assert "changed" in validate["tampered"]["value"], "the edited test cell is reported"


def test_every_student_gets_exactly_the_expected_score_for_every_part(klass: Class) -> None:
    assert klass.results["scores"] == {kind: EXPECTED[kind] for kind in STUDENTS.values()}
    assert set(PARTS) == set(EXPECTED["correct"])


def test_only_written_answers_wait_for_hand_grading(klass: Class) -> None:
    assert klass.results["waiting for hand grading"] == {"correct": True, "partly-wrong": True, "tampered": False}


def test_class_grading_prints_each_students_row(klass: Class) -> None:
    out = klass.results["class grading"].stdout
    assert f"{ASSIGNMENT}: 3 students" in out
    assert re.search(r"^  sdh-correct +12 / 14 +jump_or_ring +-$", out, flags=re.MULTILINE), out
    assert re.search(r"^  sdh-tampered +7 / 14 +- +test_bounded_capacity 0/2, test_bounded_walk 0/3, "
                     r"jump_or_ring 0/2$", out, flags=re.MULTILINE), out  # fmt: skip


def test_each_student_fetches_their_own_feedback(klass: Class) -> None:
    for user, page in klass.results["feedback"].items():
        total = sum(EXPECTED[STUDENTS[user]].values())
        assert f"Score: {total:.1f} / 14.0" in page, f"{user} got someone else's feedback"


def test_a_student_gets_403_from_formgrader_and_the_instructor_gets_in(klass: Class) -> None:
    status, _ = klass.call("GET", f"/services/{COURSE}/formgrader/api/status", klass.tokens["sdh-correct"])
    assert status == 403
    status, answer = klass.call("GET", f"/services/{COURSE}/formgrader/api/status", klass.tokens[INSTRUCTOR])
    assert (status, answer) == (200, {"status": True})


def test_the_instructors_course_list_shows_the_course(klass: Class) -> None:
    listed = klass.results["course list"]
    assert listed["success"], listed
    assert listed["value"] == [{"course_id": COURSE, "kind": "jupyterhub",
                                "url": f"{klass.url}/services/{COURSE}/lab?formgrader=true"}]  # fmt: skip


def test_each_role_gets_its_nbgrader_tools(klass: Class) -> None:
    def enabled(user: str, plugin: str) -> bool:
        return f"@jupyter/nbgrader:{plugin}" not in klass.results["page config"][user]["disabledExtensions"]

    for user in STUDENTS:
        assert enabled(user, "assignment-list")
        assert enabled(user, "validate-assignment")
        assert not enabled(user, "formgrader")
        assert not enabled(user, "course-list")
        assert not enabled(user, "create-assignment")
    assert enabled(INSTRUCTOR, "course-list")
    assert enabled(INSTRUCTOR, "assignment-list")


def test_students_cannot_read_each_other_or_the_instructors_course(klass: Class) -> None:
    solution = Path(pwd.getpwnam(INSTRUCTOR).pw_dir) / COURSE / "solutions" / ASSIGNMENT / NOTEBOOK
    assert solution.is_file()
    other = Path(pwd.getpwnam("sdh-partly-wrong").pw_dir)
    for command in (["ls", str(other)], ["cat", str(other / ASSIGNMENT / NOTEBOOK)], ["cat", str(solution)],
                    ["ls", str(solution.parents[2])]):  # fmt: skip
        run = run_as("sdh-correct", command)
        assert run.returncode != 0, f"sdh-correct ran {command}: {run.stdout[:200]}"
        assert "Permission denied" in run.stderr
    own = run_as("sdh-correct", ["ls", str(Path(pwd.getpwnam("sdh-correct").pw_dir) / COURSE)])
    assert own.returncode == 0
    assert "solutions" not in own.stdout.split(), "the student's copy is the learner release"


def test_the_exchange_holds_what_it_should(klass: Class) -> None:
    if klass.exchange == "fs":
        inbound = klass.exchange_root / COURSE / "inbound"
        assert stat.S_IMODE(klass.exchange_root.stat().st_mode) == 0o777
        submitted = list(inbound.iterdir())
        assert len(submitted) == len(STUDENTS)
        for folder in submitted:  # collect checks these owners (check_owner stays on: real accounts)
            assert folder.owner() == folder.name.split("+")[0], folder.name
        assert stat.S_IMODE(inbound.stat().st_mode) & 0o004 == 0, "students cannot list the submissions"
    else:
        assert not klass.exchange_root.exists(), "with ngshare nothing goes through the filesystem exchange"
        stored = [path for path in klass.results["ngshare files"] if path.endswith(".ipynb")]  # named by uuid
        assert len(stored) >= 1 + len(STUDENTS), "ngshare stores the release and each submission"
    collected = klass.results["collect"]
    assert collected["success"]
    settings = [path.read_text() for path in (CLASSROOM / "jupyter-config").rglob("*") if path.is_file()]
    assert not [text for text in settings if "check_owner" in text], "collect checks who owns each submission"


def test_timings_and_memory_are_recorded(klass: Class) -> None:
    print(json.dumps({"exchange": klass.exchange, "seconds": klass.seconds, "memory_mib": klass.memory_mib},
                     indent=1))  # fmt: skip
    assert klass.memory_mib["student server with a kernel (RSS)"] > klass.memory_mib["student server, idle (RSS)"]
