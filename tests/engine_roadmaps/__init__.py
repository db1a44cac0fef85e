"""Small roadmaps and plans for the engine's tests, and a project folder to run luckyctl in.

A test describes its roadmap as data (``task("A", "B", steps=[...])``), a
``Project`` writes it with a plan into a temporary folder and runs the real
``luckyctl`` there as a subprocess, or builds an in-process ``Runner`` on the
same files. Steps are real processes (``sh -c``) that leave their marks in
files of the folder: ``side_effects`` (one line per task run) and ``times``
(start and end stamps).
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from luckyctl.engine import ListSink, Runner
from luckyctl.evidence import ArtifactStore, EvidenceLog, Redactor
from luckyctl.loader import load_plan, load_roadmap
from luckyctl.secrets import SecretResolver
from luckyctl.store import Store

SIDE_EFFECTS = "side_effects"
TIMES = "times"


def sh(script: str, **common: Any) -> dict[str, Any]:
    """A run step: ``sh -c script`` (the test's own shell line, no luckyctl substitution in it)."""
    return {"run": {"argv": ["sh", "-c", script]}, **common}


def mark(task_id: str) -> dict[str, Any]:
    """A step that writes one line per run of the task."""
    return sh(f"echo {task_id} >> {SIDE_EFFECTS}")


def timed(task_id: str, seconds: float) -> dict[str, Any]:
    """A step that stamps its start and end (from the step's own process) around a sleep."""
    stamp = "$(date +%s.%N)"
    return sh(
        f'echo "{task_id} start {stamp}" >> {TIMES}; echo {task_id} >> {SIDE_EFFECTS}; '
        f'sleep {seconds}; echo "{task_id} end {stamp}" >> {TIMES}'
    )


def task(task_id: str, *deps: str, steps: list[dict[str, Any]] | None = None, **extra: Any) -> dict[str, Any]:
    """A task owned by ``dev``; by default one step that marks its run."""
    return {
        "id": task_id,
        "title": f"task {task_id}",
        "owner": "dev",
        "estimate": extra.pop("estimate", "1h"),
        "depends_on": list(deps),
        "steps": [mark(task_id)] if steps is None else steps,
        **extra,
    }


def roadmap(*epics: dict[str, Any], risks: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "project": {"id": "P", "name": "Engine test", "start": "2026-12-07", "roles": {"dev": {"title": "Developer"}}},
        "risks": risks or [],
        "epics": list(epics),
    }


def epic(epic_id: str, *stories: dict[str, Any]) -> dict[str, Any]:
    return {"id": epic_id, "title": f"epic {epic_id}", "stories": list(stories)}


def story(story_id: str, *tasks: dict[str, Any]) -> dict[str, Any]:
    return {"id": story_id, "title": f"story {story_id}", "tasks": list(tasks)}


def one_story(*tasks: dict[str, Any]) -> dict[str, Any]:
    """The common case: epic EP, story EP.1, these tasks."""
    return roadmap(epic("EP", story("EP.1", *tasks)))


class Project:
    """A folder with roadmap.yaml, plans/sandbox.yaml and evidence/, where luckyctl runs."""

    def __init__(self, root: Path, document: dict[str, Any], plan: dict[str, Any] | None = None) -> None:
        self.root = root
        self.write(document, plan)

    def write(self, document: dict[str, Any], plan: dict[str, Any] | None = None) -> None:
        (self.root / "roadmap.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
        if plan is not None or not (self.root / "plans" / "sandbox.yaml").exists():
            (self.root / "plans").mkdir(exist_ok=True)
            (self.root / "plans" / "sandbox.yaml").write_text(yaml.safe_dump({"name": "sandbox", **(plan or {})}))

    # -------------------------------------------------------------- the real CLI

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        environ = {key: value for key, value in os.environ.items() if not key.startswith("LUCKYCTL_")}
        return {**environ, "NO_COLOR": "1", "LUCKYCTL_ROADMAP": "roadmap.yaml", **(extra or {})}

    def command(self, *args: str) -> list[str]:
        return [sys.executable, "-m", "luckyctl", *args]

    def cli(self, *args: str, env: dict[str, str] | None = None, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            self.command(*args), cwd=self.root, env=self.env(env), capture_output=True, text=True, timeout=timeout, check=False
        )

    def popen(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(
            self.command(*args),
            cwd=self.root,
            env=self.env(env),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    # -------------------------------------------------------------- what happened

    @property
    def db_path(self) -> Path:
        return self.root / "evidence" / "sandbox" / "luckyctl.db"

    def store(self) -> Store:
        return Store.open(self.db_path)

    def states(self) -> dict[str, str]:
        store = self.store()
        try:
            return {task_id: record.state.value for task_id, record in store.tasks().items()}
        finally:
            store.close()

    def side_effects(self) -> list[str]:
        path = self.root / SIDE_EFFECTS
        return path.read_text().split() if path.exists() else []

    def times(self) -> dict[str, tuple[float, float]]:
        stamps: dict[str, dict[str, float]] = {}
        for line in (self.root / TIMES).read_text().splitlines():
            task_id, what, at = line.split()
            stamps.setdefault(task_id, {})[what] = float(at)
        return {task_id: (marks["start"], marks["end"]) for task_id, marks in stamps.items()}

    def wait_for(self, condition: Callable[[], bool], timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while not condition():
            if time.monotonic() > deadline:
                raise AssertionError("timed out waiting for the run to get there")
            time.sleep(0.02)

    # -------------------------------------------------------------- in process

    def runner(self, **options: Any) -> tuple[Runner, ListSink]:
        """A Runner on this folder's files, with a ListSink; ``options`` go to Runner."""
        roadmap_path = self.root / "roadmap.yaml"
        plan = load_plan(str(self.root / "plans" / "sandbox.yaml"), roadmap_path=roadmap_path)
        redactor = Redactor()
        store = options.pop("store", None) or self.store()
        sink = ListSink()
        runner = Runner(
            roadmap=load_roadmap(roadmap_path),
            plan=plan,
            store=store,
            evidence_log=EvidenceLog(store, ArtifactStore(self.root / "evidence" / "sandbox" / "artifacts"), redactor),
            redactor=redactor,
            secrets=SecretResolver(plan, plan_dir=self.root / "plans"),
            sink=sink,
            workdir=self.root,
            **options,
        )
        return runner, sink
