"""Selectors: which tasks a command line names.

A selector is a project, epic, story or task id, or a comma-separated list of
them. Kept free of networkx so read commands that only need a selection start
fast.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import TYPE_CHECKING

from luckyctl.errors import SelectorError

if TYPE_CHECKING:
    from luckyctl.model import Roadmap
    from luckyctl.outline import Outline

MAX_SUGGESTIONS = 3


def suggest(text: str, candidates: Iterable[str]) -> list[str]:
    """The candidates closest to ``text`` (all equally close ones, in the given order); case does not count."""
    by_folded: dict[str, str] = {}
    for candidate in candidates:
        by_folded.setdefault(candidate.casefold(), candidate)
    folded = text.casefold()
    close = difflib.get_close_matches(folded, list(by_folded), n=MAX_SUGGESTIONS, cutoff=0.6)
    if not close:
        return []
    # Only the best score survives (several on a tie); scored the way get_close_matches scores.
    ratios = {match: difflib.SequenceMatcher(None, match, folded).ratio() for match in close}
    best = max(ratios.values())
    closest = {match for match, ratio in ratios.items() if ratio == best}
    return [original for key, original in by_folded.items() if key in closest]


def unknown_id_message(text: str, candidates: Iterable[str]) -> str:
    """``unknown id 'FE-IMT' (did you mean FE-INT?)``."""
    close = suggest(text, candidates)
    hint = f" (did you mean {' or '.join(close)}?)" if close else ""
    return f"unknown id '{text}'{hint}"


def split_selector(text: str) -> list[str]:
    """The ids of a selector, in the order written, without blanks and repeats."""
    parts = [part.strip() for part in text.split(",")]
    return list(dict.fromkeys(part for part in parts if part))


def resolve_selector(roadmap: Roadmap | Outline, text: str) -> list[str]:
    """The task ids a selector stands for, in roadmap order, each once.

    Raises ``SelectorError`` (exit 2) naming every unknown id with the closest
    known ones.
    """
    ids = split_selector(text)
    if not ids:
        raise SelectorError("empty selector: name a project, epic, story or task id")
    chosen: set[str] = set()
    unknown: list[str] = []
    for node_id in ids:
        try:
            chosen.update(roadmap.tasks_under(node_id))
        except KeyError:
            unknown.append(node_id)
    if unknown:
        known = roadmap.all_ids()
        raise SelectorError("; ".join(unknown_id_message(node_id, known) for node_id in unknown))
    return [task_id for task_id in roadmap.tasks if task_id in chosen]
