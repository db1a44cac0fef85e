"""Durations, variables and the model's own rules."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from luckyctl import durations
from luckyctl.errors import InputError, LuckyError, RoadmapError
from luckyctl.model import KpiTarget, Level, Plan, Roadmap, Step, StepKind, TaskState
from luckyctl.variables import Reference, Resolver, references, unresolvable


@pytest.mark.parametrize(
    ("text", "hours"),
    [("3h", 3.0), ("1d", 8.0), ("1.5d", 12.0), ("1w", 40.0), ("30m", 0.5), (2, 2.0), ("4", 4.0)],
)
def test_estimates_count_working_hours(text: str | int, hours: float) -> None:
    assert durations.work_hours(text) == hours


@pytest.mark.parametrize(("text", "seconds"), [("60s", 60.0), ("5m", 300.0), ("7d", 604800.0), ("250ms", 0.25), (3, 3.0)])
def test_timeouts_count_wall_clock(text: str | int, seconds: float) -> None:
    assert durations.wall_seconds(text) == seconds


@pytest.mark.parametrize("bad", ["3x", "", "h", "-1h", True])
def test_bad_durations_are_rejected(bad: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        durations.wall_seconds(bad)  # type: ignore[arg-type]


def test_an_estimate_in_seconds_is_rejected() -> None:
    with pytest.raises(ValueError, match="estimate"):
        durations.work_hours("30s")


@pytest.mark.parametrize(
    ("seconds", "text"), [(0.42, "0.4s"), (12, "12s"), (200, "3m20s"), (7500, "2h05m"), (273600, "3d4h")]
)
def test_seconds_are_formatted_shortest(seconds: float, text: str) -> None:
    assert durations.format_seconds(seconds) == text


def test_variables_resolve_every_namespace() -> None:
    resolver = Resolver({"url": "http://api"}, secrets=lambda name: f"<{name}>", environ={"HOME": "/root"})
    resolver.saved["token"] = "t0k"
    spec = {"url": "${url}/x", "env": ["${env:HOME}", "${secret:pw}", "${saved:token}", "$${literal}"]}
    assert resolver(spec) == {"url": "http://api/x", "env": ["/root", "<pw>", "t0k", "${literal}"]}
    assert resolver.resolve("${secret:pw}", with_secrets=False) == "${secret:pw}"


@pytest.mark.parametrize("text", ["${nope}", "${env:NOT_SET_ANYWHERE}", "${saved:later}", "${weird:x}"])
def test_unknown_variables_are_input_errors(text: str) -> None:
    with pytest.raises(InputError):
        Resolver({}, environ={})(text)


def test_static_check_lists_what_can_never_resolve() -> None:
    spec = ["${a}", "${secret:b}", "${saved:c}", "${env:D}", "${ok}"]
    found = unresolvable(spec, variables={"ok": 1}, secrets={}, saved=set())
    assert found == [
        "${a} is not in the plan's vars",
        "${secret:b} is not in the plan's secrets",
        "${saved:c} is not saved by an earlier step of this task",
    ]
    assert [str(ref) for ref in references({"k": "${x} ${env:Y}"})] == ["${x}", "${env:Y}"]
    assert Reference("secret", "s").namespace == "secret"


def test_errors_render_file_and_line() -> None:
    assert str(RoadmapError("bad", path="r.yaml", line=3)) == "r.yaml:3: bad"
    assert str(RoadmapError("bad", path="r.yaml")) == "r.yaml: bad"
    assert RoadmapError("x").exit_code == 2
    assert LuckyError("x").exit_code == 70


def test_a_step_takes_exactly_one_kind() -> None:
    step = Step.model_validate({"name": "ping", "http": {"url": "http://x"}})
    assert step.kind is StepKind.HTTP and step.label == "ping"
    with pytest.raises(ValidationError, match="exactly one of"):
        Step.model_validate({"http": {"url": "u"}, "run": {"argv": ["true"]}})
    with pytest.raises(ValidationError, match="found: none"):
        Step.model_validate({"name": "empty"})
    with pytest.raises(ValidationError, match="exactly one of 'argv' or 'cmd'"):
        Step.model_validate({"run": {"argv": ["a"], "cmd": "a"}})


def test_kpi_targets_compare() -> None:
    assert KpiTarget(op="<", value=200, unit="ms").holds(150)
    assert not KpiTarget(op=">=", value=99.9).holds(99.8)
    assert str(KpiTarget(op="<", value=200, unit="ms")) == "< 200 ms"


def _roadmap() -> Roadmap:
    return Roadmap.model_validate(
        {
            "project": {"id": "P", "name": "p", "start": "2026-12-07", "roles": {"dev": {"title": "Dev"}}},
            "epics": [
                {
                    "id": "E",
                    "title": "e",
                    "stories": [
                        {
                            "id": "E.1",
                            "title": "s",
                            "tasks": [
                                {"id": "E.1.1", "title": "a", "owner": "dev", "estimate": "1d"},
                                {"id": "E.1.2", "title": "b", "owner": "dev", "estimate": "2h", "steps": [{"run": {"cmd": "true"}}]},
                            ],
                        }
                    ],
                }
            ],
        }
    )


def test_roadmap_indexes() -> None:
    roadmap = _roadmap()
    assert list(roadmap.tasks) == ["E.1.1", "E.1.2"]
    assert roadmap.tasks["E.1.1"].estimate == 8.0
    assert roadmap.story_of("E.1.2").id == "E.1" and roadmap.epic_of("E.1").id == "E"
    assert roadmap.all_ids() == ["P", "E", "E.1", "E.1.1", "E.1.2"]
    assert roadmap.tasks_under("P") == roadmap.tasks_under("E") == ["E.1.1", "E.1.2"]
    assert roadmap.tasks_under("E.1.2") == ["E.1.2"]
    assert roadmap.tasks["E.1.2"].mutating and not roadmap.tasks["E.1.1"].mutating
    with pytest.raises(KeyError):
        roadmap.tasks_under("nope")


def test_plan_rules() -> None:
    plan = Plan.model_validate({"name": "p", "secrets": {"pw": {"env": "PW"}}})
    assert plan.gcp.credentials == "adc" and plan.strategy.parallel == 4
    with pytest.raises(ValidationError, match="exactly one of 'env', 'file' or 'gcp_secret'"):
        Plan.model_validate({"name": "p", "secrets": {"pw": {"env": "PW", "file": "f"}}})
    with pytest.raises(ValidationError, match="credentials"):
        Plan.model_validate({"name": "p", "gcp": {"credentials": "magic"}})


def test_enums() -> None:
    assert TaskState.SKIPPED.is_done and not TaskState.WAITING.is_done
    assert Level.HIGH.weight * Level.MEDIUM.weight == 6
