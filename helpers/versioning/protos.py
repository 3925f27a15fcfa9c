"""Versioning gRPC: the major version in the proto package, fields added and never reused (lesson 09, section 7).

Google's API design guide puts a service's major version in its package
(``shop.orders.v1``, ``shop.orders.v2``), so both versions can be served side by side.
Within one major version a message only evolves compatibly (protobuf.dev, "Updating a
message type"): add fields with new numbers; never change a number or reuse one; reserve
the number and name of a deleted field, and protoc refuses any later field that takes it.

The protos are compiled at run time by ``helpers.rpc.model.compile_proto`` (lesson 02).

Sections:
    * the orders API: ``ORDERS_V1``, ``ORDERS_V1_EVOLVED``, ``ORDERS_V1_REUSED``, ``ORDERS_V2``
    * checking a change: ``FieldChange``, ``field_changes``, ``check_reserved``
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import descriptor_pb2
from google.protobuf.descriptor import Descriptor, FieldDescriptor
from google.protobuf.message import Message

__all__ = [
    "ORDERS_V1",
    "ORDERS_V1_EVOLVED",
    "ORDERS_V1_REUSED",
    "ORDERS_V2",
    "FieldChange",
    "check_reserved",
    "field_changes",
]

ORDERS_V1 = """\
syntax = "proto3";
package shop.orders.v1;

message Order {
  uint64 id = 1;
  string customer = 2;
  int64 total_cents = 3;
}

message GetOrderRequest {
  uint64 id = 1;
}

service Orders {
  rpc GetOrder (GetOrderRequest) returns (Order);
}
"""
"""Version 1 of the orders API: an order's id, customer and total in cents."""

ORDERS_V1_EVOLVED = ORDERS_V1.replace(
    "  string customer = 2;\n",
    '  reserved 2;\n  reserved "customer";\n  string currency = 4;\n',
)
"""Version 1, evolved compatibly: ``customer`` deleted (its number and name reserved), ``currency`` added as 4."""

ORDERS_V1_REUSED = ORDERS_V1.replace("  string customer = 2;\n", "  string coupon = 2;\n")
"""Version 1 with ``customer`` deleted and its number 2 reused for ``coupon``: the mistake ``reserved`` prevents."""

ORDERS_V2 = """\
syntax = "proto3";
package shop.orders.v2;

message Money {
  int64 units = 1;
  int32 nanos = 2;
  string currency = 3;
}

message Order {
  uint64 id = 1;
  Money total = 3;
  reserved 2;
  reserved "customer";
}

message GetOrderRequest {
  uint64 id = 1;
}

service Orders {
  rpc GetOrder (GetOrderRequest) returns (Order);
}
"""
"""Version 2, a new package: the total becomes a ``Money`` message, which no v1 reader can read."""

# protobuf.dev, "Updating a message type": types that read each other's values on the wire.
_COMPATIBLE_GROUPS = (
    {FieldDescriptor.TYPE_INT32, FieldDescriptor.TYPE_UINT32, FieldDescriptor.TYPE_INT64,
     FieldDescriptor.TYPE_UINT64, FieldDescriptor.TYPE_BOOL, FieldDescriptor.TYPE_ENUM},
    {FieldDescriptor.TYPE_SINT32, FieldDescriptor.TYPE_SINT64},
    {FieldDescriptor.TYPE_STRING, FieldDescriptor.TYPE_BYTES},
    {FieldDescriptor.TYPE_FIXED32, FieldDescriptor.TYPE_SFIXED32},
    {FieldDescriptor.TYPE_FIXED64, FieldDescriptor.TYPE_SFIXED64},
)  # fmt: skip

_TYPE_NAMES = {
    value: name.removeprefix("TYPE_").lower()
    for name, value in vars(FieldDescriptor).items()
    if name.startswith("TYPE_") and isinstance(value, int)
}


def _type_name(field: FieldDescriptor) -> str:
    if field.type == FieldDescriptor.TYPE_MESSAGE:
        return str(field.message_type.full_name)
    if field.type == FieldDescriptor.TYPE_ENUM:
        return str(field.enum_type.full_name)
    return str(_TYPE_NAMES.get(field.type, field.type))


def _compatible(old: FieldDescriptor, new: FieldDescriptor) -> bool:
    if _is_repeated(old) != _is_repeated(new):
        return False
    if old.type == new.type:
        if old.type == FieldDescriptor.TYPE_MESSAGE:
            return bool(old.message_type.full_name.split(".")[-1] == new.message_type.full_name.split(".")[-1])
        return True
    return any(old.type in group and new.type in group for group in _COMPATIBLE_GROUPS)


def _is_repeated(field: FieldDescriptor) -> bool:
    return bool(field.is_repeated)


@dataclass(frozen=True)
class FieldChange:
    """How one field number changed between two versions of a message (lesson 09, section 7).

    Attributes:
        number: the field number.
        kind: "added", "removed", "renamed" (same number, new name: safe for binary
            protobuf, breaking for JSON) or "retyped".
        old: the old field as "name (type)", "" if there was none.
        new: the new field as "name (type)", "" if there is none.
        wire_safe: whether an old reader still reads new messages correctly (and the
            reverse) in binary protobuf. A renamed number may also be a *reused* one: no
            tool can tell, which is why numbers are reserved, never reused.
        reserved: for a removed field, whether the new version reserves its number and name.
    """

    number: int
    kind: str
    old: str
    new: str
    wire_safe: bool
    reserved: bool = False


def _descriptor(message: type[Message] | Descriptor) -> Descriptor:
    if isinstance(message, Descriptor):
        return message
    if isinstance(message, type) and issubclass(message, Message):
        found: Descriptor = message.DESCRIPTOR  # type: ignore[attr-defined]
        return found
    raise ValueError(f"expected a protobuf message class (CompiledProto.message(...)), got {message!r}")


def _reserved(descriptor: Descriptor) -> tuple[set[int], set[str]]:
    proto = descriptor_pb2.DescriptorProto()
    descriptor.CopyToProto(proto)
    numbers = {n for r in proto.reserved_range for n in range(r.start, r.end)}
    return numbers, set(proto.reserved_name)


def _shown(field: Any) -> str:
    return f"{field.name} ({_type_name(field)})"


def field_changes(old: type[Message] | Descriptor, new: type[Message] | Descriptor) -> list[FieldChange]:
    """Every field number that differs between ``old`` and ``new``, in number order (lesson 09, section 7).

    Examples:
        >>> from helpers.rpc.model import compile_proto
        >>> v1, evolved = (compile_proto(text).message("Order") for text in (ORDERS_V1, ORDERS_V1_EVOLVED))
        >>> [(c.number, c.kind, c.wire_safe, c.reserved) for c in field_changes(v1, evolved)]
        [(2, 'removed', True, True), (4, 'added', True, False)]
    """
    before, after = _descriptor(old), _descriptor(new)
    old_fields = {f.number: f for f in before.fields}
    new_fields = {f.number: f for f in after.fields}
    numbers, names = _reserved(after)
    changes = []
    for number in sorted(set(old_fields) | set(new_fields)):
        was, now = old_fields.get(number), new_fields.get(number)
        if was is None and now is not None:
            changes.append(FieldChange(number, "added", "", _shown(now), True))
        elif now is None and was is not None:
            reserved = number in numbers and was.name in names
            changes.append(FieldChange(number, "removed", _shown(was), "", True, reserved))
        elif was is not None and now is not None:
            if not _compatible(was, now):
                changes.append(FieldChange(number, "retyped", _shown(was), _shown(now), False))
            elif _type_name(was) != _type_name(now):
                changes.append(FieldChange(number, "retyped", _shown(was), _shown(now), True))
            elif was.name != now.name:
                changes.append(FieldChange(number, "renamed", _shown(was), _shown(now), True))
    return changes


def check_reserved(old: type[Message] | Descriptor, new: type[Message] | Descriptor) -> list[str]:
    """What is unsafe about changing message ``old`` into ``new`` within one package (lesson 09, section 7).

    Flags a deleted field whose number and name are not reserved (a later field may reuse
    them), a number that now holds a field of another name (reused, or renamed: old
    readers file the new values under the old name) and a type that old readers decode
    wrongly. An empty list: the change is safe for old and new readers alike.

    Examples:
        >>> from helpers.rpc.model import compile_proto
        >>> v1, reused = (compile_proto(text).message("Order") for text in (ORDERS_V1, ORDERS_V1_REUSED))
        >>> check_reserved(v1, reused)
        ['field 2 was customer (string) and is now coupon (string): old readers read coupon as customer']
    """
    problems = []
    for change in field_changes(old, new):
        if change.kind == "removed" and not change.reserved:
            name = change.old.split(" ")[0]
            problems.append(f"field {change.number} ({change.old}) was deleted without `reserved {change.number}; "
                            f'reserved "{name}";`: a later field may reuse it')  # fmt: skip
        elif change.kind == "renamed":
            was, now = change.old.split(" ")[0], change.new.split(" ")[0]
            problems.append(f"field {change.number} was {change.old} and is now {change.new}: "
                            f"old readers read {now} as {was}")  # fmt: skip
        elif change.kind == "retyped" and not change.wire_safe:
            problems.append(f"field {change.number} was {change.old} and is now {change.new}: "
                            "old readers cannot decode it (they drop or misread the value)")  # fmt: skip
    return problems
