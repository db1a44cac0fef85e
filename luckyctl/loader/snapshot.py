"""The view of ``task status``: the roadmap's outline and the plan's name, cached by the bytes they came from.

Parsing YAML and building the pydantic models costs several times what the
rest of ``task status`` does. The view it needs is small plain data, so it is
cached as JSON under a key that covers the bytes and names of every roadmap
file, the plan reference, the plan file's path and bytes, and the loader's own
code (``cache.key``): any edit is another key, so a cached view can never be
stale. A view is only written after the roadmap and the plan both loaded
without error, so a hit also means both are valid. On a miss, or when a file
cannot even be found or read, the full loader runs and reports problems as it
always does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import NamedTuple

from luckyctl.errors import LuckyError, PlanError, RoadmapError
from luckyctl.loader import cache
from luckyctl.loader.files import plan_path, read_bytes, roadmap_files
from luckyctl.outline import Outline

VIEW_ENTRY = ("view-", ".json")


class StatusView(NamedTuple):
    """What ``task status`` needs from the roadmap and the plan."""

    outline: Outline
    plan_name: str


def load_status_view(roadmap_path: Path, plan_ref: str) -> StatusView:
    """The view from the cache when its files are unchanged, else from the loader (and then cached)."""
    try:
        sources = _Sources.read(roadmap_path, plan_ref)
    except LuckyError:  # a file that cannot be found or read: the loader says which, in its order
        return _from_loader(roadmap_path, plan_ref)
    entry_key = sources.key()
    cached = _read(entry_key)
    if cached is not None:
        return cached
    view = sources.view()
    document = {"key": entry_key, "plan": view.plan_name, "outline": view.outline.to_data()}
    cache.write_entry(VIEW_ENTRY, entry_key, json.dumps(document, separators=(",", ":")).encode())
    return view


class _Sources(NamedTuple):
    """The roadmap's files and the plan's file with their bytes, read once: the key and, on a miss, the view come
    from the same bytes."""

    roadmap_path: Path
    roadmap_files: list[tuple[Path, bytes]]
    plan_ref: str
    plan_file: Path
    plan_bytes: bytes

    @classmethod
    def read(cls, roadmap_path: Path, plan_ref: str) -> _Sources:
        files = [(file, read_bytes(file, RoadmapError)) for file in roadmap_files(roadmap_path)]
        plan_file = plan_path(plan_ref, roadmap_path=roadmap_path)
        return cls(roadmap_path, files, plan_ref, plan_file, read_bytes(plan_file, PlanError))

    def key(self) -> str:
        plan = (f"plan {self.plan_ref}\0{self.plan_file}", self.plan_bytes)
        return cache.key([*((str(file), raw) for file, raw in self.roadmap_files), plan])

    def view(self) -> StatusView:
        """Parsed and validated as ``load_roadmap`` and ``load_plan`` would, errors included."""
        from luckyctl.loader.plan import plan_from_bytes
        from luckyctl.loader.problems import raise_first
        from luckyctl.loader.roadmap import roadmap_from_bytes

        roadmap, problems = roadmap_from_bytes(self.roadmap_files, is_folder=self.roadmap_path.is_dir())
        raise_first(problems, RoadmapError)
        plan, problems = plan_from_bytes(self.plan_ref, self.plan_file, self.plan_bytes)
        raise_first(problems, PlanError)
        assert roadmap is not None and plan is not None
        return StatusView(Outline.of(roadmap), plan.name)


def _read(entry_key: str) -> StatusView | None:
    raw = cache.read_entry(VIEW_ENTRY, entry_key)
    if raw is None:
        return None
    try:
        document = json.loads(raw)
        if document["key"] != entry_key:
            return None
        return StatusView(Outline.from_data(document["outline"]), str(document["plan"]))
    except (ValueError, KeyError, TypeError, IndexError):  # truncated or from other code: a miss
        return None


def _from_loader(roadmap_path: Path, plan_ref: str) -> StatusView:
    from luckyctl.loader.plan import load_plan
    from luckyctl.loader.roadmap import load_roadmap

    roadmap = load_roadmap(roadmap_path)
    return StatusView(Outline.of(roadmap), load_plan(plan_ref, roadmap_path=roadmap_path).name)
