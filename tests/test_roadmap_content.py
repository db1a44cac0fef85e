"""What holds for the shipped Lucky Gas roadmap and its three plans.

Every task does or verifies something, or waits for the person it belongs
to; the KPI sources really record their metrics; checks only read; the plans
fit the roadmap with no warning; production never points at the sandbox. The
last test runs the whole roadmap on a fresh sandbox of its own.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from helpers.sandbox import free_port, free_proxy_host
from luckyctl.loader import check_paths, load_plan, load_roadmap
from luckyctl.model import Roadmap, Step, StepKind, Task

ROOT = Path(__file__).resolve().parents[1]
ROADMAP = ROOT / "roadmap"
TOOLING = ROADMAP / "files"
PLANS = ("sandbox", "staging", "production")

# The only tasks a person must do; everything else is automated.
PERSON_ONLY = {
    "MON-ALERT.3.5": "brief the support team",
    "CI-CD.2.5": "sign off the security audit",
    "GO-LIVE.2.2": "send the stakeholder communication",
    "GO-LIVE.3.4": "user acceptance with dispatchers",
    "GO-LIVE.3.5": "lessons learned",
}
KPI_METRICS = {"uptime_pct", "p95_ms", "error_rate_pct", "coverage_pct", "deploy_seconds", "integrity_pct"}
PROBE_METRICS = {"p50_ms", "p95_ms", "p99_ms", "mean_ms", "max_ms", "error_rate_pct", "requests", "rps"}
READING_VERBS = (":getIamPolicy", ":testIamPermissions")


@pytest.fixture(scope="module")
def roadmap() -> Roadmap:
    return load_roadmap(ROADMAP)


def steps_of(task: Task) -> list[Step]:
    return [*task.steps, *task.checks]


def is_manual(task: Task) -> bool:
    return bool(task.manual) or any(step.kind is StepKind.MANUAL for step in steps_of(task))


def tool_module(argv: list[str]) -> str | None:
    """``deploytools.x`` of ``python -m deploytools.x …``."""
    if "-m" in argv and argv.index("-m") + 1 < len(argv):
        module = argv[argv.index("-m") + 1]
        return module if module.startswith("deploytools.") else None
    return None


def recorded_metrics(step: Step) -> set[str]:
    """The metrics a step records, by what its kind measures (docs/steps.md)."""
    if step.probe is not None:
        return PROBE_METRICS
    if step.cloud_run is not None:
        return {"deploy_seconds"} if step.cloud_run.action == "deploy" else set()
    if step.sql is not None:
        return set(re.findall(r"\bAS\s+metric_(\w+)", step.sql.query, re.IGNORECASE))
    if step.file is not None:
        return {"coverage_pct"} if "coverage" in Path(step.file.path).name else set()
    if step.run is not None and step.run.argv and (module := tool_module(step.run.argv)):
        source = (TOOLING / (module.replace(".", "/") + ".py")).read_text(encoding="utf-8")
        return set(re.findall(r"::metric (\w+)=", source))
    return set()


def test_the_roadmap_has_its_75_tasks(roadmap: Roadmap) -> None:
    assert len(roadmap.tasks) == 75
    assert len(roadmap.stories()) == 15


def test_every_task_does_or_verifies_something_or_waits_for_its_person(roadmap: Roadmap) -> None:
    idle = [task.id for task in roadmap.tasks.values() if not (task.steps or task.checks or task.manual)]
    assert idle == []


def test_manual_tasks_are_exactly_the_person_only_ones(roadmap: Roadmap) -> None:
    manual = {task.id for task in roadmap.tasks.values() if is_manual(task)}
    assert manual == set(PERSON_ONLY)
    for task_id in PERSON_ONLY:
        task = roadmap.tasks[task_id]
        assert task.manual and "attach" in task.manual, f"{task_id} must say what the person attaches"
        assert not task.steps and not task.checks, f"{task_id} mixes automation into a person's task"


def test_no_automated_task_waits_behind_a_person(roadmap: Roadmap) -> None:
    """Manual tasks gate the release through approvals and the risk gate, not as dependencies."""
    manual = set(PERSON_ONLY)
    for task in roadmap.tasks.values():
        if task.id in manual:
            continue
        upstream = {dep for node in task.depends_on for dep in roadmap.tasks_under(node)}
        assert not upstream & manual, f"{task.id} depends on {sorted(upstream & manual)}"


def test_kpi_sources_record_their_metrics(roadmap: Roadmap) -> None:
    assert {kpi.source.metric for kpi in roadmap.kpis if kpi.source} == KPI_METRICS
    for kpi in roadmap.kpis:
        assert kpi.source is not None, kpi.id
        task = roadmap.tasks[kpi.source.task]
        produced = set().union(*(recorded_metrics(step) for step in steps_of(task)))
        assert kpi.source.metric in produced, f"{kpi.id}: {task.id} records {sorted(produced)}"


def test_checks_only_read(roadmap: Roadmap) -> None:
    for task in roadmap.tasks.values():
        for check in task.checks:
            where = f"{task.id} check {check.label!r}"
            if check.cloud_run is not None:
                assert check.cloud_run.action == "describe", where
            if check.gcp is not None:
                reads = check.gcp.method.upper() == "GET" or check.gcp.path.endswith(READING_VERBS)
                assert reads, where
            if check.sql is not None:
                assert check.sql.query.lstrip().upper().startswith("SELECT"), where


def test_file_checks_name_files_of_the_repository(roadmap: Roadmap) -> None:
    for task in roadmap.tasks.values():
        produced = {arg for step in task.steps if step.run and step.run.argv for arg in step.run.argv}
        for step in steps_of(task):
            if step.file is not None and step.file.expect.exists:
                path = step.file.path
                assert (ROOT / path).is_file() or path in produced, f"{task.id}: {path}"


def test_run_steps_use_tooling_that_is_shipped(roadmap: Roadmap) -> None:
    for task in roadmap.tasks.values():
        for step in steps_of(task):
            if step.run is None or not step.run.argv:
                continue
            module = tool_module(step.run.argv)
            if module:
                assert (TOOLING / (module.replace(".", "/") + ".py")).is_file(), f"{task.id}: {module}"
            for name in (arg for arg in step.run.argv if arg.startswith("smoke.")):
                test_file = TOOLING / "smoke" / (name.split(".")[1] + ".py")
                assert test_file.is_file(), f"{task.id}: {name}"


@pytest.mark.parametrize("plan", PLANS)
def test_roadmap_check_passes_without_a_warning(plan: str) -> None:
    report = check_paths(ROADMAP, plan)
    assert [str(problem) for problem in report.problems] == []
    assert report.counts is not None and report.counts.tasks == 75


def test_plans_name_the_same_variables_and_secrets() -> None:
    plans = {name: load_plan(name, roadmap_path=ROADMAP) for name in PLANS}
    assert {name: sorted(plan.vars) for name, plan in plans.items()} == {name: sorted(plans["sandbox"].vars) for name in PLANS}
    assert {name: sorted(plan.secrets) for name, plan in plans.items()} == {
        name: sorted(plans["sandbox"].secrets) for name in PLANS
    }


def test_production_never_points_at_the_sandbox() -> None:
    text = (ROOT / "plans" / "production.yaml").read_text(encoding="utf-8")
    assert not re.search(r"127\.\d+\.\d+\.\d+|localhost|\[::1\]|0\.0\.0\.0", text)
    plan = load_plan("production", roadmap_path=ROADMAP)
    assert plan.protected
    assert plan.gcp.endpoints == {}
    assert all(source.default_for_sandbox is None for source in plan.secrets.values())


def test_no_secret_value_is_written_in_the_roadmap() -> None:
    sandbox = load_plan("sandbox", roadmap_path=ROADMAP)
    defaults = [source.default_for_sandbox for source in sandbox.secrets.values() if source.default_for_sandbox]
    texts = {path: path.read_text(encoding="utf-8") for path in ROADMAP.rglob("*.yaml")}
    assert defaults
    for path, text in texts.items():
        leaked = [value for value in defaults if value in text]
        assert not leaked, f"{path}: {leaked}"


def test_the_deployment_tooling_passes_its_own_tests() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "unittest", "discover", "-s", str(TOOLING / "tests"), "-t", str(TOOLING)],
        env={**os.environ, "PYTHONPATH": str(TOOLING)}, capture_output=True, text=True, timeout=120, check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert re.search(r"Ran [1-9]\d* tests", done.stderr)


# ------------------------------------------------------------------ the whole roadmap on a sandbox


def sandbox_plan(folder: Path) -> Path:
    """plans/sandbox.yaml on free ports, so the run meets no other sandbox."""
    plan = yaml.safe_load((ROOT / "plans" / "sandbox.yaml").read_text(encoding="utf-8"))
    api, google = f"http://127.0.0.1:{free_port()}", f"http://127.0.0.1:{free_port()}"
    plan["vars"].update(backend_url=api, staging_url=api, cloudresourcemanager_url=google, python=sys.executable)
    plan["gcp"]["endpoints"] = {name: google for name in plan["gcp"]["endpoints"]}
    plan["sandbox"].update(postgres_port=free_port(), sql_proxy_host=free_proxy_host())
    path = folder / "plans" / "sandbox.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(yaml.safe_dump(plan, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture
def sandbox_home() -> Iterator[tuple[Path, Path]]:
    """An evidence home and a running sandbox of the sandbox plan on free ports; stopped afterwards.

    Outside pytest's temporary root: under root PostgreSQL runs as another user,
    who must be able to reach its data directory.
    """
    home = Path(tempfile.mkdtemp(prefix="luckyctl-roadmap-run-"))
    plan = sandbox_plan(home)
    try:
        luckyctl(home, plan, "sandbox", "up", timeout=120)
        yield home, plan
    finally:
        luckyctl(home, plan, "sandbox", "down", timeout=60, check=False)
        shutil.rmtree(home, ignore_errors=True)


def luckyctl(home: Path, plan: Path, *args: str, timeout: float, check: bool = True) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "luckyctl", "--home", str(home), "--plan", str(plan), *args]
    environ = {key: value for key, value in os.environ.items() if not key.startswith(("LUCKYCTL_", "LUCKY_"))}
    done = subprocess.run(command, cwd=ROOT, env={**environ, "NO_COLOR": "1"}, capture_output=True, text=True,
                          timeout=timeout, check=False)
    if check and done.returncode not in (0, 3):
        raise AssertionError(f"{' '.join(args)} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")
    return done


def test_the_roadmap_runs_on_a_fresh_sandbox(sandbox_home: tuple[Path, Path]) -> None:
    home, plan = sandbox_home
    done = luckyctl(home, plan, "task", "execute", "PROD-DEPLOY-001", "--strategy", "systematic",
                    "--continue-on-failure", timeout=240)
    assert done.returncode == 3, done.stdout[-3000:] + done.stderr[-3000:]
    status = json.loads(luckyctl(home, plan, "task", "status", "--all-epics", "--json", timeout=60).stdout)
    states = {task["id"]: task["state"] for epic in status["epics"] for story in epic["stories"] for task in story["tasks"]}
    assert len(states) == 75
    not_done = {task_id: state for task_id, state in states.items() if state != "succeeded"}
    assert set(not_done) == set(PERSON_ONLY), not_done
    assert set(not_done.values()) <= {"waiting", "blocked"}
    kpis = json.loads(luckyctl(home, plan, "kpi", "--json", timeout=60).stdout)
    assert kpis["verdict"] == "pass", kpis
    assert {kpi["id"]: kpi["status"] for kpi in kpis["kpis"]} == {kpi: "pass" for kpi in (
        "uptime", "p95-latency", "error-rate", "coverage", "deploy-time", "data-integrity")}
