"""Start-up: ``luckyctl task status --all-epics`` on the 75-task roadmap vs ``doit list`` on the same 75 tasks.

Every measurement is a new process (median of --runs, the commands taken in
turn so that the machine's drift hits them alike); ``python -c pass`` shows the
interpreter's own share. The dodo file is generated from the roadmap: one task
per roadmap task, with its title as doc and its dependencies as task_dep.

luckyctl is measured three ways:

- *cached*: the usual case, the roadmap and plan unchanged since the last
  command, so the status view comes from luckyctl's cache (no YAML, no models);
- *cached, with a store*: the same after every task has a state, so the
  evidence store is opened and read too;
- *cache miss*: the cache emptied before each run, so the YAML is parsed and
  validated (what the first command after an edit pays).

Bytecode is compiled first and ``PYTHONDONTWRITEBYTECODE`` is dropped, as an
installed package would run.

    .venv/bin/python bench/bench_startup.py [--runs 21]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from common import REPO, child_env, compile_bytecode, machine, measured, tool, versions


def write_dodo(folder: Path) -> int:
    """``dodo.py`` with one task per roadmap task; the number of tasks."""
    from luckyctl.loader import load_roadmap

    roadmap = load_roadmap(REPO / "roadmap")
    lines = ["def task_roadmap():"]
    for task in roadmap.tasks.values():
        # A dependency may name a story or an epic: all its tasks.
        deps = [f"roadmap:{dep}" for name in task.depends_on for dep in roadmap.tasks_under(name)]
        lines.append(f"    yield {{'name': {task.id!r}, 'doc': {task.title!r}, 'actions': [['true']], 'task_dep': {deps!r}}}")
    (folder / "dodo.py").write_text("\n".join(lines) + "\n")
    return len(roadmap.tasks)


def fill_store(home: Path) -> None:
    """Every task with a state, some with a reason and an assignee: what status reads after a run."""
    from luckyctl.enums import TaskState
    from luckyctl.loader import load_roadmap
    from luckyctl.store import Store, utc_now

    roadmap = load_roadmap(REPO / "roadmap")
    store = Store.open(home / "sandbox" / "luckyctl.db")
    states = [TaskState.SUCCEEDED, TaskState.SUCCEEDED, TaskState.FAILED, TaskState.WAITING, TaskState.BLOCKED]
    for index, task_id in enumerate(roadmap.tasks):
        state = states[index % len(states)]
        reason = None if state is TaskState.SUCCEEDED else f"{state.value} for a reason"
        store.set_state(task_id, state, attempts=1 + index % 3, reason=reason, last_evidence_at=utc_now())
    store.assign(
        [{"task_id": task_id, "assignee": "be-1", "role": "backend"} for task_id in list(roadmap.tasks)[:20]],
        assigned_by="bench",
    )
    store.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    compile_bytecode()
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        count = write_dodo(root)
        cache = root / "cache"
        env = child_env(XDG_CACHE_HOME=str(cache))
        status = [
            tool("luckyctl"), "--roadmap", str(REPO / "roadmap"), "--plan", str(REPO / "plans" / "sandbox.yaml"),
            "task", "status", "--all-epics",
        ]  # fmt: skip
        fill_store(root / "filled")
        commands = {
            "python -c pass": ([sys.executable, "-c", "pass"], None),
            "doit list": ([tool("doit"), "list"], None),
            "luckyctl status, cached": ([*status[:5], "--home", str(root / "empty"), *status[5:]], None),
            "luckyctl status, cached, with a store": ([*status[:5], "--home", str(root / "filled"), *status[5:]], None),
            "luckyctl status, cache miss": ([*status[:5], "--home", str(root / "empty"), *status[5:]], cache),
        }
        def once(command: list[str], clear: Path | None, *, memory: bool) -> float:
            if clear is not None:
                shutil.rmtree(clear, ignore_errors=True)
            sample = measured(command, root, env, memory=memory)
            return sample.max_rss_mb if memory else sample.seconds

        for command, clear in commands.values():  # warm the file cache and luckyctl's view cache
            once(command, clear, memory=False)
        memory = {name: once(command, clear, memory=True) for name, (command, clear) in commands.items()}
        samples: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.runs):
            for name, (command, clear) in commands.items():
                samples[name].append(once(command, clear, memory=False))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"machine: {machine()}")
    print(f"versions: {versions('luckyctl', 'doit', 'typer', 'pydantic', 'rich')}")
    print(f"{count} tasks; median of {args.runs} cold processes each")
    for name, median in medians.items():
        print(f"{name:40} {median * 1000:7.1f} ms  (peak {memory[name]:.0f} MB)")
    doit = medians["doit list"]
    for name in [name for name in medians if name.startswith("luckyctl")]:
        print(f"ratio {name} / doit list: {medians[name] / doit:.3f}")


if __name__ == "__main__":
    main()
