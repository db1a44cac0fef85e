"""Loading roadmaps and plans: layouts, YAML features, locations, plan lookup, check()."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from luckyctl.errors import PlanError, RoadmapError
from luckyctl.loader import (
    Counts,
    Problem,
    Severity,
    available_plans,
    check,
    find_cycle,
    load_plan,
    load_roadmap,
    roadmap_files,
    step_key,
    yaml_lines,
)
from luckyctl.loader.problems import raise_first

PROJECT = """\
project:
  id: P
  name: Demo
  start: 2026-12-07
  holidays: [2026-12-25]
  roles:
    backend: {title: Backend}
    devops: {title: DevOps}
"""


def epic(epic_id: str, *task_ids: str, extra: str = "") -> str:
    tasks = "".join(
        f"""\
      - id: {task_id}
        title: Task {task_id}
        owner: backend
        estimate: 1d
        manual: sign it
{extra}"""
        for task_id in task_ids
    )
    return f"""\
id: {epic_id}
title: Epic {epic_id}
stories:
  - id: {epic_id}.1
    title: Story
    tasks:
{tasks}"""


def line_of(text: str, needle: str) -> int:
    """The line (from 1) where ``needle`` first appears in ``text``."""
    return text[: text.index(needle)].count("\n") + 1


def single_file(*epics: str, head: str = PROJECT) -> str:
    indented = "".join("  - " + text.replace("\n", "\n    ").rstrip() + "\n" for text in epics)
    return head + "epics:\n" + indented


# ---------------------------------------------------------------- layouts


def test_a_folder_roadmap_orders_epics_by_file_name(write_roadmap: Callable[..., Path]) -> None:
    write_roadmap(PROJECT, "roadmap/project.yaml")
    write_roadmap(epic("ZED", "ZED.1.1"), "roadmap/epics/01-zed.yaml")
    write_roadmap(epic("ALPHA", "ALPHA.1.1"), "roadmap/epics/02-alpha.yml")
    write_roadmap("id: broken", "roadmap/epics/.hidden.yaml")
    write_roadmap("not yaml at all: [", "roadmap/epics/notes.txt")
    project = write_roadmap(PROJECT, "roadmap/project.yaml")
    roadmap = load_roadmap(project.parent)
    assert [epic.id for epic in roadmap.epics] == ["ZED", "ALPHA"]
    assert roadmap.project.start == dt.date(2026, 12, 7)
    assert roadmap.project.holidays == [dt.date(2026, 12, 25)]
    assert roadmap.location("ALPHA.1.1") == (str(project.parent / "epics" / "02-alpha.yml"), 7)
    assert roadmap.location("P") == (str(project), 2)
    assert [path.name for path in roadmap_files(project.parent)] == ["project.yaml", "01-zed.yaml", "02-alpha.yml"]


def test_project_yaml_may_give_the_epic_order(write_roadmap: Callable[..., Path]) -> None:
    project = write_roadmap(PROJECT + "epics: [ALPHA, ZED]\n", "roadmap/project.yaml")
    write_roadmap(epic("ZED", "ZED.1.1"), "roadmap/epics/a.yaml")
    write_roadmap(epic("ALPHA", "ALPHA.1.1"), "roadmap/epics/b.yaml")
    assert [epic.id for epic in load_roadmap(project.parent).epics] == ["ALPHA", "ZED"]


def test_an_epic_left_out_of_the_order_is_an_error(write_roadmap: Callable[..., Path]) -> None:
    project = write_roadmap(PROJECT + "epics: [ALPHA]\n", "roadmap/project.yaml")
    write_roadmap(epic("ZED", "ZED.1.1"), "roadmap/epics/a.yaml")
    write_roadmap(epic("ALPHA", "ALPHA.1.1"), "roadmap/epics/b.yaml")
    with pytest.raises(RoadmapError) as raised:
        load_roadmap(project.parent)
    assert (
        str(raised.value)
        == f"{project.parent}/epics/a.yaml:1: epic 'ZED' is missing from the 'epics' order in project.yaml"
    )


def test_inline_epics_in_a_folder_roadmap_are_refused(write_roadmap: Callable[..., Path]) -> None:
    project = write_roadmap(PROJECT + "epics:\n  - {id: A}\n", "roadmap/project.yaml")
    with pytest.raises(RoadmapError) as raised:
        load_roadmap(project.parent)
    assert raised.value.line == 9
    assert "lists epic ids in order" in raised.value.message


def test_a_folder_without_project_yaml(tmp_path: Path) -> None:
    (tmp_path / "epics").mkdir()
    with pytest.raises(RoadmapError) as raised:
        load_roadmap(tmp_path)
    assert str(raised.value) == f"{tmp_path}: no project.yaml in this roadmap folder"


def test_a_project_without_epics_loads_and_check_warns(write_roadmap: Callable[..., Path]) -> None:
    project = write_roadmap(PROJECT, "roadmap/project.yaml")
    roadmap = load_roadmap(project.parent)
    report = check(roadmap, load_plan(str(_plan(project.parent.parent)), roadmap_path=project.parent))
    assert report.ok
    assert [str(problem) for problem in report.warnings] == [f"{project}:2: warning: the roadmap has no epics"]


def test_a_single_file_roadmap_with_every_section(write_roadmap: Callable[..., Path]) -> None:
    head = (
        PROJECT
        + """\
risks:
  - {id: R1, title: Key exposure, impact: high, probability: low, owner: devops, mitigated_by: [A.1.1]}
kpis:
  - {id: p95, title: p95, target: {op: "<", value: 200, unit: ms}, source: {task: A.1.2, metric: p95_ms}}
checklist:
  - {id: pre-1, phase: pre-deployment, title: Tests pass, satisfied_by: [A.1], kpis: [p95]}
"""
    )
    text = single_file(epic("A", "A.1.1", "A.1.2"), head=head)
    path = write_roadmap(text)
    roadmap = load_roadmap(path)
    assert str(Counts.of(roadmap)) == "1 epic, 1 story, 2 tasks, 1 risk, 1 KPI, 1 checklist item"
    assert roadmap.tasks["A.1.2"].estimate == 8.0
    assert roadmap.location("R1") == (str(path), line_of(text, "{id: R1"))
    assert roadmap.location("A.1.2") == (str(path), line_of(text, "id: A.1.2"))


def test_a_missing_roadmap(tmp_path: Path) -> None:
    with pytest.raises(RoadmapError, match="no roadmap here"):
        load_roadmap(tmp_path / "nothing")


# ---------------------------------------------------------------- YAML features and limits


def test_anchors_aliases_and_merge_keys(write_roadmap: Callable[..., Path]) -> None:
    text = (
        PROJECT
        + """\
defaults: &task
  owner: backend
  estimate: 2h
  manual: sign it
epics:
  - id: A
    title: A
    stories:
      - id: A.1
        title: S
        tasks:
          - <<: *task
            id: A.1.1
            title: One
            estimate: 5h
          - {<<: [*task], id: A.1.2, title: Two, depends_on: &deps [A.1.1]}
          - {<<: *task, id: A.1.3, title: Three, depends_on: *deps}
"""
    )
    path = write_roadmap(text)
    data = yaml_lines.parse(text, path, RoadmapError).data
    assert data.pop("defaults") == {"owner": "backend", "estimate": "2h", "manual": "sign it"}
    tasks = data["epics"][0]["stories"][0]["tasks"]
    assert tasks[0]["estimate"] == "5h"  # written here beats merged
    assert tasks[2]["depends_on"] == ["A.1.1"]
    assert tasks == yaml.safe_load(text)["epics"][0]["stories"][0]["tasks"]


def test_the_same_data_as_pyyaml_for_scalars(tmp_path: Path) -> None:
    text = 'a: 1\nb: 1.5\nc: true\nd: ~\ne: 2026-12-07\nf: "007"\ng: 2026-13-45\ni: !!str 12\nj: {k: [.inf]}\n'
    data = yaml_lines.parse(text + "h: [x, <<]\n", tmp_path / "x.yaml", RoadmapError).data
    # Not a date after all: kept as the text it is (PyYAML would fail).
    assert data == {**yaml.safe_load(text.replace("g: 2026-13-45", "g: '2026-13-45'")), "h": ["x", "<<"]}


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        ("a: 1\na: 2\n", 2, "duplicate key 'a' (first at line 1)"),
        ("? [a]\n: b\n", 1, "a mapping key must be a plain value, not a mapping or list"),
        ("a: !!set {x}\n", 1, "unsupported YAML tag '!!set'"),
        ("a: !!binary aGk=\n", 1, "unsupported YAML tag '!!binary'"),
        ("a: !local x\n", 1, "unsupported YAML tag '!local'"),
        ("a:\n  <<: 3\n", 2, "'<<' merges a mapping or a list of mappings"),
        ("a: &x [*x]\n", 1, "unknown alias '*x' (an alias must follow its complete anchor)"),
        ("just text\n", 1, "the top level must be a mapping, not a string"),
        ("~\n", 1, "the top level must be a mapping, not null"),
        ("42\n", 1, "the top level must be a mapping, not a number"),
        ("--- true\n", 1, "the top level must be a mapping, not a boolean"),
        ("a: b: c\n", 1, "bad YAML: mapping values are not allowed"),  # libyaml and PyYAML end it differently
        ("a: [1,\n", 2, "bad YAML: did not find expected node content (while parsing a flow node)"),
    ],
)
def test_yaml_problems(text: str, line: int, message: str, tmp_path: Path) -> None:
    with pytest.raises(RoadmapError) as raised:
        yaml_lines.parse(text, tmp_path / "x.yaml", RoadmapError)
    assert raised.value.line == line
    assert raised.value.message.startswith(message)


def test_the_pure_python_parser_finds_the_same_lines(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(yaml_lines, "_Loader", yaml.SafeLoader)
    text = "a: 1\nb:\n  - {c: 2}\n  - c: 3\n    c: 4\n"
    with pytest.raises(RoadmapError) as raised:
        yaml_lines.parse(text, tmp_path / "x.yaml", RoadmapError)
    assert (raised.value.line, raised.value.message) == (5, "duplicate key 'c' (first at line 4)")
    deep = "a: " + "[" * 100 + "]" * 100 + "\n"
    with pytest.raises(RoadmapError, match="nested deeper than 64 levels"):
        yaml_lines.parse(deep, tmp_path / "x.yaml", RoadmapError)


def test_a_scalar_anchor_and_its_alias(tmp_path: Path) -> None:
    assert yaml_lines.parse("a: &x 1\nb: *x\n", tmp_path / "x.yaml", RoadmapError).data == {"a": 1, "b": 1}


def test_a_file_of_zero_bytes(tmp_path: Path) -> None:
    (tmp_path / "roadmap.yaml").write_bytes(b"")
    with pytest.raises(RoadmapError) as raised:
        load_roadmap(tmp_path / "roadmap.yaml")
    assert str(raised.value) == f"{tmp_path}/roadmap.yaml: empty file"


def test_a_boolean_where_text_belongs(write_roadmap: Callable[..., Path]) -> None:
    text = single_file(epic("A", "A.1.1")).replace("title: Task A.1.1", "title: yes")
    with pytest.raises(RoadmapError) as raised:
        load_roadmap(write_roadmap(text))
    assert (raised.value.line, raised.value.message) == (
        line_of(text, "title: yes"),
        "title: expected a string, got true",
    )


def test_a_byte_order_mark_is_fine(tmp_path: Path) -> None:
    path = tmp_path / "roadmap.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + single_file(epic("A", "A.1.1")).encode())
    assert load_roadmap(path).epics[0].id == "A"


# ---------------------------------------------------------------- plans


def _plan(folder: Path, name: str = "sandbox", text: str = "", suffix: str = ".yaml") -> Path:
    path = folder / "plans" / f"{name}{suffix}"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(f"name: {name}\n{text}")
    return path


def test_a_plan_name_is_found_in_the_current_folder_first(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    here, there = tmp_path / "here", tmp_path / "there"
    _plan(here, text="vars: {where: here}\n")
    _plan(there, text="vars: {where: there}\n")
    monkeypatch.chdir(here)
    assert load_plan("sandbox", roadmap_path=there / "roadmap").vars == {"where": "here"}
    monkeypatch.chdir(tmp_path)
    assert load_plan("sandbox", roadmap_path=there / "roadmap").vars == {"where": "there"}
    assert load_plan("sandbox", roadmap_path=there / "roadmap.yaml").vars == {"where": "there"}


def test_a_plan_by_path_and_with_yml(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = _plan(tmp_path, "staging", "protected: true\n", suffix=".yml")
    assert load_plan("staging", roadmap_path="roadmap").protected is True
    assert load_plan(str(path), roadmap_path="elsewhere").name == "staging"
    with pytest.raises(PlanError) as raised:
        load_plan("plans/missing.yaml", roadmap_path="roadmap")
    assert str(raised.value) == "plans/missing.yaml: no plan file here"


def test_an_unknown_plan_lists_the_plans(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PlanError) as raised:
        load_plan("sandbox", roadmap_path=tmp_path / "sub" / "roadmap")
    assert str(raised.value) == f"unknown plan 'sandbox': no plans in plans or {tmp_path}/sub/plans"
    _plan(tmp_path, "production")
    _plan(tmp_path / "sub", "staging")
    assert available_plans(tmp_path / "sub" / "roadmap") == ["production", "staging"]
    with pytest.raises(PlanError) as raised:
        load_plan("productoin", roadmap_path=tmp_path / "sub" / "roadmap")
    assert str(raised.value) == "unknown plan 'productoin' (did you mean 'production'?); available: production, staging"
    assert raised.value.exit_code == 2


def test_plan_keys_have_locations(tmp_path: Path) -> None:
    path = _plan(tmp_path, text="team:\n  backend: [be-1]\n  devops: [ops-1]\nvars: {a: 1}\n")
    plan = load_plan(str(path), roadmap_path=tmp_path)
    assert plan.location("team.devops") == (str(path), 4)
    assert plan.location("vars.a") == (str(path), 5)
    assert plan.location("name") == (str(path), 1)


def test_plan_schema_problems_all_reach_raise_first(tmp_path: Path) -> None:
    path = _plan(tmp_path, text="strategy: {parallel: 0}\nvarz: {}\n")
    with pytest.raises(PlanError) as raised:
        load_plan(str(path), roadmap_path=tmp_path)
    assert str(raised.value) == (
        f"{path}:2: strategy.parallel: input should be greater than or equal to 1, got 0"
        " (and 1 more problem: see luckyctl roadmap check)"
    )


# ---------------------------------------------------------------- check()


def test_check_warns_and_fails_by_plan(write_roadmap: Callable[..., Path], tmp_path: Path) -> None:
    text = (
        PROJECT
        + """\
risks:
  - {id: R1, title: Cost, impact: medium, probability: medium}
epics:
  - id: A
    title: A
    stories:
      - id: A.1
        title: S
        tasks:
          - id: A.1.1
            title: Log in
            owner: backend
            estimate: 1h
            checks:
              - http: {url: "${url}/login", method: POST}
                save: {token: access_token}
              - http: {url: "${url}/me", headers: {Authorization: "Bearer ${saved:token} ${secret:key}"}}
          - {id: A.1.2, title: Nothing yet, owner: devops, estimate: 1h}
"""
    )
    roadmap = load_roadmap(write_roadmap(text))
    login, me = line_of(text, '- http: {url: "${url}/login'), line_of(text, '- http: {url: "${url}/me')
    good = load_plan(
        str(_plan(tmp_path, "good", 'vars: {url: "http://x"}\nsecrets: {key: {env: KEY}}\n')), roadmap_path=tmp_path
    )
    report = check(roadmap, good)
    assert report.ok
    assert [(problem.line, problem.message) for problem in report.warnings] == [
        (line_of(text, "{id: A.1.2"), "task 'A.1.2' has no steps, checks or manual instruction"),
        (line_of(text, "{id: R1"), "risk 'R1' has no mitigated_by tasks"),
    ]
    assert report.verdict() == "no errors, 2 warnings"
    bad = load_plan(str(_plan(tmp_path, "bad", "team: {backend: [be-1]}\n")), roadmap_path=tmp_path)
    report = check(roadmap, bad)
    assert [(problem.severity, problem.line, problem.message) for problem in report.problems[:4]] == [
        (Severity.WARNING, 2, "role 'devops' owns tasks but has nobody in the plan's team"),
        (Severity.ERROR, login, "${url} is not in the plan's vars (plan 'bad')"),
        (Severity.ERROR, me, "${url} is not in the plan's vars (plan 'bad')"),
        (Severity.ERROR, me, "${secret:key} is not in the plan's secrets (plan 'bad')"),
    ]
    assert report.verdict() == "3 errors, 3 warnings"
    with pytest.raises(PlanError) as raised:
        report.raise_first_error()
    assert raised.value.line == login and raised.value.exit_code == 2
    check(roadmap, good).raise_first_error()  # warnings alone do not raise
    assert roadmap.location(step_key("A.1.1", "checks", 1)) == (roadmap.location("A.1.1")[0], me)


def test_problem_text_and_raise_first() -> None:
    assert str(Problem("bad", "a.yaml", 3)) == "a.yaml:3: bad"
    assert str(Problem("bad", "a.yaml")) == "a.yaml: bad"
    assert str(Problem("odd", "a.yaml", 3, Severity.WARNING)) == "a.yaml:3: warning: odd"
    assert str(Problem("bad")) == "bad"
    raise_first([Problem("odd", severity=Severity.WARNING)], RoadmapError)  # warnings never raise
    with pytest.raises(RoadmapError) as raised:
        raise_first([Problem("one", "a.yaml", 1), Problem("two", "a.yaml", 2)], RoadmapError)
    assert str(raised.value) == "a.yaml:1: one (and 1 more problem: see luckyctl roadmap check)"


def test_find_cycle_is_iterative_and_exact() -> None:
    chain = {str(index): [str(index + 1)] for index in range(50_000)}
    assert find_cycle(chain, chain) is None
    chain["50000"] = ["0"]
    cycle = find_cycle(["0"], chain)
    assert cycle is not None and cycle[0] == cycle[-1] == "0" and len(cycle) == 50_002
    assert find_cycle(["a"], {"a": ["b", "c"], "b": ["c"], "c": []}) is None
    assert find_cycle(["a"], {"a": ["b"], "b": ["c"], "c": ["b"]}) == ["b", "c", "b"]


@pytest.mark.parametrize("loader", ["libyaml", "pure Python"])
def test_a_control_character_after_wide_characters(
    loader: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if loader == "pure Python":
        monkeypatch.setattr(yaml_lines, "_Loader", yaml.SafeLoader)
    with pytest.raises(RoadmapError) as raised:
        yaml_lines.parse("a: ééééé\nb: ééé\nc: \x07\n", tmp_path / "x.yaml", RoadmapError)
    assert raised.value.line == 3
    assert raised.value.message.endswith("characters are not allowed")  # "control" or "special"
