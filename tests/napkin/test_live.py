"""Unit 14's measurements: right order of magnitude on any machine, nothing left behind.

Timing is never asserted to better than an order of magnitude here (speed goals live in
``make bench``): every bound below holds with a wide margin on a loaded 2-core CI machine.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers.napkin import OPERATIONS
from helpers.napkin.live import (
    EchoServer,
    context_switch,
    file_reads,
    filesystem_of,
    loopback_rtt,
    measure_all,
    memory_latency,
    random_reads,
    sequential_read,
    syscall,
)


def _open_fds() -> set[str]:
    return set(os.listdir("/proc/self/fd"))


def test_a_pointer_chase_over_a_large_ring_is_slower_than_over_a_small_one() -> None:
    miss = memory_latency(16, steps=5_000, repeats=3)
    assert miss.operation == "main memory reference"
    assert 0 <= miss.seconds < 10e-6
    assert "16 MiB ring" in miss.method


def test_random_and_sequential_reads_are_in_range() -> None:
    gather = random_reads(8, reads=2**16)
    assert 0 < gather.seconds < 10e-6
    sweep = sequential_read(8)
    assert 1e-7 < sweep.seconds < 10e-3  # seconds per MB: between 100 GB/s and 100 MB/s


def test_file_reads_drop_the_page_cache_and_leave_no_file(tmp_path: Path) -> None:
    reads = file_reads(4, 50, folder=tmp_path)
    assert list(tmp_path.iterdir()) == [], "the scratch folder is removed"
    assert reads.filesystem == filesystem_of(tmp_path)
    assert 0 < reads.random_warm < 1e-3
    assert 0 < reads.sequential_warm < 0.1
    if reads.filesystem == "tmpfs":
        assert reads.random_cold is None
        assert "tmpfs" in reads.note
    else:
        assert reads.random_cold is not None
        assert reads.sequential_cold is not None
        assert reads.note == ""


def test_filesystem_of_knows_proc_and_the_root() -> None:
    assert filesystem_of("/proc/self") == "proc"
    assert filesystem_of("/") != ""


def test_a_system_call_costs_between_a_nanosecond_and_a_hundred_microseconds() -> None:
    call = syscall(20_000, repeats=3)
    assert 0 <= call.seconds < 100e-6


def test_context_switches_are_timed_and_the_child_and_pipes_are_gone() -> None:
    before, affinity = _open_fds(), os.sched_getaffinity(0)
    switch = context_switch(200, repeats=2)
    assert 100e-9 < switch.seconds < 10e-3
    assert not _open_fds() - before, "both pipes closed (no descriptor left open)"
    assert os.sched_getaffinity(0) == affinity, "the thread's CPU affinity is restored"


def test_the_echo_server_answers_a_client_nobody_here_wrote() -> None:
    async def exchange(port: int) -> list[bytes]:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        answers = []
        for message in (b"hello\n", b"world\n"):
            writer.write(message)
            await writer.drain()
            answers.append(await reader.readline())
        writer.close()
        await writer.wait_closed()
        return answers

    threads = {thread.name for thread in threading.enumerate()}
    with EchoServer() as echo:
        with ThreadPoolExecutor(1) as pool:  # its own event loop: another test may have left one running here
            assert pool.submit(asyncio.run, exchange(echo.port)).result(timeout=10) == [b"hello\n", b"world\n"]
        trips = loopback_rtt(echo.port, 100, payload=1_000)
    assert trips.count == 100
    assert 0 < trips.median <= trips.p99 < 1.0
    assert echo.chunks >= 102
    assert not {thread.name for thread in threading.enumerate()} - threads, "the echo server left no thread"


def _eventually(check: Callable[[], bool], within_s: float = 5.0) -> bool:
    deadline = time.monotonic() + within_s
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True


def test_the_echo_server_counts_connections_and_sees_each_one_closed() -> None:
    with EchoServer() as echo:
        for _ in range(2):
            with socket.create_connection(("127.0.0.1", echo.port), timeout=5) as client:
                client.sendall(b"ping")
                assert client.recv(4) == b"ping"
                assert _eventually(lambda: echo.open_connections == 1)
            assert _eventually(lambda: echo.open_connections == 0), "a closed connection is no longer open"
        assert echo.connections == 2
        assert echo.chunks == 2


def test_the_echo_server_has_counted_every_echo_a_client_has_received() -> None:
    """A grader reads ``chunks`` while the server runs: the count must not lag the echoes."""
    with EchoServer() as echo, socket.create_connection(("127.0.0.1", echo.port), timeout=5) as client:
        client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for trip in range(1, 301):
            client.sendall(b"x")
            assert client.recv(1) == b"x"
            assert echo.chunks >= trip


def test_stopping_the_echo_server_closes_a_connection_a_client_left_open() -> None:
    threads = {thread.name for thread in threading.enumerate()}
    client = None
    try:
        started = time.monotonic()
        with EchoServer() as echo:
            client = socket.create_connection(("127.0.0.1", echo.port), timeout=5)
            client.sendall(b"x")
            assert client.recv(1) == b"x"
        assert time.monotonic() - started < 5, "the with block ends although the client never closed"
        assert client.recv(1) == b"", "the server closed its side"
    finally:
        if client is not None:
            client.close()
    assert not {thread.name for thread in threading.enumerate()} - threads, "the echo server left no thread"


def test_measure_all_names_operations_the_tables_know() -> None:
    measured = measure_all(fast=True)
    assert {"main memory reference", "system call", "context switch", "round trip over loopback"} <= set(measured)
    for operation, measurement in measured.items():
        assert operation in OPERATIONS
        assert measurement.seconds >= 0
        assert measurement.method


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: memory_latency(4), "ring_mib must be an int from 8 to 512"),
        (lambda: random_reads(8, reads=10), "reads must be an int from 1000"),
        (lambda: file_reads(0), "size_mib must be an int from 1"),
        (lambda: syscall(10), "calls must be an int from 1000"),
        (lambda: context_switch(1), "round_trips must be an int from 100"),
        (lambda: loopback_rtt(0), "port must be an int from 1"),
    ],
)
def test_bad_input_is_named(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
