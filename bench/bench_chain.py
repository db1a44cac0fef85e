"""Per-task overhead on a chain of N ``run: {argv: [true]}`` tasks, evidence included, vs doit on the same chain.

Both tools run as cold processes with a fresh state (no evidence store, no
.doit.db), so every task really runs. The per-task overhead is the slope
between a chain of N tasks and a chain of 1: (T(N) - T(1)) / (N - 1), which
removes each tool's start-up time; the totals are shown too. A last line
runs the same chain in-process with a step function that does nothing, to
show the engine's own per-task cost (decisions, leases, evidence rows and
their hash chain) apart from the cost of starting a process.

    .venv/bin/python bench/bench_chain.py [--tasks 300] [--runs 5]
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from common import compile_bytecode, luckyctl_env, machine, median_of, timed, tool, versions, write_roadmap


def chain(count: int) -> list[tuple[str, list[str]]]:
    return [(f"C{index}", [f"C{index - 1}"] if index else []) for index in range(count)]


def prepare(root: Path, count: int) -> None:
    write_roadmap(
        root,
        [
            {"id": name, "title": name, "owner": "dev", "estimate": "1h", "depends_on": deps,
             "steps": [{"run": {"argv": ["true"]}}]}
            for name, deps in chain(count)
        ],
    )
    lines = ["def task_chain():"]
    for name, deps in chain(count):
        lines.append(f"    yield {{'name': {name!r}, 'actions': [['true']], 'task_dep': {[f'chain:{dep}' for dep in deps]!r}}}")
    (root / "dodo.py").write_text("\n".join(lines) + "\n")


def luckyctl_once(root: Path) -> float:
    shutil.rmtree(root / "evidence", ignore_errors=True)
    return timed([tool("luckyctl"), "--quiet", "task", "execute", "BENCH"], root, luckyctl_env())


def doit_once(root: Path) -> float:
    for leftover in root.glob(".doit.db*"):
        leftover.unlink()
    return timed([tool("doit"), "-f", "dodo.py"], root)


def engine_only(root: Path, count: int) -> float:
    """Seconds per task of an in-process run whose steps do nothing (evidence still recorded)."""
    from luckyctl.engine import Runner, RunRequest
    from luckyctl.evidence import ArtifactStore, EvidenceLog, Redactor
    from luckyctl.loader import load_plan, load_roadmap
    from luckyctl.model import StepStatus
    from luckyctl.steps.base import StepOutcome
    from luckyctl.store import Store

    shutil.rmtree(root / "evidence", ignore_errors=True)
    store = Store.open(root / "evidence" / "sandbox" / "luckyctl.db")
    redactor = Redactor()
    runner = Runner(
        roadmap=load_roadmap(root / "roadmap.yaml"),
        plan=load_plan(str(root / "plans" / "sandbox.yaml"), roadmap_path=root / "roadmap.yaml"),
        store=store,
        evidence_log=EvidenceLog(store, ArtifactStore(root / "evidence" / "sandbox" / "artifacts"), redactor),
        redactor=redactor,
        step_runner=lambda step, ctx: StepOutcome(StepStatus.PASSED, "nothing done", outputs={"exit_code": 0}),
        workdir=root,
    )
    started = time.perf_counter()
    result = runner.execute(RunRequest("BENCH"))
    elapsed = time.perf_counter() - started
    store.close()
    assert result.exit_code == 0
    return elapsed / count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=300)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compile_bytecode()
    results: dict[str, dict[int, float]] = {"luckyctl": {}, "doit": {}}
    with tempfile.TemporaryDirectory() as folder:
        for count in (1, args.tasks):
            root = Path(folder) / f"chain-{count}"
            prepare(root, count)
            results["luckyctl"][count], _ = median_of(args.runs, lambda root=root: luckyctl_once(root))
            results["doit"][count], _ = median_of(args.runs, lambda root=root: doit_once(root))
        engine, _ = median_of(args.runs, lambda: engine_only(Path(folder) / f"chain-{args.tasks}", args.tasks))
    print(f"machine: {machine()}")
    print(f"versions: {versions('luckyctl', 'doit', 'typer', 'pydantic')}")
    print(f"chain of {args.tasks} `true` tasks, median of {args.runs} cold runs each")
    per_task = {}
    for name, times in results.items():
        per_task[name] = (times[args.tasks] - times[1]) / (args.tasks - 1)
        print(
            f"{name:9} total {times[args.tasks]:.3f}s (1 task: {times[1]:.3f}s)  "
            f"per-task overhead {per_task[name] * 1000:.2f} ms"
        )
    print(f"per-task ratio luckyctl / doit: {per_task['luckyctl'] / per_task['doit']:.3f}")
    print(f"total ratio luckyctl / doit: {results['luckyctl'][args.tasks] / results['doit'][args.tasks]:.3f}")
    print(f"luckyctl engine alone (no-op steps, in-process): {engine * 1000:.2f} ms per task")


if __name__ == "__main__":
    main()
