"""The engine in-process: retries, timeouts, cancellation, decisions, people, leases.

Steps here are played by a scripted step function (the engine receives its
step function), so each behaviour — a flaky step, one that hangs, one that
crashes — is exact and fast. Real processes are the business of the
subprocess tests.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from engine_roadmaps import Project, epic, one_story, roadmap, story, task

from luckyctl.engine import Action, Backoff, Runner, RunRequest
from luckyctl.engine.events import (
    StepFinished,
    StepRetrying,
    StoryGate,
    TaskStarted,
    WaveStarted,
)
from luckyctl.engine.leases import Heartbeat, Holder, LivenessCheck, pid_alive, reap
from luckyctl.engine.people import approve, reset, sign_off
from luckyctl.errors import InputError, StepError
from luckyctl.model import Step, StepStatus, Strategy, TaskState
from luckyctl.steps.base import StepContext, StepOutcome
from luckyctl.store import Store

Script = Callable[[StepContext], StepOutcome]


def named(name: str, **common: Any) -> dict[str, Any]:
    """A step the scripted step function plays by name."""
    return {"name": name, "run": {"argv": ["true"]}, **common}


def passed(summary: str = "ok") -> StepOutcome:
    return StepOutcome(StepStatus.PASSED, summary)


class Scripted:
    """The step function: plays each step by its name; counts calls; keeps the contexts it got."""

    def __init__(self, **scripts: Script) -> None:
        self.scripts = scripts
        self.calls: list[str] = []
        self.contexts: list[StepContext] = []

    def __call__(self, step: Step, ctx: StepContext) -> StepOutcome:
        self.calls.append(f"{ctx.task_id}:{step.name}")
        self.contexts.append(ctx)
        script = self.scripts.get(step.name or "", lambda ctx: passed())
        return script(ctx)


def flaky(failures: int) -> Script:
    left = [failures]

    def play(ctx: StepContext) -> StepOutcome:
        if left[0]:
            left[0] -= 1
            return StepOutcome(StepStatus.ERROR, "connection refused")
        return passed()

    return play


# ------------------------------------------------------------------ retries, timeouts, faults


def test_a_flaky_step_is_retried_with_growing_jittered_backoff(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A", steps=[named("flaky", retries=3)])))
    slept: list[float] = []
    steps = Scripted(flaky=flaky(2))
    runner, sink = project.runner(step_runner=steps, sleep=slept.append, backoff=Backoff(jitter=lambda: 1.0))
    result = runner.execute(RunRequest("P"))
    assert result.exit_code == 0
    assert steps.calls == ["A:flaky"] * 3
    assert slept == [0.5, 1.0]
    assert [event.attempt for event in sink.of(StepRetrying)] == [1, 2]
    rows = runner.store.evidence(["A"])
    assert [(row["attempt"], row["status"]) for row in rows] == [(1, "error"), (2, "error"), (3, "passed")]


def test_backoff_is_capped_and_jittered() -> None:
    low, high = Backoff(jitter=lambda: 0.0), Backoff(jitter=lambda: 1.0)
    assert low.delay(1) == 0.25 and high.delay(1) == 0.5
    assert low.delay(3) == 1.0 and high.delay(3) == 2.0
    assert low.delay(20) == 15.0 and high.delay(20) == 30.0


def test_retries_run_out_and_the_task_fails_with_the_last_reason(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A", steps=[named("down")], retries=1), task("B", "A")))
    runner, _ = project.runner(step_runner=Scripted(down=flaky(5)), sleep=lambda _: None)
    result = runner.execute(RunRequest("P"))
    assert result.exit_code == 1
    assert result.outcomes["A"].reason == "step 1 (down): connection refused"
    assert result.outcomes["B"].state is TaskState.BLOCKED
    assert len(runner.store.evidence(["A"])) == 2


def test_each_step_gets_its_own_timeout_or_the_tasks(tmp_path: Path) -> None:
    project = Project(
        tmp_path, one_story(task("A", steps=[named("own", timeout="5s"), named("default")], checks=[named("check")], timeout="42s"))
    )
    steps = Scripted()
    network = object()  # what a test would pass as an httpx transport
    runner, _ = project.runner(step_runner=steps, transport=network)
    assert runner.execute(RunRequest("P")).exit_code == 0
    assert [ctx.timeout for ctx in steps.contexts] == [5.0, 42.0, 42.0]
    assert all(ctx.transport is network and ctx.workdir == tmp_path for ctx in steps.contexts)
    assert [row["phase"] for row in runner.store.evidence(["A"])] == ["step", "step", "check"]


def test_a_bad_spec_or_a_crashing_step_fails_the_task_without_retries(tmp_path: Path) -> None:
    def bad_spec(ctx: StepContext) -> StepOutcome:
        raise StepError("no runner for that")

    def crash(ctx: StepContext) -> StepOutcome:
        raise ZeroDivisionError("oops")

    project = Project(
        tmp_path, one_story(task("BAD", steps=[named("bad")], retries=3), task("CRASH", steps=[named("crash")], retries=3))
    )
    steps = Scripted(bad=bad_spec, crash=crash)
    runner, _ = project.runner(step_runner=steps, sleep=lambda _: pytest.fail("no retry expected"))
    result = runner.execute(RunRequest("P", strategy=Strategy.AGILE))
    assert result.outcomes["BAD"].reason == "step 1 (bad): no runner for that"
    assert result.outcomes["CRASH"].reason == "step 1 (crash): the step crashed: ZeroDivisionError: oops"
    assert len(steps.calls) == 2


def test_saved_values_pass_from_step_to_step_within_a_task_only(tmp_path: Path) -> None:
    def login(ctx: StepContext) -> StepOutcome:
        return StepOutcome(StepStatus.PASSED, "logged in", saved={"token": "t-123"})

    def use(ctx: StepContext) -> StepOutcome:
        return passed(ctx.resolve("Bearer ${saved:token}"))

    use_step = {"name": "use", "run": {"argv": ["echo", "${saved:token}"]}}
    project = Project(tmp_path, one_story(task("A", steps=[named("login", save={"token": "token"}), use_step]), task("B", steps=[use_step])))
    runner, sink = project.runner(step_runner=Scripted(login=login, use=use))
    with pytest.raises(InputError, match="task B: .*saved:token"):
        runner.execute(RunRequest("P"))
    result = runner.execute(RunRequest("A"))
    assert result.exit_code == 0
    assert [event.summary for event in sink.of(StepFinished)] == ["logged in", "Bearer t-123"]


# ------------------------------------------------------------------ cancellation


def _cancel_once(started: threading.Event, runner: Runner, reason: str) -> None:
    """Cancel the run from another thread as soon as its step has started."""

    def cancel() -> None:
        if started.wait(5):
            runner.cancel(reason)

    threading.Thread(target=cancel, daemon=True).start()


def test_cancel_stops_running_steps_and_marks_them_interrupted(tmp_path: Path) -> None:
    started = threading.Event()

    def hang(ctx: StepContext) -> StepOutcome:
        started.set()
        ctx.cancel.wait(10)
        return StepOutcome(StepStatus.ERROR, "cancelled")

    project = Project(tmp_path, one_story(task("SLOW", steps=[named("hang")]), task("NEXT", "SLOW")))
    runner, _ = project.runner(step_runner=Scripted(hang=hang))
    _cancel_once(started, runner, "test stop")
    result = runner.execute(RunRequest("P"))
    assert result.exit_code == 130 and result.interrupted and not result.stranded
    assert result.outcomes["SLOW"].state is TaskState.INTERRUPTED
    assert result.not_started == ["NEXT"] and "test stop" in result.problems()["NEXT"]
    record = runner.store.task("SLOW")
    assert record is not None and record.state is TaskState.INTERRUPTED and record.lease_run is None
    assert runner.store.runs()[-1]["status"] == "interrupted"


def test_a_step_that_ignores_cancel_is_cut_after_the_grace_period(tmp_path: Path) -> None:
    started, release = threading.Event(), threading.Event()

    def stubborn(ctx: StepContext) -> StepOutcome:
        started.set()
        release.wait(10)
        return passed()

    project = Project(tmp_path, one_story(task("STUBBORN", steps=[named("stubborn")])))
    runner, sink = project.runner(step_runner=Scripted(stubborn=stubborn), grace_s=0.1)
    _cancel_once(started, runner, "interrupted")
    result = runner.execute(RunRequest("P"))
    assert result.stranded and result.exit_code == 130
    assert result.outcomes["STUBBORN"].reason == "interrupted: the run was stopped"
    assert runner.store.task("STUBBORN").state is TaskState.INTERRUPTED  # type: ignore[union-attr]
    release.set()
    time.sleep(0.2)  # the worker ends; its late result must not overwrite the interrupted state
    assert runner.store.task("STUBBORN").state is TaskState.INTERRUPTED  # type: ignore[union-attr]
    assert any(event.name == "cancelling" for event in sink.events)


def test_a_failing_store_write_ends_the_run_with_the_error_and_no_lease_left(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A")))
    runner, _ = project.runner(step_runner=Scripted())

    def broken(**_: Any) -> None:
        raise OSError("disk full")

    runner.evidence_log.record = broken  # type: ignore[method-assign, assignment]
    with pytest.raises(OSError, match="disk full"):
        runner.execute(RunRequest("P"))
    assert runner.store.leased() == []
    assert runner.store.runs()[-1]["status"] == "error"


# ------------------------------------------------------------------ decisions


def test_up_to_date_tasks_are_skipped_unless_forced_changed_or_stale(tmp_path: Path) -> None:
    document = one_story(task("A", steps=[named("a")]), task("B", steps=[named("b")], evidence={"max_age": "1h"}))
    project = Project(tmp_path, document)
    runner, _ = project.runner(step_runner=Scripted())
    assert runner.execute(RunRequest("P")).exit_code == 0
    again = runner.execute(RunRequest("P"))
    assert {outcome.state for outcome in again.outcomes.values()} == {TaskState.SKIPPED}

    old = (dt.datetime.now(dt.UTC) - dt.timedelta(hours=2)).isoformat()
    runner.store.set_state("B", TaskState.SUCCEEDED, last_evidence_at=old)
    project.write(one_story(task("A", steps=[named("a2")]), task("B", steps=[named("b")], evidence={"max_age": "1h"})))
    runner, _ = project.runner(step_runner=Scripted(), store=runner.store)
    planned = {row.task_id: row for row in runner.plan_run(RunRequest("P")).tasks}
    assert planned["A"].reason == "its spec changed since it succeeded"
    assert planned["B"].reason.startswith("its evidence is 2h00m old (max 1h00m)")
    forced = runner.plan_run(RunRequest("P", force=True))
    assert [row.reason for row in forced.tasks if row.task_id == "A"] == ["its spec changed since it succeeded"]
    assert runner.execute(RunRequest("P")).exit_code == 0
    assert runner.plan_run(RunRequest("P", force=True)).tasks[0].reason == "--force"


def test_with_deps_pulls_in_unfinished_dependencies_and_assignee_filters(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B", "A"), task("C", "B")))
    runner, _ = project.runner(step_runner=Scripted())
    blocked = runner.plan_run(RunRequest("C"))
    assert blocked.tasks[0].action is Action.BLOCK and "pass --with-deps" in blocked.tasks[0].reason
    pulled = runner.plan_run(RunRequest("C", with_deps=True))
    assert pulled.order == ["A", "B", "C"] and pulled.pulled_in == ["A", "B"]

    with pytest.raises(InputError, match="assigned to be-1"):
        runner.plan_run(RunRequest("P", assignee="be-1"))
    runner.store.assign([{"task_id": "B", "assignee": "be-1", "role": "dev"}], assigned_by="lead")
    mine = runner.execute(RunRequest("P", assignee="be-1", with_deps=True))
    assert list(mine.outcomes) == ["A", "B"]


def test_an_unknown_variable_is_an_input_error_at_its_line_before_anything_runs(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B", steps=[{"run": {"argv": ["echo", "${nowhere}"]}}])))
    runner, _ = project.runner(step_runner=Scripted())
    with pytest.raises(InputError) as caught:
        runner.execute(RunRequest("P"))
    assert "roadmap.yaml:" in str(caught.value) and "${nowhere}" in str(caught.value)
    assert runner.store.runs() == [] and runner.store.tasks() == {}
    with pytest.raises(InputError, match="--parallel"):
        runner.plan_run(RunRequest("A", parallel=0))


def test_systematic_reports_story_gates_and_wave_mode_announces_waves(tmp_path: Path) -> None:
    document = roadmap(epic("E1", story("S1", task("A"), task("B", "A")), story("S2", task("C", "A"))))
    project = Project(tmp_path, document)
    runner, sink = project.runner(step_runner=Scripted())
    assert runner.execute(RunRequest("P", wave_mode=True)).exit_code == 0
    assert [(gate.story_id, gate.passed) for gate in sink.of(StoryGate)] == [("S1", True), ("S2", True)]
    assert [wave.tasks for wave in sink.of(WaveStarted)] == [["A"], ["B", "C"]]


def test_the_enterprise_risk_gate_holds_an_epic_until_earlier_mitigations_are_done(tmp_path: Path) -> None:
    risk = {"id": "R1", "title": "API key exposure", "impact": "high", "probability": "low", "mitigated_by": ["SEC.1"]}
    low = {"id": "R2", "title": "minor", "impact": "low", "probability": "low", "mitigated_by": ["SEC.1"]}
    document = roadmap(
        epic("SEC", story("SEC.1", task("KEYS", steps=[named("keys")]))),
        epic("APP", story("APP.1", task("DEPLOY"))),
        risks=[risk, low],
    )
    project = Project(tmp_path, document)
    runner, _ = project.runner(step_runner=Scripted(keys=lambda ctx: StepOutcome(StepStatus.FAILED, "no")))
    result = runner.execute(RunRequest("P", strategy=Strategy.ENTERPRISE, continue_on_failure=True))
    assert result.outcomes["DEPLOY"].state is TaskState.BLOCKED
    assert result.outcomes["DEPLOY"].reason == (
        "risk gate: high risk R1 (API key exposure) is not mitigated before APP: KEYS is failed"
    )
    agile = runner.plan_run(RunRequest("APP", strategy=Strategy.AGILE))
    assert agile.tasks[0].action is Action.RUN  # only enterprise has the gate
    audit = {row["action"] for row in runner.store.audit_log()}
    assert audit == {"decide", "outcome"}


def test_protected_enterprise_plans_need_approval_for_every_mutating_task(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("CHANGE"), task("LOOK", steps=[], checks=[named("look")])), plan={"protected": True})
    runner, _ = project.runner(step_runner=Scripted())
    # Nothing that changes things would run yet (it waits for approval), so --yes is not needed yet.
    result = runner.execute(RunRequest("P", strategy=Strategy.ENTERPRISE))
    assert result.outcomes["CHANGE"].state is TaskState.WAITING
    assert "it changes things under a protected plan" in (result.outcomes["CHANGE"].reason or "")
    assert result.outcomes["LOOK"].state is TaskState.SUCCEEDED
    approve(roadmap=runner.roadmap, plan=runner.plan, store=runner.store, evidence_log=runner.evidence_log, task_id="CHANGE", by="cab")
    assert runner.store.task("CHANGE").state is TaskState.PENDING  # type: ignore[union-attr]
    with pytest.raises(InputError, match="CHANGE.*--yes"):
        runner.execute(RunRequest("P", strategy=Strategy.ENTERPRISE))
    assert runner.execute(RunRequest("P", strategy=Strategy.ENTERPRISE, yes=True)).exit_code == 0
    # The approval was used up: a forced run asks again.
    forced = runner.plan_run(RunRequest("CHANGE", strategy=Strategy.ENTERPRISE, force=True))
    assert forced.tasks[0].action is Action.WAIT


def test_a_manual_step_in_the_middle_waits_then_the_next_run_goes_on(tmp_path: Path) -> None:
    steps = [named("before"), {"manual": {"instruction": "Flip the DNS switch\nthen watch"}}, named("after")]
    project = Project(tmp_path, one_story(task("DNS", steps=steps)))
    calls = Scripted()

    def play(step: Step, ctx: StepContext) -> StepOutcome:
        if step.manual is not None:
            return StepOutcome(StepStatus.WAITING, f"waiting for sign-off: {step.manual.instruction.splitlines()[0]}")
        return calls(step, ctx)

    runner, _ = project.runner(step_runner=play)
    first = runner.execute(RunRequest("P"))
    assert first.outcomes["DNS"].state is TaskState.WAITING
    assert first.outcomes["DNS"].reason == "waiting for sign-off: Flip the DNS switch"
    assert calls.calls == ["DNS:before"]
    assert runner.plan_run(RunRequest("P")).tasks[0].action is Action.WAIT

    signed = sign_off(roadmap=runner.roadmap, plan=runner.plan, store=runner.store, evidence_log=runner.evidence_log, task_id="DNS", by="ops-1")
    assert signed.state is None and "next execute" in signed.message  # steps follow the manual one
    second = runner.execute(RunRequest("P"))
    assert second.exit_code == 0
    assert calls.calls == ["DNS:before", "DNS:before", "DNS:after"]
    summaries = [row["summary"] for row in runner.store.evidence(["DNS"]) if row["kind"] == "manual" and row["phase"] == "step"]
    assert summaries[-1].startswith("signed off by ops-1 at ")


def test_a_signoff_brings_the_attachments_its_manual_step_requires(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("PHOTO", steps=[{"manual": {"instruction": "photo", "attachments_required": 1}}])))
    runner, _ = project.runner()
    with pytest.raises(InputError, match="needs 1 attachment"):
        sign_off(roadmap=runner.roadmap, plan=runner.plan, store=runner.store, evidence_log=runner.evidence_log, task_id="PHOTO", by="x")
    assert runner.store.evidence() == []


# ------------------------------------------------------------------ leases and people


def test_a_lease_whose_process_died_is_reaped_and_the_task_runs_again(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B")))
    runner, sink = project.runner(step_runner=Scripted())
    gone = subprocess.Popen(["true"])
    gone.wait()
    assert not pid_alive(gone.pid)
    lease = runner.store.acquire_lease("A", "dead-run", gone.pid, Holder.current("x").host)
    assert lease is not None
    runner.store.begin_run("dead-run", plan="sandbox", selector="P", strategy="systematic", pid=gone.pid, host=Holder.current("x").host)
    result = runner.execute(RunRequest("P"))
    assert result.exit_code == 0
    started = {event.task_id: event.reason for event in sink.of(TaskStarted)}
    assert started["A"] == "was interrupted (interrupted: the process running it stopped)"
    statuses = {run["id"]: run["status"] for run in runner.store.runs()}
    assert statuses["dead-run"] == "interrupted"


def test_liveness_by_pid_on_this_host_and_by_heartbeat_elsewhere(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "db")
    me = Holder.current("mine")
    check = LivenessCheck(me, expiry_s=30)
    assert store.acquire_lease("OTHER_HOST", "r1", 1, "another-machine") is not None
    assert store.acquire_lease("ME", "mine", me.pid, me.host) is not None
    assert store.acquire_lease("OLD_ME", "crashed", me.pid, me.host) is not None  # our pid, another run: reused
    assert store.acquire_lease("LIVE", "r2", 1, me.host) is not None  # pid 1 is always alive
    records = store.tasks()
    assert not check.lease_is_stale(records["OTHER_HOST"])  # fresh heartbeat
    assert not check.lease_is_stale(records["ME"])
    assert check.lease_is_stale(records["OLD_ME"])
    assert not check.lease_is_stale(records["LIVE"])
    expired = (dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5)).isoformat()
    store.db.execute("UPDATE task_state SET heartbeat_at = ? WHERE task_id = 'OTHER_HOST'", [expired])
    assert sorted(reap(store, check)) == ["OLD_ME", "OTHER_HOST"]
    assert store.task("OTHER_HOST").state is TaskState.INTERRUPTED  # type: ignore[union-attr]
    with Heartbeat(store, "r2", interval_s=0.01):
        time.sleep(0.1)
    assert store.task("LIVE").heartbeat_at > records["LIVE"].heartbeat_at  # type: ignore[operator, union-attr]


def test_reset_forgets_state_but_keeps_history_and_refuses_live_leases(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B")))
    runner, _ = project.runner(step_runner=Scripted())
    runner.execute(RunRequest("P"))
    evidence = len(runner.store.evidence())
    done = reset(store=runner.store, task_ids=["A", "NEVER"], actor="me")
    assert done.task_ids == ["A"] and runner.store.task("A") is None
    assert len(runner.store.evidence()) == evidence and runner.store.task_runs("A")
    assert runner.store.acquire_lease("B", "live-run", 1, Holder.current("x").host) is not None
    with pytest.raises(InputError, match="B is running in run live-run"):
        reset(store=runner.store, task_ids=["B"])
    assert runner.store.task("B") is not None


def test_a_dependency_outside_the_selection_held_by_a_live_run_is_waited_for(tmp_path: Path) -> None:
    project = Project(tmp_path, one_story(task("A"), task("B", "A")))
    runner, _ = project.runner(step_runner=Scripted())
    lease = runner.store.acquire_lease("A", "other-run", 1, Holder.current("x").host)  # pid 1 never dies
    assert lease is not None
    held = runner.plan_run(RunRequest("B")).tasks[0]
    assert held.action is Action.HELD and held.reason.startswith("waits for A (outside the selection), running in run other-run")
    assert runner.plan_run(RunRequest("P")).tasks[0].action is Action.HELD
    # The other run fails A: this run, waiting on it, takes that result instead of running A again.
    threading.Timer(0.3, lambda: runner.store.release_lease(lease, TaskState.FAILED, reason="boom")).start()
    result = runner.execute(RunRequest("P", strategy=Strategy.AGILE))
    assert result.outcomes["A"].state is TaskState.FAILED and result.outcomes["A"].reason == "failed in run other-run: boom"
    assert result.outcomes["B"].state is TaskState.BLOCKED
