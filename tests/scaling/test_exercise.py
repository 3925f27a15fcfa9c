"""Exercise 13 (read-replicas) grades what learners write: wrong answers fail and say why, other right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py): Parts B and D run
against a real PostgreSQL primary and delayed replica and a real Valkey server, so this corpus
also shows that a learner's mistake never leaves a server behind. Part E is a written answer:
a person grades it, so it has no answers here.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from answer_variants import Answer, Graded, corpus_tests

ASSIGNMENT, NOTEBOOK = "13-scaling", "read-replicas.ipynb"

SPLIT_LINE = "on_primary, on_each_replica = Fraction(write_rps), misses / replicas"
"""The reference's line of Part A that spreads the misses over the replicas."""
FACTOR_LINE = "return tier, Fraction(per_node_rps) / busiest"
PIN_LINE = "return jump_hash(stable_hash(session_id), replicas)"
ASK_AGAIN = "caught_up = self.replica.execute(check, (self.last_write[session],)).fetchone()[0]"
"""The reference's check of Part B, for an answer that waits in a loop instead of reading the primary."""

LOADS_BY_TIER = '''def capacity(read_rps, write_rps, replicas, hit_rate, per_node_rps):
    """Utilisation per tier in a dict; the busiest one wins, the primary on a tie."""
    if read_rps < 0 or write_rps <= 0 or per_node_rps <= 0:
        raise ValueError(f"bad rates: {read_rps}, {write_rps}, {per_node_rps}")
    if type(replicas) is not int or replicas < 0:
        raise ValueError(f"bad replica count {replicas!r}")
    if hit_rate < 0 or hit_rate > 1:
        raise ValueError(f"bad hit rate {hit_rate}")
    to_database = read_rps - read_rps * Fraction(hit_rate)
    use = {"primary": Fraction(write_rps, per_node_rps), "replicas": Fraction(0)}
    if replicas:
        use["replicas"] = Fraction(to_database) / (replicas * per_node_rps)
    else:
        use["primary"] += Fraction(to_database) / per_node_rps
    tier = max(["replicas", "primary"], key=lambda name: (use[name], name == "primary"))
    return (tier, 1 / use[tier])
'''

ONE_LSN_FOR_ALL = '''class Router:
    """Remembers only the latest write of anyone."""

    def __init__(self, primary, replica):
        self.primary, self.replica = primary, replica
        self.lsn = None

    def write(self, session, sql, params=()):
        self.primary.execute(sql, params)
        self.lsn = self.primary.execute("select pg_current_wal_lsn()").fetchone()[0]

    def read(self, session, sql, params=()):
        if self.lsn is not None:
            ok = self.replica.execute("select pg_last_wal_replay_lsn() >= %s::pg_lsn", (self.lsn,)).fetchone()[0]
            if not ok:
                return self.primary.execute(sql, params).fetchall()
        return self.replica.execute(sql, params).fetchall()
'''

LSN_IN_PYTHON = '''def lsn_number(text):
    high, low = text.split("/")
    return (int(high, 16) << 32) + int(low, 16)


class Router:
    """Compares WAL positions in Python, one cursor per statement."""

    def __init__(self, primary, replica):
        self.primary = primary
        self.replica = replica
        self.written = {}

    def write(self, session, sql, params=()):
        with self.primary.cursor() as cursor:
            cursor.execute(sql, params)
            cursor.execute("select pg_current_wal_lsn()::text")
            self.written[session] = lsn_number(cursor.fetchone()[0])

    def read(self, session, sql, params=()):
        target = self.replica
        if session in self.written:
            with self.replica.cursor() as cursor:
                cursor.execute("select pg_last_wal_replay_lsn()::text")
                if lsn_number(cursor.fetchone()[0]) < self.written[session]:
                    target = self.primary
        with target.cursor() as cursor:
            cursor.execute(sql, params)
            return cursor.fetchall()
'''

JUMP_BY_HAND = '''def pin(session_id, replicas):
    """Lamping and Veach's jump hash over a BLAKE2b key, written out."""
    if type(session_id) is not str or session_id == "":
        raise ValueError(f"session_id must be a non-empty string, got {session_id!r}")
    if type(replicas) is not int or replicas < 1:
        raise ValueError(f"replicas must be a positive int, got {replicas!r}")
    import hashlib

    key = int.from_bytes(hashlib.blake2b(session_id.encode(), digest_size=8).digest(), "big")
    bucket, jump = -1, 0
    while jump < replicas:
        bucket = jump
        key = (key * 2862933555777941757 + 1) % 2**64
        jump = int((bucket + 1) * (2**31 / ((key >> 33) + 1)))
    return bucket
'''

NO_FALLBACK = '''class CachedRepository:
    """Cache-aside, but a cache that is down takes the repository down with it."""

    def __init__(self, cache, db, ttl_s=60):
        self.cache, self.db, self.ttl_s = cache, db, ttl_s

    def get_bio(self, user_id):
        cached = self.cache.get(f"bio:{user_id}")
        if cached is not None:
            return cached.decode()
        bio = self.db.execute("select bio from profiles where id = %s", (user_id,)).fetchone()[0]
        self.cache.set(f"bio:{user_id}", bio, ex=self.ttl_s)
        return bio

    def set_bio(self, user_id, bio):
        self.db.execute("update profiles set bio = %s where id = %s", (bio, user_id))
        self.cache.delete(f"bio:{user_id}")
'''

NEVER_READS_CACHE = '''class CachedRepository:
    """Fills the cache on every read but never asks it."""

    def __init__(self, cache, db, ttl_s=60):
        self.cache, self.db, self.ttl_s = cache, db, ttl_s

    def get_bio(self, user_id):
        bio = self.db.execute("select bio from profiles where id = %s", (user_id,)).fetchone()[0]
        try:
            self.cache.set(f"bio:{user_id}", bio, ex=self.ttl_s)
        except redis.ConnectionError:
            pass
        return bio

    def set_bio(self, user_id, bio):
        self.db.execute("update profiles set bio = %s where id = %s", (bio, user_id))
        try:
            self.cache.delete(f"bio:{user_id}")
        except redis.ConnectionError:
            pass
'''

WRITE_THROUGH = '''class CachedRepository:
    """Cache-aside reads; writes put the new bio in the cache (write-through) instead of deleting it."""

    def __init__(self, cache, db, ttl_s=60):
        self.cache = cache
        self.db = db
        self.ttl_s = ttl_s

    def _key(self, user_id):
        return "bio:" + str(user_id)

    def get_bio(self, user_id):
        try:
            hit = self.cache.get(self._key(user_id))
            if hit is not None:
                return hit.decode("utf-8")
        except redis.RedisError:
            return self._load(user_id)
        bio = self._load(user_id)
        try:
            self.cache.set(self._key(user_id), bio, px=self.ttl_s * 1000)
        except redis.RedisError:
            pass
        return bio

    def _load(self, user_id):
        with self.db.cursor() as cursor:
            cursor.execute("select bio from profiles where id = %s", (user_id,))
            return cursor.fetchone()[0]

    def set_bio(self, user_id, bio):
        self.db.execute("update profiles set bio = %s where id = %s", (bio, user_id))
        try:
            self.cache.set(self._key(user_id), bio, px=self.ttl_s * 1000)
        except redis.RedisError:
            pass
'''

# fmt: off
ANSWERS = [
    # Part A: capacity
    Answer("A", "replicas take a share of the writes",
           {"capacity": (SPLIT_LINE, SPLIT_LINE.replace("(write_rps)", "(write_rps) / (replicas + 1)"))},
           fails={"test_capacity": "replicas copy every write"}),
    Answer("A", "the primary serves reads too when there are replicas",
           {"capacity": (SPLIT_LINE, "on_primary, on_each_replica = Fraction(write_rps) + misses / (replicas + 1), "
                                     "misses / (replicas + 1)")},
           fails={"test_capacity": "expected ('replicas', Fraction(2, 3))"}),
    Answer("A", "the cache's hit rate ignored",
           {"capacity": ("misses = Fraction(read_rps) * (1 - Fraction(hit_rate))", "misses = Fraction(read_rps)")},
           fails={"test_capacity": "misses = reads x (1 - hit_rate)"}),
    Answer("A", "a float factor",
           {"capacity": (FACTOR_LINE, "return tier, per_node_rps / float(busiest)")},
           fails={"test_capacity": "return an exact Fraction"}),
    Answer("A", "capacity without input checks",
           {"capacity": ("    if read_rps < 0:\n", "    if False:\n")},
           fails={"test_capacity": "capacity with read_rps -1 must raise ValueError"}),
    Answer("A", "utilisation per tier in a dict", {"capacity": LOADS_BY_TIER}),
    # Part B: read-your-writes router over the live primary and delayed replica
    Answer("B", "every read on the replica",
           {"router": ("        return node.execute(sql, params).fetchall()",
                       "        return self.replica.execute(sql, params).fetchall()")},
           fails={"test_router": "expected [('ada v2',)]"}),
    Answer("B", "every read on the primary",
           {"router": ("        node = self.replica\n", "        node = self.primary\n")},
           fails={"test_router": "expected 5 and 0"}),
    Answer("B", "one LSN for all sessions", {"router": ONE_LSN_FOR_ALL},
           fails={"test_router": "keep each session's last write LSN separately"}),
    Answer("B", "waits until the replica has caught up",
           {"router": ("            if not caught_up:\n                node = self.primary\n",
                       "            while not caught_up:\n                time.sleep(0.01)\n"
                       f"                {ASK_AGAIN}\n")},
           fails={"test_router": "instead of waiting for the replica"}),
    Answer("B", "waits for the replica without asking it again (hangs)",
           {"router": ("            if not caught_up:\n                node = self.primary\n",
                       "            while not caught_up:\n                time.sleep(0.01)\n")},
           fails={"test_router": "Part B: your code was still running after 15 s"}),
    Answer("B", "a session that wrote once reads the primary for ever",
           {"router": ("            if not caught_up:", "            if True:")},
           fails={"test_router": "reads the replica again"}),
    Answer("B", "WAL positions compared in Python, cursors", {"router": LSN_IN_PYTHON}),
    # Part C: pinning sessions
    Answer("C", "Python's built-in hash",
           {"pin": (PIN_LINE, "return hash(session_id) % replicas")},
           fails={"test_pin": "jump_hash(stable_hash(session_id), replicas)"}),
    Answer("C", "modulo the replica count",
           {"pin": (PIN_LINE, "return stable_hash(session_id) % replicas")},
           fails={"test_pin": "expected ([1, 1, 1], 0)"}),
    Answer("C", "no check of the replica count",
           {"pin": ("    if not isinstance(replicas, int) or isinstance(replicas, bool) or replicas < 1:\n"
                    "        raise ValueError(f\"replicas must be an int >= 1, got {replicas!r}\")\n", "")},
           fails={"test_pin": "pin with replicas 2.0 must raise ValueError"}),
    Answer("C", "jump hash and BLAKE2b written out", {"pin": JUMP_BY_HAND}),
    # Part D: cache-aside on the live Valkey
    Answer("D", "no invalidation on write",
           {"repository": ("            self.cache.delete(f\"bio:{user_id}\")", "            pass")},
           fails={"test_repository": "delete the cached key"}),
    Answer("D", "no TTL",
           {"repository": ("self.cache.set(key, bio, ex=self.ttl_s)", "self.cache.set(key, bio)")},
           fails={"test_repository": "set it with ex=ttl_s"}),
    Answer("D", "no fallback when the cache is down", {"repository": NO_FALLBACK},
           fails={"test_repository": "catch redis.ConnectionError"}),
    Answer("D", "fills the cache but never reads it", {"repository": NEVER_READS_CACHE},
           fails={"test_repository": "expected 1 and 1"}),
    Answer("D", "write-through with SETEX, RedisError caught", {"repository": WRITE_THROUGH}),
]
# fmt: on


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABCD")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _orphaned_run_folders() -> list[str]:
    """Lesson 13's run folders (PostgreSQL and Valkey data) whose owning process has ended."""
    found = []
    roots = {Path(tempfile.gettempdir()), Path("/dev/shm")}  # lesson 13 puts them in /dev/shm when it has room
    for folder in [folder for root in roots if root.is_dir() for folder in root.glob("sdh-scaling-*")]:
        try:
            owner = int((folder / "owner.pid").read_text())
        except (OSError, ValueError):
            continue  # being created or removed right now
        if not _alive(owner):
            found.append(folder.name)
    return found


def test_graded_answers_leave_no_server_or_data_folder_behind(graded: dict[str, Graded]) -> None:
    """After grading every answer (one hangs, some crash), no kernel left PostgreSQL or Valkey data behind."""
    assert graded, "the corpus was graded"
    deadline = time.monotonic() + 10  # a watchdog sweeps a dead kernel's folder within a few seconds
    while _orphaned_run_folders() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _orphaned_run_folders() == []
