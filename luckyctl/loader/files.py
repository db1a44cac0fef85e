"""Where the roadmap's and the plan's files are, and their bytes; no YAML and no models here.

``task status`` finds and hashes these files to look its cached view up
(``luckyctl.loader.snapshot``) before deciding whether anything must be parsed.
"""

from __future__ import annotations

from pathlib import Path

from luckyctl.errors import InputError, PlanError, RoadmapError
from luckyctl.ids import is_valid_id

YAML_SUFFIXES = (".yaml", ".yml")
MAX_FILE_BYTES = 5 * 1024 * 1024
PROJECT_FILE = "project.yaml"
EPICS_FOLDER = "epics"
PLANS_FOLDER = "plans"


def is_yaml_file(path: Path) -> bool:
    """A visible ``.yaml`` or ``.yml`` file."""
    return path.suffix in YAML_SUFFIXES and not path.name.startswith(".") and path.is_file()


def read_bytes(path: Path, error: type[InputError]) -> bytes:
    """The file's bytes, refused before parsing when there are too many."""
    try:
        with path.open("rb") as stream:
            raw = stream.read(MAX_FILE_BYTES + 1)
    except OSError as problem:
        raise error(f"cannot read: {problem.strerror or problem}", path=path) from None
    if len(raw) > MAX_FILE_BYTES:
        raise error(f"file is larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB", path=path)
    return raw


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


def plan_path(ref: str, *, roadmap_path: Path) -> Path:
    """``ref`` as a path, or the file of the plan it names: in ./plans, then in plans/ next to the roadmap."""
    if not is_plan_name(ref):
        path = Path(ref)
        if not path.is_file():
            raise PlanError("no plan file here", path=path)
        return path
    folders = _plan_folders(roadmap_path)
    for folder in folders:
        for suffix in YAML_SUFFIXES:
            if (folder / f"{ref}{suffix}").is_file():
                return folder / f"{ref}{suffix}"
    from luckyctl.loader.problems import did_you_mean

    available = available_plans(roadmap_path)
    if not available:
        where = " or ".join(str(folder) for folder in folders)
        raise PlanError(f"unknown plan '{ref}': no plans in {where}")
    raise PlanError(f"unknown plan '{ref}'{did_you_mean(ref, available)}; available: {', '.join(available)}")


def available_plans(roadmap_path: str | Path) -> list[str]:
    """The names of the plans that ``plan_path`` can find."""
    return sorted({file.stem for folder in _plan_folders(Path(roadmap_path)) for file in _plan_files(folder)})


def is_plan_name(ref: str) -> bool:
    """``sandbox`` names a plan; ``plans/sandbox.yaml`` or ``./x`` is a path."""
    return is_valid_id(ref) and not ref.endswith(YAML_SUFFIXES)


def _plan_folders(roadmap_path: Path) -> list[Path]:
    here = Path(PLANS_FOLDER)
    beside = roadmap_path.absolute().parent / PLANS_FOLDER
    return [here] if beside == here.absolute() else [here, beside]


def _plan_files(folder: Path) -> list[Path]:
    return [file for file in folder.iterdir() if is_yaml_file(file)] if folder.is_dir() else []
