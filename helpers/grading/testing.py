"""What an exercise's test cells use to grade fairly: a time limit that names the part, and helpers that refuse.

* ``time_limit(seconds, part, hint)``: a test that calls the learner's code inside it stops
  with a TimeoutError that says which part ran too long and what to look at, instead of
  nbgrader's bare "the cell ran longer than 20 s".
* ``expect_error(ValueError, call, what)``: a test that a call must raise says what it raised
  instead (a KeyError from a missing check), or that it raised nothing.
* ``refusing(*helpers)``: while a part's tests run, the course's own implementations of what
  the part asks for raise, so an answer that only calls them (a thin wrapper, or a name
  imported from ``helpers``) scores nothing. Functions and classes alike, under every name
  they were imported as: a function's code is swapped, a class's ``__init__`` replaced.

Examples:
    >>> import time
    >>> with time_limit(0.05, "Part B", "does the loop advance?"):
    ...     time.sleep(1)
    Traceback (most recent call last):
    ...
    TimeoutError: Part B: your code was still running after 0.05 s (the tests need far less): does the loop advance?
    >>> expect_error(ValueError, lambda: {}["k"], "lookup({}) must raise ValueError: check the keys first")
    Traceback (most recent call last):
    ...
    AssertionError: lookup({}) must raise ValueError: check the keys first (it raised KeyError: 'k')
    >>> def reference(x: int) -> int:
    ...     return 2 * x
    >>> with refusing(reference):
    ...     reference(1)
    Traceback (most recent call last):
    ...
    RuntimeError: this part is graded on your own code: the course's reference() is off while it runs
    >>> reference(1)
    2
"""

from __future__ import annotations

import functools
import signal
import threading
import types
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

__all__ = ["expect_error", "refusing", "time_limit"]


@contextmanager
def time_limit(seconds: float, part: str, hint: str) -> Iterator[None]:
    """Runs the block for at most ``seconds``, then raises TimeoutError naming ``part`` with ``hint``.

    Uses SIGALRM, so it works in the main thread (where notebook cells run) on Unix; elsewhere
    it lets the block run (nbgrader's per-cell limit still applies).
    """
    if not hasattr(signal, "setitimer") or threading.current_thread() is not threading.main_thread():
        yield
        return

    def expired(signum: int, frame: Any) -> None:
        raise TimeoutError(
            f"{part}: your code was still running after {seconds:g} s (the tests need far less): {hint}"
        )

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def expect_error(error: type[BaseException], call: Callable[[], object], what: str) -> None:
    """Passes if ``call()`` raises ``error``; otherwise AssertionError with ``what`` and what happened instead."""
    try:
        call()
    except error:
        return
    except Exception as other:  # a test reports whatever the learner's code raised
        raise AssertionError(f"{what} (it raised {type(other).__name__}: {other})") from None
    raise AssertionError(f"{what} (it raised nothing)")


def _refusal(name: str) -> RuntimeError:
    return RuntimeError(f"this part is graded on your own code: the course's {name}() is off while it runs")


@contextmanager
def refusing(*helpers: Callable[..., Any] | type) -> Iterator[None]:
    """While the block runs, each of ``helpers`` raises RuntimeError when called (a class: when built).

    The objects themselves change, so every name that refers to them refuses too, including a
    learner's ``from helpers.unit import thing`` made before the block.
    """
    restore: list[Callable[[], None]] = []
    try:
        for helper in helpers:
            name = getattr(helper, "__qualname__", repr(helper))
            if isinstance(helper, type):
                original_init = helper.__dict__.get("__init__")

                def refuse_init(self: Any, *args: Any, _name: str = name, **kwargs: Any) -> None:
                    raise _refusal(_name)

                helper.__init__ = refuse_init  # type: ignore[misc]
                if original_init is None:
                    restore.append(functools.partial(delattr, helper, "__init__"))
                else:
                    restore.append(functools.partial(setattr, helper, "__init__", original_init))
            elif isinstance(helper, types.FunctionType):
                original_code = helper.__code__
                refusing_code = _refusing_code(name, original_code)
                helper.__code__ = refusing_code
                restore.append(functools.partial(setattr, helper, "__code__", original_code))
            else:
                raise ValueError(f"refusing() takes functions and classes, got {helper!r}")
        yield
    finally:
        for undo in reversed(restore):
            undo()


def _refusing_code(name: str, like: types.CodeType) -> types.CodeType:
    """Code that raises the refusal, with ``like``'s free variables so it fits the same function.

    It runs with the function's own globals, so it names nothing but builtins.
    """
    free = ", ".join(like.co_freevars)
    message = str(_refusal(name))
    # A closure needs code with as many free variables as it has cells: mention each one.
    source = (
        f"def outer({free}):\n"
        f"    def refused(*args, **kwargs):\n"
        f"        {'(' + free + ',)' if free else 'None'}\n"
        f"        raise RuntimeError({message!r})\n"
        f"    return refused\n"
    )
    namespace: dict[str, Any] = {}
    exec(compile(source, "<refusing>", "exec"), namespace)
    (code,) = [const for const in namespace["outer"].__code__.co_consts if isinstance(const, types.CodeType)]
    return code.replace(co_name=like.co_name, co_qualname=like.co_qualname)
