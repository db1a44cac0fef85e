"""Shared by the gate's tests: a project folder where small roadmaps really run, and luckyctl in-process.

Roadmaps are written with the engine tests' builders (``task``, ``sh``,
``one_story`` …); ``GateProject.run`` runs the real CLI in this process (fast,
and measured by coverage), ``sql`` changes the store behind luckyctl's back
the way an attacker would. No tests live here.
"""

from __future__ import annotations

import sqlite3
from typing import Any

from click.testing import Result
from engine_roadmaps import Project
from typer.testing import CliRunner

from luckyctl.cli.app import app
from luckyctl.evidence import ArtifactStore
from luckyctl.gate import GateContext
from luckyctl.loader import load_plan, load_roadmap


def check(name: str, script: str, **common: Any) -> dict[str, Any]:
    """A named check: ``sh -c script``, read-only by convention."""
    return {"name": name, "run": {"argv": ["sh", "-c", script]}, **common}


def metric(name: str, value: float) -> str:
    """A shell line that makes a run step record ``name`` as a metric."""
    return f"echo '::metric {name}={value}'"


def http_check(name: str, path: str, status: int = 200) -> dict[str, Any]:
    return {"name": name, "http": {"url": "${backend_url}" + path, "expect": {"status": status}}}


class GateProject(Project):
    """A roadmap, plans/sandbox.yaml and evidence/ in a folder; luckyctl run in-process on them."""

    def run(self, *args: str, env: dict[str, str] | None = None) -> Result:
        options = [
            "--roadmap", str(self.root / "roadmap.yaml"),
            "--plan", str(self.root / "plans" / "sandbox.yaml"),
            "--home", str(self.root / "evidence"),
        ]  # fmt: skip
        environment = {"NO_COLOR": "1", "GITHUB_STEP_SUMMARY": None, **(env or {})}
        return CliRunner().invoke(app, [*options, *args], env=environment)

    def execute(self, selector: str = "P", *extra: str) -> Result:
        return self.run("task", "execute", selector, "--continue-on-failure", *extra)

    def validate(self, selector: str = "P", *extra: str, env: dict[str, str] | None = None) -> Result:
        return self.run("task", "validate", selector, "--evidence", *extra, env=env)

    @property
    def artifacts(self) -> ArtifactStore:
        return ArtifactStore(self.root / "evidence" / "sandbox" / "artifacts")

    def sql(self, statement: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        """Run SQL on the store directly, as someone editing the database would."""
        connection = sqlite3.connect(self.db_path)
        try:
            rows = connection.execute(statement, params).fetchall()
            connection.commit()
            return rows
        finally:
            connection.close()

    def seqs(self, task_id: str, phase: str | None = None) -> list[int]:
        query = "SELECT seq FROM evidence WHERE task_id = ?" + (" AND phase = ?" if phase else "") + " ORDER BY seq"
        return [row[0] for row in self.sql(query, (task_id, phase) if phase else (task_id,))]

    def gate_context(self, **options: Any) -> GateContext:
        """The library's view of this folder (the caller closes ``ctx.store``)."""
        roadmap_path = self.root / "roadmap.yaml"
        return GateContext(
            roadmap=load_roadmap(roadmap_path),
            plan=load_plan(str(self.root / "plans" / "sandbox.yaml"), roadmap_path=roadmap_path),
            store=self.store(),
            artifacts=self.artifacts,
            **options,
        )


def output(result: Result) -> str:
    """Everything a command printed, for messages in assertions."""
    return f"exit {result.exit_code}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"
