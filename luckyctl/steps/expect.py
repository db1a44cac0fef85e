"""Expectations shared by the step kinds: dotted paths into JSON, and a tiny comparison language.

A **path** is dot-separated: keys of objects and integer indexes of lists
(``items.0.id``; ``-1`` is the last item). A key that itself contains dots is
found when written whole (``labels.app.kubernetes.io/name``).

An **expected value** is compared with what was found:

- a number, boolean, null, list or object: equal exactly (``1 == 1.0``, but
  ``true`` is not ``1``);
- a string that starts with an operator:

  ======================  ==================================================
  ``">= 3"`` ``"> 3"``    numeric comparison; numeric strings count as
  ``"<= 3"`` ``"< 3"``    numbers
  ``"== x"`` ``"!= x"``   equal / not equal; ``x`` is read as JSON when it
                          parses (``3``, ``true``, ``"a b"``), else as text
  ``"~ regex"``           the value, as text, contains a match of the regex
  ``"contains x"``        a string contains ``x``, or a list holds an item
                          equal to ``x`` (read like ``== x``)
  ``"len >= 1"``          the length of a list, string or object, compared
                          with any of the six comparison operators
  ``"exists"``            the path is present (any value, null included)
  ``"absent"``            the path is not present
  ======================  ==================================================

- any other string: equal exactly. To expect a text that starts with an
  operator word, write it after ``==``: ``"== exists"``.

A failure reads ``json.items.0.id: expected >= 3, got 2``.
"""

from __future__ import annotations

import json
import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from luckyctl.errors import StepError


class _Missing:
    """What a path finds when nothing is there."""

    def __repr__(self) -> str:
        return "missing"


MISSING: Any = _Missing()

_COMPARE: dict[str, Callable[[float, float], bool]] = {
    "<=": operator.le,
    ">=": operator.ge,
    "<": operator.lt,
    ">": operator.gt,
    "==": operator.eq,
    "!=": operator.ne,
}
_OPERATOR = re.compile(r"^(<=|>=|<|>|==|!=|~|contains\b|len\b)\s*(.*)$", re.DOTALL)
_LENGTH = re.compile(r"^(<=|>=|<|>|==|!=)\s*(.+)$")


def lookup(document: Any, path: str) -> Any:
    """The value at a dotted path, or ``MISSING``."""
    if isinstance(document, Mapping) and path in document:
        return document[path]
    head, dot, rest = path.partition(".")
    child = _child(document, head)
    if child is MISSING or not dot:
        return child
    return lookup(child, rest)


def _child(document: Any, key: str) -> Any:
    if isinstance(document, Mapping):
        return document.get(key, MISSING)
    if isinstance(document, list) and re.fullmatch(r"-?\d+", key):
        index = int(key)
        return document[index] if -len(document) <= index < len(document) else MISSING
    return MISSING


def describe(value: Any, limit: int = 80) -> str:
    """A short rendering of a value for a one-line message."""
    if value is MISSING:
        return "missing"
    return shorten(repr(value) if isinstance(value, str) else json.dumps(value, default=str), limit)


def shorten(text: str, limit: int = 80) -> str:
    """``text`` cut to ``limit`` characters, ending in "…" when cut (the redactor knows that mark)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None


def _equal(actual: Any, expected: Any) -> bool:
    """Equality where booleans are not numbers, recursively."""
    if isinstance(actual, bool) or isinstance(expected, bool):
        return isinstance(actual, bool) and isinstance(expected, bool) and actual == expected
    if isinstance(actual, list) and isinstance(expected, list):
        return len(actual) == len(expected) and all(_equal(a, e) for a, e in zip(actual, expected, strict=True))
    if isinstance(actual, Mapping) and isinstance(expected, Mapping):
        return actual.keys() == expected.keys() and all(_equal(actual[key], expected[key]) for key in actual)
    return bool(actual == expected)


def _operand(text: str) -> Any:
    """``x`` of ``== x``: JSON when it parses, else the text."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def _as_text(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value, default=str)


def _same(actual: Any, text: str) -> bool:
    return _equal(actual, _operand(text)) or _as_text(actual) == text


def _needs_number(op: str, text: str) -> float:
    number = _number(text)
    if number is None:
        raise StepError(f"bad expectation '{op} {text}': '{op}' needs a number")
    return number


@dataclass(frozen=True)
class Expectation:
    """One expected value, parsed: ``holds(actual)`` says whether what was found fits."""

    text: str  # as written, for messages
    holds: Callable[[Any], bool]

    def failure(self, actual: Any) -> str | None:
        """None when it holds, else ``expected X, got Y``."""
        if self.holds(actual):
            return None
        return f"expected {self.text}, got {describe(actual)}"


def parse(expected: Any) -> Expectation:
    """An expected value (see the module docstring) as an ``Expectation``; StepError when it cannot be read."""
    if not isinstance(expected, str):
        return Expectation(describe(expected), lambda actual: actual is not MISSING and _equal(actual, expected))
    if expected == "exists":
        return Expectation("exists", lambda actual: actual is not MISSING)
    if expected == "absent":
        return Expectation("absent", lambda actual: actual is MISSING)
    match = _OPERATOR.match(expected)
    if match is None:
        return Expectation(repr(expected), lambda actual: actual == expected)
    op, text = match.group(1), match.group(2).strip()
    return Expectation(f"{op} {text}", _present(_test(op, text)))


def _present(test: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda actual: actual is not MISSING and test(actual)


def _test(op: str, text: str) -> Callable[[Any], bool]:
    if op == "==":
        return lambda actual: _same(actual, text)
    if op == "!=":
        return lambda actual: not _same(actual, text)
    if op == "~":
        try:
            pattern = re.compile(text)
        except re.error as exc:
            raise StepError(f"bad expectation '~ {text}': {exc}") from exc
        return lambda actual: pattern.search(_as_text(actual)) is not None
    if op == "contains":
        return lambda actual: (
            text in actual
            if isinstance(actual, str)
            else isinstance(actual, list) and any(_same(item, text) for item in actual)
        )
    if op == "len":
        length = _LENGTH.match(text)
        if length is None:
            raise StepError(f"bad expectation 'len {text}': write e.g. 'len >= 1'")
        compare, bound = _COMPARE[length.group(1)], _needs_number(length.group(1), length.group(2))
        return lambda actual: isinstance(actual, str | list | Mapping) and compare(len(actual), bound)
    bound = _needs_number(op, text)
    compare = _COMPARE[op]
    return lambda actual: (number := _number(actual)) is not None and compare(number, bound)


def check(actual: Any, expected: Any) -> str | None:
    """None when ``actual`` fits ``expected``, else ``expected X, got Y``."""
    return parse(expected).failure(actual)


def check_paths(document: Any, expectations: Mapping[str, Any], *, prefix: str = "") -> list[str]:
    """One message per dotted path whose value does not fit, e.g. ``json.status: expected 'ok', got 'down'``."""
    failures = []
    for path, expected in expectations.items():
        failure = check(lookup(document, path), expected)
        if failure is not None:
            failures.append(f"{prefix}{path}: {failure}")
    return failures


def check_upper_bound(name: str, measured: float | None, bound: float, unit: str = "") -> str | None:
    """None when ``measured <= bound``, else a message naming both, e.g. ``p95 312.4 ms > 200 ms``."""
    suffix = f" {unit}" if unit else ""
    if measured is None:
        return f"{name}: nothing measured (bound {bound:g}{suffix})"
    if measured <= bound:
        return None
    return f"{name} {measured:g}{suffix} > {bound:g}{suffix}"


def summarize(failures: list[str], limit: int = 3) -> str:
    """Failures as one line: the first few, and how many more."""
    shown = "; ".join(failures[:limit])
    rest = len(failures) - limit
    return f"{shown} (+{rest} more)" if rest > 0 else shown
