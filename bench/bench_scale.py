"""Scale: a generated 10,000-task roadmap, and analytics over 100,000 evidence rows.

The roadmap is a folder (``project.yaml`` + one file per epic: 10 epics × 10
stories × 100 tasks); each task depends on up to three random earlier tasks
(so the graph is acyclic), has an owner, an estimate and one ``run`` step and
one ``file`` check. The evidence store is filled through the store's and the
evidence log's own APIs, as runs would: a lease per task attempt, ten evidence
rows per task on average (steps and checks, retries, a few failures) in the
hash chain, the end state with the lease released.

Bars (DESIGN §11): ``roadmap check`` < 2 s, ``task plan`` < 3 s, ``task
status`` < 1 s, ``task analytics`` over 100,000 evidence rows < 2 s. Each
command is a cold process; the median of --runs is shown with the peak memory
of the process (GNU time). A *cold cache* run empties luckyctl's roadmap cache
first (the first command after an edit), a *warm cache* run does not.

    .venv/bin/python bench/bench_scale.py [--tasks 10000] [--rows 100000] [--runs 3]
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import yaml
from common import Sample, child_env, compile_bytecode, machine, measured, tool, versions

PROJECT = "SCALE"
EPICS = 10
STORIES = 10
SEED = 20261207
BARS = {"roadmap check": 2.0, "task plan": 3.0, "task status": 1.0, "task analytics": 2.0}


def task_ids(count: int) -> list[str]:
    per_story = max(1, count // (EPICS * STORIES))
    ids = []
    for index in range(count):
        epic, rest = divmod(index, STORIES * per_story)
        story, task = divmod(rest, per_story)
        ids.append(f"E{epic:02d}.S{story:02d}.T{task:03d}")
    return ids


def write_roadmap(root: Path, count: int) -> list[str]:
    """The roadmap folder and a sandbox plan; the task ids in roadmap order."""
    rng = random.Random(SEED)
    ids = task_ids(count)
    epics: dict[str, dict[str, dict[str, Any]]] = {}
    for index, task_id in enumerate(ids):
        epic_id, story_id = task_id.split(".")[0], ".".join(task_id.split(".")[:2])
        # Mostly near predecessors (long chains, a deep graph), sometimes far ones (wide joins).
        window = rng.choice((20, 200, index or 1))
        deps = sorted({ids[rng.randrange(max(0, index - window), index)] for _ in range(rng.randint(0, 3))}) if index else []
        task = {
            "id": task_id,
            "title": f"Task {task_id}: configure component {index} for the release",
            "owner": rng.choice(("backend", "frontend", "devops", "security")),
            "estimate": rng.choice(("1h", "2h", "4h", "1d", "2d")),
            "depends_on": deps,
            "steps": [{"run": {"argv": ["true"]}}],
            "checks": [{"file": {"path": "roadmap/project.yaml"}}],
        }
        epics.setdefault(epic_id, {}).setdefault(story_id, {"id": story_id, "title": f"Story {story_id}", "tasks": []})
        epics[epic_id][story_id]["tasks"].append(task)
    folder = root / "roadmap"
    (folder / "epics").mkdir(parents=True)
    project = {
        "project": {
            "id": PROJECT,
            "name": "Scale test",
            "start": "2026-12-07",
            "roles": {name: {"title": name.title()} for name in ("backend", "frontend", "devops", "security")},
        },
        "risks": [
            {"id": f"R{n}", "title": f"Risk {n}", "impact": "high", "probability": "low", "mitigated_by": [ids[n * 97]]}
            for n in range(1, 6)
        ],
        "kpis": [{"id": "p95", "title": "p95", "target": {"op": "<", "value": 200}, "source": {"task": ids[-1], "metric": "p95_ms"}}],
    }
    (folder / "project.yaml").write_text(yaml.safe_dump(project, sort_keys=False))
    days_per_epic = 3
    for number, (epic_id, stories) in enumerate(epics.items()):
        epic = {
            "id": epic_id,
            "title": f"Epic {epic_id}",
            "days": [1 + number * days_per_epic, (number + 1) * days_per_epic],
            "stories": list(stories.values()),
        }
        (folder / "epics" / f"{epic_id.lower()}.yaml").write_text(yaml.safe_dump(epic, sort_keys=False, width=200))
    (root / "plans").mkdir()
    (root / "plans" / "sandbox.yaml").write_text(
        "name: sandbox\nteam: {backend: [be-1, be-2], frontend: [fe-1], devops: [ops-1], security: [sec-1]}\n"
    )
    return ids


def fill_store(root: Path, ids: list[str], rows: int) -> int:
    """Runs over the roadmap recorded through the store and evidence APIs; the number of evidence rows."""
    from luckyctl.enums import StepStatus, TaskState
    from luckyctl.evidence import ArtifactStore, EvidenceLog, Redactor
    from luckyctl.steps.base import StepOutcome
    from luckyctl.store import Store, utc_now

    rng = random.Random(SEED + 1)
    home = root / "evidence" / "sandbox"
    store = Store.open(home / "luckyctl.db")
    log = EvidenceLog(store, ArtifactStore(home / "artifacts"), Redactor({"token": "s3cr3t-t0ken-value"}))
    per_task = rows // len(ids)
    extra = rows - per_task * len(ids)
    written = 0
    for number, task_id in enumerate(ids):
        run_id = f"run-{number // 500:03d}"
        wanted = per_task + (1 if number < extra else 0)
        attempt = 0
        while wanted > 0:
            lease = store.acquire_lease(task_id, run_id, 1, "bench-host", spec_hash="spec")
            assert lease is not None
            attempt += 1
            failing = wanted > 2 and rng.random() < 0.1  # one attempt in ten fails and is tried again
            for index in range(min(wanted, 2 if failing else wanted)):
                status = StepStatus.FAILED if failing and index == 1 else StepStatus.PASSED
                latency = round(rng.uniform(5, 400), 1)
                outcome = StepOutcome(
                    status,
                    f"exit code {0 if status is StepStatus.PASSED else 1} in {latency / 1000:g}s",
                    inputs={"argv": ["true"]},
                    outputs={"exit_code": 0, "stdout_tail": ""},
                    metrics={"duration_s": latency / 1000, "p95_ms": latency},
                )
                log.record(
                    run_id=run_id, task_id=task_id, attempt=attempt, phase="step" if index == 0 else "check",
                    step_index=0, kind="run", name="run", outcome=outcome, started_at=utc_now(), ended_at=utc_now(),
                    spec_hash="spec",
                )  # fmt: skip
                written += 1
                wanted -= 1
            state = TaskState.FAILED if failing else rng.choice((TaskState.SUCCEEDED,) * 8 + (TaskState.FAILED,))
            store.release_lease(lease, state, reason=None if state is TaskState.SUCCEEDED else "exit code 1",
                                duration_s=rng.uniform(0.01, 2.0), last_evidence_at=utc_now())  # fmt: skip
    store.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        started = time.perf_counter()
        ids = write_roadmap(root, args.tasks)
        generated = time.perf_counter() - started
        cache = root / "cache"
        env = child_env(XDG_CACHE_HOME=str(cache))
        base = [tool("luckyctl"), "--roadmap", "roadmap", "--plan", "sandbox"]
        commands = {
            "roadmap check": [*base, "--quiet", "roadmap", "check"],
            "task plan": [*base, "task", "plan", PROJECT],
            "task status": [*base, "task", "status", "--all-epics"],
        }
        results: dict[str, dict[str, list[Sample]]] = {}

        def run_all(names: dict[str, list[str]]) -> None:
            for name, command in names.items():
                for label, clear in (("cold cache", True), ("warm cache", False)):
                    samples = results.setdefault(name, {}).setdefault(label, [])
                    measured(command, root, env)  # warms the file cache (and luckyctl's, for the warm runs)
                    for _ in range(args.runs):
                        if clear:
                            shutil.rmtree(cache, ignore_errors=True)
                        samples.append(measured(command, root, env))

        run_all(commands)  # no store yet: what a first look at a new roadmap costs
        started = time.perf_counter()
        written = fill_store(root, ids, args.rows)
        filled = time.perf_counter() - started
        run_all({
            "task status (store filled)": commands["task status"],
            "task analytics": [*base, "task", "analytics", "--project", PROJECT, "--as-of", "2026-12-20"],
        })  # fmt: skip
    print(f"machine: {machine()}")
    print(f"versions: {versions('luckyctl', 'typer', 'pydantic', 'networkx', 'PyYAML')}")
    print(f"{len(ids)} tasks in {EPICS} epic files (written in {generated:.1f}s); "
          f"{written} evidence rows filled through the APIs in {filled:.1f}s; median of {args.runs} cold processes")  # fmt: skip
    for name, by_cache in results.items():
        bar = BARS.get(name.split(" (")[0])
        for label, samples in by_cache.items():
            median = statistics.median(sample.seconds for sample in samples)
            peak = max(sample.max_rss_mb for sample in samples)
            verdict = f"bar < {bar:g}s: {'met' if median < bar else 'MISSED'}" if bar else ""
            print(f"{name:28} {label:10} {median:7.3f}s  peak {peak:6.0f} MB  {verdict}")


if __name__ == "__main__":
    main()
