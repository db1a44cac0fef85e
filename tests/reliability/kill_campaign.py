"""A ``kill -9`` at a chosen moment of a real ``task execute``, and what must hold after it (DESIGN §11).

After the kill: the store passes ``PRAGMA integrity_check``; every evidence
row another connection saw committed just before the kill is still there,
byte for byte; ``luckyctl evidence verify`` finds the hash chain intact.
After the next ``execute``: it finishes, the chain is still intact, and no
task that had succeeded before the kill ran again (its ``task_runs`` count is
unchanged; the callers also count side effects outside luckyctl).

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import contextlib
import os
import random
import signal
import sqlite3
import subprocess
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_SEED = 20261207


def rng_for(name: str) -> random.Random:
    """Random kill points, reproducible: ``RELIABILITY_SEED`` changes them all."""
    return random.Random(f"{os.environ.get('RELIABILITY_SEED', DEFAULT_SEED)}-{name}")


@dataclass(frozen=True)
class Committed:
    """What another connection can read of a store: evidence rows (every column), states, attempts per task."""

    rows: list[tuple[object, ...]] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)
    task_runs: Counter[str] = field(default_factory=Counter)

    @classmethod
    def read(cls, db: Path) -> Committed:
        if not db.exists():
            return cls()
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30) as conn:
            try:
                rows = conn.execute("SELECT * FROM evidence ORDER BY seq").fetchall()
                states = dict(conn.execute("SELECT task_id, state FROM task_state").fetchall())
                runs = Counter(task_id for (task_id,) in conn.execute("SELECT task_id FROM task_runs"))
            except sqlite3.OperationalError:  # created, but its tables not yet committed
                return cls()
        return cls(rows, states, runs)

    @property
    def succeeded(self) -> set[str]:
        return {task_id for task_id, state in self.states.items() if state == "succeeded"}


@dataclass
class Target:
    """One ``task execute`` to kill, and the CLI on the same store."""

    start: Callable[..., subprocess.Popen[str]]  # start("task", "execute", …): the CLI as a process
    cli: Callable[..., subprocess.CompletedProcess[str]]  # cli("evidence", "verify")
    db: Path
    execute: tuple[str, ...]  # the run's arguments: ("task", "execute", SEL, options…)
    finished_exit: int  # what a completed run returns (3 when people must sign off)
    reset: Callable[[], None]  # back to nothing run yet (store and side effects)


@dataclass(frozen=True)
class KillResult:
    seen: Committed  # read just before the kill
    after_kill: Committed
    resumed: Committed
    resumed_output: str


class ResumedRunFailed(AssertionError):
    """The run after the kill did not end as a clean run ends; ``output`` says why."""

    def __init__(self, exit_code: int, output: str) -> None:
        super().__init__(f"the resumed run exited {exit_code}:\n{output[-4000:]}")
        self.exit_code = exit_code
        self.output = output


def kill_at(target: Target, delay: float) -> Committed | None:
    """Start a run, read what is committed after ``delay`` seconds, kill -9 it; None when it ended before."""
    run = target.start(*target.execute)
    deadline = time.monotonic() + delay
    while time.monotonic() < deadline and run.poll() is None:
        time.sleep(0.005)
    seen = Committed.read(target.db)
    if run.poll() is not None:
        run.communicate()
        return None
    run.send_signal(signal.SIGKILL)
    run.communicate(timeout=30)
    assert run.returncode == -signal.SIGKILL
    return seen


def kill_run_and_steps(run: subprocess.Popen[bytes]) -> None:
    """SIGKILL the run, then every process it had started (the step programs run in process groups of their own)."""
    import psutil

    try:
        steps = psutil.Process(run.pid).children(recursive=True)
    except psutil.NoSuchProcess:
        steps = []
    run.send_signal(signal.SIGKILL)
    for step in steps:
        with contextlib.suppress(psutil.NoSuchProcess):
            step.kill()
    run.wait(timeout=30)


def integrity(db: Path) -> str:
    with sqlite3.connect(db, timeout=30) as conn:
        return str(conn.execute("PRAGMA integrity_check").fetchone()[0])


def campaign_point(target: Target, delay: float) -> KillResult:
    """Kill a run after ``delay`` s (sooner while the run ends first), check the store, resume, check again."""
    seen = None
    while seen is None:
        seen = kill_at(target, delay)
        if seen is None:  # it ended first: the point must be inside the run; start again from nothing
            assert delay > 0.01, "the run ends before any kill point"
            delay /= 2
            target.reset()
    after_kill = Committed.read(target.db)
    if target.db.exists():
        assert integrity(target.db) == "ok"
        # Every row committed before the kill is still there, identical (and at the same place in the chain).
        assert after_kill.rows[: len(seen.rows)] == seen.rows, "committed evidence changed or was lost"
        verify = target.cli("evidence", "verify")
        assert verify.returncode == 0, verify.stdout + verify.stderr

    resumed = target.cli(*target.execute)
    if resumed.returncode != target.finished_exit:
        raise ResumedRunFailed(resumed.returncode, resumed.stdout + resumed.stderr)
    assert integrity(target.db) == "ok"
    verify = target.cli("evidence", "verify")
    assert verify.returncode == 0, verify.stdout + verify.stderr
    final = Committed.read(target.db)
    assert final.rows[: len(after_kill.rows)] == after_kill.rows
    for task_id in after_kill.succeeded:  # succeeded before the kill: never run again
        assert final.task_runs[task_id] == after_kill.task_runs[task_id], f"{task_id} ran again after it had succeeded"
    return KillResult(seen, after_kill, final, resumed.stdout)
