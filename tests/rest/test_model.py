"""Tests for helpers.rest.model: method semantics, responses and links, retries, and the retry model.

Nothing here opens a socket (the live API is tested in test_live.py); every simulation is seeded.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from helpers.rest.model import (
    METHOD_PROPERTIES,
    REL,
    STRATEGIES,
    LostResponseError,
    Response,
    expected_duplicates,
    link,
    method_properties,
    relations,
    retry,
    simulate_retries,
)

PROPERTY_SETTINGS = settings(max_examples=40, deadline=None)


# --- method semantics (RFC 9110 section 9.2) ------------------------------------------------


@pytest.mark.parametrize(
    ("method", "safe", "idempotent", "cacheable"),
    [
        ("GET", True, True, True),
        ("HEAD", True, True, True),
        ("OPTIONS", True, True, False),
        ("TRACE", True, True, False),
        ("PUT", False, True, False),
        ("DELETE", False, True, False),
        ("POST", False, False, False),
        ("PATCH", False, False, False),
        ("CONNECT", False, False, False),
        ("get", True, True, True),
    ],
)
def test_method_properties_follow_the_rfc_9110_table(
    method: str, safe: bool, idempotent: bool, cacheable: bool
) -> None:
    props = method_properties(method)
    assert (props.safe, props.idempotent, props.cacheable) == (safe, idempotent, cacheable)


def test_every_safe_method_is_idempotent() -> None:
    assert all(props.idempotent for props in METHOD_PROPERTIES.values() if props.safe)


@pytest.mark.parametrize("method", ["FETCH", "", None, 3])
def test_method_properties_rejects_unknown_methods(method: object) -> None:
    with pytest.raises(ValueError, match="method must be one of"):
        method_properties(method)  # type: ignore[arg-type]


# --- responses, links and retries -------------------------------------------------------------


def test_a_response_decodes_its_json_body_and_counts_its_header_bytes() -> None:
    response = Response(201, "Created", {"location": "/o/1"}, b'{"id": "o1"}')
    assert response.json() == {"id": "o1"}
    assert Response(204, "No Content", {}, b"").json() == {}
    assert response.header_bytes == len("HTTP/1.1 201 Created\r\nlocation: /o/1\r\n\r\n")
    with pytest.raises(ValueError, match="not an object"):
        Response(200, "OK", {}, b"[1, 2]").json()


def test_link_names_the_links_on_offer_when_rel_is_missing() -> None:
    with pytest.raises(ValueError, match=r"no link with rel 'ship' here; the representation offers \['pay', 'self'\]"):
        link({"links": [{"rel": "self", "href": "h"}, {"rel": "pay", "href": "p", "method": "POST"}]}, "ship")


def test_rfc8288_2_1_relation_types_compare_case_insensitively() -> None:
    representation = {"links": [{"rel": REL + "Pay", "href": "/p", "method": "POST"}, {"rel": "SELF", "href": "/"}]}
    assert link(representation, REL + "pay").href == "/p"
    assert link(representation, "self").href == "/"


def test_relations_lists_rels_sorted_with_the_apis_own_shortened() -> None:
    representation = {"links": [{"rel": REL + "pay", "href": "/p"}, {"rel": "self", "href": "/"},
                                {"rel": "https://other.example/rels/pay", "href": "/x"}]}  # fmt: skip
    assert relations(representation) == ["https://other.example/rels/pay", "pay", "self"]


def test_retry_tries_again_only_while_responses_are_lost() -> None:
    answer = Response(200, "OK", {}, b"")
    calls: list[int] = []

    def lose_twice() -> Response:
        calls.append(1)
        if len(calls) <= 2:
            raise LostResponseError("lost")
        return answer

    assert retry(lose_twice, attempts=3) is answer
    calls.clear()
    with pytest.raises(LostResponseError):
        retry(lose_twice, attempts=2)
    assert len(calls) == 2


def test_retry_rejects_bad_attempts() -> None:
    with pytest.raises(ValueError, match="attempts must be an int >= 1, got 0"):
        retry(lambda: None, attempts=0)  # type: ignore[arg-type, return-value]


# --- the retry model ------------------------------------------------------------------------


def test_with_one_retry_post_duplicates_are_about_q_times_n() -> None:
    outcome = simulate_retries([0.05, 0.2, 0.4], requests=100_000, retries=1, rng=np.random.default_rng(1))
    np.testing.assert_allclose(outcome.duplicates("POST") / 100_000, [0.05, 0.2, 0.4], atol=0.005)
    assert outcome.duplicates("PUT").tolist() == [0, 0, 0]
    assert outcome.duplicates("POST + Idempotency-Key").tolist() == [0, 0, 0]
    np.testing.assert_allclose(outcome.gave_up / 100_000, [0.05**2, 0.2**2, 0.4**2], atol=0.005)


@pytest.mark.parametrize("retries", [0, 1, 2, 5])
def test_simulated_duplicates_match_the_expectation(retries: int) -> None:
    q = np.array([0.1, 0.3, 0.5])
    outcome = simulate_retries(q, requests=50_000, retries=retries, rng=np.random.default_rng(2))
    expected = [expected_duplicates(float(rate), 50_000, retries) for rate in q]
    np.testing.assert_allclose(outcome.duplicates("POST"), expected, rtol=0.03, atol=1)


@given(
    rates=st.lists(st.floats(0.0, 0.99), min_size=2, max_size=8),
    retries=st.integers(0, 6),
    seed=st.integers(0, 2**32 - 1),
)
@PROPERTY_SETTINGS
def test_more_loss_never_means_fewer_duplicates_or_fewer_give_ups(rates: list[float], retries: int, seed: int) -> None:
    ordered = sorted(rates)
    outcome = simulate_retries(ordered, requests=200, retries=retries, rng=np.random.default_rng(seed))
    assert (np.diff(outcome.duplicates("POST")) >= 0).all()
    assert (np.diff(outcome.gave_up) >= 0).all()
    assert (outcome.duplicates("POST") <= 200 * retries).all()
    for strategy in STRATEGIES[1:]:
        assert (outcome.created[strategy] == 200).all()


@given(q=st.floats(0.0, 0.99), n=st.integers(0, 10_000), retries=st.integers(0, 10))
@PROPERTY_SETTINGS
def test_expected_duplicates_is_between_q_n_and_the_unlimited_limit(q: float, n: int, retries: int) -> None:
    value = expected_duplicates(q, n, retries)
    if retries >= 1:
        assert q * n - 1e-6 <= value <= n * q / (1 - q) + 1e-6
    else:
        assert value == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (([1.0], 10, 1), "loss_rates must be"),
        (([0.1], 0, 1), "requests must be an int >= 1, got 0"),
        (([0.1], 10, -1), "retries must be an int from 0 to 20, got -1"),
        (([], 10, 1), "loss_rates must be"),
    ],
)
def test_simulate_retries_rejects_bad_input(args: tuple[list[float], int, int], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        simulate_retries(*args, rng=np.random.default_rng(0))


def test_duplicates_rejects_unknown_strategies() -> None:
    outcome = simulate_retries([0.1], requests=10, retries=1, rng=np.random.default_rng(0))
    with pytest.raises(ValueError, match="strategy must be one of"):
        outcome.duplicates("GET")
