"""agile --parallel 4 on a 75-task layered DAG of ``sleep 0.2`` vs the bound, and vs doit -n 4 -P thread.

The bound is max(critical path, total work / 4). luckyctl's makespan is the
run's own duration (first task started to last task settled, from
``--json``'s ``run_finished``), which is what the scheduler controls; the
process's wall time (interpreter start-up and imports included) is shown next
to it, and compared with doit's wall time.

    .venv/bin/python bench/bench_dag.py [--runs 5]
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from common import compile_bytecode, luckyctl_env, machine, median_of, timed, tool, versions, write_roadmap

LAYERS = 5
WIDTH = 15
SLEEP = 0.2
WORKERS = 4


def layered_dag() -> list[tuple[str, list[str]]]:
    """LAYERS × WIDTH tasks; each depends on two tasks of the layer before (a fixed, irregular pattern)."""
    tasks = []
    for layer in range(LAYERS):
        for index in range(WIDTH):
            deps = [] if layer == 0 else sorted({f"L{layer - 1}T{index}", f"L{layer - 1}T{(index * 7 + 3) % WIDTH}"})
            tasks.append((f"L{layer}T{index}", deps))
    return tasks


def bound() -> float:
    return max(LAYERS * SLEEP, LAYERS * WIDTH * SLEEP / WORKERS)


def luckyctl_run(root: Path) -> tuple[float, float]:
    """(makespan from the run's own events, wall time of the process) of one fresh run."""
    shutil.rmtree(root / "evidence", ignore_errors=True)
    command = [tool("luckyctl"), "task", "execute", "BENCH", "--strategy", "agile", "--parallel", str(WORKERS), "--json"]
    started = time.perf_counter()
    done = subprocess.run(command, cwd=root, env=luckyctl_env(), capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(done.stdout[-2000:] + done.stderr[-2000:])
    events = [json.loads(line) for line in done.stdout.splitlines()]
    return events[-1]["duration_s"], wall


def write_dodo(root: Path) -> None:
    lines = ["def task_bench():"]
    for name, deps in layered_dag():
        lines.append(
            f"    yield {{'name': {name!r}, 'actions': [['sleep', '{SLEEP}']], 'task_dep': {[f'bench:{dep}' for dep in deps]!r}}}"
        )
    (root / "dodo.py").write_text("\n".join(lines) + "\n")


def doit_run(root: Path) -> float:
    for leftover in root.glob(".doit.db*"):
        leftover.unlink()
    return timed([tool("doit"), "-f", "dodo.py", "-n", str(WORKERS), "-P", "thread"], root)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        write_roadmap(root, [
            {"id": name, "title": name, "owner": "dev", "estimate": "1h", "depends_on": deps,
             "steps": [{"run": {"argv": ["sleep", str(SLEEP)]}}]}
            for name, deps in layered_dag()
        ])
        write_dodo(root)
        samples = [luckyctl_run(root) for _ in range(args.runs)]
        makespans = sorted(sample[0] for sample in samples)
        walls = sorted(sample[1] for sample in samples)
        makespan, wall = makespans[len(makespans) // 2], walls[len(walls) // 2]
        doit, doit_samples = median_of(args.runs, lambda: doit_run(root))
    limit = bound()
    print(f"machine: {machine()}")
    print(f"versions: {versions('luckyctl', 'doit', 'typer', 'pydantic')}")
    print(f"DAG: {LAYERS} layers x {WIDTH} tasks of sleep {SLEEP}s, {WORKERS} workers; bound {limit:.3f}s")
    print(f"luckyctl agile makespan: median {makespan:.3f}s of {[round(m, 3) for m in makespans]} -> {makespan / limit:.3f} x bound")
    print(f"luckyctl process wall:   median {wall:.3f}s -> {wall / limit:.3f} x bound")
    print(f"doit -n {WORKERS} -P thread wall: median {doit:.3f}s of {[round(d, 3) for d in sorted(doit_samples)]} -> {doit / limit:.3f} x bound")
    print(f"luckyctl wall / doit wall: {wall / doit:.3f}")


if __name__ == "__main__":
    main()
