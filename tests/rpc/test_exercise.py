"""Exercise 02 (stubs-and-marshalling) grades what learners really write: wrong answers fail and say why.

Each answer is graded by nbgrader as in a class (tests/answer_variants.py): for every part,
the mistakes learners make (each names the tests that must fail and words their messages
must hold) and correct answers written differently from the reference (full marks).
"""

from __future__ import annotations

from answer_variants import Answer, corpus_tests

ASSIGNMENT, NOTEBOOK = "02-rpc", "stubs-and-marshalling.ipynb"

WITH_A_BUFFER = '''import io


def marshal_order(order: dict) -> bytes:
    """The order as compact big-endian bytes, written into a buffer piece by piece."""
    if type(order) is not dict or sorted(order) != ["amount_cents", "customer", "id", "tags"]:
        raise ValueError(f"not an order: {order!r}")
    if type(order["id"]) is not int or not 0 <= order["id"] < 2**64:
        raise ValueError(f"bad id {order['id']!r}")
    if type(order["amount_cents"]) is not int or not -(2**63) <= order["amount_cents"] < 2**63:
        raise ValueError(f"bad amount_cents {order['amount_cents']!r}")
    if type(order["tags"]) is not list or len(order["tags"]) >= 2**16:
        raise ValueError(f"bad tags {order['tags']!r}")
    out = io.BytesIO()
    out.write(order["id"].to_bytes(8, "big"))
    out.write(order["amount_cents"].to_bytes(8, "big", signed=True))

    def write_text(text: object) -> None:
        if type(text) is not str:
            raise ValueError(f"not a string: {text!r}")
        raw = text.encode("utf-8")
        out.write(len(raw).to_bytes(4, "big") + raw)

    write_text(order["customer"])
    out.write(len(order["tags"]).to_bytes(2, "big"))
    for tag in order["tags"]:
        write_text(tag)
    return out.getvalue()


def unmarshal_order(data: bytes) -> dict:
    """The order that marshal_order turned into these bytes, read from a buffer."""
    if not isinstance(data, (bytes, bytearray)):
        raise ValueError("data must be bytes")
    stream = io.BytesIO(bytes(data))

    def read(size: int) -> bytes:
        chunk = stream.read(size)
        if len(chunk) != size:
            raise ValueError(f"data ends too early: wanted {size} bytes, got {len(chunk)}")
        return chunk

    def read_text() -> str:
        try:
            return read(int.from_bytes(read(4), "big")).decode("utf-8")
        except UnicodeDecodeError as error:
            raise ValueError(f"not UTF-8: {error}") from None

    order_id = int.from_bytes(read(8), "big")
    amount = int.from_bytes(read(8), "big", signed=True)
    customer = read_text()
    tags = [read_text() for _ in range(int.from_bytes(read(2), "big"))]
    if stream.read(1):
        raise ValueError("bytes left over")
    return {"id": order_id, "customer": customer, "amount_cents": amount, "tags": tags}
'''

WITH_A_DISPATCH_METHOD = '''import functools


class ClientStub:
    """Makes each attribute a remote method called through `transport`."""

    def __init__(self, transport: Transport, timeout_s: float = 1.0) -> None:
        self._transport, self._timeout_s = transport, timeout_s

    def _call(self, method: str, *args: object) -> object:
        request = json.dumps({"method": method, "args": [*args]}).encode()
        try:
            raw = self._transport(request, self._timeout_s)
        except OSError as error:
            if isinstance(error, TimeoutError):
                raise RemoteTimeoutError(method, "timed out") from error
            raise RemoteCallError(method, repr(error)) from error
        try:
            reply = json.loads(raw)
        except Exception as error:
            raise RemoteCallError(method, "the reply is not JSON") from error
        match reply:
            case {"error": text}:
                raise RemoteCallError(method, str(text))
            case {"result": value}:
                return value
        raise RemoteCallError(method, f"no result in {reply!r}")

    def __getattr__(self, method: str):
        if method[:1] == "_":
            raise AttributeError(method)
        return functools.partial(self._call, method)
'''

WITH_A_GROUP_TABLE = '''COMPATIBLE = [
    {"int32", "uint32", "int64", "uint64", "bool"},
    {"sint32", "sint64"},
    {"string", "bytes"},
    {"fixed32", "sfixed32"},
    {"fixed64", "sfixed64"},
]


def same_encoding(a: str, b: str) -> bool:
    return a == b or any(a in group and b in group for group in COMPATIBLE)


def breaking_changes(old: dict[str, tuple[int, str]], new: dict[str, tuple[int, str]]) -> list[str]:
    """The changes from old to new that old stubs would misread; [] if the change is wire-compatible."""
    for schema in (old, new):
        numbers = [number for number, _ in schema.values()]
        if len(set(numbers)) != len(numbers) or any(number < 1 for number in numbers):
            raise ValueError(f"field numbers must be distinct and at least 1: {schema}")
    problems = []
    for name, (number, _) in old.items():
        if name in new and new[name][0] != number:
            problems.append(f"{name} moved from {number} to {new[name][0]}")
    old_by_number = {number: kind for number, kind in old.values()}
    for name, (number, kind) in new.items():
        if number in old_by_number and not same_encoding(old_by_number[number], kind):
            problems.append(f"{name} is now {kind}, was {old_by_number[number]}")
    return problems
'''

CATCH_TIMEOUT = (
    "            except TimeoutError as error:\n"
    '                raise RemoteTimeoutError(method, f"no answer within {self.timeout_s} s") from error\n'
)
CATCH_OS_ERROR = (
    "            except OSError as error:\n"
    '                raise RemoteCallError(method, f"transport failed: {type(error).__name__}: {error}") '
    "from error\n"
)
TIMEOUT_FIRST, OS_ERROR_FIRST = CATCH_TIMEOUT + CATCH_OS_ERROR, CATCH_OS_ERROR + CATCH_TIMEOUT

ANSWERS = [
    # Part A: marshalling with struct
    Answer(
        "A",
        "little-endian numbers",
        {"marshal": ('struct.pack(">Qq", order_id, amount)', 'struct.pack("<Qq", order_id, amount)')},
        fails={"test_marshal_round_trip": "numbers are big-endian"},
    ),
    Answer(
        "A",
        "string lengths counted in characters",
        {
            "marshal": (
                'parts.append(struct.pack(">I", len(encoded[0])) + encoded[0])',
                'parts.append(struct.pack(">I", len(texts[0])) + encoded[0])',
            )
        },
        fails={"test_marshal_round_trip": "use len(text.encode('utf-8')), not len(text)"},
    ),
    Answer(
        "A",
        "bytes left over are ignored",
        {
            "marshal": (
                "    if at != len(data):\n"
                '        raise ValueError(f"{len(data) - at} bytes left over after the order")\n',
                "",
            )
        },
        fails={"test_marshal_errors": "cut short or too long"},
    ),
    Answer(
        "A",
        "struct.error escapes on short data",
        {
            "marshal": (
                "        if at + size > len(data):\n"
                '            raise ValueError(f"data ends too early: needed {size} bytes at offset {at}, '
                '{len(data) - at} left")\n',
                "",
            )
        },
        fails={"test_marshal_errors": "check lengths before you read"},
    ),
    Answer(
        "A",
        "True accepted as an id",
        {"marshal": ("if isinstance(value, bool) or not isinstance(value, int)", "if not isinstance(value, int)")},
        fails={"test_marshal_errors": "must raise ValueError"},
    ),
    Answer("A", "int.to_bytes and a BytesIO instead of struct", {"marshal": WITH_A_BUFFER}),
    # Part B: a client stub
    Answer(
        "B",
        "OSError caught before TimeoutError",
        {"stub": (TIMEOUT_FIRST, OS_ERROR_FIRST)},
        fails={"test_stub_failures": "TimeoutError is an OSError: catch it first"},
    ),
    Answer(
        "B",
        "every name is a remote method, _names too",
        {"stub": ('        if method.startswith("_"):\n            raise AttributeError(method)\n', "")},
        fails={"test_stub_failures": "must raise AttributeError, not become a remote method"},
    ),
    Answer(
        "B",
        "returns the whole response",
        {"stub": ('return answer["result"]', "return answer")},
        fails={"test_stub_calls": "return the response's result"},
    ),
    Answer(
        "B",
        "an error response comes back as None",
        {
            "stub": (
                '            if isinstance(answer, dict) and "error" in answer:\n'
                '                raise RemoteCallError(method, str(answer["error"]))\n'
                '            if not isinstance(answer, dict) or "result" not in answer:\n'
                '                raise RemoteCallError(method, f"the response has no result: {answer!r:.60}")\n'
                '            return answer["result"]',
                '            return answer.get("result")',
            )
        },
        fails={"test_stub_failures": 'a response {"error": ...} must raise RemoteCallError'},
    ),
    Answer(
        "B",
        "a fixed timeout instead of the stub's",
        {"stub": ("self.transport(request, self.timeout_s)", "self.transport(request, 1.0)")},
        fails={"test_stub_calls": "pass the stub's timeout_s to the transport"},
    ),
    Answer("B", "functools.partial and a match statement", {"stub": WITH_A_DISPATCH_METHOD}),
    # Part C: which changes break old stubs
    Answer(
        "C",
        "every type change counts as breaking",
        {
            "compat": (
                "if groups.get(old_type, old_type) != groups.get(new_type, new_type):",
                "if old_type != new_type:",
            )
        },
        fails={
            "test_compat_basics": "bool -> int32 is compatible",
            "test_compat_errors": "bool -> int32 on field 4 is compatible",
        },
    ),
    Answer(
        "C",
        "groups by wire type: sint64 counted with int64",
        {
            "compat": (
                '**dict.fromkeys(["sint32", "sint64"], "zigzag")',
                '**dict.fromkeys(["sint32", "sint64"], "varint")',
            )
        },
        fails={"test_compat_basics": "int64 -> sint64 is incompatible"},
    ),
    Answer(
        "C",
        "a type change names the old field",
        {
            "compat": (
                "(_, old_type), (name, new_type) = old_numbers[number], new_numbers[number]",
                "(name, old_type), (_, new_type) = old_numbers[number], new_numbers[number]",
            )
        },
        fails={"test_compat_basics": "names the new field 'total'"},
    ),
    Answer(
        "C",
        "a number used twice is not refused",
        {
            "compat": (
                "            if number in numbers:\n"
                '                raise ValueError(f"field number {number} is used by both '
                '{numbers[number][0]!r} and {name!r}")\n',
                "",
            )
        },
        fails={"test_compat_errors": "two fields with number 1 must raise ValueError"},
    ),
    Answer(
        "C",
        "renumbering is not checked",
        {
            "compat": (
                "        if name in new and old[name][0] != new[name][0]\n",
                "        if False\n",
            )
        },
        fails={"test_compat_basics": "renumbering 'name' is one problem", "test_compat_errors": "expected 2 problems"},
    ),
    Answer("C", "a list of group sets and two plain loops", {"compat": WITH_A_GROUP_TABLE}),
]


(
    graded,
    test_grading_fails_each_wrong_answer_with_its_reason_and_passes_each_right_one,
    test_every_part_has_three_wrong_answers_and_a_right_one_written_differently,
) = corpus_tests(ASSIGNMENT, NOTEBOOK, ANSWERS, parts="ABC")
