"""Tests for helpers.versioning.model: readers, changes, rollout shares, plans, version negotiation.

The facts the lesson states about SemVer and PEP 440 are checked here too, with the
libraries themselves (``semver``, ``packaging``), so a new release that changes them fails
here before it fails in the lesson.
"""

from __future__ import annotations

import random
from fractions import Fraction

import pytest
import semver
from hypothesis import given, settings
from hypothesis import strategies as st
from packaging.version import InvalidVersion, Version

from helpers.versioning.model import (
    CHANGES,
    FLEET_READERS,
    FLEET_SHAPES,
    KETTLE,
    MEDIA_TYPE,
    READER_KINDS,
    SHAPES,
    SPEC_PRECEDENCE_EXAMPLE,
    STRATEGIES,
    Product,
    Step,
    big_bang_failure_rate,
    big_bang_plan,
    check_plan,
    compatibility,
    consumer_reader,
    contract_failure_rate,
    document,
    expand_contract_plan,
    failure_rate,
    fleet_reads,
    negotiate_version,
    provider_document,
    read,
    reader,
    simulate_plan,
)

PROPERTY_SETTINGS = settings(max_examples=50, deadline=None)
shares = st.fractions(min_value=0, max_value=1, max_denominator=20)

STRICT = reader({"id": int, "name": str, "price_cents": int}, extra="forbid", strict=True)
TOLERANT = reader({"id": int, "price_cents": int}, extra="ignore", strict=True)
LAX = reader({"id": int, "price_cents": int}, extra="ignore", strict=False)


# --- versions (section 1-2 facts, checked with the libraries) -----------------------------------


def test_spec_chain_sorts_with_semver_and_string_sort_is_wrong() -> None:
    shuffled = list(SPEC_PRECEDENCE_EXAMPLE)
    random.Random(9).shuffle(shuffled)
    assert tuple(sorted(shuffled, key=semver.Version.parse)) == SPEC_PRECEDENCE_EXAMPLE
    assert sorted(["1.10.0", "1.2.0"]) == ["1.10.0", "1.2.0"]
    assert sorted(["1.10.0", "1.2.0"], key=semver.Version.parse) == ["1.2.0", "1.10.0"]
    assert semver.Version.parse("1.0.0+a") == semver.Version.parse("1.0.0+b")


@pytest.mark.parametrize("text", ["v1.2.3", "1.2", "01.2.3", "1.2.3-01"])
def test_semver_rejects_what_the_spec_forbids(text: str) -> None:
    with pytest.raises(ValueError, match="not valid SemVer"):
        semver.Version.parse(text)


def test_pep440_is_not_semver() -> None:
    assert str(Version("1.0.0-alpha")) == "1.0.0a0"
    assert str(Version("1.0.0-rc.1")) == "1.0.0rc1"
    with pytest.raises(InvalidVersion):
        Version("1.0.0-alpha.beta")


def test_is_compatible_is_directional_and_zero_major_is_alone() -> None:
    v = semver.Version.parse
    assert v("1.2.0").is_compatible(v("1.4.0"))
    assert not v("1.4.0").is_compatible(v("1.2.0"))
    assert not v("0.2.0").is_compatible(v("0.2.5"))


# --- documents and readers ----------------------------------------------------------------------


def test_every_shape_writes_product_seven() -> None:
    for shape in SHAPES:
        assert document(KETTLE, shape)["id"] == 7, shape
    assert document(KETTLE, "v1+v2") == {"id": 7, "name": "kettle", "price_cents": 2599, "price": 2599}
    assert document(KETTLE, "price_text")["price_cents"] == "25.99"
    assert document(Product(1, "cup", 5), "text")["price"] == "0.05"


def test_reader_outcome_table() -> None:
    """The five rows the lesson shows: adding breaks only strict, renames and retypes break all."""
    table = {
        shape: (read(STRICT, document(KETTLE, shape)).text, read(TOLERANT, document(KETTLE, shape)).text)
        for shape in ("gift_wrap", "v2", "price_text", "no_name", "price_digits")
    }
    assert table == {
        "gift_wrap": ("extra_forbidden gift_wrap", "ok"),
        "v2": ("missing price_cents", "missing price_cents"),
        "price_text": ("int_type price_cents", "int_type price_cents"),
        "no_name": ("missing name", "ok"),
        "price_digits": ("int_type price_cents", "int_type price_cents"),
    }
    # Lax mode is the RFC 9413 counterpoint: it quietly converts "2599", and says why "25.99" fails.
    assert read(LAX, document(KETTLE, "price_digits")).values == (("id", 7), ("price_cents", 2599))
    assert read(LAX, document(KETTLE, "price_text")).text == "int_parsing price_cents"


def test_reader_is_cached_and_defaults_make_fields_optional() -> None:
    assert reader({"id": int}, extra="ignore", strict=True) is reader({"id": int}, extra="ignore", strict=True)
    optional = reader({"id": int, "gift_wrap": bool}, extra="ignore", strict=True, defaults={"gift_wrap": False})
    assert read(optional, {"id": 7}).values == (("id", 7), ("gift_wrap", False))
    assert read(optional, {"id": 7, "gift_wrap": True}).ok


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: document("kettle", "v1"), "product must be a Product"),  # type: ignore[arg-type]
        (lambda: document(KETTLE, "v3"), "'v3'"),
        (lambda: reader({}, extra="ignore", strict=True), "fields must map"),
        (lambda: reader({"id": int}, extra="allow", strict=True), "'allow'"),  # type: ignore[arg-type]
        (lambda: reader({"id": int}, extra="ignore", strict=True, defaults={"x": 1}), "['x']"),
        (lambda: read(dict, {}), "must be a reader"),  # type: ignore[arg-type]
        (lambda: read(TOLERANT, [1]), "JSON object"),  # type: ignore[arg-type]
    ],
)
def test_bad_reader_input_names_the_value(call: object, words: str) -> None:
    with pytest.raises(ValueError, match=words.replace("[", r"\[").replace("]", r"\]")):
        call()  # type: ignore[operator]


# --- changes and rollouts -----------------------------------------------------------------------


def _oks(change: str, strategy: str, kind: str) -> list[list[bool]]:
    return [[cell.ok for cell in row] for row in compatibility(change, strategy, kind)]


@pytest.mark.parametrize(
    ("change", "strict", "tolerant"),
    [
        ("add field", [[True, False], [False, True]], [[True, True], [True, True]]),
        ("rename field", [[True, False], [False, True]], [[True, False], [False, True]]),
        ("change type", [[True, False], [False, True]], [[True, False], [False, True]]),
        ("remove unused field", [[True, False], [False, True]], [[True, True], [True, True]]),
    ],
)
def test_big_bang_matrices(change: str, strict: list[list[bool]], tolerant: list[list[bool]]) -> None:
    assert _oks(change, "big bang", "strict") == strict
    assert _oks(change, "big bang", "tolerant") == tolerant


@pytest.mark.parametrize("change", list(CHANGES))
def test_expand_migrate_contract_keeps_old_consumers_reading(change: str) -> None:
    """Expanded providers serve old and new consumers; only a consumer that migrates early fails."""
    oks = _oks(change, "expand-migrate-contract", "tolerant")
    assert oks[0] == [True, True]
    assert oks[1][1]
    early = not oks[1][0]
    assert early == (change in ("rename field", "change type"))
    for p in (Fraction(0), Fraction(1, 3), Fraction(1)):
        assert failure_rate(p, Fraction(0), change, "expand-migrate-contract", "tolerant") == 0
    for c in (Fraction(0), Fraction(1, 2), Fraction(1)):
        assert failure_rate(Fraction(1), c, change, "expand-migrate-contract", "tolerant") == 0
    assert failure_rate(Fraction(1, 2), Fraction(1, 2), change, "expand-migrate-contract", "tolerant") == (
        Fraction(1, 4) if early else 0
    )


def test_strict_readers_cannot_expand() -> None:
    """A strict schema refuses the expanded document: expand-contract needs tolerant readers."""
    matrix = compatibility("rename field", "expand-migrate-contract", "strict")
    assert matrix[0][1].text == "extra_forbidden price"


def test_expanded_provider_sends_both_forms() -> None:
    assert provider_document("rename field", "new", "expand-migrate-contract") == document(KETTLE, "v1+v2")
    assert provider_document("change type", "new", "expand-migrate-contract")["price"] == "25.99"
    assert provider_document("rename field", "old") == document(KETTLE, "v1")


@given(p=shares, c=shares)
@PROPERTY_SETTINGS
def test_big_bang_rename_fails_the_cross_version_share(p: Fraction, c: Fraction) -> None:
    expected = c * (1 - p) + (1 - c) * p
    assert big_bang_failure_rate(p, c) == expected
    for kind in READER_KINDS:
        assert failure_rate(p, c, "rename field", "big bang", kind) == expected
    assert failure_rate(p, c, "add field", "big bang", "tolerant") == 0
    assert failure_rate(p, Fraction(0), "rename field", "expand-migrate-contract", "tolerant") == 0


@given(c=shares)
@PROPERTY_SETTINGS
def test_contracting_early_fails_the_unmigrated_consumers(c: Fraction) -> None:
    assert contract_failure_rate(c, "rename field") == 1 - c
    assert contract_failure_rate(c, "change type") == 1 - c
    assert contract_failure_rate(c, "remove unused field") == 0


def test_failure_rate_keeps_floats_floats() -> None:
    assert failure_rate(0.5, 0.0, "rename field", "big bang", "tolerant") == 0.5
    assert isinstance(big_bang_failure_rate(0.25, 0.75), float)


@pytest.mark.parametrize(
    ("call", "words"),
    [
        (lambda: failure_rate(Fraction(3, 2), Fraction(0), "rename field", "big bang", "tolerant"), "providers_new"),
        (lambda: failure_rate(0.5, -0.1, "rename field", "big bang", "tolerant"), "consumers_new"),
        (lambda: failure_rate(0.5, 0.5, "rename", "big bang", "tolerant"), "'rename'"),
        (lambda: compatibility("add field", "canary", "strict"), "'canary'"),
        (lambda: consumer_reader("add field", "newer", "strict"), "'newer'"),
        (lambda: consumer_reader("add field", "new", "lenient"), "'lenient'"),
    ],
)
def test_bad_rollout_input_names_the_value(call: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        call()  # type: ignore[operator]


# --- plans on a fleet ---------------------------------------------------------------------------


def test_fleet_reads_table() -> None:
    assert {(r, s): fleet_reads(r, s) for r in FLEET_READERS for s in FLEET_SHAPES} == {
        ("v1", "v1"): True, ("v1", "v1+v2"): True, ("v1", "v2"): False,
        ("v2", "v1"): False, ("v2", "v1+v2"): True, ("v2", "v2"): True,
    }  # fmt: skip


@pytest.mark.parametrize(("providers", "consumers"), [(1, 1), (2, 3), (4, 2)])
def test_plans(providers: int, consumers: int) -> None:
    assert set(simulate_plan(expand_contract_plan(providers, consumers), providers, consumers)) == {0}
    big = simulate_plan(big_bang_plan(providers, consumers), providers, consumers)
    assert big[-1] == 0
    assert max(big) == 1
    # After k of n providers flip, with no consumer moved: k/n of the pairs fail.
    assert big[:providers] == [Fraction(k, providers) for k in range(1, providers + 1)]


def test_contracting_before_migrating_fails() -> None:
    plan = [("provider", 0, "v1+v2"), ("provider", 0, "v2"), ("consumer", 0, "v2")]
    assert simulate_plan(plan, 1, 1) == [0, 1, 0]


def test_check_plan_accepts_lists_and_names_the_bad_step() -> None:
    assert check_plan([["consumer", 0, "v2"]], 1, 1) == [Step("consumer", 0, "v2")]
    for plan, words in [
        ("provider 0 v2", "plan must be a list"),
        ([("provider", 0)], r"step 0 \('provider', 0\)"),
        ([("server", 0, "v2")], "'server'"),
        ([("provider", 0, "v1+v2"), ("provider", 2, "v2")], "step 1"),
        ([("consumer", 0, "v1+v2")], "'v1\\+v2'"),
    ]:
        with pytest.raises(ValueError, match=words):
            check_plan(plan, 2, 1)


# --- versions on the wire -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "headers", "how"),
    [
        ("/v2/products/7", {}, "uri"),
        ("/products/7", {"Api-Version": "2"}, "header"),
        ("/products/7", {"ACCEPT": "text/html, " + MEDIA_TYPE.format(2) + ";q=0.9"}, "media type"),
    ],
)
def test_three_alternatives_name_the_same_version(path: str, headers: dict[str, str], how: str) -> None:
    choice = negotiate_version(path, headers)
    assert (choice.status, choice.version, choice.how, choice.product_id) == (200, 2, how, 7)
    assert choice.content_type == (MEDIA_TYPE.format(2) if how == "media type" else "application/json")


def test_negotiation_errors() -> None:
    assert negotiate_version("/products/7", {}).how == "default"
    assert negotiate_version("/products/7", {}).version == 1
    assert negotiate_version("/v3/products/7", {}).status == 404
    assert negotiate_version("/products/7", {"api-version": "3"}).status == 400
    assert negotiate_version("/products/7", {"api-version": "two"}).status == 400
    assert negotiate_version("/products/7", {"accept": MEDIA_TYPE.format(3)}).status == 406
    conflict = negotiate_version("/v1/products/7", {"api-version": "2"})
    assert (conflict.status, conflict.detail) == (400, "conflicting versions: uri 1, header 2")
    assert negotiate_version("/orders", {}).status == 404
    assert negotiate_version("/v2/products/7", {"api-version": "2"}).status == 200
    with pytest.raises(ValueError, match="path must be a string"):
        negotiate_version(b"/products/7", {})  # type: ignore[arg-type]


def test_strategies_and_kinds_are_the_explorers_options() -> None:
    assert STRATEGIES == ("big bang", "expand-migrate-contract")
    assert READER_KINDS == ("strict", "tolerant")


def test_importing_the_unit_turns_pact_telemetry_off_and_loads_no_pact() -> None:
    """Run in a fresh interpreter without the variable: the package sets it and imports no pact."""
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k != "PACT_DO_NOT_TRACK"}
    code = (
        "import os, sys, helpers.versioning; "
        "assert os.environ['PACT_DO_NOT_TRACK'] == 'true'; "
        "assert not any(m == 'pact' or m.startswith('pact.') for m in sys.modules), 'pact imported'"
    )
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
