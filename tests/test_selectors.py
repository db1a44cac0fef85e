"""Selectors: ids of every level, lists, unknown ids with suggestions, and no networkx."""

from __future__ import annotations

import subprocess
import sys

import pytest
from test_graph_builders import lucky_roadmap

from luckyctl.errors import SelectorError
from luckyctl.selectors import resolve_selector, split_selector, suggest

ALL_TASKS = ["FE-INT.1.1", "FE-INT.1.2", "FE-INT.2.1", "FE-INT.2.2", "GCP-SETUP.1.1"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("P", ALL_TASKS),
        ("FE-INT", ALL_TASKS[:4]),
        ("FE-INT.2", ["FE-INT.2.1", "FE-INT.2.2"]),
        ("FE-INT.1.2", ["FE-INT.1.2"]),
        # a list comes back in roadmap order, each task once, blanks and spaces ignored
        ("GCP-SETUP, FE-INT.1.2,,FE-INT.1 ,FE-INT.1.2", ["FE-INT.1.1", "FE-INT.1.2", "GCP-SETUP.1.1"]),
    ],
)
def test_a_selector_names_the_tasks_under_each_id(text: str, expected: list[str]) -> None:
    assert resolve_selector(lucky_roadmap(), text) == expected


def test_an_unknown_id_is_an_input_error_with_the_closest_id() -> None:
    with pytest.raises(SelectorError) as caught:
        resolve_selector(lucky_roadmap(), "FE-IMT")
    assert str(caught.value) == "unknown id 'FE-IMT' (did you mean FE-INT?)"
    assert caught.value.exit_code == 2


def test_every_unknown_id_of_a_list_is_reported() -> None:
    with pytest.raises(SelectorError) as caught:
        resolve_selector(lucky_roadmap(), "FE-INT.1,gcp-setup.1.2,nothing-like-it")
    assert str(caught.value) == (
        "unknown id 'gcp-setup.1.2' (did you mean GCP-SETUP.1.1?); unknown id 'nothing-like-it'"
    )


@pytest.mark.parametrize("text", ["", " ", ",", " , ,"])
def test_an_empty_selector_is_an_input_error(text: str) -> None:
    with pytest.raises(SelectorError, match="empty selector"):
        resolve_selector(lucky_roadmap(), text)


def test_suggestions_ignore_case_and_keep_only_the_best_ties_in_given_order() -> None:
    ids = ["FE-INT.1.1", "FE-INT.1.2", "FE-INT.1", "GCP-SETUP"]
    assert suggest("fe-int.1.l", ids) == ["FE-INT.1.1", "FE-INT.1.2"]
    assert suggest("gcp-setup", ids) == ["GCP-SETUP"]
    assert suggest("zzz", ids) == []


def test_split_selector_keeps_the_written_order() -> None:
    assert split_selector(" B, A ,B,, C") == ["B", "A", "C"]


def test_selectors_do_not_import_networkx() -> None:
    probe = "import sys, luckyctl.selectors, luckyctl.status; print('networkx' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "False"
