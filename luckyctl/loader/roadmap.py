"""Load a roadmap: a directory (``project.yaml`` + ``epics/*.yaml``) or one YAML file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from luckyctl.errors import RoadmapError
from luckyctl.heap import paused_gc
from luckyctl.loader import cache
from luckyctl.loader.files import EPICS_FOLDER, PROJECT_FILE, read_bytes, roadmap_files
from luckyctl.loader.problems import Problem, did_you_mean, raise_first
from luckyctl.loader.roadmap_lint import lint_roadmap
from luckyctl.loader.schema import validate
from luckyctl.loader.source_map import SourceMap
from luckyctl.loader.yaml_lines import Document, decode, parse
from luckyctl.model import Roadmap


def load_roadmap(path: str | Path) -> Roadmap:
    """The validated roadmap; the first problem otherwise, as a RoadmapError with file and line."""
    roadmap, problems = read_roadmap(Path(path))
    raise_first(problems, RoadmapError)
    assert roadmap is not None
    return roadmap


def read_roadmap(path: Path) -> tuple[Roadmap | None, list[Problem]]:
    """The roadmap and every problem found on the way (None when any is an error)."""
    try:
        contents = [(file, read_bytes(file, RoadmapError)) for file in roadmap_files(path)]
    except RoadmapError as error:
        return None, [Problem.of(error)]
    return roadmap_from_bytes(contents, is_folder=path.is_dir())


def roadmap_from_bytes(contents: list[tuple[Path, bytes]], *, is_folder: bool) -> tuple[Roadmap | None, list[Problem]]:
    """``read_roadmap`` of files already read: ``roadmap_files`` with their bytes."""
    with paused_gc():  # many small objects at once: the collector would only rescan them
        entry = cache.key([(str(file), raw) for file, raw in contents])
        cached = cache.load(entry)
        if cached is not None:
            return cached, []
        roadmap, problems = _build(contents, is_folder=is_folder)
        if roadmap is not None:
            cache.store(entry, roadmap)
        return roadmap, problems


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
