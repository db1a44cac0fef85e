"""Safe YAML → plain data, remembering the line of every key and item.

The document is built from the parser's event stream (libyaml when present),
so nothing is ever constructed but plain scalars, lists and dicts, and the
limits below are enforced while reading: a hostile file stops early instead
of exhausting memory or the stack. Duplicate keys, which PyYAML would
silently collapse, are errors.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NoReturn

import yaml
from yaml.constructor import SafeConstructor
from yaml.events import (
    AliasEvent,
    CollectionStartEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)
from yaml.nodes import ScalarNode
from yaml.resolver import Resolver

from luckyctl.errors import InputError
from luckyctl.loader.source_map import Locator, Origin, SourceMap

MAX_DEPTH = 64
MAX_ALIASED_NODES = 1_000_000  # nodes an alias may add by repeating its anchor's content

_TAG = "tag:yaml.org,2002:"
_MAP_TAGS = {None, "!", _TAG + "map"}
_SEQ_TAGS = {None, "!", _TAG + "seq"}
_SCALAR_TAGS = {_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp", "merge")}
_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
_resolver = Resolver()
_constructor = SafeConstructor()
_MERGE = object()  # the `<<` key
_NOTHING = object()  # no document at all: only comments


@dataclass
class Document:
    path: str
    data: dict[str, Any]
    source: SourceMap
    locate: Locator = field(init=False)

    def __post_init__(self) -> None:
        self.locate = self.source.locator(self.data)

    def line_of(self, key: str) -> int:
        return self.locate((key,))[1]


def decode(raw: bytes, path: Path | str, error: type[InputError]) -> str:
    """The file's text; refuses what is not UTF-8 or empty (``files.read_bytes`` refuses what is too big)."""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as problem:
        line = raw[: problem.start].count(b"\n") + 1
        raise error(f"not UTF-8 text (byte 0x{raw[problem.start]:02x})", path=path, line=line) from None
    if not text.strip():
        raise error("empty file", path=path)
    return text


def parse(text: str, path: Path | str, error: type[InputError], source: SourceMap | None = None) -> Document:
    """One YAML document whose top level is a mapping, with a map of its lines."""
    source = source if source is not None else SourceMap()
    builder = _Builder(str(path), error, source)
    loader = None
    try:
        loader = _Loader(text)
        while True:
            event = loader.get_event()
            if type(event) is StreamEndEvent:
                break
            builder.feed(event)
    except yaml.MarkedYAMLError as problem:
        mark = problem.problem_mark or problem.context_mark
        raise error(_syntax_message(problem), path=path, line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as problem:  # a reader error: a character YAML does not allow
        line = _line_at(text, getattr(problem, "position", 0))
        raise error(f"bad YAML: {getattr(problem, 'reason', problem)}", path=path, line=line) from None
    finally:
        if loader is not None:
            loader.dispose()
    if builder.root is _NOTHING:
        raise error("empty file", path=path)
    if not isinstance(builder.root, dict):
        raise error(f"the top level must be a mapping, not {describe(builder.root)}", path=path, line=builder.root_line)
    return Document(str(path), builder.root, source)


def describe(value: Any) -> str:
    """A value's YAML kind, for messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "a string"


def _line_at(text: str, position: int) -> int:
    """The line of a reader error's position: libyaml counts UTF-8 bytes, PyYAML characters."""
    if _Loader is yaml.SafeLoader:
        return text[:position].count("\n") + 1
    return text.encode()[:position].count(b"\n") + 1


def _syntax_message(problem: yaml.MarkedYAMLError) -> str:
    text = problem.problem or "bad YAML"
    if "tab" in text:
        return "bad YAML: a tab character where indentation is expected; indent with spaces"
    if "nesting depth" in text:  # libyaml's own limit, met while it looks ahead
        return f"nested deeper than {MAX_DEPTH} levels"
    if not problem.context:
        return f"bad YAML: {text}"
    context, mark = problem.context, problem.context_mark
    if mark is not None and problem.problem_mark is not None and mark.line != problem.problem_mark.line:
        context += f" started at line {mark.line + 1}"
    return f"bad YAML: {text} ({context})"


def _shown_tag(tag: str) -> str:
    """A tag as it was written: ``!!python/object`` rather than its full form."""
    return "!!" + tag.removeprefix(_TAG) if tag.startswith(_TAG) else tag


@dataclass
class _Frame:
    """A mapping or sequence being built."""

    container: dict[Any, Any] | list[Any]
    line: int
    anchor: str | None
    lines: dict[Any, int] | list[int]
    size: int = 1  # nodes, with every alias expanded
    key: Any = None
    key_line: int = 0
    has_key: bool = False
    merges: list[tuple[dict[Any, Any], int]] = field(default_factory=list)


class _Builder:
    """Turns parser events into lists, dicts and scalars, enforcing the limits."""

    def __init__(self, path: str, error: type[InputError], source: SourceMap) -> None:
        self.path = path
        self.error = error
        self.source = source
        self.stack: list[_Frame] = []
        self.anchors: dict[str, tuple[Any, int]] = {}
        self.aliased = 0
        self.documents = 0
        self.root: Any = _NOTHING
        self.root_line = 1

    def fail(self, message: str, line: int) -> NoReturn:
        raise self.error(message, path=self.path, line=line)

    def feed(self, event: Event) -> None:
        line = event.start_mark.line + 1
        if type(event) is ScalarEvent:
            value = self._scalar(event, line)
            if event.anchor:
                self.anchors[event.anchor] = (value, 1)
            self._add(value, 1, line)
        elif type(event) is MappingEndEvent or type(event) is SequenceEndEvent:
            self._end()
        elif type(event) is MappingStartEvent or type(event) is SequenceStartEvent:
            self._start(event, line)
        elif type(event) is AliasEvent:
            self._alias(event, line)
        elif type(event) is DocumentStartEvent:
            self.documents += 1
            if self.documents > 1:
                self.fail("more than one YAML document ('---') in one file", line)

    def _start(self, event: CollectionStartEvent, line: int) -> None:
        is_map = isinstance(event, MappingStartEvent)
        if event.tag not in (_MAP_TAGS if is_map else _SEQ_TAGS):
            self.fail(f"unsupported YAML tag '{_shown_tag(event.tag)}'", line)
        if len(self.stack) >= MAX_DEPTH:
            self.fail(f"nested deeper than {MAX_DEPTH} levels", line)
        container: dict[Any, Any] | list[Any] = {} if is_map else []
        lines: dict[Any, int] | list[int] = {} if is_map else []
        self.stack.append(_Frame(container, line, event.anchor, lines))

    def _end(self) -> None:
        frame = self.stack.pop()
        if frame.merges:
            self._merge(frame)
        self.source.register(frame.container, Origin(self.path, frame.line, frame.lines))
        if frame.anchor:
            self.anchors[frame.anchor] = (frame.container, frame.size)
        self._add(frame.container, frame.size, frame.line)

    def _alias(self, event: AliasEvent, line: int) -> None:
        if event.anchor not in self.anchors:
            self.fail(f"unknown alias '*{event.anchor}' (an alias must follow its complete anchor)", line)
        value, size = self.anchors[event.anchor]
        self.aliased += size
        if self.aliased > MAX_ALIASED_NODES:
            self.fail(f"aliases expand to more than {MAX_ALIASED_NODES:,} nodes", line)
        self._add(value, size, line)

    def _add(self, value: Any, size: int, line: int) -> None:
        frame = self.stack[-1] if self.stack else None
        if value is _MERGE and (frame is None or isinstance(frame.container, list) or frame.has_key):
            value = "<<"  # only a key merges
        if frame is None:
            self.root, self.root_line = value, line
            return
        frame.size += size
        if isinstance(frame.container, list):
            frame.container.append(value)
            frame.lines.append(line)  # type: ignore[union-attr]
        elif not frame.has_key:
            if isinstance(value, dict | list):
                self.fail("a mapping key must be a plain value, not a mapping or list", line)
            frame.key, frame.key_line, frame.has_key = value, line, True
        else:
            self._set(frame, value)
            frame.has_key = False

    def _set(self, frame: _Frame, value: Any) -> None:
        key, mapping, lines = frame.key, frame.container, frame.lines
        assert isinstance(mapping, dict) and isinstance(lines, dict)
        if key is _MERGE:
            sources = value if isinstance(value, list) else [value]
            if not all(isinstance(source, dict) for source in sources):
                self.fail("'<<' merges a mapping or a list of mappings", frame.key_line)
            frame.merges.extend((source, frame.key_line) for source in sources)
            return
        if key in mapping:
            self.fail(f"duplicate key '{key}' (first at line {lines[key]})", frame.key_line)
        mapping[key] = value
        lines[key] = frame.key_line

    def _merge(self, frame: _Frame) -> None:
        """``<<: *defaults``: keys written here win, then earlier merged mappings."""
        mapping, lines = frame.container, frame.lines
        assert isinstance(mapping, dict) and isinstance(lines, dict)
        for source, line in frame.merges:
            for key, value in source.items():
                if key not in mapping:
                    mapping[key] = value
                    lines[key] = line

    def _scalar(self, event: ScalarEvent, line: int) -> Any:
        tag = event.tag
        if tag is None or tag == "!":
            if not event.implicit[0]:  # quoted, or tagged just '!': a string
                return event.value
            tag = _resolver.resolve(ScalarNode, event.value, event.implicit)
        if tag not in _SCALAR_TAGS:
            self.fail(f"unsupported YAML tag '{_shown_tag(tag)}'", line)
        if tag == _TAG + "str":
            return event.value
        if tag == _TAG + "merge":
            return _MERGE
        try:
            return _constructor.yaml_constructors[tag](_constructor, ScalarNode(tag, event.value))
        except (ValueError, KeyError, IndexError, AttributeError, TypeError):
            if event.implicit[0]:  # e.g. 2026-13-45 looks like a date but is none: keep the text
                return event.value
            self.fail(f"'{event.value}' is not a valid {_shown_tag(tag)}", line)
