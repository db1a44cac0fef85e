"""Where each mapping key and sequence item of loaded YAML was written.

Containers are keyed by identity: the parsed data stays alive while the map
is used, and one map can span several files (a roadmap directory).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

Loc = Sequence[str | int]
Locate = Callable[[Loc], tuple[str, int]]  # a location in the loaded data → (file, line)


@dataclass(frozen=True)
class Origin:
    """One container: its file, its own first line, and the line of each key or item."""

    path: str
    line: int
    lines: dict[Any, int] | list[int]

    def line_of(self, part: Any) -> int | None:
        if isinstance(self.lines, dict):
            return self.lines.get(part)
        if isinstance(part, int) and 0 <= part < len(self.lines):
            return self.lines[part]
        return None


class SourceMap:
    def __init__(self) -> None:
        self._origins: dict[int, Origin] = {}

    def register(self, container: Any, origin: Origin) -> None:
        self._origins[id(container)] = origin

    def origin(self, container: Any) -> Origin | None:
        return self._origins.get(id(container))

    def locator(self, root: Any) -> Locator:
        """Where the parts of ``root`` were written; ``root`` must come from a loaded file."""
        return Locator(self, root)

    def reached(self, root: Any, loc: Loc) -> int:
        """How many leading parts of ``loc`` exist in ``root``."""
        node = root
        for count, part in enumerate(loc):
            node = _child(node, part)
            if node is _MISSING:
                return count
        return len(loc)


_MISSING = object()


class Locator:
    """``locator(loc)`` → the file and line of the deepest part of ``loc`` that exists.

    Every walk is remembered, so locating all the items of a list costs one
    step each instead of a walk from the top.
    """

    def __init__(self, source: SourceMap, root: Any) -> None:
        origin = source.origin(root)
        if origin is None:
            raise KeyError("root is not from a loaded file")
        self._source = source
        self._walked: dict[tuple[Any, ...], tuple[Any, str, int]] = {(): (root, origin.path, origin.line)}

    def __call__(self, loc: Loc) -> tuple[str, int]:
        node, path, line = self._walk(tuple(loc))
        origin = self._source.origin(node) if node is not _MISSING else None
        if origin is not None and origin.path != path:  # the value is a whole file (an epic)
            return origin.path, origin.line
        return path, line

    def _walk(self, loc: tuple[Any, ...]) -> tuple[Any, str, int]:
        walked = self._walked.get(loc)
        if walked is not None:
            return walked
        node, path, line = self._walk(loc[:-1])
        if node is not _MISSING:
            origin = self._source.origin(node)
            if origin is not None:
                if origin.path != path:  # entered another file: start from its own line
                    path, line = origin.path, origin.line
                line = origin.line_of(loc[-1]) or line
            node = _child(node, loc[-1])
        self._walked[loc] = walked = (node, path, line)
        return walked


def node_at(root: Any, loc: Loc) -> Any:
    """The value at ``loc``, or None when the path does not exist."""
    node = root
    for part in loc:
        node = _child(node, part)
        if node is _MISSING:
            return None
    return node


def _child(node: Any, part: Any) -> Any:
    if isinstance(node, dict):
        return node.get(part, _MISSING)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return _MISSING
