"""Tests for helpers.balancing.live: live backends and the L7 load balancer on 127.0.0.1.

Every server runs on 127.0.0.1, port 0, inside a ``with`` block, and must leave no thread behind.
"""

from __future__ import annotations

import http.client
import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.balancing.live import Backend, Cluster, LoadBalancer, send_requests
from helpers.serving import HOST


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
    assert body == {"backend": "solo", "path": "/x"}
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
    assert passed == ("application/json", "b0", {"backend": "b0", "path": "/item"})
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
        (lambda: LoadBalancer([]), "backends must be a non-empty list"),
        (lambda: LoadBalancer([Backend("a", 1), Backend("a", 1)]), "names must be distinct"),
        (lambda: LoadBalancer([Backend("a", 1)], policy="fastest"), "policy must be one of"),
        (lambda: LoadBalancer([Backend("a", 1)], weights=[1, 2]), "one weight per backend"),
        (lambda: Cluster([]), "delays_ms must be a non-empty list"),
        (lambda: send_requests("http://example.com/", 1), "url must be http://127.0.0.1:PORT/"),
        (lambda: send_requests("http://127.0.0.1:1/", 1, concurrency=0), "concurrency must be"),
        (lambda: send_requests("http://127.0.0.1:1/", 1, clients=[]), "clients must be"),
        (lambda: Backend("a", 1).port, "start it first"),
    ],
)
def test_bad_input_is_rejected(call: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        call()  # type: ignore[operator]
