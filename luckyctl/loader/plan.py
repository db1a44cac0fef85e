"""Load a plan by name (``plans/NAME.yaml``) or by path."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from luckyctl.errors import PlanError
from luckyctl.loader.problems import Problem, did_you_mean, raise_first
from luckyctl.loader.schema import validate
from luckyctl.loader.yaml_lines import YAML_SUFFIXES, is_yaml_file, parse, read_text
from luckyctl.model import Plan, is_valid_id

PLANS_FOLDER = "plans"


def load_plan(ref: str, *, roadmap_path: str | Path) -> Plan:
    """The validated plan; the first problem otherwise, as a PlanError with file and line."""
    plan, problems = read_plan(ref, roadmap_path=Path(roadmap_path))
    raise_first(problems, PlanError)
    assert plan is not None
    return plan


def read_plan(ref: str, *, roadmap_path: Path) -> tuple[Plan | None, list[Problem]]:
    """The plan and every problem found on the way (None when any is an error)."""
    try:
        path = plan_path(ref, roadmap_path=roadmap_path)
        document = parse(read_text(path, PlanError), path, PlanError)
    except PlanError as error:
        return None, [Problem.of(error)]
    source, data = document.source, document.data
    plan, problems = validate(Plan, data, source)
    if plan is None:
        return None, problems
    if _is_name(ref) and plan.name != ref:
        message = f"plan name '{plan.name}' differs from its file name '{path.name}'"
        return None, [Problem(message, *document.locate(("name",)))]
    plan.set_locations({key: document.locate(loc) for key, loc in _key_paths(data)})
    return plan, []


def plan_path(ref: str, *, roadmap_path: Path) -> Path:
    """``ref`` as a path, or the file of the plan it names: in ./plans, then in plans/ next to the roadmap."""
    if not _is_name(ref):
        path = Path(ref)
        if not path.is_file():
            raise PlanError("no plan file here", path=path)
        return path
    folders = _plan_folders(roadmap_path)
    for folder in folders:
        for suffix in YAML_SUFFIXES:
            if (folder / f"{ref}{suffix}").is_file():
                return folder / f"{ref}{suffix}"
    available = available_plans(roadmap_path)
    if not available:
        where = " or ".join(str(folder) for folder in folders)
        raise PlanError(f"unknown plan '{ref}': no plans in {where}")
    raise PlanError(f"unknown plan '{ref}'{did_you_mean(ref, available)}; available: {', '.join(available)}")


def available_plans(roadmap_path: str | Path) -> list[str]:
    """The names of the plans that ``plan_path`` can find."""
    return sorted({file.stem for folder in _plan_folders(Path(roadmap_path)) for file in _plan_files(folder)})


def _is_name(ref: str) -> bool:
    return is_valid_id(ref) and not ref.endswith(YAML_SUFFIXES)


def _plan_folders(roadmap_path: Path) -> list[Path]:
    here = Path(PLANS_FOLDER)
    beside = roadmap_path.absolute().parent / PLANS_FOLDER
    return [here] if beside == here.absolute() else [here, beside]


def _plan_files(folder: Path) -> list[Path]:
    return [file for file in folder.iterdir() if is_yaml_file(file)] if folder.is_dir() else []


def _key_paths(data: dict[str, Any]) -> list[tuple[str, tuple[str, ...]]]:
    """``name``, ``team``, ``team.backend``…: the keys of the plan, two levels deep."""
    paths: list[tuple[str, tuple[str, ...]]] = []
    for key, value in data.items():
        paths.append((str(key), (key,)))
        if isinstance(value, dict):
            paths += [(f"{key}.{inner}", (key, inner)) for inner in value]
    return paths
