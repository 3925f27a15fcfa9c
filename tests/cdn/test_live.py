"""The live CDN of lesson 06: Cache-Control parsing, the origin, and the edge in pull and push modes.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block; time comes from a ManualClock.
The edge's conformance is checked with clients nobody here wrote (curl, httpx), one test per
RFC clause or CloudFront rule the lesson relies on, named in the test.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator

import httpx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.cdn import ttl_hit_ratio
from helpers.cdn.live import CLOUDFRONT_DEFAULT_POLICY, CachePolicy, Edge, ManualClock, Origin, shared_cache_ttl_s
from helpers.rest.live import request

from real_clients import run

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


# --- conformance, checked with curl and httpx -----------------------------------------------


def curl_headers(*arguments: str) -> dict[str, str]:
    """The response headers curl received (names in lower case), after checking curl succeeded."""
    done = run("curl", ["--silent", "--show-error", "--max-time", "10", "--dump-header", "-", "--output",
                        "/dev/null", *arguments])  # fmt: skip
    assert done.returncode == 0, f"curl {arguments} failed: {done.stderr}"
    status, *lines = done.stdout.strip().splitlines()
    headers = {"status": status.split()[1]}
    for line in lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return headers


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(trust_env=False, timeout=10) as http:  # trust_env=False: never through a proxy
        yield http


def x_cache(client: httpx.Client, url: str, **headers: str) -> str:
    answer = client.get(url, headers=headers)
    return str(answer.headers["x-cache"])


def test_rfc9111_4_1_cache_key_includes_the_query_string_curl() -> None:
    with Origin({"/app.js": b"js"}, cache_control="max-age=600") as origin, Edge(origin, clock=ManualClock()) as edge:
        verdicts = [curl_headers(edge.url(target))["x-cache"] for target in ("/app.js?v=1", "/app.js?v=2",
                                                                              "/app.js?v=1", "/app.js")]  # fmt: skip
        assert verdicts == ["MISS", "MISS", "HIT", "MISS"], (
            f"RFC 9111 §4.1: the cache key is the target URI, query included; got {verdicts}"
        )
        assert origin.requests == 3


@pytest.mark.parametrize(
    ("query_strings", "expected"),
    [(("v",), ["MISS", "HIT", "HIT", "MISS"]), ("none", ["MISS", "HIT", "HIT", "HIT"]),
     ("all", ["MISS", "MISS", "MISS", "MISS"])],
)  # fmt: skip
def test_cache_policy_selects_the_query_strings_in_the_key(
    client: httpx.Client, query_strings: tuple[str, ...] | str, expected: list[str]
) -> None:
    policy = CachePolicy(query_strings=query_strings)  # type: ignore[arg-type]
    with Origin({"/a.js": b"a"}, cache_control="max-age=600") as origin, \
            Edge(origin, clock=ManualClock(), policy=policy) as edge:  # fmt: skip
        targets = ["/a.js?v=1&utm=mail", "/a.js?utm=web&v=1", "/a.js?v=1", "/a.js?v=2"]
        verdicts = [x_cache(client, edge.url(target)) for target in targets]
    assert verdicts == expected, f"a policy keyed on query strings {query_strings!r} caches by them; got {verdicts}"


def test_rfc9111_4_1_vary_selects_the_stored_response_by_request_header_curl() -> None:
    with Origin() as origin, Edge(origin, clock=ManualClock()) as edge:
        origin.publish_variants("/home", "Accept-Language", {"en": b"Hello", "fr": b"Bonjour"},
                                cache_control="max-age=600")  # fmt: skip
        seen = []
        for language in ("en", "fr", "en", "fr"):
            headers = curl_headers("-H", f"Accept-Language: {language}", edge.url("/home"))
            seen.append((language, headers["x-cache"], headers["vary"]))
        body = run("curl", ["--silent", "-H", "Accept-Language: fr", edge.url("/home")]).stdout
    assert [verdict for _, verdict, _ in seen] == ["MISS", "MISS", "HIT", "HIT"], (
        f"RFC 9111 §4.1: a stored response with Vary is used only when the named request headers match; got {seen}"
    )
    assert body == "Bonjour", f"RFC 9111 §4.1: the French request must get the French copy, got {body!r}"
    assert origin.requests == 2


@pytest.mark.parametrize(
    ("cache_control", "stored"),
    [
        pytest.param("max-age=60", True, id="rfc9111_5_2_2_1_max_age_stores"),
        pytest.param("max-age=60, s-maxage=0", False, id="rfc9111_5_2_2_10_s_maxage_overrides_max_age"),
        pytest.param("no-store, max-age=60", False, id="rfc9111_5_2_2_5_no_store_is_never_stored"),
        pytest.param("private, max-age=60", False, id="rfc9111_5_2_2_7_private_is_not_for_shared_caches"),
        pytest.param("no-cache, max-age=60", False, id="rfc9111_5_2_2_4_no_cache_needs_revalidation"),
        pytest.param("public", False, id="rfc9111_4_2_2_no_heuristic_freshness_without_a_lifetime"),
    ],
)
def test_rfc9111_5_2_response_directives_decide_what_the_edge_stores_curl(cache_control: str, stored: bool) -> None:
    with Origin({"/x": b"x"}, cache_control=cache_control) as origin, Edge(origin, clock=ManualClock()) as edge:
        verdicts = [curl_headers(edge.url("/x"))["x-cache"] for _ in range(2)]
    assert verdicts == (["MISS", "HIT"] if stored else ["MISS", "MISS"]), (
        f"Cache-Control: {cache_control} must {'' if stored else 'not '}be stored by a shared cache; got {verdicts}"
    )


def test_rfc9111_5_1_a_hit_carries_age_and_a_lifetime_ends_at_max_age_curl() -> None:
    clock = ManualClock()
    with Origin({"/x": b"x"}, cache_control="max-age=60") as origin, Edge(origin, clock=clock) as edge:
        curl_headers(edge.url("/x"))
        clock.advance(59)
        hit = curl_headers(edge.url("/x"))
        clock.advance(1)
        expired = curl_headers(edge.url("/x"))
    assert (hit["x-cache"], hit["age"]) == ("HIT", "59"), f"RFC 9111 §5.1: a hit says its Age, got {hit}"
    assert expired["x-cache"] == "MISS", "RFC 9111 §4.2: at age = max-age the copy is stale"


def test_rfc9110_9_3_2_head_gets_the_headers_of_get_and_no_body_curl() -> None:
    with Origin({"/x": b"0123456789"}, cache_control="max-age=60") as origin, Edge(origin, clock=ManualClock()) as edge:
        done = run("curl", ["--silent", "--head", "--max-time", "10", edge.url("/x")])
        got = run("curl", ["--silent", "--include", "--max-time", "10", edge.url("/x")])
    head = done.stdout.splitlines()
    assert head[0].split()[1] == "200", f"RFC 9110 §9.1: a server supports HEAD; got {done.stdout!r}"
    assert "Content-Length: 10" in head, f"RFC 9110 §9.3.2: HEAD gets GET's headers; got {done.stdout!r}"
    assert done.stdout.endswith("\n\n"), f"RFC 9110 §9.3.2: HEAD gets no content; got {done.stdout!r}"
    assert "X-Cache: HIT" in got.stdout, "the HEAD's fetch filled the cache"
    assert got.stdout.endswith("0123456789"), "a GET after the HEAD gets the content"


def test_cloudfront_default_ttl_is_24_hours_without_caching_headers(client: httpx.Client) -> None:
    clock = ManualClock()
    with Origin({"/x": b"x"}, cache_control="") as origin, \
            Edge(origin, clock=clock, policy=CLOUDFRONT_DEFAULT_POLICY) as edge:  # fmt: skip
        verdicts = [x_cache(client, edge.url("/x"))]
        for step in (86_399, 1):
            clock.advance(step)
            verdicts.append(x_cache(client, edge.url("/x")))
    assert verdicts == ["MISS", "HIT", "MISS"], f"CloudFront's default TTL (86,400 s) applies; got {verdicts}"


def test_cloudfront_minimum_ttl_above_zero_caches_even_no_store(client: httpx.Client) -> None:
    clock = ManualClock()
    policy = CachePolicy(min_ttl_s=30, default_ttl_s=86_400, max_ttl_s=31_536_000)
    with Origin({"/x": b"x"}, cache_control="no-store") as origin, Edge(origin, clock=clock, policy=policy) as edge:
        verdicts = [x_cache(client, edge.url("/x")), x_cache(client, edge.url("/x"))]
        clock.advance(30)
        verdicts.append(x_cache(client, edge.url("/x")))
    assert verdicts == ["MISS", "HIT", "MISS"], f"a minimum TTL of 30 s keeps even no-store 30 s; got {verdicts}"


def test_cloudfront_maximum_ttl_caps_max_age_and_minimum_raises_it(client: httpx.Client) -> None:
    policy = CachePolicy(min_ttl_s=120, default_ttl_s=600, max_ttl_s=3_600)
    for cache_control, lifetime in [("max-age=86400", 3_600), ("max-age=10", 120), ("s-maxage=900", 900)]:
        clock = ManualClock()
        with Origin({"/x": b"x"}, cache_control=cache_control) as origin, \
                Edge(origin, clock=clock, policy=policy) as edge:  # fmt: skip
            x_cache(client, edge.url("/x"))
            clock.advance(lifetime - 1)
            before = x_cache(client, edge.url("/x"))
            clock.advance(1)
            after = x_cache(client, edge.url("/x"))
        assert (before, after) == ("HIT", "MISS"), f"{cache_control} under {policy}: kept {lifetime} s"


def test_cache_policy_rejects_ttls_out_of_order() -> None:
    with pytest.raises(ValueError, match="min_ttl_s <= default_ttl_s <= max_ttl_s"):
        CachePolicy(min_ttl_s=60, default_ttl_s=0)
    with pytest.raises(ValueError, match="query_strings must be"):
        CachePolicy(query_strings="some")  # type: ignore[arg-type]


def concurrently(calls: list[Callable[[], object]]) -> list[object]:
    """The results of ``calls``, all started at once (a barrier) from their own threads."""
    barrier, results = threading.Barrier(len(calls)), [None] * len(calls)

    def work(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=work, args=(index,)) for index in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@pytest.mark.parametrize(("collapse", "fetches"), [(True, 1), (False, 8)])
def test_concurrent_cold_requests_for_one_key_make_one_origin_fetch_when_collapsed(
    client: httpx.Client, collapse: bool, fetches: int
) -> None:
    threads_before = threading.active_count()
    with Origin({"/hot": b"h" * 100}, cache_control="max-age=600", latency_s=0.5) as origin, \
            Edge(origin, collapse=collapse) as edge:  # fmt: skip
        answers = concurrently([lambda: client.get(edge.url("/hot")) for _ in range(8)])
        stats = edge.stats
    assert threading.active_count() == threads_before, "stopping the servers must leave no thread behind"
    assert all(answer.status_code == 200 for answer in answers)  # type: ignore[attr-defined]
    assert origin.requests == stats.origin_fetches == fetches, (
        f"8 cold requests with collapse={collapse}: expected {fetches} origin fetches, got {origin.requests}"
    )


def test_a_hit_never_waits_for_an_unrelated_miss(client: httpx.Client) -> None:
    with Origin({"/warm": b"w", "/cold": b"c"}, cache_control="max-age=600") as origin, Edge(origin) as edge:
        client.get(edge.url("/warm"))
        origin.latency_s = 1.0
        slow = threading.Thread(target=client.get, args=(edge.url("/cold"),))
        slow.start()
        time.sleep(0.1)
        started = time.perf_counter()
        verdict = x_cache(client, edge.url("/warm"))
        waited = time.perf_counter() - started
        slow.join()
    assert verdict == "HIT", "the warm object was cached"
    assert waited < 0.5, f"a hit waited {waited:.2f} s for a miss on another object"


def test_misses_on_different_objects_go_to_the_origin_in_parallel(client: httpx.Client) -> None:
    objects = {f"/o{i}": b"o" for i in range(4)}
    with Origin(objects, cache_control="max-age=600", latency_s=0.6) as origin, Edge(origin) as edge:
        started = time.perf_counter()
        concurrently([lambda path=path: client.get(edge.url(path)) for path in objects])
        elapsed = time.perf_counter() - started
    assert origin.requests == 4, "each object is fetched once"
    assert elapsed < 1.5, f"4 misses of 0.6 s each took {elapsed:.2f} s: not in parallel"


def test_an_uncacheable_response_is_fetched_for_every_waiting_request(client: httpx.Client) -> None:
    with Origin({"/cart": b"c"}, cache_control="private", latency_s=0.3) as origin, Edge(origin) as edge:
        concurrently([lambda: client.get(edge.url("/cart")) for _ in range(4)])
        stats = edge.stats
    assert origin.requests == 4, "a private answer is never shared: each request goes to the origin"
    assert (stats.hits, stats.misses) == (0, 4)


def test_purge_by_http_drops_a_path_and_every_query_variant_curl() -> None:
    with Origin({"/app.js": b"v1", "/img/a.png": b"a", "/img/b.png": b"b"}, cache_control="max-age=600") as origin, \
            Edge(origin, clock=ManualClock()) as edge:  # fmt: skip
        for target in ("/app.js", "/app.js?v=1", "/img/a.png", "/img/b.png"):
            curl_headers(edge.url(target))
        origin.publish("/app.js", b"v2", cache_control="max-age=600")
        one = run("curl", ["--silent", "--request", "PURGE", edge.url("/app.js")])
        wildcard = run("curl", ["--silent", "--request", "PURGE", edge.origin + "/img/*"])
        after = [curl_headers(edge.url(target))["x-cache"] for target in ("/app.js", "/app.js?v=1", "/img/a.png")]
        body = run("curl", ["--silent", edge.url("/app.js")]).stdout
        stats = edge.stats
    assert json.loads(one.stdout) == {"invalidated": 2}, "a path names its copies for every query string"
    assert json.loads(wildcard.stdout) == {"invalidated": 2}, "/img/* names both images"
    assert after == ["MISS", "MISS", "MISS"], f"purged copies must be fetched again; got {after}"
    assert body == "v2", "after the purge the edge serves the new version"
    assert stats.invalidation_paths == 2, "a wildcard path counts as one path"


def test_invalidate_counts_paths_and_rejects_bad_ones(client: httpx.Client) -> None:
    with Origin({"/a": b"a"}, cache_control="max-age=600") as origin, Edge(origin, clock=ManualClock()) as edge:
        request("GET", edge.url("/a"))
        assert edge.invalidate(["/a", "/nothing", "/b*"]) == 1
        assert edge.stats.invalidation_paths == 3
        with pytest.raises(ValueError, match="must start with '/'"):
            edge.invalidate(["a"])
        refused = client.request("PURGE", origin.url("/a"))
    assert (refused.status_code, refused.headers["allow"]) == (405, "GET, HEAD"), "the origin takes no PURGE"
