"""YAML → model: the roadmap and the plan, with file:line on every error.

``load_roadmap`` and ``load_plan`` raise the first problem as a
``RoadmapError`` / ``PlanError`` (``str(error)`` is ``path:line: message``);
``check_paths`` collects every problem for ``roadmap check``; ``check`` adds
what depends on the plan (variables, team roles) to a loaded pair.
"""

from luckyctl.loader.check import CheckReport, Counts, check, check_paths
from luckyctl.loader.plan import available_plans, load_plan, plan_path, read_plan
from luckyctl.loader.problems import Problem, Severity
from luckyctl.loader.roadmap import load_roadmap, read_roadmap, roadmap_files
from luckyctl.loader.roadmap_lint import find_cycle, step_key

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
