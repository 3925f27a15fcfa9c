"""What exercise test cells use: time limits that name the part, errors expected, helpers that refuse."""

from __future__ import annotations

import time

import pytest

from helpers.grading.testing import expect_error, refusing, time_limit
from helpers.hashing import HashRing, remapped_fraction
from helpers.hashing import model as hashing_model


def _forever() -> None:
    while True:
        time.sleep(0.01)


def test_a_time_limit_names_the_part_and_the_hint() -> None:
    message = r"^Part C: your code was still running after 0\.1 s .*: check the walk$"
    with pytest.raises(TimeoutError, match=message), time_limit(0.1, "Part C", "check the walk"):
        _forever()


def test_a_time_limit_lets_quick_code_finish_and_leaves_no_alarm() -> None:
    with time_limit(1, "Part A", "unused"):
        total = sum(range(1000))
    time.sleep(1.2)  # an alarm left set would fire here
    assert total == 499500


@pytest.mark.parametrize(
    ("call", "message"),
    [(lambda: {}["k"], r"\(it raised KeyError: 'k'\)$"), (lambda: None, r"\(it raised nothing\)$")],
)
def test_expect_error_says_what_happened_instead(call: object, message: str) -> None:
    with pytest.raises(AssertionError, match="^f must raise ValueError " + message):
        expect_error(ValueError, call, "f must raise ValueError")  # type: ignore[arg-type]
    expect_error(KeyError, lambda: {}["k"], "unused")


def test_refused_helpers_raise_under_every_name_and_come_back() -> None:
    class Subclass(HashRing):
        pass

    with refusing(HashRing, remapped_fraction):
        for call in (lambda: HashRing(["a"]), lambda: hashing_model.HashRing(["a"]), lambda: Subclass(["a"]),
                     lambda: remapped_fraction(None, None), lambda: hashing_model.remapped_fraction(None, None)):  # type: ignore[arg-type]  # fmt: skip
            with pytest.raises(RuntimeError, match="graded on your own code"):
                call()
    ring = HashRing(["a", "b"], virtual_nodes=2)
    assert remapped_fraction(ring.place(range(10)), ring.place(range(10))) == 0.0


def test_a_refused_closure_and_a_class_without_init_come_back() -> None:
    def make(k: int) -> object:
        return lambda x: x * k

    scale = make(3)

    class Plain:
        pass

    with refusing(scale, Plain):  # type: ignore[arg-type]
        with pytest.raises(RuntimeError):
            scale(2)  # type: ignore[operator]
        with pytest.raises(RuntimeError):
            Plain()
    assert scale(2) == 6  # type: ignore[operator]
    assert isinstance(Plain(), Plain)


def test_refusing_takes_only_functions_and_classes() -> None:
    with pytest.raises(ValueError, match=r"refusing\(\) takes functions and classes, got 3"), refusing(3):  # type: ignore[arg-type]
        pass
