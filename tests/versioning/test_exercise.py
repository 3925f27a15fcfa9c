"""Exercise 09 (contract-evolution) grades what learners write: wrong answers fail and say why, right ones pass.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py). Part D's answers
are Pact consumer tests: the grader replays each one with Pact's verifier against live
providers on 127.0.0.1; Part E's plans are replayed on a live fleet behind lesson 05's balancer.
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "09-versioning", "contract-evolution.ipynb"

SORT_KEY = '''def compare(a: str, b: str) -> int:
    """-1, 0 or 1 as SemVer version a has lower, equal or higher precedence than b."""
    import re

    pattern = re.compile(
        r"^(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)\\.(0|[1-9][0-9]*)"
        r"(?:-((?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*)(?:\\.(?:0|[1-9][0-9]*|[0-9]*[A-Za-z-][0-9A-Za-z-]*))*))?"
        r"(?:\\+([0-9A-Za-z-]+(?:\\.[0-9A-Za-z-]+)*))?$",
        re.ASCII,
    )

    def key(text: str) -> tuple:
        found = pattern.match(text) if isinstance(text, str) else None
        if found is None or text.endswith("\\n"):
            raise ValueError(f"not a SemVer version: {text!r}")
        pre = found.group(4)
        # A release sorts after every pre-release: (1,) > (0, ...). Numeric ids (0, n) < alphanumeric (1, s).
        ids = (1,) if pre is None else (0, *((0, int(i), "") if i.isdigit() else (1, 0, i) for i in pre.split(".")))
        return (int(found.group(1)), int(found.group(2)), int(found.group(3)), ids)

    ka, kb = key(a), key(b)
    return (ka > kb) - (ka < kb)
'''

TRY_EXCEPT_READER = '''def read_order(doc: dict) -> Order:
    """The Order in doc, read tolerantly: unknown fields ignored, the fields read checked."""
    if type(doc) is not dict:
        raise ValueError("an order is a JSON object")
    wanted = {"id": int, "total_cents": int}
    found = {}
    for field, kind in wanted.items():
        try:
            value = doc[field]
        except KeyError:
            raise ValueError(f"the order has no {field}") from None
        if isinstance(value, bool) or not isinstance(value, kind):
            raise ValueError(f"{field} must be an integer, not {type(value).__name__}")
        found[field] = value
    gift_wrap = doc.get("gift_wrap", False)
    if not isinstance(gift_wrap, bool):
        raise ValueError(f"gift_wrap must be true or false, got {gift_wrap!r}")
    return Order(found["id"], found["total_cents"], gift_wrap)
'''

SET_BREAKS = '''def breaks(reads: set[str], old: dict[str, str], new: dict[str, str], reader: str) -> bool:
    """Whether a consumer of the old schema breaks on documents of the new one."""
    if reader == "strict":
        if not set(reads) <= old.keys():
            raise ValueError("a consumer can only read fields of the old schema")
        return set(new.items()) != set(old.items())
    if reader == "tolerant":
        if not set(reads) <= old.keys():
            raise ValueError("a consumer can only read fields of the old schema")
        return not all(field in new and new[field] == old[field] for field in reads)
    raise ValueError(f"unknown reader {reader!r}")
'''

LIKE_PACT = '''def consumer_test(folder: Path) -> None:
    """Checkout's consumer test: runs CatalogueClient against Pact's mock and writes the pact into folder."""
    contract = pact.Pact("checkout", "catalogue")
    interaction = contract.upon_receiving("checkout asks for the kettle")
    interaction.given("product 7 exists")
    interaction.with_request("GET", "/products/7")
    interaction.will_respond_with(200)
    interaction.with_body(pact.match.like({"id": 7, "price_cents": 2599}), content_type="application/json")
    with contract.serve(addr="127.0.0.1") as mock:
        assert CatalogueClient(str(mock.url)).product(7) == ProductPrice(7, 2599)
    contract.write_file(folder, overwrite=True)
'''

REVERSED_PLAN = '''def migration_plan(providers: int, consumers: int) -> list[tuple[str, int, str]]:
    """Deploys, in order, that rename price_cents to price without failing a request."""
    if min(providers, consumers) < 1:
        raise ValueError("a fleet needs providers and consumers")
    steps = []
    for version in ("v1+v2", "v2"):
        if version == "v2":
            steps += [("consumer", j, "v2") for j in reversed(range(consumers))]
        steps += [("provider", i, version) for i in reversed(range(providers))]
    return steps
'''

PACT_BODY = (
    '.with_body({"id": pact.match.int(7), "price_cents": pact.match.int(2599)}, content_type="application/json")'
)

ANSWERS = [
    # Part A: SemVer precedence
    Answer(
        "A",
        "numbers compared as strings",
        {"compare": ("major, minor, patch = (int(n) for n in numbers)", "major, minor, patch = numbers")},
        fails={"test_compare_precedence": "compare('1.10.0', '1.2.0') gave -1"},
    ),
    Answer(
        "A",
        "a pre-release sorts above its release",
        {"compare": ("return sign(not pre_a, not pre_b)", "return sign(bool(pre_a), bool(pre_b))")},
        fails={"test_compare_precedence": "a pre-release is lower than its release"},
    ),
    Answer(
        "A",
        "numeric identifiers compared as text",
        {"compare": ("return sign(int(x), int(y))", "return sign(x, y)")},
        fails={"test_compare_precedence": "compare('1.0.0-beta.2', '1.0.0-beta.11') gave 1"},
    ),
    Answer(
        "A",
        "numeric identifiers above alphanumeric ones",
        {"compare": ("return -1 if x.isdigit() else 1", "return 1 if x.isdigit() else -1")},
        fails={"test_compare_precedence": "compare('1.0.0-alpha.1', '1.0.0-alpha.beta') gave 1"},
    ),
    Answer(
        "A",
        "leading zeros accepted",
        {"compare": ('n.isdigit() and (n == "0" or n[0] != "0")', "n.isdigit()")},
        fails={"test_compare_invalid": "'01.2.3' is not a SemVer version"},
    ),
    Answer(
        "A",
        "calls the semver package",
        {"compare": ("    def identifiers(", "    return semver.compare(a, b)\n\n    def identifiers(")},
        fails={"test_compare_precedence": "graded on your own code", "test_compare_invalid": "graded on your own code"},
    ),
    Answer("A", "a regular expression and a sort key", {"compare": SORT_KEY}),
    # Part B: the tolerant reader
    Answer(
        "B",
        "isinstance lets True through as an int",
        {"reader": ("if type(value) is not kind:", "if not isinstance(value, kind):")},
        fails={"test_reader_refuses": "read_order({'id': True, 'total_cents': 2599}) must raise ValueError"},
    ),
    Answer(
        "B",
        "a strict reader that refuses unknown fields",
        {
            "reader": (
                "    values = {}\n",
                '    values = {}\n    if set(doc) - {"id", "total_cents", "gift_wrap"}:\n'
                '        raise ValueError(f"unknown fields {sorted(set(doc))}")\n',
            )
        },
        fails={"test_reader_tolerates": "unknown fields", "test_reader_refuses": "must name the field 'id'"},
    ),
    Answer(
        "B",
        "lax coercion with int() and bool()",
        {
            "reader": (
                "        if type(value) is not kind:  # bool is a subclass of int: compare exact types\n"
                '            raise ValueError(f"field {name!r} must be {kind.__name__}, got {value!r}")\n'
                "        values[name] = value\n",
                "        values[name] = kind(value)\n",
            )
        },
        fails={"test_reader_refuses": "must name the field 'total_cents'"},
    ),
    Answer(
        "B",
        "the error does not name the field",
        {
            "reader": (
                'raise ValueError(f"missing required field {name!r}")',
                'raise ValueError("a required field is missing")',
            )
        },
        fails={"test_reader_refuses": "must name the field 'id'"},
    ),
    Answer("B", "try/except and exact checks", {"reader": TRY_EXCEPT_READER}),
    # Part C: breaking for whom
    Answer(
        "C",
        "type changes ignored",
        {
            "breaks": (
                "return any(new.get(field) != old[field] for field in reads)",
                "return any(field not in new for field in reads)",
            )
        },
        fails={
            "test_breaks_cases": "a type change breaks a reader",
            "test_breaks_strict_and_errors": "changing price_cents from int to str",
        },
    ),
    Answer(
        "C",
        "a strict reader that only misses removals and retypes",
        {"breaks": ("return new != old", "return any(new.get(f) != k for f, k in old.items())")},
        fails={
            "test_breaks_strict_and_errors": "adding a field must break a strict reader",
            "test_breaks_cases": "a strict reader breaks on any difference",
        },
    ),
    Answer(
        "C",
        "a strict reader judged by the fields it uses",
        {"breaks": ("return new != old", "return any(new.get(f) != old[f] for f in reads)")},
        fails={
            "test_breaks_cases": "removing any field must give breaks(...) == True",
            "test_breaks_strict_and_errors": "adding a field must break a strict reader",
        },
    ),
    Answer(
        "C",
        "unknown fields in reads not refused",
        {"breaks": ("    if unknown:\n        raise ValueError(", "    if False:\n        raise ValueError(")},
        fails={"test_breaks_strict_and_errors": "sku"},
    ),
    Answer("C", "sets and an explicit check per reader", {"breaks": SET_BREAKS}),
    # Part D: the pact (replayed by Pact's verifier against live providers)
    Answer(
        "D",
        "the pact also demands name",
        {
            "consumer_test": (
                '{"id": pact.match.int(7), "price_cents"',
                '{"id": pact.match.int(7), "name": pact.match.str("kettle"), "price_cents"',
            )
        },
        fails={"test_pact_replayed": "a catalogue that drops name"},
    ),
    Answer(
        "D",
        "exact values instead of type matchers",
        {"consumer_test": (PACT_BODY, '.with_body({"id": 7, "price_cents": 2599}, content_type="application/json")')},
        fails={"test_pact_replayed": "whose kettle costs 3199"},
    ),
    Answer(
        "D",
        "no provider state",
        {"consumer_test": ('        .given("product 7 exists")\n', "")},
        fails={
            "test_pact_written": "needs the provider state 'product 7 exists'",
            "test_pact_replayed": "the verifier must name price_cents",
        },
    ),
    Answer("D", "match.like over the whole body, step by step", {"consumer_test": LIKE_PACT}),
    # Part E: the plan (replayed on a live fleet)
    Answer(
        "E",
        "big bang: every provider to v2, then every consumer",
        {"plan": ("    return expand + migrate + contract", "    return contract + migrate")},
        fails={"test_plan_live": "live requests failed", "test_plan_order": "removes price_cents before"},
    ),
    Answer(
        "E",
        "each provider expanded and contracted at once",
        {
            "plan": (
                "    return expand + migrate + contract",
                "    return [step for pair in zip(expand, contract) for step in pair] + migrate",
            )
        },
        fails={"test_plan_live": "live requests failed", "test_plan_order": "removes price_cents before"},
    ),
    Answer(
        "E",
        "consumers migrated after the first provider expanded",
        {"plan": ("    return expand + migrate + contract", "    return expand[:1] + migrate + expand[1:] + contract")},
        fails={"test_plan_live": "live requests failed"},
    ),
    Answer(
        "E",
        "no contract step",
        {"plan": ("    return expand + migrate + contract", "    return expand + migrate")},
        fails={
            "test_plan_live": "must end with every provider and consumer on v2",
            "test_plan_order": "min() arg is an empty sequence",
        },
    ),
    Answer(
        "E",
        "empty fleets not refused",
        {"plan": ("    if providers < 1 or consumers < 1:\n", "    if False:\n")},
        fails={"test_plan_order": "migration_plan(0, 2) must raise ValueError"},
    ),
    Answer("E", "reversed order, built in a loop", {"plan": REVERSED_PLAN}),
]




(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABCDE")
