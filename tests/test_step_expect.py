"""The expectation language shared by the http, file and gcp steps."""

from __future__ import annotations

import re
from typing import Any

import pytest

from luckyctl.errors import StepError
from luckyctl.steps.expect import MISSING, check, check_paths, check_upper_bound, describe, lookup, summarize

DOCUMENT = {
    "status": "ok",
    "count": 3,
    "ratio": "0.75",
    "active": True,
    "nothing": None,
    "items": [{"id": 7, "roles": ["admin", "viewer"]}, {"id": 9}],
    "labels": {"app.kubernetes.io/name": "api"},
}


@pytest.mark.parametrize(
    ("path", "found"),
    [
        ("status", "ok"),
        ("items.0.id", 7),
        ("items.-1.id", 9),
        ("items.0.roles.1", "viewer"),
        ("labels.app.kubernetes.io/name", "api"),
        ("nothing", None),
        ("items.2.id", MISSING),
        ("items.x", MISSING),
        ("status.deeper", MISSING),
        ("absent", MISSING),
    ],
)
def test_lookup_follows_dotted_paths(path: str, found: Any) -> None:
    result = lookup(DOCUMENT, path)
    assert (result is MISSING) if found is MISSING else result == found


@pytest.mark.parametrize(
    ("actual", "expected"),
    [
        (3, 3),
        (3, 3.0),
        (True, True),
        (None, None),
        ([1, {"a": True}], [1, {"a": True}]),
        ("ok", "ok"),
        (3, ">= 3"),
        (3, "> 2.5"),
        ("0.75", "< 1"),
        (2, "<= 2"),
        (3, "== 3"),
        ("3", "== 3"),
        (True, "== true"),
        ("exists", "== exists"),
        ("a b", '== "a b"'),
        (4, "!= 3"),
        ("application/json; charset=utf-8", "~ ^application/json"),
        (404, "~ ^4"),
        ("hello world", "contains world"),
        (["admin", "viewer"], "contains admin"),
        ([1, 2], "contains 2"),
        ([1, 2], "len == 2"),
        ("abc", "len >= 3"),
        ({"a": 1}, "len < 2"),
        (None, "exists"),
        (MISSING, "absent"),
    ],
)
def test_expectations_that_hold(actual: Any, expected: Any) -> None:
    assert check(actual, expected) is None


@pytest.mark.parametrize(
    ("actual", "expected", "message"),
    [
        (1, True, "expected true, got 1"),
        (True, 1, "expected 1, got true"),
        ([1, True], [1, 1], "expected [1, 1], got [1, true]"),
        ({"a": 1}, {"a": 1, "b": 2}, "got {"),
        (2, ">= 3", "expected >= 3, got 2"),
        ("many", "> 1", "expected > 1, got 'many'"),
        (True, "> 0", "got true"),
        ([1], "> 0", "expected > 0, got [1]"),
        ("NaN", "< 1", "got 'NaN'"),
        (3, "!= 3", "expected != 3, got 3"),
        ("text/html", "~ ^application/json", "expected ~ ^application/json, got 'text/html'"),
        (["viewer"], "contains admin", "expected contains admin"),
        (5, "contains 5", "expected contains 5, got 5"),
        (5, "len >= 1", "expected len >= 1, got 5"),
        ("down", "ok", "expected 'ok', got 'down'"),
        (MISSING, "ok", "expected 'ok', got missing"),
        (MISSING, ">= 1", "got missing"),
        (MISSING, "exists", "expected exists, got missing"),
        (MISSING, None, "expected null, got missing"),
        (0, "absent", "expected absent, got 0"),
    ],
)
def test_expectations_that_fail_say_what_and_why(actual: Any, expected: Any, message: str) -> None:
    failure = check(actual, expected)
    assert failure is not None and message in failure


@pytest.mark.parametrize(
    ("expected", "problem"),
    [
        (">= many", "'>=' needs a number"),
        ("~ (unclosed", "bad expectation '~ (unclosed'"),
        ("len 3", "len >= 1"),
        ("len > x", "needs a number"),
    ],
)
def test_unreadable_expectations_are_spec_errors(expected: str, problem: str) -> None:
    with pytest.raises(StepError, match=re.escape(problem)):
        check(1, expected)


def test_check_paths_names_each_failing_path() -> None:
    failures = check_paths(
        DOCUMENT,
        {"status": "ok", "count": ">= 5", "items.0.roles": "contains root", "missing.key": "exists"},
        prefix="json.",
    )
    assert failures == [
        "json.count: expected >= 5, got 3",
        'json.items.0.roles: expected contains root, got ["admin", "viewer"]',
        "json.missing.key: expected exists, got missing",
    ]


def test_upper_bounds_name_the_measured_value_and_the_bound() -> None:
    assert check_upper_bound("p95", 150.0, 200, "ms") is None
    assert check_upper_bound("p95", 200.0, 200, "ms") is None
    assert check_upper_bound("p95", 312.4, 200, "ms") == "p95 312.4 ms > 200 ms"
    assert check_upper_bound("error rate", 1.5, 0.1, "%") == "error rate 1.5 % > 0.1 %"
    assert check_upper_bound("p95", None, 200, "ms") == "p95: nothing measured (bound 200 ms)"


def test_long_values_are_shortened_and_many_failures_summarized() -> None:
    assert repr(MISSING) == "missing"
    assert describe("x" * 200).endswith("…") and len(describe("x" * 200)) == 80
    assert summarize(["a", "b"]) == "a; b"
    assert summarize(["a", "b", "c", "d", "e"]) == "a; b; c (+2 more)"
