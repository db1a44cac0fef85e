"""Load a roadmap: a directory (``project.yaml`` + ``epics/*.yaml``) or one YAML file."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from luckyctl.errors import RoadmapError
from luckyctl.loader import cache
from luckyctl.loader.problems import Problem, did_you_mean, raise_first
from luckyctl.loader.roadmap_lint import lint_roadmap
from luckyctl.loader.schema import validate
from luckyctl.loader.source_map import SourceMap
from luckyctl.loader.yaml_lines import Document, decode, is_yaml_file, parse, read_bytes
from luckyctl.model import Roadmap

PROJECT_FILE = "project.yaml"
EPICS_FOLDER = "epics"


def load_roadmap(path: str | Path) -> Roadmap:
    """The validated roadmap; the first problem otherwise, as a RoadmapError with file and line."""
    roadmap, problems = read_roadmap(Path(path))
    raise_first(problems, RoadmapError)
    assert roadmap is not None
    return roadmap


def read_roadmap(path: Path) -> tuple[Roadmap | None, list[Problem]]:
    """The roadmap and every problem found on the way (None when any is an error)."""
    with _gc_paused():
        try:
            files = roadmap_files(path)
            contents = [(file, read_bytes(file, RoadmapError)) for file in files]
        except RoadmapError as error:
            return None, [Problem.of(error)]
        entry = cache.key([(str(file), raw) for file, raw in contents])
        cached = cache.load(entry)
        if cached is not None:
            return cached, []
        roadmap, problems = _build(contents, is_folder=path.is_dir())
        if roadmap is not None:
            cache.store(entry, roadmap)
        return roadmap, problems


def roadmap_files(path: Path) -> list[Path]:
    """The files of a roadmap, in order: ``project.yaml`` then the epics by file name."""
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise RoadmapError("no roadmap here: expected a folder with project.yaml, or a YAML file", path=path)
    project = path / PROJECT_FILE
    if not project.is_file():
        raise RoadmapError(f"no {PROJECT_FILE} in this roadmap folder", path=path)
    epics = path / EPICS_FOLDER
    found = epics.iterdir() if epics.is_dir() else iter(())
    return [project, *sorted(file for file in found if is_yaml_file(file))]


def _build(contents: list[tuple[Path, bytes]], *, is_folder: bool) -> tuple[Roadmap | None, list[Problem]]:
    source = SourceMap()
    documents: list[Document] = []
    problems: list[Problem] = []
    for file, raw in contents:
        try:
            documents.append(parse(decode(raw, file, RoadmapError), file, RoadmapError, source))
        except RoadmapError as error:
            problems.append(Problem.of(error))
    if problems:
        return None, problems
    if is_folder:
        data, problems = _assemble(documents[0], documents[1:], source)
        if problems:
            return None, problems
    else:
        data = documents[0].data
    roadmap, problems = validate(Roadmap, data, source)
    if roadmap is None:
        return None, problems
    locations, problems = lint_roadmap(roadmap, source.locator(data))
    if problems:
        return None, problems
    roadmap.set_locations(locations)
    return roadmap, []


def _assemble(project: Document, epics: list[Document], source: SourceMap) -> tuple[dict[str, Any], list[Problem]]:
    """One roadmap mapping from ``project.yaml`` and the epic files.

    The order is the one project.yaml gives, if any; else by planned first day
    (epics without ``days`` last), then by file name.
    """
    data = dict(project.data)
    origin = source.origin(project.data)
    assert origin is not None
    source.register(data, origin)
    order = data.get("epics")
    if order is None:
        data["epics"] = [epic.data for epic in sorted(epics, key=_planned_first_day)]
        return data, []
    line = project.line_of("epics")
    if not isinstance(order, list) or not all(isinstance(epic_id, str) for epic_id in order):
        message = "in a roadmap folder 'epics' lists epic ids in order; the epics live in epics/*.yaml"
        return data, [Problem(message, project.path, line)]
    by_id = {epic.data.get("id"): epic for epic in epics}
    problems = [
        Problem(
            f"no file in {EPICS_FOLDER}/ defines epic '{epic_id}'{did_you_mean(epic_id, map(str, by_id))}",
            *project.locate(("epics", index)),
        )
        for index, epic_id in enumerate(order)
        if epic_id not in by_id
    ]
    problems += [
        Problem(
            f"epic '{epic.data.get('id')}' is missing from the 'epics' order in {PROJECT_FILE}", *epic.locate(("id",))
        )
        for epic in epics
        if epic.data.get("id") not in order
    ]
    data["epics"] = [by_id[epic_id].data for epic_id in order if epic_id in by_id]
    return data, problems


def _planned_first_day(epic: Document) -> float:
    days = epic.data.get("days")
    if isinstance(days, list) and days and isinstance(days[0], int):
        return days[0]
    return float("inf")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Many small objects are built at once; the cyclic collector would only rescan them."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
