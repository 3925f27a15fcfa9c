"""Every lesson runs with no network but loopback, listens only on loopback, and leaves nothing running.

Each lesson is run once, top to bottom in a fresh kernel, by this file run as a script
(``python tests/course/test_offline.py NOTEBOOK``) in a new network namespace
(``unshare -n``: only a loopback interface, which the script brings up). Where no namespace
can be made (not root, and no user namespaces), it runs on the ordinary network: the
containment checks still run, the offline test is skipped and says why.

While the lesson runs, the script records

* every address a Python socket in the kernel binds, connects or sends to (an audit hook,
  so even a server that lives for a millisecond is seen), and
* every listening socket of the kernel and the processes it starts (sampled every 10 ms,
  so servers outside Python are seen too);

at the end of the lesson, the servers, threads and processes the lesson started that still
run (allowed: an explorer may need a server while the kernel lives; reported on failure);
and after the kernel shuts down, any of its processes still alive and any socket still
listening (not allowed).
"""

from __future__ import annotations

import fcntl
import ipaddress
import json
import os
import socket
import struct
import subprocess
import sys
import threading
import time
from contextlib import suppress
from functools import cache
from pathlib import Path
from typing import Any

import nbformat
import psutil
import pytest
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from paths import LESSONS, course_id

SAMPLE_S = 0.01
RUN_TIMEOUT_S = 300

# Run in the kernel before the lesson: record every inet address a Python socket binds,
# connects or sends to, and which threads exist before the lesson starts any.
AUDIT_CELL = """\
import sys as _sys, threading as _threading
_course_addresses, _course_threads = set(), {_thread.ident for _thread in _threading.enumerate()}
def _course_audit(event, args):
    if event in ("socket.bind", "socket.connect", "socket.sendto") and args[0].family in (2, 10):
        _course_addresses.add((event.removeprefix("socket."), str(args[-1][0])))
_sys.addaudithook(_course_audit)
"""
# Run in the kernel after the lesson: what was recorded, and threads the lesson left running.
REPORT_CELL = """\
import json as _json
print(_json.dumps({
    "addresses": sorted(_course_addresses),
    "threads": sorted(_t.name for _t in _threading.enumerate() if _t.ident not in _course_threads and _t.is_alive()),
}))
"""


# --- the script: run one lesson and report ---------------------------------------------------


def bring_loopback_up() -> None:
    """``ip link set lo up`` without iproute2: a new network namespace starts with lo down."""
    siocgifflags, siocsifflags, iff_up = 0x8913, 0x8914, 0x1
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as control:
        request = struct.pack("16sH22x", b"lo", 0)
        flags = struct.unpack("16sH22x", fcntl.ioctl(control, siocgifflags, request))[1]
        fcntl.ioctl(control, siocsifflags, struct.pack("16sH22x", b"lo", flags | iff_up))


def _listening(process: psutil.Process) -> set[tuple[str, int]]:
    """Address and port of each TCP socket the process listens on (UDP binds: see the audit hook)."""
    return {
        (connection.laddr.ip, connection.laddr.port)
        for connection in process.net_connections(kind="tcp")
        if connection.status == psutil.CONN_LISTEN
    }


class KernelWatcher(threading.Thread):
    """Samples the kernel's process tree: every process and every listening socket it had."""

    def __init__(self, kernel: psutil.Process) -> None:
        super().__init__(daemon=True)
        self.kernel = kernel
        self.processes: dict[int, psutil.Process] = {}
        self.sockets: set[tuple[int, str, str, int]] = set()  # (pid, command, address, port)
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            try:
                tree = [self.kernel, *self.kernel.children(recursive=True)]
            except psutil.Error:
                tree = []
            for process in tree:
                try:
                    self.processes.setdefault(process.pid, process)
                    for address, port in _listening(process):
                        self.sockets.add((process.pid, process.name(), address, port))
                except psutil.Error:
                    pass  # gone between listing and reading
            self.done.wait(SAMPLE_S)


def run_lesson(path: Path) -> dict[str, Any]:
    """Runs the lesson with the probes; a JSON-able report (see the module's docstring)."""
    report: dict[str, Any] = {"interfaces": [name for _, name in socket.if_nameindex()], "error": None}
    notebook = nbformat.read(path, as_version=4)
    notebook.cells = [nbformat.v4.new_code_cell(AUDIT_CELL), *notebook.cells, nbformat.v4.new_code_cell(REPORT_CELL)]
    client = NotebookClient(
        notebook, timeout=120, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}
    )
    stderr, own_sockets = [], set()
    with client.setup_kernel(stderr=subprocess.DEVNULL):  # not the kernel's "running over TCP" warning
        kernel = psutil.Process(client.km.provisioner.pid)
        watcher = KernelWatcher(kernel)
        watcher.start()
        try:
            for index, cell in enumerate(notebook.cells):
                client.execute_cell(cell, index)
                if index == 0:  # the kernel's own sockets: its ZMQ channels and their helpers
                    own_sockets = _listening(kernel)
                stderr += [
                    f"cell {index - 1}: {output.text}"
                    for output in cell.get("outputs", [])
                    if output.get("output_type") == "stream" and output.get("name") == "stderr"
                ]
        except CellExecutionError as error:
            report["error"] = str(error)[-2000:]
        time.sleep(5 * SAMPLE_S)  # one more sample of the finished lesson
        watcher.done.set()
        watcher.join()
        report["left_listening"] = sorted(f"{address}:{port}" for address, port in _listening(kernel) - own_sockets)
        report["left_processes"] = [" ".join(child.cmdline())[:120] for child in kernel.children(recursive=True)]
        if report["error"] is None:
            report.update(json.loads(notebook.cells[-1].outputs[0].text))
    _, alive = psutil.wait_procs(list(watcher.processes.values()), timeout=10)
    report["survivors"] = [f"pid {process.pid} {process.name()}" for process in alive]
    for process in alive:  # recorded: now stop them, so no test leaves a process behind
        with suppress(psutil.Error):
            process.kill()
    report["stderr"] = stderr
    report["sockets"] = sorted(watcher.sockets)
    report["listening_after"] = sorted(
        f"{c.laddr.ip}:{c.laddr.port}" for c in psutil.net_connections(kind="inet")
        if c.status == psutil.CONN_LISTEN and (c.pid in watcher.processes or report["interfaces"] == ["lo"])
    )
    return report


def main(argv: list[str]) -> int:
    if os.environ.get("COURSE_NETNS") == "1":
        bring_loopback_up()
    print(json.dumps(run_lesson(Path(argv[1]))))
    return 0


# --- the tests --------------------------------------------------------------------------------

NAMESPACE_COMMANDS = (["unshare", "--net"], ["unshare", "--map-root-user", "--net"])


@cache
def namespace_command() -> tuple[list[str] | None, str]:
    """A command prefix that runs in a new network namespace, or None and why none works here."""
    reasons = []
    for command in NAMESPACE_COMMANDS:
        try:
            probe = subprocess.run([*command, "true"], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as error:
            reasons.append(f"{' '.join(command)}: {error}")
            continue
        if probe.returncode == 0:
            return command, ""
        reasons.append(f"{' '.join(command)}: {probe.stderr.strip()}")
    return None, "; ".join(reasons)


# The script imports tests/paths.py, as pytest's pythonpath lets the tests do.
TESTS_ON_PATH = os.pathsep.join([str(Path(__file__).resolve().parents[1]), os.environ.get("PYTHONPATH", "")])


@pytest.fixture(scope="module", params=LESSONS, ids=course_id)
def lesson_run(request: pytest.FixtureRequest) -> dict[str, Any]:
    """The lesson's report, from a new network namespace where one can be made."""
    path: Path = request.param
    prefix, why_not = namespace_command()
    command = [sys.executable, __file__, str(path)]
    result = subprocess.run(
        [*prefix, "--", *command] if prefix else command,
        capture_output=True, text=True, timeout=RUN_TIMEOUT_S,
        env={**os.environ, "COURSE_NETNS": "1" if prefix else "0", "PYTHONPATH": TESTS_ON_PATH},
    )
    assert result.returncode == 0, result.stderr[-3000:]
    report: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    report["no_namespace"] = why_not
    return report


def test_lesson_runs_with_no_network_but_loopback(lesson_run: dict[str, Any]) -> None:
    if lesson_run["no_namespace"]:
        pytest.skip(f"no network namespace can be made here, so the lesson ran online: {lesson_run['no_namespace']}")
    assert lesson_run["interfaces"] == ["lo"], "the namespace has an interface besides loopback"
    assert lesson_run["error"] is None, lesson_run["error"]
    assert lesson_run["stderr"] == []


def is_loopback(address: str) -> bool:
    """127.0.0.0/8, ::1, or 127.x written as IPv6 (``::ffff:127.0.0.1``, a dual-stack socket)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address == "localhost"
    mapped = getattr(ip, "ipv4_mapped", None)
    return (mapped or ip).is_loopback


def test_lesson_uses_only_loopback(lesson_run: dict[str, Any]) -> None:
    assert lesson_run["error"] is None, lesson_run["error"]
    elsewhere = [[kind, address] for kind, address in lesson_run["addresses"] if not is_loopback(address)]
    assert elsewhere == [], "a socket in the kernel bound, connected or sent to an address other than loopback"
    not_loopback = [socket_ for socket_ in lesson_run["sockets"] if not is_loopback(socket_[2])]
    assert not_loopback == [], "a process of the lesson listened on an address other than loopback"


def test_nothing_the_lesson_started_outlives_its_kernel(lesson_run: dict[str, Any]) -> None:
    """Servers may run until the kernel stops (an explorer may need one); nothing after that."""
    assert lesson_run["error"] is None, lesson_run["error"]
    still_running = {key: lesson_run[key] for key in ("left_listening", "threads", "left_processes")}
    assert lesson_run["survivors"] == [], f"processes alive after the kernel shut down; at the end: {still_running}"
    assert lesson_run["listening_after"] == [], "sockets listening after the kernel shut down"


if __name__ == "__main__":
    sys.exit(main(sys.argv))
