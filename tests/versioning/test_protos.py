"""Tests for helpers.versioning.protos: package versions and protobuf's field-number rules."""

from __future__ import annotations

import pytest

from helpers.rpc.model import compile_proto
from helpers.versioning.protos import (
    ORDERS_V1,
    ORDERS_V1_EVOLVED,
    ORDERS_V1_REUSED,
    ORDERS_V2,
    check_reserved,
    field_changes,
)


def order(text: str) -> object:
    return compile_proto(text).message("Order")


def test_packages_carry_the_major_version() -> None:
    assert compile_proto(ORDERS_V1).service("Orders").full_name == "shop.orders.v1.Orders"
    assert compile_proto(ORDERS_V2).service("Orders").full_name == "shop.orders.v2.Orders"


def test_a_compatible_evolution_has_no_problems() -> None:
    changes = field_changes(order(ORDERS_V1), order(ORDERS_V1_EVOLVED))  # type: ignore[arg-type]
    assert [(c.number, c.kind, c.reserved) for c in changes] == [(2, "removed", True), (4, "added", False)]
    assert check_reserved(order(ORDERS_V1), order(ORDERS_V1_EVOLVED)) == []  # type: ignore[arg-type]


def test_a_reused_number_is_flagged() -> None:
    (problem,) = check_reserved(order(ORDERS_V1), order(ORDERS_V1_REUSED))  # type: ignore[arg-type]
    assert problem.startswith("field 2 was customer (string) and is now coupon (string)")


def test_deleting_without_reserving_and_retyping_are_flagged() -> None:
    deleted = ORDERS_V1.replace("  string customer = 2;\n", "")
    retyped = ORDERS_V1.replace("int64 total_cents = 3;", "string total_cents = 3;")
    widened = ORDERS_V1.replace("int64 total_cents = 3;", "uint64 total_cents = 3;")
    (gone,) = check_reserved(order(ORDERS_V1), order(deleted))  # type: ignore[arg-type]
    assert 'reserved 2; reserved "customer";' in gone
    (bad_type,) = check_reserved(order(ORDERS_V1), order(retyped))  # type: ignore[arg-type]
    assert "old readers cannot decode it" in bad_type
    assert check_reserved(order(ORDERS_V1), order(widened)) == []  # type: ignore[arg-type]
    assert [c.kind for c in field_changes(order(ORDERS_V1), order(widened))] == ["retyped"]  # type: ignore[arg-type]


def test_protoc_refuses_a_reserved_number() -> None:
    with pytest.raises(Exception, match="reserved"):
        compile_proto(ORDERS_V1_EVOLVED.replace("string currency = 4;", "string currency = 4;\n  string coupon = 2;"))


def test_bad_input_names_the_value() -> None:
    with pytest.raises(ValueError, match="protobuf message class"):
        field_changes("Order", order(ORDERS_V1))  # type: ignore[arg-type]
