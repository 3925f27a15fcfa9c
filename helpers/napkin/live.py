"""Measure the classic numbers on this machine, in a few seconds (lesson 14, sections 4-6).

Each measurement is built to survive a busy, shared machine: it times **CPU time**
(``time.thread_time``) where the work is on the CPU, interleaves its repeats and keeps the
**minimum** (noise only ever adds time), and is small enough for Binder (at most ~200 MB).
File reads are timed on the wall clock (waiting for storage is not CPU time). None of the
results is asserted to better than an order of magnitude.

- ``memory_latency``: a pointer chase, each load depending on the last, over a ring larger
  than the caches, minus the same chase over a 4 KiB ring (the interpreter's own cost).
- ``random_reads``: independent random reads (NumPy gathers): the CPU overlaps their misses.
- ``sequential_read``: summing a large array: memory bandwidth, as seconds per MB.
- ``file_reads``: a file read cold (``fsync`` + ``posix_fadvise(DONTNEED)`` drop its pages from
  the page cache, no root needed) and warm, sequentially and at random 4 KiB offsets.
- ``syscall``: ``os.getppid()`` against a call that stays in the process.
- ``context_switch``: two processes passing a byte back and forth through pipes on one CPU.
- ``EchoServer`` and ``loopback_rtt``: TCP round trips over 127.0.0.1.

``measure_all`` runs them all and returns one ``Measurement`` per operation, named as in
``helpers.napkin.OPERATIONS`` where the tables time the same thing.
"""

from __future__ import annotations

import os
import socket
import socketserver
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from helpers import checks
from helpers.serving import HOST, BackgroundServer, JoiningTCPServer

__all__ = [
    "EchoServer",
    "FileReads",
    "Measurement",
    "RoundTrips",
    "context_switch",
    "file_reads",
    "filesystem_of",
    "loopback_rtt",
    "measure_all",
    "memory_latency",
    "random_reads",
    "sequential_read",
    "syscall",
]

MIB = 2**20


@dataclass(frozen=True)
class Measurement:
    """One number measured on this machine: the operation, seconds per operation, and how it was taken."""

    operation: str
    seconds: float
    method: str


def _cpu_time(work: Callable[[], object]) -> float:
    started = time.thread_time()
    work()
    return time.thread_time() - started


def _single_cycle(entries: int, rng: np.random.Generator) -> NDArray[np.int32]:
    """An int32 array whose values form one cycle through every index, in random order."""
    order = rng.permutation(np.arange(entries, dtype=np.int32))
    ring = np.empty(entries, dtype=np.int32)
    ring[order[:-1]] = order[1:]
    ring[order[-1]] = order[0]
    return ring


def memory_latency(ring_mib: int = 64, steps: int = 20_000, repeats: int = 8, seed: int = 14) -> Measurement:
    """Main memory reference: a pointer chase over ``ring_mib`` MiB minus one over 4 KiB (lesson 14, section 4).

    Each step loads the index of the next, so no two loads overlap: the time of a step is
    the latency of a load that misses every cache (and, over a large ring, the TLB). The
    position carries over between repeats so no slot is read twice while it may still be
    cached. Repeats of the two rings are interleaved; each ring keeps its fastest repeat.
    """
    mib = checks.integer("ring_mib", ring_mib, 8, 512)
    count = checks.integer("steps", steps, 1_000, 10_000_000)
    rounds = checks.integer("repeats", repeats, 1, 100)
    rng = np.random.default_rng(checks.integer("seed", seed, 0))
    rings = {"small": _single_cycle(1_024, rng), "large": _single_cycle(mib * MIB // 4, rng)}
    views = {name: memoryview(ring) for name, ring in rings.items()}  # type: ignore[arg-type]
    position = {"small": 0, "large": 0}
    best = {"small": float("inf"), "large": float("inf")}

    def chase(name: str) -> None:
        view, at = views[name], position[name]
        for _ in range(count):
            at = view[at]
        position[name] = at

    for _ in range(rounds):
        for name in ("small", "large"):
            best[name] = min(best[name], _cpu_time(lambda name=name: chase(name)) / count)  # type: ignore[misc]
    for view in views.values():
        view.release()
    miss = max(best["large"] - best["small"], 0.0)
    method = (
        f"pointer chase, {mib} MiB ring {best['large'] * 1e9:.0f} ns a step minus a 4 KiB ring "
        f"{best['small'] * 1e9:.0f} ns a step (the interpreter's cost); CPU time, best of {rounds}"
    )
    return Measurement("main memory reference", miss, method)


def random_reads(array_mib: int = 64, reads: int = 2**21, repeats: int = 3, seed: int = 14) -> Measurement:
    """Independent random reads: NumPy gathers ``reads`` int32 from ``array_mib`` MiB (lesson 14, section 4).

    No read waits for another, so the CPU keeps many misses in flight: the time per read is
    far below one miss's latency. That is napkin-math's "random memory read", not Dean's
    "main memory reference".
    """
    mib = checks.integer("array_mib", array_mib, 8, 512)
    count = checks.integer("reads", reads, 1_000, 2**26)
    rounds = checks.integer("repeats", repeats, 1, 100)
    rng = np.random.default_rng(checks.integer("seed", seed, 0))
    data = np.ones(mib * MIB // 4, dtype=np.int32)
    where = rng.integers(0, data.size, count, dtype=np.int64)
    best = min(_cpu_time(lambda: int(data[where].sum())) for _ in range(rounds)) / count
    method = f"NumPy gather of {count:,} random int32 from {mib} MiB; CPU time, best of {rounds}"
    return Measurement("random memory read (independent)", best, method)


def sequential_read(array_mib: int = 64, repeats: int = 5) -> Measurement:
    """Read memory sequentially: seconds per MB (10**6 bytes) while NumPy sums ``array_mib`` MiB (section 4)."""
    mib = checks.integer("array_mib", array_mib, 8, 512)
    rounds = checks.integer("repeats", repeats, 1, 100)
    data = np.ones(mib * MIB // 8, dtype=np.int64)
    best = min(_cpu_time(lambda: int(data.sum())) for _ in range(rounds))
    per_mb = best / (data.nbytes / 10**6)
    method = f"NumPy sum of {mib} MiB: {data.nbytes / best / 2**30:.1f} GiB/s; CPU time, best of {rounds}"
    return Measurement("read 1 MB sequentially from memory", per_mb, method)


def filesystem_of(path: str | Path) -> str:
    """The filesystem type holding ``path`` ("ext4", "overlay", "tmpfs", ...), from /proc/mounts; "" if unknown."""
    target = os.path.realpath(path)
    best, kind = "", ""
    try:
        lines = Path("/proc/mounts").read_text(encoding="utf-8").splitlines()
    except OSError:
        return ""
    for line in lines:
        fields = line.split()
        if len(fields) >= 3:
            mount = fields[1].replace("\\040", " ")
            inside = target == mount or target.startswith(mount.rstrip("/") + "/")
            if inside and len(mount) >= len(best):
                best, kind = mount, fields[2]
    return kind


@dataclass(frozen=True)
class FileReads:
    """File reads timed on this machine (lesson 14, section 5).

    Attributes:
        sequential_cold: seconds per MB read sequentially after the file's pages were dropped (None if they cannot be).
        sequential_warm: seconds per MB read again, from the page cache.
        random_cold: seconds per random 4 KiB read after dropping the pages (None if they cannot be).
        random_warm: seconds per random 4 KiB read of pages in the cache.
        filesystem: the filesystem the file was on.
        note: why the cold numbers are missing, or "".
    """

    sequential_cold: float | None
    sequential_warm: float
    random_cold: float | None
    random_warm: float
    filesystem: str
    note: str


def _drop_cache(fd: int) -> bool:
    if not hasattr(os, "posix_fadvise"):
        return False
    os.fsync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    return True


def _read_all(fd: int, size: int) -> float:
    started = time.perf_counter()
    os.lseek(fd, 0, os.SEEK_SET)
    while os.read(fd, MIB):
        pass
    return (time.perf_counter() - started) / (size / 10**6)


def _read_at(fd: int, offsets: NDArray[np.int64]) -> float:
    started = time.perf_counter()
    for offset in offsets.tolist():
        os.pread(fd, 4_096, offset)
    return (time.perf_counter() - started) / offsets.size


def file_reads(size_mib: int = 64, random_reads_count: int = 500, folder: str | Path | None = None,
               seed: int = 14) -> FileReads:  # fmt: skip
    """Read a ``size_mib`` MiB file cold and warm, sequentially and at random 4 KiB offsets (section 5).

    The file is written in a new temporary folder (in ``folder``, default the system's),
    flushed with ``fsync`` and its pages dropped from the page cache with
    ``posix_fadvise(POSIX_FADV_DONTNEED)``, which needs no root; the folder is removed
    afterwards. On tmpfs (files in memory) or without ``posix_fadvise`` (macOS) there is no
    cold read to make: the cold numbers are None and ``note`` says why. Wall-clock time.
    """
    mib = checks.integer("size_mib", size_mib, 1, 1_024)
    count = checks.integer("random_reads_count", random_reads_count, 10, 100_000)
    rng = np.random.default_rng(checks.integer("seed", seed, 0))
    with tempfile.TemporaryDirectory(prefix="napkin-", dir=folder) as scratch:
        path = Path(scratch) / "data.bin"
        kind = filesystem_of(scratch)
        block = rng.integers(0, 256, MIB, dtype=np.uint8).tobytes()
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            for _ in range(mib):
                os.write(fd, block)
            size = mib * MIB
            offsets = rng.integers(0, size // 4_096, count, dtype=np.int64) * 4_096
            can_drop = kind != "tmpfs" and _drop_cache(fd)
            sequential_cold = _read_all(fd, size) if can_drop else None
            sequential_warm = min(_read_all(fd, size) for _ in range(2))
            if can_drop:
                _drop_cache(fd)
                os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_RANDOM)
            random_cold = _read_at(fd, offsets) if can_drop else None
            _read_at(fd, offsets)  # now every page read is cached
            random_warm = _read_at(fd, offsets)
        finally:
            os.close(fd)
    if kind == "tmpfs":
        note = "the file was on tmpfs, in memory: there is no cold read to make"
    elif not hasattr(os, "posix_fadvise"):
        note = "this system has no posix_fadvise to drop a file's cached pages"
    else:
        note = ""
    return FileReads(sequential_cold, sequential_warm, random_cold, random_warm, kind, note)


def syscall(calls: int = 100_000, repeats: int = 5) -> Measurement:
    """A system call: ``os.getppid()`` against ``abs(1)``, a call that stays in the process (section 6)."""
    count = checks.integer("calls", calls, 1_000, 10_000_000)
    rounds = checks.integer("repeats", repeats, 1, 100)
    loop = range(count)

    def kernel() -> None:
        for _ in loop:
            os.getppid()

    def local() -> None:
        for _ in loop:
            abs(1)

    best_kernel, best_local = float("inf"), float("inf")
    for _ in range(rounds):
        best_kernel = min(best_kernel, _cpu_time(kernel))
        best_local = min(best_local, _cpu_time(local))
    per_call = max(best_kernel - best_local, 0.0) / count
    return Measurement("system call", per_call,
                       f"os.getppid() minus abs(1), {count:,} calls; CPU time, best of {rounds}")  # fmt: skip


_PONG = """
import os, sys
cpu, inbox, outbox = (int(x) for x in sys.argv[1:4])
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {cpu})
while True:
    byte = os.read(inbox, 1)
    if not byte or byte == b"q":
        break
    os.write(outbox, byte)
"""


def context_switch(round_trips: int = 2_000, repeats: int = 3) -> Measurement:
    """A context switch: a byte passed back and forth between two processes on one CPU (section 6).

    This thread and a child process are pinned to the same CPU, so every hand-over is a
    switch from one process to the other; a round trip is two switches and four system
    calls. Wall-clock time (the wait is the point), fastest of ``repeats``; the thread's
    CPU affinity is restored afterwards.
    """
    count = checks.integer("round_trips", round_trips, 100, 1_000_000)
    rounds = checks.integer("repeats", repeats, 1, 100)
    pinned = hasattr(os, "sched_getaffinity")
    allowed = os.sched_getaffinity(0) if pinned else set()
    cpu = min(allowed) if allowed else 0
    from_parent, to_child = os.pipe()
    from_child, to_parent = os.pipe()
    child = subprocess.Popen([sys.executable, "-c", _PONG, str(cpu), str(from_parent), str(to_parent)],
                             pass_fds=(from_parent, to_parent))  # fmt: skip
    os.close(from_parent)
    os.close(to_parent)
    best = float("inf")
    try:
        if pinned:
            os.sched_setaffinity(0, {cpu})
        os.write(to_child, b"x")  # wait for the child to start
        os.read(from_child, 1)
        for _ in range(rounds):
            started = time.perf_counter()
            for _ in range(count):
                os.write(to_child, b"x")
                os.read(from_child, 1)
            best = min(best, (time.perf_counter() - started) / count)
    finally:
        if pinned:
            os.sched_setaffinity(0, allowed)
        os.write(to_child, b"q")
        os.close(to_child)
        os.close(from_child)
        child.wait(timeout=10)
    where = f"both on CPU {cpu}" if pinned else "not pinned (this system cannot pin)"
    return Measurement("context switch", best / 2,
                       f"pipe ping-pong with a child process, {where}: a round trip is two switches and four "
                       f"system calls; wall clock, best of {rounds}")  # fmt: skip


# --- loopback round trips -------------------------------------------------------------------------


class _EchoHandler(socketserver.BaseRequestHandler):
    server: _EchoTCPServer

    def handle(self) -> None:
        echo = self.server.echo
        with echo.lock:
            echo.connections += 1
            echo._open.add(self.request)
        try:
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            while chunk := self.request.recv(65_536):
                with echo.lock:  # counted before the echo goes out, so a client that has its echo sees the count
                    echo.chunks += 1
                self.request.sendall(chunk)
        except OSError:
            pass  # the client reset the connection, or the server is stopping
        finally:
            with echo.lock:
                echo._open.discard(self.request)


class _EchoTCPServer(JoiningTCPServer):
    echo: EchoServer


class EchoServer(BackgroundServer):
    """A TCP echo server on 127.0.0.1: sends back every byte it gets, and counts what it saw (section 6).

    ``chunks`` counts the reads it echoed (one per round trip when the client waits for each
    echo before sending again), ``connections`` the connections it accepted and
    ``open_connections`` those a client has not closed yet. Stopping it ends the reads of
    connections a client left open (``JoiningTCPServer``), so a ``with`` block always ends.

    Examples:
        >>> with EchoServer() as echo:
        ...     loopback_rtt(echo.port, 50).count, echo.chunks >= 50, echo.connections
        (50, True, 1)
    """

    _label = "echo server"

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.chunks = 0
        self.connections = 0
        self._open: set[socket.socket] = set()

    @property
    def open_connections(self) -> int:
        """Connections accepted and not yet closed by their client."""
        with self.lock:
            return len(self._open)

    def _make_server(self) -> _EchoTCPServer:
        server = _EchoTCPServer((HOST, self._port), _EchoHandler)
        server.echo = self
        return server


@dataclass(frozen=True)
class RoundTrips:
    """Round trips timed by a client: how many, and their median and 99th percentile (nearest rank) in seconds."""

    count: int
    median: float
    p99: float


def loopback_rtt(port: int, round_trips: int = 2_000, payload: int = 64) -> RoundTrips:
    """Time ``round_trips`` exchanges of ``payload`` bytes with an echo server on 127.0.0.1:``port`` (section 6).

    One connection, ``TCP_NODELAY`` (no Nagle delay), each round trip on the wall clock.
    """
    where = checks.integer("port", port, 1, 65_535)
    count = checks.integer("round_trips", round_trips, 1, 1_000_000)
    size = checks.integer("payload", payload, 1, 65_536)
    message = b"x" * size
    times = []
    with socket.create_connection((HOST, where), timeout=5) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for _ in range(count):
            started = time.perf_counter()
            connection.sendall(message)
            received = 0
            while received < size:
                chunk = connection.recv(size - received)
                if not chunk:
                    raise ConnectionError(f"the echo server on port {where} closed the connection")
                received += len(chunk)
            times.append(time.perf_counter() - started)
    ordered = sorted(times)
    nearest_rank = -(-99 * count // 100)  # the 99th percentile by nearest rank: ceil(0.99 n), 1-based
    return RoundTrips(count, statistics.median(ordered), ordered[nearest_rank - 1])


def measure_all(fast: bool = False) -> dict[str, Measurement]:
    """Every measurement of lesson 14, by operation; ``fast`` shrinks them (tests, slow machines).

    About 2-4 s on a quiet machine (about 1 s with ``fast``).
    """
    scale = 4 if fast else 1
    results = [
        memory_latency(64 // scale, steps=20_000 // scale, repeats=8 // scale),
        random_reads(64 // scale, reads=2**21 // scale),
        sequential_read(64 // scale),
        syscall(100_000 // scale),
        context_switch(2_000 // scale),
    ]
    reads = file_reads(64 // scale, 500 // scale)
    dropped = f"a file whose cached pages were dropped ({reads.filesystem})"
    if reads.random_cold is not None:
        results.append(Measurement("SSD random read", reads.random_cold, f"4 KiB pread at random offsets of {dropped}"))
    if reads.sequential_cold is not None:
        sequential = reads.sequential_cold
        results.append(Measurement("read 1 MB sequentially from SSD", sequential, f"1 MiB reads of {dropped}"))
    with EchoServer() as echo:
        trips = loopback_rtt(echo.port, 2_000 // scale)
    results.append(Measurement("round trip over loopback", trips.median,
                               f"TCP round trip of 64 bytes over 127.0.0.1, median of {trips.count:,}"))  # fmt: skip
    return {result.operation: result for result in results}
