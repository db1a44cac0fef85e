"""``roadmap check``: does the roadmap fit the plan, and what looks wrong.

Loading already rejects what is inconsistent on its own (schema, ids,
references, cycles). What is left depends on the plan — variables it must
define, roles its team must name — plus warnings about what is allowed but
probably not meant.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from luckyctl.errors import InputError, PlanError
from luckyctl.loader.plan import read_plan
from luckyctl.loader.problems import Problem, Severity, did_you_mean, raise_first
from luckyctl.loader.roadmap import read_roadmap
from luckyctl.loader.roadmap_lint import step_key
from luckyctl.model import Plan, Roadmap, Task
from luckyctl.variables import unresolvable


@dataclass(frozen=True)
class Counts:
    epics: int
    stories: int
    tasks: int
    risks: int
    kpis: int
    checklist_items: int

    @classmethod
    def of(cls, roadmap: Roadmap) -> Counts:
        return cls(
            epics=len(roadmap.epics),
            stories=sum(len(epic.stories) for epic in roadmap.epics),
            tasks=len(roadmap.tasks),
            risks=len(roadmap.risks),
            kpis=len(roadmap.kpis),
            checklist_items=len(roadmap.checklist),
        )

    def __str__(self) -> str:
        parts = [
            (self.epics, "epic", "epics"),
            (self.stories, "story", "stories"),
            (self.tasks, "task", "tasks"),
            (self.risks, "risk", "risks"),
            (self.kpis, "KPI", "KPIs"),
            (self.checklist_items, "checklist item", "checklist items"),
        ]
        return ", ".join(_plural(count, one, many) for count, one, many in parts)


@dataclass
class CheckReport:
    """What ``roadmap check`` found; text and JSON are both rendered from it."""

    roadmap_path: str
    plan: str | None  # the plan's name, once it loaded
    counts: Counts | None  # None when the roadmap did not load
    problems: list[Problem] = field(default_factory=list)

    @property
    def errors(self) -> list[Problem]:
        return [problem for problem in self.problems if problem.is_error]

    @property
    def warnings(self) -> list[Problem]:
        return [problem for problem in self.problems if not problem.is_error]

    @property
    def ok(self) -> bool:
        return not self.errors

    def raise_first_error(self) -> None:
        """For commands that must not start when the plan does not fit: the first error as a PlanError."""
        raise_first(self.problems, PlanError)

    def verdict(self) -> str:
        """``no problems``, ``no errors, 2 warnings`` or ``1 error, 2 warnings``."""
        if not self.problems:
            return "no problems"
        errors = _plural(len(self.errors), "error", "errors") if self.errors else "no errors"
        return errors + (f", {_plural(len(self.warnings), 'warning', 'warnings')}" if self.warnings else "")

    def as_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "roadmap": self.roadmap_path,
            "plan": self.plan,
            "counts": None if self.counts is None else vars(self.counts),
            "errors": len(self.errors),
            "warnings": len(self.warnings),
            "problems": [problem.as_dict() for problem in self.problems],
        }


def check_paths(roadmap_path: str | Path, plan_ref: str) -> CheckReport:
    """Load the roadmap and the plan and check them, collecting every problem instead of stopping at one."""
    roadmap_path = Path(roadmap_path)
    roadmap, roadmap_problems = read_roadmap(roadmap_path)
    plan, plan_problems = read_plan(plan_ref, roadmap_path=roadmap_path)
    if roadmap is None or plan is None:
        counts = Counts.of(roadmap) if roadmap is not None else None
        return CheckReport(str(roadmap_path), plan.name if plan else None, counts, roadmap_problems + plan_problems)
    return replace(check(roadmap, plan), roadmap_path=str(roadmap_path))


def check(roadmap: Roadmap, plan: Plan) -> CheckReport:
    """The problems of a loaded roadmap under a loaded plan."""
    problems = [
        *_team_roles(roadmap, plan),
        *_unresolved_variables(roadmap, plan),
        *_warnings(roadmap),
    ]
    return CheckReport("", plan.name, Counts.of(roadmap), problems)


def _team_roles(roadmap: Roadmap, plan: Plan) -> Iterator[Problem]:
    roles = roadmap.project.roles
    for role in plan.team:
        if role not in roles:
            yield _at(plan.location(f"team.{role}"), f"unknown role '{role}' in team{did_you_mean(role, roles)}")
    if plan.team:
        for role in sorted({task.owner for task in roadmap.tasks.values()} - set(plan.team)):
            message = f"role '{role}' owns tasks but has nobody in the plan's team"
            yield _at(plan.location("team"), message, Severity.WARNING)


def _unresolved_variables(roadmap: Roadmap, plan: Plan) -> Iterator[Problem]:
    """``${…}`` that can never resolve under this plan, at the step that uses it."""
    for task in roadmap.tasks.values():
        saved: set[str] = set()
        for section in ("steps", "checks"):
            for index, step in enumerate(getattr(task, section)):
                where = roadmap.location(step_key(task.id, section, index)) or roadmap.location(task.id)
                spec = step.model_dump(by_alias=True, exclude_defaults=True, exclude={"save"})
                try:
                    found = unresolvable(spec, variables=plan.vars, secrets=plan.secrets, saved=saved)
                except InputError as error:  # ${…} written wrongly, whatever the plan
                    yield _at(where, error.message)
                    found = []
                for message in found:
                    yield _at(where, f"{message} (plan '{plan.name}')")
                saved |= step.save.keys()


def _warnings(roadmap: Roadmap) -> Iterator[Problem]:
    if not roadmap.epics:
        yield _at(roadmap.location(roadmap.project.id), "the roadmap has no epics", Severity.WARNING)
    for task in roadmap.tasks.values():
        if not _does_something(task):
            message = f"task '{task.id}' has no steps, checks or manual instruction"
            yield _at(roadmap.location(task.id), message, Severity.WARNING)
    for risk in roadmap.risks:
        if not risk.mitigated_by:
            yield _at(roadmap.location(risk.id), f"risk '{risk.id}' has no mitigated_by tasks", Severity.WARNING)


def _does_something(task: Task) -> bool:
    return bool(task.steps or task.checks or task.manual)


def _at(where: tuple[str, int] | None, message: str, severity: Severity = Severity.ERROR) -> Problem:
    path, line = where if where else (None, None)
    return Problem(message, path, line, severity)


def _plural(count: int, one: str, many: str) -> str:
    return f"{count} {one if count == 1 else many}"
