"""Tests for helpers.balancing.live: live backends and the L7 load balancer on 127.0.0.1.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block, and must leave no thread behind.
Each protocol behaviour the lesson relies on is checked with a client nobody here wrote (curl,
through tests/real_clients.py, and httpx), one test per RFC clause, named after it.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.balancing.live import FORWARDED_METHODS, Backend, Cluster, LoadBalancer, send_requests
from helpers.serving import HOST, QuietHandler

from real_clients import run


def _threads() -> set[str]:
    return {thread.name for thread in threading.enumerate()}


def test_backend_answers_with_its_name_and_counts_requests() -> None:
    with Backend("solo", delay_ms=0) as backend:
        replies = send_requests(backend.url + "path", 3)
        connection = http.client.HTTPConnection(HOST, backend.port, timeout=2)
        connection.request("GET", "/x")
        body = json.loads(connection.getresponse().read())
        connection.close()
    assert [reply.status for reply in replies] == [200, 200, 200]
    assert body == {"backend": "solo", "method": "GET", "path": "/x"}
    assert backend.served == 4
    assert not backend.running


def test_backend_serves_workers_at_a_time() -> None:
    with Backend("slow", delay_ms=30, workers=1) as backend:
        replies = send_requests(backend.url, 4, concurrency=4)
    # One worker: the fourth request waits for the three before it.
    assert max(reply.latency_ms for reply in replies) >= 4 * 30 * 0.9


def test_round_robin_balancer_takes_backends_in_turn_and_counts() -> None:
    with Cluster([1, 1, 1]) as cluster:
        replies = send_requests(cluster.url, 9, concurrency=1)
        stats = cluster.balancer.stats()
    assert [reply.backend for reply in replies] == ["b0", "b1", "b2"] * 3
    assert {name: s.requests for name, s in stats.items()} == {"b0": 3, "b1": 3, "b2": 3}
    assert all(s.share == pytest.approx(1 / 3) and s.up for s in stats.values())
    assert all(s.median_ms > 0 for s in stats.values())


@pytest.mark.parametrize("policy", ["least-connections", "power-of-two"])
def test_load_aware_policies_send_a_slow_backend_less(policy: str) -> None:
    with Cluster([2, 2, 20], policy=policy) as cluster:
        send_requests(cluster.url, 90, concurrency=4)
        counts = [s.requests for s in cluster.balancer.stats().values()]
    assert sum(counts) == 90
    assert counts[2] < min(counts[:2])


def test_weighted_round_robin_follows_the_weights() -> None:
    with Cluster([1, 1], policy="weighted-round-robin", weights=[3, 1]) as cluster:
        replies = send_requests(cluster.url, 8, concurrency=1)
    assert [reply.backend for reply in replies] == ["b0", "b0", "b1", "b0"] * 2


@settings(max_examples=5, deadline=None)
@given(st.lists(st.text(alphabet="abcdefgh", min_size=1, max_size=6), min_size=1, max_size=5, unique=True))
def test_hash_policy_keeps_each_client_on_one_backend(clients: list[str]) -> None:
    with Cluster([0, 0, 0], policy="hash") as cluster:
        replies = send_requests(cluster.url, 3 * len(clients), concurrency=1, clients=clients)
    for index in range(len(clients)):
        assert len({reply.backend for reply in replies[index :: len(clients)]}) == 1


def test_policy_can_be_switched_while_running() -> None:
    with Cluster([1, 1]) as cluster:
        send_requests(cluster.url, 2, concurrency=1)
        cluster.balancer.policy = "hash"
        cluster.balancer.reset_stats()
        replies = send_requests(cluster.url, 6, concurrency=1, clients=["alice"])
        assert cluster.balancer.policy == "hash"
        assert sum(s.requests for s in cluster.balancer.stats().values()) == 6
    assert len({reply.backend for reply in replies}) == 1


def test_a_dead_backend_is_skipped_and_marked_down() -> None:
    with Cluster([0, 0, 0]) as cluster:
        cluster.backends[1].stop()
        replies = send_requests(cluster.url, 9, concurrency=1)
        stats = cluster.balancer.stats()
    assert all(reply.status == 200 for reply in replies)
    assert "b1" not in {reply.backend for reply in replies}
    assert stats["b1"].up is False
    assert stats["b0"].up


def test_no_backend_left_gives_502_and_a_stopped_balancer_gives_no_answer() -> None:
    with Cluster([0]) as cluster:
        cluster.backends[0].stop()
        (reply,) = send_requests(cluster.url, 1)
        assert reply.status == 502
        assert reply.backend == ""
        cluster.balancer.stop()
        (silence,) = send_requests(cluster.url, 1)
    assert silence.status == 0


def test_the_502_is_a_problem_document_and_answers_pass_through_with_their_backend() -> None:
    with Cluster([0]) as cluster:
        connection = http.client.HTTPConnection(HOST, cluster.balancer.port, timeout=2)
        connection.request("GET", "/item")
        answer = connection.getresponse()
        passed = (answer.getheader("Content-Type"), answer.getheader("X-Backend"), json.loads(answer.read()))
        cluster.backends[0].stop()
        connection.request("GET", "/item")
        answer = connection.getresponse()
        failed = (answer.status, answer.getheader("Content-Type"), json.loads(answer.read()))
        connection.close()
    assert passed == ("application/json", "b0", {"backend": "b0", "method": "GET", "path": "/item"})
    status, content_type, body = failed
    assert (status, content_type) == (502, "application/problem+json")  # RFC 9457
    assert (body["status"], body["title"]) == (502, "Bad Gateway")


def test_servers_stop_cleanly_and_can_run_again() -> None:
    before = _threads()
    for _ in range(2):
        with Cluster([0, 0]) as cluster:
            send_requests(cluster.url, 4, concurrency=2)
        assert not cluster.balancer.running
        assert not any(b.running for b in cluster.backends)
    assert _threads() <= before | {"MainThread"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: Backend("", 1), "name must be a non-empty string"),
        (lambda: Backend("a", -1), "delay_ms must be a number from 0 to 10000"),
        (lambda: Backend("a", 1, workers=0), "workers must be an int >= 1"),
        (lambda: Backend("a", 1, error_rate=1.5), "error_rate must be a number"),
        (lambda: Backend("a", 1, seed=-1), "seed must be an int >= 0"),
        (lambda: LoadBalancer([]), "backends must be a non-empty list"),
        (lambda: LoadBalancer([Backend("a", 1), Backend("a", 1)]), "names must be distinct"),
        (lambda: LoadBalancer([Backend("a", 1)], policy="fastest"), "policy must be one of"),
        (lambda: LoadBalancer([Backend("a", 1)], weights=[1, 2]), "one weight per backend"),
        (lambda: Cluster([]), "delays_ms must be a non-empty list"),
        (lambda: send_requests("http://example.com/", 1), "url must be http://127.0.0.1:PORT/"),
        (lambda: send_requests("http://127.0.0.1:1/", 1, concurrency=0), "concurrency must be"),
        (lambda: send_requests("http://127.0.0.1:1/", 1, clients=[]), "clients must be"),
        (lambda: Backend("a", 1).port, "start it first"),
        (lambda: LoadBalancer([Backend("a", 1)], timeout_s=0), "timeout_s must be a number"),
        (lambda: LoadBalancer([Backend("a", 1)], max_fails=0), "max_fails must be an int >= 1"),
        (lambda: LoadBalancer([Backend("a", 1)], fail_timeout_s=-1), "fail_timeout_s must be a number"),
    ],
)
def test_bad_input_is_rejected(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]


# --- conformance, checked with curl and httpx -----------------------------------------------


def curl(*arguments: str) -> tuple[str, str]:
    """curl's output and its verbose log (stderr); never through a proxy."""
    done = run("curl", ["--silent", "--show-error", "--noproxy", "*", "--max-time", "10", *arguments])
    assert done.returncode == 0, f"curl {' '.join(arguments)} failed: {done.stderr}"
    return done.stdout, done.stderr


def client() -> httpx.Client:
    return httpx.Client(trust_env=False, timeout=10)  # trust_env=False: no proxy variable applies


class TalkingBackend(Backend):
    """A backend whose answer carries hop-by-hop fields and is sent chunked, as HTTP/1.1 allows."""

    def _answer(self, handler: QuietHandler) -> None:
        handler.read_body()
        handler.protocol_version = "HTTP/1.1"
        handler.close_connection = True
        handler.send_response(200)
        for name, value in [
            ("Content-Type", "text/plain"),
            ("Connection", "close, X-Secret"),
            ("X-Secret", "hop"),
            ("Keep-Alive", "timeout=5"),
            ("Upgrade", "h2c"),
            ("Proxy-Connection", "close"),
            ("Transfer-Encoding", "chunked"),
            ("X-End-To-End", "kept"),
            ("Server", "backend/1.0"),
        ]:
            handler.send_header(name, value)
        handler.end_headers()
        handler.wfile.write(b"5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n")


def test_rfc9110_7_6_1_hop_by_hop_request_fields_are_not_forwarded() -> None:
    with Cluster([0]) as cluster:
        curl(cluster.url + "hop", "-H", "Connection: keep-alive, X-Hop", "-H", "X-Hop: private",
             "-H", "Keep-Alive: timeout=5", "-H", "TE: trailers", "-H", "Proxy-Connection: keep-alive",
             "-H", "Upgrade: h2c", "-H", "X-End-To-End: kept", "-H", "Accept: application/json")  # fmt: skip
        (received,) = cluster.backends[0].received
    names = {name.lower() for name, _ in received.headers}
    leaked = names & {"connection", "x-hop", "keep-alive", "te", "proxy-connection", "upgrade", "transfer-encoding"}
    assert not leaked, (
        f"RFC 9110 §7.6.1: hop-by-hop fields (and those Connection lists) must not be forwarded: {leaked}"
    )
    assert (received.header("X-End-To-End"), received.header("Accept")) == ("kept", "application/json")


def test_rfc9110_7_6_1_hop_by_hop_response_fields_are_not_passed_back() -> None:
    with TalkingBackend("talker", 0) as backend, LoadBalancer([backend]) as balancer, client() as http:
        answer = http.get(balancer.url)
    leaked = {"x-secret", "keep-alive", "upgrade", "proxy-connection", "transfer-encoding"} & set(answer.headers)
    assert not leaked, f"RFC 9110 §7.6.1: the backend's hop-by-hop fields must stay on its hop: {leaked}"
    assert answer.headers["X-End-To-End"] == "kept"
    assert answer.headers["X-Backend"] == "talker"
    # The chunked answer was read whole and is sent on with a Content-Length (RFC 9112 §6.3).
    assert (answer.text, answer.headers["Content-Length"]) == ("hello world", "11")
    assert answer.headers.get_list("Server") == [answer.headers["Server"]] != ["backend/1.0"]


def test_rfc7239_x_forwarded_for_appends_the_address_the_proxy_saw() -> None:
    with Cluster([0]) as cluster:
        curl(cluster.url, "-H", "X-Client: alice")
        curl(cluster.url, "-H", "X-Client: bob", "-H", "X-Forwarded-For: 203.0.113.7, 198.51.100.2",
             "-H", "Forwarded: for=203.0.113.7")  # fmt: skip
        fresh, relayed = cluster.backends[0].received
    assert fresh.header("X-Forwarded-For") == "127.0.0.1", "X-Forwarded-For is the client's address, not its name"
    assert relayed.header("X-Forwarded-For") == "203.0.113.7, 198.51.100.2, 127.0.0.1", "append to the list"
    assert fresh.header("Forwarded") == "for=127.0.0.1;proto=http", "RFC 7239 §4, §5.2 and §5.4"
    assert relayed.header("Forwarded") == "for=203.0.113.7, for=127.0.0.1;proto=http", "RFC 7239 §4: append"


def test_rfc9110_7_6_3_a_gateway_adds_via_to_each_request_it_forwards() -> None:
    with Cluster([0]) as cluster, client() as http:
        http.get(cluster.url)
        http.get(cluster.url, headers={"Via": "1.1 edge"})
        first, second = cluster.backends[0].received
    assert (first.header("Via"), second.header("Via")) == ("1.1 balancer", "1.1 edge, 1.1 balancer")


@pytest.mark.parametrize("method", [m for m in FORWARDED_METHODS if m != "HEAD"])
def test_rfc9110_9_3_every_method_is_forwarded_with_its_content(method: str) -> None:
    with Cluster([0]) as cluster:
        out, _ = curl(cluster.url + "orders/7", "-X", method, "-H", "Content-Type: application/json",
                      "--data-binary", '{"qty": 2}')  # fmt: skip
        (received,) = cluster.backends[0].received
    assert json.loads(out) == {"backend": "b0", "method": method, "path": "/orders/7", "body": '{"qty": 2}'}
    assert (received.method, received.body, received.header("Content-Length")) == (method, b'{"qty": 2}', "10")
    assert received.header("Content-Type") == "application/json"


def test_rfc9110_9_3_2_head_is_forwarded_and_its_answer_has_no_content() -> None:
    with Cluster([0]) as cluster, client() as http:
        head = http.head(cluster.url + "page")
        get = http.get(cluster.url + "page")
        methods = [r.method for r in cluster.backends[0].received]
    assert methods == ["HEAD", "GET"]
    assert head.status_code == 200
    assert head.content == b""
    # The backend's own Content-Length for HEAD (what its GET-like answer would carry) is passed on.
    assert int(head.headers["Content-Length"]) == len(get.content) + 1  # "HEAD" is one letter longer than "GET"


def test_rfc9112_7_1_a_chunked_request_body_is_forwarded_whole() -> None:
    with Cluster([0]) as cluster:
        out, _ = curl(cluster.url, "-H", "Transfer-Encoding: chunked", "--data-binary", "hello, chunks")
        (received,) = cluster.backends[0].received
    assert json.loads(out)["body"] == "hello, chunks"
    assert received.header("Transfer-Encoding") is None
    assert received.header("Content-Length") == "13"


def test_rfc9112_9_3_the_balancer_speaks_http_1_1_and_keeps_connections_alive() -> None:
    with Cluster([0, 0]) as cluster:
        out, log = curl("-v", cluster.url + "one", cluster.url + "two")
    assert "< HTTP/1.1 200" in log, f"the status line must say HTTP/1.1: {log}"
    assert log.count("Connected to") == 1, f"curl opened more than one connection: {log}"
    assert "Re-using existing connection" in log, (
        f"RFC 9112 §9.3: an HTTP/1.1 server keeps the connection open for the next request: {log}"
    )
    assert out.index('"path": "/one"') < out.index('"path": "/two"'), out


def test_rfc9110_15_6_2_a_method_it_does_not_forward_gets_501() -> None:
    with Cluster([0]) as cluster:
        out, _ = curl("-o", "/dev/null", "-w", "%{http_code}", "-X", "TRACE", cluster.url)
        received = list(cluster.backends[0].received)
    assert (out, received) == ("501", [])


# --- passive health checks: what the network says, never the backend object -----------------


class WatchedBackend(Backend):
    """A backend that notes whenever someone reads its ``running`` flag."""

    flag_read = False

    @property
    def running(self) -> bool:
        WatchedBackend.flag_read = True
        return super().running


def test_the_balancer_learns_a_backend_is_down_only_from_the_network() -> None:
    WatchedBackend.flag_read = False
    backends = [WatchedBackend("w0", 0), WatchedBackend("w1", 0)]
    with backends[0], backends[1], LoadBalancer(backends, fail_timeout_s=60) as balancer:
        before = send_requests(balancer.url, 2, concurrency=1)
        server = backends[1]._server
        assert server is not None
        server.socket.close()  # the port now refuses connections; the object still says "running"
        WatchedBackend.flag_read = False
        after = send_requests(balancer.url, 4, concurrency=1)
        stats = balancer.stats()
        read_while_serving = WatchedBackend.flag_read
    assert [r.backend for r in before] == ["w0", "w1"]
    assert [r.backend for r in after] == ["w0"] * 4
    assert (stats["w1"].up, stats["w1"].failures) == (False, 1), "a refused connection takes the backend out"
    assert not read_while_serving, "the balancer must not read backend.running: it learns from the network"


def test_a_5xx_answer_counts_as_a_failure_and_max_fails_in_a_row_take_the_backend_out() -> None:
    with Cluster([0, 0], max_fails=2, fail_timeout_s=60) as cluster:
        cluster.backends[1].status = 503  # sick, but it still accepts connections
        replies = send_requests(cluster.url, 8, concurrency=1)
        stats = cluster.balancer.stats()
    assert [(r.backend, r.status) for r in replies[:4]] == [("b0", 200), ("b1", 503)] * 2, "a 5xx is passed on"
    assert [r.backend for r in replies[4:]] == ["b0"] * 4, "after max_fails=2 failures in a row, b1 is out"
    assert (stats["b1"].up, stats["b1"].failures) == (False, 2)


def test_a_backend_with_an_error_rate_fails_that_seeded_share_of_requests_with_500() -> None:
    with Backend("buggy", delay_ms=0, error_rate=0.25, seed=7) as backend:
        first = [reply.status for reply in send_requests(backend.url, 400, concurrency=1)]
    with Backend("buggy", delay_ms=0, error_rate=0.25, seed=7) as again:
        second = [reply.status for reply in send_requests(again.url, 400, concurrency=1)]
    assert set(first) == {200, 500}
    assert first == second, "the same seed must fail the same requests"
    assert backend.errors == first.count(500)
    assert backend.served == 400
    assert 60 <= first.count(500) <= 140, f"about a quarter of 400 should fail, got {first.count(500)}"


def test_a_canary_keeps_its_exact_share_when_passive_health_checks_cannot_take_it_out() -> None:
    with (
        Backend("v1", delay_ms=0) as stable,
        Backend("v2", delay_ms=0, error_rate=0.2, seed=3) as canary,
        LoadBalancer([stable, canary], "weighted-round-robin", weights=[19, 1], fail_timeout_s=0) as balancer,
    ):
        replies = send_requests(balancer.url, 400, concurrency=1)
        stats = balancer.stats()
    assert Counter(reply.backend for reply in replies) == {"v1": 380, "v2": 20}
    failed = [reply for reply in replies if reply.status == 500]
    assert failed, "the canary's 500s are passed on to the client"
    assert {reply.backend for reply in failed} == {"v2"}, "only the canary fails"
    assert stats["v2"].failures == len(failed) == canary.errors
    assert stats["v1"].failures == 0


def test_a_timeout_is_a_failure_an_idempotent_request_is_retried_and_a_post_is_not() -> None:
    with Cluster([0, 400], timeout_s=0.1, fail_timeout_s=60) as cluster, client() as http:
        get = [http.get(cluster.url) for _ in range(2)]  # the second goes to b1, times out, is retried on b0
        stats = cluster.balancer.stats()
    with Cluster([0, 400], timeout_s=0.1, fail_timeout_s=60) as cluster, client() as http:
        post = [http.post(cluster.url, content=b"pay") for _ in range(2)]  # the second goes to b1 and times out
        time.sleep(0.4)  # let b1 finish the POST it was given
        posts_seen = [r.method for backend in cluster.backends for r in backend.received]
    assert [(r.status_code, r.headers["X-Backend"]) for r in get] == [(200, "b0"), (200, "b0")]
    assert (stats["b1"].up, stats["b1"].failures) == (False, 1), "a timeout takes the backend out"
    assert [r.status_code for r in post] == [200, 504], "a POST that timed out gets 504 and is not sent twice"
    assert post[1].headers["Content-Type"] == "application/problem+json"
    assert posts_seen == ["POST", "POST"], "RFC 9110 §9.2.2: only idempotent requests may be retried"


def test_an_idle_keep_alive_connection_does_not_hold_up_stop() -> None:
    before = _threads()
    with client() as http:
        with Cluster([0]) as cluster:
            assert http.get(cluster.url).status_code == 200  # httpx keeps the connection open
            started = time.perf_counter()
        stopped_in_s = time.perf_counter() - started
    assert stopped_in_s < 1.0, f"stop() waited {stopped_in_s:.2f} s for an idle connection"
    assert _threads() <= before | {"MainThread"}


def test_a_backend_taken_out_is_readmitted_after_fail_timeout() -> None:
    with Cluster([0, 0], fail_timeout_s=0.3) as cluster:
        cluster.backends[1].stop()
        send_requests(cluster.url, 2, concurrency=1)
        cluster.backends[1].start()  # back, on the same port
        still_out = send_requests(cluster.url, 4, concurrency=1)
        time.sleep(0.35)
        back = send_requests(cluster.url, 4, concurrency=1)
        stats = cluster.balancer.stats()
    assert {r.backend for r in still_out} == {"b0"}, "for fail_timeout_s the backend gets no traffic"
    assert {r.backend for r in back} == {"b0", "b1"}, "then it is tried again"
    assert stats["b1"].up


def test_a_dead_backends_turns_are_spread_over_the_others_under_round_robin() -> None:
    with Cluster([0, 0, 0, 0]) as cluster:
        cluster.backends[1].stop()
        replies = send_requests(cluster.url, 30, concurrency=1)
    counts = Counter(r.backend for r in replies)
    assert counts == {"b0": 10, "b2": 10, "b3": 10}, f"b1's turns must not all go to b2: {dict(counts)}"


def test_a_dead_backends_clients_are_spread_over_the_others_under_hashing() -> None:
    clients = [f"user-{i}" for i in range(300)]
    with Cluster([0, 0, 0, 0], policy="hash") as cluster:
        before = send_requests(cluster.url, len(clients), concurrency=4, clients=clients)
        cluster.backends[1].stop()
        after = send_requests(cluster.url, len(clients), concurrency=4, clients=clients)
    moved = Counter(a.backend for b, a in zip(before, after, strict=True) if b.backend == "b1")
    stayed = all(a.backend == b.backend for b, a in zip(before, after, strict=True) if b.backend != "b1")
    assert stayed, "clients of the live backends keep their backend"
    assert set(moved) == {"b0", "b2", "b3"}, f"b1's clients must be spread over all the others: {dict(moved)}"
    assert min(moved.values()) >= sum(moved.values()) / 6, (
        f"b1's clients must be spread over b0, b2 and b3, not handed to one neighbour: {dict(moved)}"
    )
