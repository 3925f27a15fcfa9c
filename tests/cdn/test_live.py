"""The live CDN of lesson 06: Cache-Control parsing, the origin, and the edge in pull and push modes.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block; time comes from a ManualClock.
"""

from __future__ import annotations

import threading

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.cdn import ttl_hit_ratio
from helpers.cdn.live import Edge, ManualClock, Origin, shared_cache_ttl_s
from helpers.rest.live import request

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


# --- Cache-Control --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "seconds"),
    [
        ("max-age=60", 60.0),
        ("public, max-age=31536000, immutable", 31_536_000.0),
        ("max-age=60, s-maxage=600", 600.0),
        ("s-maxage=0, max-age=60", 0.0),
        ("private, max-age=60", 0.0),
        ("no-store", 0.0),
        ("no-cache, max-age=60", 0.0),
        ("MAX-AGE=30", 30.0),
        ('max-age="45"', 45.0),
        ("max-age=abc", 0.0),
        ("", 0.0),
        (None, 0.0),
    ],
)
def test_shared_cache_ttl_follows_rfc_9111(header: str | None, seconds: float) -> None:
    assert shared_cache_ttl_s(header) == seconds


@given(st.text(max_size=40))
@PROPERTY_SETTINGS
def test_shared_cache_ttl_never_fails_on_any_header_text(header: str) -> None:
    assert shared_cache_ttl_s(header) >= 0


def test_shared_cache_ttl_rejects_non_text() -> None:
    with pytest.raises(ValueError, match="cache_control must be a header value"):
        shared_cache_ttl_s(60)  # type: ignore[arg-type]


def test_manual_clock_moves_only_forward() -> None:
    clock = ManualClock(10.0)
    clock.advance(5)
    assert clock() == 15.0
    with pytest.raises(ValueError, match="seconds must be a finite number >= 0, got -1"):
        clock.advance(-1)


# --- the origin -----------------------------------------------------------------------------


def test_origin_serves_what_is_published_with_its_cache_control_and_counts_egress() -> None:
    with Origin({"/a.js": b"aaaa"}, cache_control="max-age=60") as origin:
        origin.publish("/b.css", b"bb", cache_control="no-store")
        a, b, missing = (request("GET", origin.url(path)) for path in ("/a.js", "/b.css", "/nope"))
        assert (a.status, a.body, a.headers["cache-control"]) == (200, b"aaaa", "max-age=60")
        assert (b.status, b.headers["cache-control"]) == (200, "no-store")
        assert missing.status == 404
        assert (origin.requests, origin.bytes_sent) == (3, 6)
        assert origin.paths == ["/a.js", "/b.css"]
    assert not origin.running


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda origin: origin.publish("a.js", b""), "path must start with '/'"),
        (lambda origin: origin.publish("/a.js", "text"), "body must be bytes"),
        (lambda origin: origin.publish("/a.js", b"", cache_control=60), "cache_control must be a header value"),
        (lambda origin: origin.url("/x"), "has no address yet"),
    ],
)
def test_origin_rejects_bad_input(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call(Origin())  # type: ignore[operator]


def test_servers_stop_cleanly_and_restart_on_the_same_port() -> None:
    threads_before = threading.active_count()
    origin = Origin({"/a": b"A"})
    with origin, Edge(origin) as edge:
        port = edge.origin
        assert request("GET", edge.url("/a")).status == 200
    assert threading.active_count() == threads_before
    with origin, edge:
        assert edge.origin == port
        assert request("GET", edge.url("/a")).headers["x-cache"] == "HIT"
    assert threading.active_count() == threads_before


# --- the edge, pull mode --------------------------------------------------------------------


def test_pull_edge_misses_then_hits_until_max_age_then_pulls_again() -> None:
    clock = ManualClock()
    with Origin({"/logo.png": b"x" * 1000}, cache_control="max-age=60") as origin, Edge(origin, clock=clock) as edge:
        url = edge.url("/logo.png")
        first = request("GET", url)
        clock.advance(59)
        second = request("GET", url)
        clock.advance(1)
        third = request("GET", url)
        assert [r.headers["x-cache"] for r in (first, second, third)] == ["MISS", "HIT", "MISS"]
        assert second.headers["age"] == "59"
        assert "age" not in first.headers
        assert second.body == first.body == b"x" * 1000
        stats = edge.stats
    assert (stats.hits, stats.misses, stats.origin_bytes, stats.stored_objects) == (1, 2, 2000, 1)
    assert origin.requests == 2
    assert stats.hit_ratio == pytest.approx(1 / 3)


def test_pull_edge_never_stores_no_store_private_or_errors() -> None:
    clock = ManualClock()
    with Origin() as origin, Edge(origin, clock=clock) as edge:
        origin.publish("/cart", b"c", cache_control="private, max-age=60")
        origin.publish("/live", b"l", cache_control="no-store")
        for path in ("/cart", "/live", "/missing"):
            for _ in range(3):
                request("GET", edge.url(path))
        assert edge.stats.hits == 0
        assert edge.stats.stored_objects == 0
        assert origin.requests == 9
        assert request("GET", edge.url("/missing")).status == 404


def test_pull_edge_serves_a_stale_update_until_it_expires_and_purge_fixes_it() -> None:
    clock = ManualClock()
    with Origin({"/app.js": b"v1"}, cache_control="max-age=600") as origin, Edge(origin, clock=clock) as edge:
        request("GET", edge.url("/app.js"))
        origin.publish("/app.js", b"v2", cache_control="max-age=600")
        assert request("GET", edge.url("/app.js")).body == b"v1"  # stale until the TTL ends
        assert edge.purge("/app.js")
        assert not edge.purge("/app.js")
        assert request("GET", edge.url("/app.js")).body == b"v2"


def test_pull_edge_with_a_capacity_evicts_the_least_recently_used() -> None:
    clock = ManualClock()
    objects = {f"/o{i}": bytes([i]) * 10 for i in range(3)}
    with Origin(objects, cache_control="max-age=600") as origin, Edge(origin, capacity=2, clock=clock) as edge:
        for path in ("/o0", "/o1", "/o0", "/o2", "/o1"):
            request("GET", edge.url(path))
        assert (edge.stats.hits, edge.stats.misses, edge.stats.stored_objects) == (1, 4, 2)


def test_pull_edge_hit_ratio_on_a_poisson_trace_follows_the_ttl_model() -> None:
    rng = np.random.default_rng(4)
    ttl, rate = 10.0, 0.2  # λT = 2: the model says 2/3
    gaps = rng.exponential(1 / rate, size=300)
    clock = ManualClock()
    with Origin({"/a": b"a"}, cache_control=f"max-age={ttl:g}") as origin, Edge(origin, clock=clock) as edge:
        for gap in gaps:
            clock.advance(float(gap))
            request("GET", edge.url("/a"))
        measured = edge.stats.hit_ratio
    assert measured == pytest.approx(float(ttl_hit_ratio(rate, ttl)), abs=0.07)


def test_concurrent_misses_for_one_object_fetch_it_once() -> None:
    with Origin({"/a": b"a" * 100}, cache_control="max-age=600") as origin, Edge(origin) as edge:
        workers = [threading.Thread(target=request, args=("GET", edge.url("/a"))) for _ in range(8)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        assert origin.requests == 1
        assert edge.stats.hits == 7


# --- the edge, push mode --------------------------------------------------------------------


def test_push_edge_serves_only_pushed_content_and_counts_uploads() -> None:
    clock = ManualClock()
    with Origin({"/a": b"never fetched"}) as origin, Edge(mode="push", clock=clock) as edge:
        edge.push("/a", b"pushed", cache_control="max-age=60")
        edge.push("/b", b"bb", expires_in_s=100)
        clock.advance(100)
        a, b = request("GET", edge.url("/a")), request("GET", edge.url("/b"))
        assert (a.status, a.body, a.headers["x-cache"], a.headers["age"]) == (200, b"pushed", "HIT", "100")
        assert (b.status, b.headers["x-cache"]) == (404, "MISS")  # expired when you said, never re-fetched
        stats = edge.stats
    assert origin.requests == 0
    assert (stats.hits, stats.misses, stats.origin_bytes, stats.stored_objects) == (1, 1, 8, 1)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Edge(), "a pull edge needs the Origin"),
        (lambda: Edge(mode="both"), r"mode must be one of \['pull', 'push'\], got 'both'"),  # type: ignore[arg-type]
        (lambda: Edge(mode="push", clock=5), "clock must be a function"),  # type: ignore[arg-type]
        (lambda: Edge(mode="push", capacity=0), "capacity must be an int >= 1"),
        (lambda: Edge(Origin()).push("/a", b""), "push\\(\\) is for a push edge"),
        (lambda: Edge(mode="push").push("/a", b"", expires_in_s=0), "expires_in_s must be a number > 0, got 0"),
    ],
)
def test_edge_rejects_bad_settings(make: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()  # type: ignore[operator]
