"""YAML → model: the roadmap and the plan, with file:line on every error.

``load_roadmap`` and ``load_plan`` raise the first problem as a
``RoadmapError`` / ``PlanError`` (``str(error)`` is ``path:line: message``);
``check_paths`` collects every problem for ``roadmap check``; ``check`` adds
what depends on the plan (variables, team roles) to a loaded pair.

The names below are imported on first use: ``luckyctl.loader.files`` and
``luckyctl.loader.snapshot`` must stay importable without YAML or the models,
so that ``task status`` starts fast.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from luckyctl.loader.check import CheckReport, Counts, check, check_paths
    from luckyctl.loader.files import available_plans, plan_path, roadmap_files
    from luckyctl.loader.plan import load_plan, read_plan
    from luckyctl.loader.problems import Problem, Severity
    from luckyctl.loader.roadmap import load_roadmap, read_roadmap
    from luckyctl.loader.roadmap_lint import find_cycle, step_key

_WHERE = {
    "CheckReport": "check",
    "Counts": "check",
    "Problem": "problems",
    "Severity": "problems",
    "available_plans": "files",
    "check": "check",
    "check_paths": "check",
    "find_cycle": "roadmap_lint",
    "load_plan": "plan",
    "load_roadmap": "roadmap",
    "plan_path": "files",
    "read_plan": "plan",
    "read_roadmap": "roadmap",
    "roadmap_files": "files",
    "step_key": "roadmap_lint",
}
__all__ = [
    "CheckReport",
    "Counts",
    "Problem",
    "Severity",
    "available_plans",
    "check",
    "check_paths",
    "find_cycle",
    "load_plan",
    "load_roadmap",
    "plan_path",
    "read_plan",
    "read_roadmap",
    "roadmap_files",
    "step_key",
]


def __getattr__(name: str) -> Any:
    if name not in _WHERE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module = importlib.import_module(f"{__name__}.{_WHERE[name]}")
    # Bind every name of that module at once: importing ``loader.check`` binds the
    # submodule as ``check``, which must stay the function of that name.
    for exported, where in _WHERE.items():
        if where == _WHERE[name]:
            globals()[exported] = getattr(module, exported)
    return globals()[name]
