"""Versioning APIs and contracts: how a provider changes without breaking its consumers (lesson 09).

The concept, with no server in it:

Sections:
    * versions: ``SPEC_PRECEDENCE_EXAMPLE`` (SemVer's item 11, in order)
    * documents and readers: ``Product``, ``KETTLE``, ``SHAPES``, ``document``, ``reader``,
      ``read``, ``Outcome`` (strict and tolerant readers are pydantic models)
    * changes and rollouts: ``CHANGES``, ``Change``, ``READER_KINDS``, ``STRATEGIES``,
      ``provider_document``, ``consumer_reader``, ``compatibility``, ``failure_rate``,
      ``big_bang_failure_rate``, ``contract_failure_rate``
    * plans on a fleet: ``Step``, ``FLEET_SHAPES``, ``FLEET_READERS``, ``fleet_reads``,
      ``check_plan``, ``expand_contract_plan``, ``big_bang_plan``, ``simulate_plan``
    * versions on the wire: ``VERSIONS``, ``MEDIA_TYPE``, ``VersionChoice``, ``negotiate_version``

Every share here is exact when given exact numbers: pass ``fractions.Fraction`` and get
``Fraction`` back, so a live count can be compared with the formula with ``==``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache
from typing import Any, Literal, NamedTuple, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError, create_model

from helpers import checks

__all__ = [
    "CHANGES",
    "FLEET_READERS",
    "FLEET_SHAPES",
    "KETTLE",
    "MEDIA_TYPE",
    "READER_KINDS",
    "SHAPES",
    "SPEC_PRECEDENCE_EXAMPLE",
    "STRATEGIES",
    "VERSIONS",
    "Change",
    "Outcome",
    "Product",
    "Step",
    "VersionChoice",
    "big_bang_failure_rate",
    "big_bang_plan",
    "check_plan",
    "compatibility",
    "consumer_reader",
    "contract_failure_rate",
    "document",
    "expand_contract_plan",
    "failure_rate",
    "fleet_reads",
    "negotiate_version",
    "provider_document",
    "read",
    "reader",
    "simulate_plan",
]

Share = TypeVar("Share", float, Fraction)

# --- versions ----------------------------------------------------------------------------------

SPEC_PRECEDENCE_EXAMPLE = (
    "1.0.0-alpha",
    "1.0.0-alpha.1",
    "1.0.0-alpha.beta",
    "1.0.0-beta",
    "1.0.0-beta.2",
    "1.0.0-beta.11",
    "1.0.0-rc.1",
    "1.0.0",
)
"""SemVer 2.0.0, item 11: the spec's own example of precedence, lowest first (lesson 09, section 1)."""


# --- documents and readers ---------------------------------------------------------------------


@dataclass(frozen=True)
class Product:
    """A product of the catalogue, as the provider stores it (lesson 09, sections 3-6).

    Attributes:
        id: the product's number.
        name: what it is called.
        price_cents: its price in cents.
    """

    id: int
    name: str
    price_cents: int


KETTLE = Product(7, "kettle", 2599)
"""Product 7, the one every example reads."""


def _v1(p: Product) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "price_cents": p.price_cents}


def _text(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


SHAPES: Mapping[str, Callable[[Product], dict[str, Any]]] = {
    "v1": _v1,
    "v2": lambda p: {"id": p.id, "name": p.name, "price": p.price_cents},
    "v1+v2": lambda p: {**_v1(p), "price": p.price_cents},
    "gift_wrap": lambda p: {**_v1(p), "gift_wrap": False},
    "colour": lambda p: {**_v1(p), "colour": "steel"},
    "no_name": lambda p: {"id": p.id, "price_cents": p.price_cents},
    "price_text": lambda p: {"id": p.id, "name": p.name, "price_cents": _text(p.price_cents)},
    "price_digits": lambda p: {"id": p.id, "name": p.name, "price_cents": str(p.price_cents)},
    "text": lambda p: {"id": p.id, "name": p.name, "price": _text(p.price_cents)},
    "v1+text": lambda p: {**_v1(p), "price": _text(p.price_cents)},
}
"""Every way a provider here may write a product, by name (lesson 09, sections 3-6).

``v1`` is the original (``price_cents``), ``v2`` renames it to ``price``, ``v1+v2`` sends
both (the expand step); ``gift_wrap`` and ``colour`` add a field, ``no_name`` drops one,
``price_text`` and ``price_digits`` send the price as a string ("25.99", "2599"), ``text``
renames and retypes it, ``v1+text`` sends both.
"""


def document(product: Product, shape: str = "v1") -> dict[str, Any]:
    """The JSON object a provider sends for ``product`` in ``shape`` (lesson 09, section 3).

    Examples:
        >>> document(KETTLE, "v2")
        {'id': 7, 'name': 'kettle', 'price': 2599}
        >>> document(KETTLE, "price_text")["price_cents"]
        '25.99'
    """
    if not isinstance(product, Product):
        raise ValueError(f"product must be a Product, got {product!r}")
    checks.choice("shape", shape, tuple(SHAPES))
    return SHAPES[shape](product)


@lru_cache(maxsize=256)
def _reader(
    fields: tuple[tuple[str, type], ...], extra: str, strict: bool, defaults: tuple[tuple[str, Any], ...]
) -> type[BaseModel]:
    given = dict(defaults)
    definitions: dict[str, Any] = {name: (kind, given.get(name, ...)) for name, kind in fields}
    config = ConfigDict(extra=extra, strict=strict, frozen=True)  # type: ignore[typeddict-item]
    name = f"{'Strict' if extra == 'forbid' else 'Tolerant'}Reader"
    return create_model(name, __config__=config, **definitions)


def reader(
    fields: Mapping[str, type],
    *,
    extra: Literal["forbid", "ignore"],
    strict: bool,
    defaults: Mapping[str, Any] | None = None,
) -> type[BaseModel]:
    """A pydantic model that reads ``fields`` from a document: a consumer's reader (lesson 09, section 3).

    ``extra="forbid"`` refuses any field it does not declare (a strict schema);
    ``extra="ignore"`` skips them (a **tolerant reader**). ``strict=True`` refuses a value
    of the wrong JSON type; ``strict=False`` is pydantic's lax mode, which converts what it
    can (``"2599"`` and ``2599.0`` to 2599, ``True`` to 1). Fields in ``defaults`` are
    optional; every other field is required. The same arguments give the same class.

    Examples:
        >>> Tolerant = reader({"id": int, "price_cents": int}, extra="ignore", strict=True)
        >>> Tolerant.model_validate(document(KETTLE, "colour")).price_cents
        2599
        >>> reader({"id": "int"}, extra="ignore", strict=True)
        Traceback (most recent call last):
        ...
        ValueError: fields must map names to types (int, str, bool, float), got {'id': 'int'}
    """
    if (
        not isinstance(fields, Mapping)
        or not fields
        or not all(isinstance(k, str) and isinstance(v, type) for k, v in fields.items())
    ):
        raise ValueError(f"fields must map names to types (int, str, bool, float), got {fields!r}")
    checks.choice("extra", extra, ("forbid", "ignore"))
    checks.choice("strict", strict, (True, False))
    given = dict(defaults or {})
    unknown = sorted(set(given) - set(fields))
    if unknown:
        raise ValueError(f"defaults name fields the reader does not read: {unknown}")
    return _reader(tuple(fields.items()), extra, strict, tuple(sorted(given.items())))


@dataclass(frozen=True)
class Outcome:
    """What a reader made of a document: read, or why not (lesson 09, section 3).

    Attributes:
        ok: whether the reader accepted the document.
        errors: (pydantic error type, field) for each problem, in pydantic's order:
            "missing", "extra_forbidden", "int_type", "int_parsing", "string_type", ...
        values: the fields read, when ``ok``.
    """

    ok: bool
    errors: tuple[tuple[str, str], ...] = ()
    values: tuple[tuple[str, Any], ...] = ()

    @property
    def text(self) -> str:
        """The word ok, or the first problem in words: "missing price", "extra_forbidden gift_wrap"."""
        if self.ok:
            return "ok"
        kind, field = self.errors[0]
        return f"{kind} {field}"


def read(model: type[BaseModel], doc: Mapping[str, Any]) -> Outcome:
    """What ``model`` (a reader) makes of the document ``doc`` (lesson 09, section 3).

    Examples:
        >>> Strict = reader({"id": int, "name": str, "price_cents": int}, extra="forbid", strict=True)
        >>> read(Strict, document(KETTLE, "gift_wrap")).text
        'extra_forbidden gift_wrap'
        >>> read(Strict, document(KETTLE)).ok
        True
    """
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise ValueError(f"model must be a reader (a pydantic model class), got {model!r}")
    if not isinstance(doc, Mapping):
        raise ValueError(f"doc must be a JSON object (a dict), got {doc!r}")
    try:
        parsed = model.model_validate(dict(doc))
    except ValidationError as error:
        found = tuple((str(e["type"]), ".".join(str(part) for part in e["loc"])) for e in error.errors())
        return Outcome(False, found)
    return Outcome(True, values=tuple(parsed.model_dump().items()))


# --- changes and rollouts ----------------------------------------------------------------------

READER_KINDS = ("strict", "tolerant")
"""How consumers read: a strict schema (every field, no extras, exact types) or a tolerant reader."""

STRATEGIES = ("big bang", "expand-migrate-contract")
"""How a change rolls out: switch to the new form at once, or add it, move consumers, then remove the old."""


@dataclass(frozen=True)
class Change:
    """A change to the product document, and how each strategy rolls it out (lesson 09, section 5).

    Attributes:
        name: its name in ``CHANGES``.
        summary: what changes, in a few words.
        old_fields: what the old document holds (the old strict schema).
        new_fields: what the new document holds (the new strict schema), by strategy.
        uses_old: what an old consumer reads (its tolerant reader), with each field's type.
        uses_new: what a new consumer reads, by strategy.
        optional: fields a new tolerant reader may find missing (read with a default).
        shapes: the provider's shape (see ``SHAPES``) before, after a big-bang change,
            after the expand step and after the contract step.
    """

    name: str
    summary: str
    new_fields: Mapping[str, Mapping[str, type]]
    uses_new: Mapping[str, Mapping[str, type]]
    shapes: Mapping[str, str]
    optional: Mapping[str, Any]
    old_fields: Mapping[str, type]
    uses_old: Mapping[str, type]


_V1_FIELDS: Mapping[str, type] = {"id": int, "name": str, "price_cents": int}
_USES_V1: Mapping[str, type] = {"id": int, "price_cents": int}


def _change(
    name: str,
    summary: str,
    new: Mapping[str, type],
    uses: Mapping[str, type],
    shapes: tuple[str, str, str],
    emc: tuple[Mapping[str, type], Mapping[str, type]] | None = None,
    optional: Mapping[str, Any] | None = None,
) -> Change:
    emc_new, emc_uses = emc or (new, uses)
    big_bang, expanded, contracted = shapes
    return Change(
        name=name,
        summary=summary,
        new_fields={"big bang": new, "expand-migrate-contract": emc_new},
        uses_new={"big bang": uses, "expand-migrate-contract": emc_uses},
        shapes={"old": "v1", "big bang": big_bang, "expanded": expanded, "contracted": contracted},
        optional=dict(optional or {}),
        old_fields=_V1_FIELDS,
        uses_old=_USES_V1,
    )


CHANGES: Mapping[str, Change] = {
    c.name: c
    for c in (
        _change("add field", "add gift_wrap", {**_V1_FIELDS, "gift_wrap": bool},
                {**_USES_V1, "gift_wrap": bool}, ("gift_wrap", "gift_wrap", "gift_wrap"),
                optional={"gift_wrap": False}),
        _change("rename field", "rename price_cents → price", {"id": int, "name": str, "price": int},
                {"id": int, "price": int}, ("v2", "v1+v2", "v2")),
        # A field cannot hold two types at once, so expand gives the new type a new name.
        _change("change type", "price_cents 2599 → \"25.99\"", {"id": int, "name": str, "price_cents": str},
                {"id": int, "price_cents": str}, ("price_text", "v1+text", "text"),
                emc=({"id": int, "name": str, "price": str}, {"id": int, "price": str})),
        _change("remove unused field", "remove name", {"id": int, "price_cents": int}, _USES_V1,
                ("no_name", "v1", "no_name")),
    )
}  # fmt: skip
"""The four changes the lesson rolls out, by name (lesson 09, sections 3 and 5)."""


def _check_rollout(change: str, strategy: str, kind: str) -> Change:
    checks.choice("change", change, tuple(CHANGES))
    checks.choice("strategy", strategy, STRATEGIES)
    checks.choice("kind", kind, READER_KINDS)
    return CHANGES[change]


def provider_document(change: str, version: str, strategy: str = "big bang") -> dict[str, Any]:
    """What an ``"old"`` or ``"new"`` provider sends for product 7 during ``change`` (lesson 09, section 5).

    Under "expand-migrate-contract" a new provider is one that has taken the expand step:
    it sends the old and the new form side by side.

    Examples:
        >>> provider_document("rename field", "new", "expand-migrate-contract")
        {'id': 7, 'name': 'kettle', 'price_cents': 2599, 'price': 2599}
    """
    found = _check_rollout(change, strategy, "tolerant")
    checks.choice("version", version, ("old", "new"))
    if version == "old":
        shape = found.shapes["old"]
    else:
        shape = found.shapes["big bang" if strategy == "big bang" else "expanded"]
    return document(KETTLE, shape)


def consumer_reader(change: str, version: str, kind: str, strategy: str = "big bang") -> type[BaseModel]:
    """The reader of an ``"old"`` or ``"new"`` consumer during ``change`` (lesson 09, section 5).

    A strict consumer reads the whole schema of its version and refuses anything else; a
    tolerant one reads only the fields it uses, ignores the rest, and checks types
    strictly (tolerance of unknown fields, not of wrong values: RFC 9413).

    Examples:
        >>> read(consumer_reader("rename field", "old", "tolerant"), provider_document("rename field", "new")).text
        'missing price_cents'
    """
    found = _check_rollout(change, strategy, kind)
    checks.choice("version", version, ("old", "new"))
    if kind == "strict":
        fields = found.old_fields if version == "old" else found.new_fields[strategy]
        return reader(fields, extra="forbid", strict=True)
    if version == "old":
        return reader(found.uses_old, extra="ignore", strict=True)
    uses = found.uses_new[strategy]
    return reader(uses, extra="ignore", strict=True, defaults={k: v for k, v in found.optional.items() if k in uses})


@lru_cache(maxsize=64)
def compatibility(change: str, strategy: str, kind: str) -> tuple[tuple[Outcome, Outcome], tuple[Outcome, Outcome]]:
    """The 2x2 compatibility matrix: ``[consumer][provider]`` outcomes, old then new (lesson 09, section 5).

    Examples:
        >>> matrix = compatibility("add field", "big bang", "strict")
        >>> [[cell.ok for cell in row] for row in matrix]
        [[True, False], [False, True]]
        >>> [[cell.ok for cell in row] for row in compatibility("add field", "big bang", "tolerant")]
        [[True, True], [True, True]]
    """
    _check_rollout(change, strategy, kind)
    rows = []
    for consumer in ("old", "new"):
        model = consumer_reader(change, consumer, kind, strategy)
        old, new = (read(model, provider_document(change, p, strategy)) for p in ("old", "new"))
        rows.append((old, new))
    return rows[0], rows[1]


def _shares(providers_new: Share, consumers_new: Share) -> tuple[tuple[Share, Share], tuple[Share, Share]]:
    p, c = providers_new, consumers_new
    return ((1 - c) * (1 - p), (1 - c) * p), (c * (1 - p), c * p)


def _check_share(name: str, value: Share) -> Share:
    if isinstance(value, Fraction):
        if not 0 <= value <= 1:
            raise ValueError(f"{name} must be a number from 0 to 1, got {value!r}")
        return value
    return checks.fraction(name, value)


def failure_rate(providers_new: Share, consumers_new: Share, change: str, strategy: str, kind: str) -> Share:
    """Share of requests that fail with ``providers_new`` of providers and ``consumers_new`` of consumers new.

    Each request pairs a random consumer with a random provider, so the pair (consumer,
    provider) has share (c or 1-c) x (p or 1-p); a request fails when its pair's cell of
    ``compatibility`` does (lesson 09, section 5).

    Examples:
        >>> failure_rate(Fraction(1, 2), Fraction(1, 4), "rename field", "big bang", "tolerant")
        Fraction(1, 2)
        >>> failure_rate(0.5, 0.0, "rename field", "expand-migrate-contract", "tolerant")
        0.0
    """
    p = _check_share("providers_new", providers_new)
    c = _check_share("consumers_new", consumers_new)
    matrix = compatibility(change, strategy, kind)
    shares = _shares(p, c)
    total = 0 * p
    for share_row, cells in zip(shares, matrix, strict=True):
        for share, cell in zip(share_row, cells, strict=True):
            if not cell.ok:
                total += share
    return total


def big_bang_failure_rate(providers_new: Share, consumers_new: Share) -> Share:
    """c(1 - p) + (1 - c)p: the share of requests that cross versions when a rename ships at once.

    Old consumers fail on new providers and new consumers on old ones (lesson 09, section 5).

    Examples:
        >>> big_bang_failure_rate(Fraction(1, 2), Fraction(0))
        Fraction(1, 2)
        >>> big_bang_failure_rate(0.25, 0.75)
        0.625
    """
    p = _check_share("providers_new", providers_new)
    c = _check_share("consumers_new", consumers_new)
    return c * (1 - p) + (1 - c) * p


def contract_failure_rate(consumers_new: Share, change: str, kind: str = "tolerant") -> Share:
    """Share of requests that fail if every provider takes the contract step now (lesson 09, section 5).

    Contracting removes the old form: each consumer that still reads it fails, unless its
    reader does not need what was removed.

    Examples:
        >>> contract_failure_rate(Fraction(3, 4), "rename field")
        Fraction(1, 4)
        >>> contract_failure_rate(0.0, "remove unused field")
        0.0
    """
    c = _check_share("consumers_new", consumers_new)
    found = _check_rollout(change, "expand-migrate-contract", kind)
    contracted = document(KETTLE, found.shapes["contracted"])
    total = 0 * c
    for version, share in (("old", 1 - c), ("new", c)):
        if not read(consumer_reader(change, version, kind, "expand-migrate-contract"), contracted).ok:
            total += share
    return total


# --- plans on a fleet --------------------------------------------------------------------------

FLEET_SHAPES = ("v1", "v1+v2", "v2")
"""What a provider of the fleet may serve: the old form, both forms (expanded), the new form."""

FLEET_READERS = ("v1", "v2")
"""What a consumer of the fleet reads: ``price_cents`` (v1) or ``price`` (v2)."""


class Step(NamedTuple):
    """One deploy of a rollout: provider or consumer ``number`` moves to ``version`` (lesson 09, section 5).

    A provider's version is one of ``FLEET_SHAPES``, a consumer's one of ``FLEET_READERS``.
    """

    kind: str
    number: int
    version: str


def fleet_reads(consumer: str, shape: str) -> bool:
    """Whether a ``consumer`` ("v1" or "v2") can read product 7 from a provider serving ``shape``.

    Consumers are tolerant readers: v1 needs ``price_cents``, v2 needs ``price`` (lesson 09, section 5).

    Examples:
        >>> [fleet_reads("v1", shape) for shape in FLEET_SHAPES]
        [True, True, False]
    """
    checks.choice("consumer", consumer, FLEET_READERS)
    checks.choice("shape", shape, FLEET_SHAPES)
    field = "price_cents" if consumer == "v1" else "price"
    return read(reader({"id": int, field: int}, extra="ignore", strict=True), document(KETTLE, shape)).ok


def check_plan(plan: Sequence[Sequence[Any]], providers: int, consumers: int) -> list[Step]:
    """``plan`` as ``Step``s, if every step names a real provider or consumer and a valid version.

    Raises ValueError naming the first bad step (lesson 09, section 5).

    Examples:
        >>> check_plan([("provider", 0, "v1+v2")], providers=2, consumers=1)
        [Step(kind='provider', number=0, version='v1+v2')]
        >>> check_plan([("consumer", 1, "v2")], providers=2, consumers=1)
        Traceback (most recent call last):
        ...
        ValueError: step 0 ('consumer', 1, 'v2'): number must be an int from 0 to 0, got 1
    """
    providers = checks.count("providers", providers)
    consumers = checks.count("consumers", consumers)
    if isinstance(plan, (str, bytes)) or not isinstance(plan, Sequence):
        raise ValueError(f"plan must be a list of (kind, index, version) steps, got {plan!r}")
    steps = []
    for number, raw in enumerate(plan):
        where = f"step {number} {tuple(raw) if isinstance(raw, (tuple, list)) else raw!r}"
        if not isinstance(raw, (tuple, list)) or len(raw) != 3:
            raise ValueError(f"{where}: a step is (kind, index, version)")
        kind, index, version = raw
        try:
            checks.choice("kind", kind, ("provider", "consumer"))
            checks.integer("number", index, 0, (providers if kind == "provider" else consumers) - 1)
            checks.choice("version", version, FLEET_SHAPES if kind == "provider" else FLEET_READERS)
        except ValueError as error:
            raise ValueError(f"{where}: {error}") from None
        steps.append(Step(kind, int(index), version))
    return steps


def expand_contract_plan(providers: int, consumers: int) -> list[Step]:
    """Expand every provider, migrate every consumer, then contract every provider (lesson 09, section 5).

    Examples:
        >>> [tuple(step) for step in expand_contract_plan(2, 1)]  # doctest: +NORMALIZE_WHITESPACE
        [('provider', 0, 'v1+v2'), ('provider', 1, 'v1+v2'), ('consumer', 0, 'v2'),
         ('provider', 0, 'v2'), ('provider', 1, 'v2')]
    """
    providers = checks.count("providers", providers)
    consumers = checks.count("consumers", consumers)
    return (
        [Step("provider", i, "v1+v2") for i in range(providers)]
        + [Step("consumer", j, "v2") for j in range(consumers)]
        + [Step("provider", i, "v2") for i in range(providers)]
    )


def big_bang_plan(providers: int, consumers: int) -> list[Step]:
    """Every provider, then every consumer, straight to v2: the rename shipped at once (lesson 09, section 5).

    Examples:
        >>> [tuple(step) for step in big_bang_plan(1, 1)]
        [('provider', 0, 'v2'), ('consumer', 0, 'v2')]
    """
    providers = checks.count("providers", providers)
    consumers = checks.count("consumers", consumers)
    return [Step("provider", i, "v2") for i in range(providers)] + [Step("consumer", j, "v2") for j in range(consumers)]


def simulate_plan(plan: Sequence[Sequence[Any]], providers: int, consumers: int) -> list[Fraction]:
    """Share of (consumer, provider) pairs that fail after each step, starting from all v1 (lesson 09, section 5).

    When every consumer sends one request to every provider, this is the share of requests
    that fail; the live fleet checks it.

    Examples:
        >>> simulate_plan(big_bang_plan(2, 2), 2, 2)
        [Fraction(1, 2), Fraction(1, 1), Fraction(1, 2), Fraction(0, 1)]
        >>> set(simulate_plan(expand_contract_plan(2, 2), 2, 2))
        {Fraction(0, 1)}
    """
    steps = check_plan(plan, providers, consumers)
    shapes, readers = ["v1"] * providers, ["v1"] * consumers
    shares = []
    for step in steps:
        if step.kind == "provider":
            shapes[step.number] = step.version
        else:
            readers[step.number] = step.version
        failing = sum(not fleet_reads(r, s) for r in readers for s in shapes)
        shares.append(Fraction(failing, providers * consumers))
    return shares


# --- versions on the wire ----------------------------------------------------------------------

VERSIONS = {1: "v1", 2: "v2"}
"""The API's major versions and the shape each one serves (lesson 09, section 6)."""

MEDIA_TYPE = "application/vnd.shop.v{}+json"
"""The vendor media type that names a version in ``Accept`` (lesson 09, section 6)."""

_PATH = re.compile(r"^(?:/v(?P<uri>[0-9]+))?/products/(?P<id>[0-9]+)$")
_MEDIA = re.compile(r"^application/vnd\.shop\.v(?P<version>[0-9]+)\+json$")


@dataclass(frozen=True)
class VersionChoice:
    """Which version a request asked for, and how (lesson 09, section 6).

    Attributes:
        status: 200 when the request can be served, else the error status to answer.
        version: the major version to serve (0 with an error).
        how: "uri", "header", "media type" or "default".
        product_id: the product asked for (0 when the path names none).
        content_type: the Content-Type of the answer.
        detail: why the request cannot be served ("" when it can).
    """

    status: int
    version: int
    how: str
    product_id: int
    content_type: str
    detail: str = ""


def negotiate_version(path: str, headers: Mapping[str, str], default: int = 1) -> VersionChoice:
    """The version a GET of ``path`` with ``headers`` asks for: in the URI, a header, or the media type.

    Three alternatives (not one plus another): ``/v2/products/7``, ``Api-Version: 2``, or
    ``Accept: application/vnd.shop.v2+json``. A request naming none gets ``default``; two
    that disagree get 400; an unknown version gets 404 in the URI, 400 in the header and
    406 Not Acceptable in ``Accept`` (RFC 9110 §15.5.7). Header names are case-insensitive
    (lesson 09, section 6).

    Examples:
        >>> negotiate_version("/products/7", {"accept": "application/vnd.shop.v2+json"}).how
        'media type'
        >>> negotiate_version("/v3/products/7", {}).status
        404
    """
    if not isinstance(path, str):
        raise ValueError(f"path must be a string, got {path!r}")
    lowered = {str(k).lower(): str(v).strip() for k, v in headers.items()}
    match = _PATH.match(path.split("?", 1)[0])
    if match is None:
        return VersionChoice(404, 0, "", 0, "application/problem+json", f"no resource at {path}")
    product_id = int(match["id"])
    asked: dict[str, int] = {}
    if match["uri"] is not None:
        asked["uri"] = int(match["uri"])
    if "api-version" in lowered:
        if not lowered["api-version"].isdigit():
            return VersionChoice(400, 0, "header", product_id, "application/problem+json",
                                 f"Api-Version must be a number, got {lowered['api-version']!r}")  # fmt: skip
        asked["header"] = int(lowered["api-version"])
    for media in (part.split(";")[0].strip() for part in lowered.get("accept", "").split(",")):
        found = _MEDIA.match(media)
        if found is not None:
            asked["media type"] = int(found["version"])
            break
    if len(set(asked.values())) > 1:
        shown = ", ".join(f"{how} {version}" for how, version in asked.items())
        return VersionChoice(400, 0, "", product_id, "application/problem+json", f"conflicting versions: {shown}")
    how, version = next(iter(asked.items())) if asked else ("default", default)
    if version not in VERSIONS:
        status = {"uri": 404, "header": 400, "media type": 406}.get(how, 500)
        return VersionChoice(status, 0, how, product_id, "application/problem+json",
                             f"no version {version}; this API has {sorted(VERSIONS)}")  # fmt: skip
    content_type = MEDIA_TYPE.format(version) if how == "media type" else "application/json"
    return VersionChoice(200, version, how, product_id, content_type)
