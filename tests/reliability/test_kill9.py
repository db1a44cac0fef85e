"""kill -9 at random moments of ``task execute --strategy agile --parallel 4`` (DESIGN §11).

The quick part (in ``make test``) kills a generated roadmap of run + http
steps at 3 points; the long part (``make reliability``) kills the Lucky Gas
roadmap on a sandbox of its own at 20 points, and the generated roadmap at 20
more. Each point is one test: its delay is drawn from a seeded generator
(``RELIABILITY_SEED``), as a share of a clean run's duration.
"""

from __future__ import annotations

import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from engine_roadmaps import SIDE_EFFECTS, Project
from helpers.http_server import LocalHttpServer
from kill_campaign import Committed, ResumedRunFailed, Target, campaign_point, rng_for
from projects import SandboxProject, generated_project, http_effects

AGILE = ("--strategy", "agile", "--parallel", "4")
# Known gaps outside the engine: a task of the roadmap whose failure after a resume is explained
# (the failed task, what its summary says, why). A point that meets one is an expected failure, and the
# sandbox starts afresh so that the next point does not inherit the state it left.
KNOWN_GAPS = [
    (
        "GO-LIVE.2.5", "step 1 (the revision serving now)",
        "GO-LIVE.2.5 (gradual traffic migration) cannot run again once cut in the middle: its first step wants "
        "one revision serving 100 % (and saves it as the one to go back to) while the cut left the traffic split",
    ),
]  # fmt: skip
QUICK_POINTS = 3
LONG_POINTS = 20


# ---------------------------------------------------------------- the generated roadmap


def _generated_target(project: Project, server: LocalHttpServer) -> Target:
    def reset() -> None:
        shutil.rmtree(project.root / "evidence", ignore_errors=True)
        (project.root / SIDE_EFFECTS).unlink(missing_ok=True)
        server.requests.clear()

    return Target(project.popen, project.cli, project.db_path, ("task", "execute", "P", *AGILE), 0, reset)


@pytest.fixture(scope="module")
def generated_duration(tmp_path_factory: pytest.TempPathFactory) -> float:
    """Seconds a clean run of the generated roadmap takes here (the kill points are shares of it)."""
    with LocalHttpServer() as server:
        project = generated_project(tmp_path_factory.mktemp("baseline"), server)
        started = time.monotonic()
        done = project.cli("task", "execute", "P", *AGILE)
        assert done.returncode == 0, done.stdout + done.stderr
        return time.monotonic() - started


def _generated_point(tmp_path: Path, duration: float, rng_name: str) -> None:
    delay = rng_for(rng_name).uniform(0.05, 0.9) * duration
    with LocalHttpServer() as server:
        project = generated_project(tmp_path, server)
        result = campaign_point(_generated_target(project, server), delay)
        files, posts = _counts(project), http_effects(server)
    every = set(result.resumed.states)
    assert result.resumed.states == dict.fromkeys(every, "succeeded") and len(every) == 24
    for task_id in every:
        assert files[task_id] >= 1 and posts[task_id] >= 1, f"{task_id} never ran"
    for task_id in result.after_kill.succeeded:  # side effects outside luckyctl: exactly once
        assert (files[task_id], posts[task_id]) == (1, 1), f"{task_id} had succeeded before the kill and ran again"


def _counts(project: Project) -> dict[str, int]:
    counted: dict[str, int] = {}
    for task_id in project.side_effects():
        counted[task_id] = counted.get(task_id, 0) + 1
    return counted


@pytest.mark.parametrize("point", range(QUICK_POINTS), ids=lambda point: f"point-{point}")
def test_kill_9_of_a_generated_run_loses_nothing_and_resumes(tmp_path: Path, generated_duration: float, point: int) -> None:
    _generated_point(tmp_path, generated_duration, f"generated-{point}")


@pytest.mark.reliability
@pytest.mark.parametrize("point", range(QUICK_POINTS, QUICK_POINTS + LONG_POINTS), ids=lambda point: f"point-{point}")
def test_kill_9_campaign_on_the_generated_roadmap(tmp_path: Path, generated_duration: float, point: int) -> None:
    _generated_point(tmp_path, generated_duration, f"generated-{point}")


# ---------------------------------------------------------------- the Lucky Gas roadmap on the sandbox


@pytest.fixture(scope="module")
def lucky_gas() -> Iterator[tuple[SandboxProject, dict[str, str], float]]:
    """The roadmap on a sandbox of its own, with the states and the duration of a clean run."""
    project = SandboxProject()
    try:
        project.up()
        started = time.monotonic()
        clean = project.cli("task", "execute", "PROD-DEPLOY-001", *AGILE, home="baseline")
        duration = time.monotonic() - started
        assert clean.returncode == 3, clean.stdout[-3000:] + clean.stderr[-3000:]  # people must sign off
        yield project, Committed.read(project.db_path("baseline")).states, duration
    finally:
        project.down()
        project.remove()


def _sandbox_target(project: SandboxProject, home: str) -> Target:
    def start(*args: str) -> subprocess.Popen[str]:
        return project.popen(*args, home=home)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return project.cli(*args, home=home)

    return Target(
        start, cli, project.db_path(home), ("task", "execute", "PROD-DEPLOY-001", *AGILE), 3,
        lambda: shutil.rmtree(project.root / home, ignore_errors=True),
    )  # fmt: skip


@pytest.mark.reliability
@pytest.mark.parametrize("point", range(LONG_POINTS), ids=lambda point: f"point-{point}")
def test_kill_9_campaign_on_the_lucky_gas_roadmap(lucky_gas: tuple[SandboxProject, dict[str, str], float], point: int) -> None:
    project, clean_states, duration = lucky_gas
    delay = rng_for(f"lucky-gas-{point}").uniform(0.05, 0.9) * duration
    try:
        result = campaign_point(_sandbox_target(project, f"evidence-{point}"), delay)
    except ResumedRunFailed as failure:
        failed = [line for line in failure.output.splitlines() if "✗ failed" in line]
        for task_id, summary, reason in KNOWN_GAPS:
            if failed and all(task_id in line and summary in line for line in failed):
                project.start_afresh()
                pytest.xfail(reason)
        raise
    assert result.resumed.states == clean_states  # the resumed run ends where a clean run ends
