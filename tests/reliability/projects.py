"""The projects the reliability tests run the real ``luckyctl`` on.

- ``generated_project``: a layered DAG of tasks whose steps have side effects
  that are counted outside luckyctl: a ``run`` step appends the task's id to
  ``side_effects`` (before it pauses a little), an ``http`` step POSTs to
  ``/effects/<task>`` on a real local HTTP server, and a check GETs
  ``/health`` there.
- ``SandboxProject``: a copy of the Lucky Gas roadmap and plans (``roadmap/``
  with its files, ``plans/``; its steps write into the project folder) with
  the sandbox plan moved to free ports, and a sandbox of its own started from
  that plan.

PYTEST_DONT_REWRITE
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import yaml
from engine_roadmaps import SIDE_EFFECTS, Project, one_story, sh, task
from helpers.http_server import LocalHttpServer
from helpers.sandbox import free_port, free_proxy_host

REPO = Path(__file__).resolve().parents[2]
EFFECTS = "/effects/"
RATE_LIMIT = 1_000_000


def layered_tasks(server_url: str, *, layers: int = 4, width: int = 6, pause: float = 0.05) -> list[dict[str, Any]]:
    """``layers`` × ``width`` tasks; each depends on two tasks of the layer before."""
    tasks = []
    for layer in range(layers):
        for index in range(width):
            task_id = f"L{layer}T{index}"
            deps = [] if layer == 0 else sorted({f"L{layer - 1}T{index}", f"L{layer - 1}T{(index * 5 + 1) % width}"})
            steps = [
                sh(f"echo {task_id} >> {SIDE_EFFECTS}; sleep {pause}"),
                {"http": {"method": "POST", "url": f"{server_url}{EFFECTS}{task_id}", "expect": {"status": 200}}},
            ]
            checks = [{"http": {"url": f"{server_url}/health", "expect": {"status": 200, "json": {"ok": True}}}}]
            tasks.append(task(task_id, *deps, steps=steps, checks=checks))
    return tasks


def serve_effects(server: LocalHttpServer) -> None:
    server.route("POST", f"{EFFECTS}*", json={"recorded": True})
    server.route("GET", "/health", json={"ok": True})


def generated_project(root: Path, server: LocalHttpServer, **shape: Any) -> Project:
    serve_effects(server)
    return Project(root, one_story(*layered_tasks(server.url, **shape)))


def http_effects(server: LocalHttpServer) -> Counter[str]:
    """Task id → POSTs the server received for it."""
    return Counter(
        request.path.removeprefix(EFFECTS) for request in list(server.requests) if request.path.startswith(EFFECTS)
    )


class SandboxProject:
    """The Lucky Gas roadmap in a folder of its own, on a sandbox of its own (free ports)."""

    def __init__(self) -> None:
        # Outside pytest's temporary root: PostgreSQL runs as another user, who must reach its folder.
        self.root = Path(tempfile.mkdtemp(prefix="luckyctl-reliability-"))
        shutil.copytree(REPO / "roadmap", self.root / "roadmap")
        (self.root / ".venv").symlink_to(REPO / ".venv")  # the plan's ${python} is .venv/bin/python
        shutil.copytree(REPO / "plans", self.root / "plans")  # some checks read the other plans
        self.plan = self._plan()
        self.plan_file = self.root / "plans" / "sandbox.yaml"
        self.write_plan(self.plan)

    def _plan(self) -> dict[str, Any]:
        plan: dict[str, Any] = yaml.safe_load((REPO / "plans" / "sandbox.yaml").read_text())
        api = f"http://127.0.0.1:{free_port()}"
        google = f"http://127.0.0.1:{free_port()}"
        for name in ("backend_url", "staging_url"):
            plan["vars"][name] = api
        plan["vars"]["cloudresourcemanager_url"] = google
        plan["gcp"]["endpoints"] = {api_name: google for api_name in plan["gcp"]["endpoints"]}
        plan["sandbox"] |= {"postgres_port": free_port(), "sql_proxy_host": free_proxy_host()}
        # The campaigns run the whole roadmap many times a minute on one sandbox: lift the
        # Lucky API's per-client rate limit (the roadmap checks the limit it announces).
        plan["vars"]["rate_limit_per_minute"] = plan["sandbox"]["rate_limit_per_minute"] = RATE_LIMIT
        return plan

    def write_plan(self, plan: dict[str, Any]) -> None:
        self.plan_file.write_text(yaml.safe_dump(plan, sort_keys=False))

    @property
    def api_url(self) -> str:
        return str(self.plan["vars"]["backend_url"])

    @property
    def google_url(self) -> str:
        return str(self.plan["gcp"]["endpoints"]["run"])

    def command(self, *args: str, home: str = "evidence") -> list[str]:
        return [sys.executable, "-m", "luckyctl", "--roadmap", "roadmap", "--plan", str(self.plan_file),
                "--home", home, *args]  # fmt: skip

    def env(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        environ = {key: value for key, value in os.environ.items() if not key.startswith("LUCKYCTL_")}
        return {**environ, "NO_COLOR": "1", **(extra or {})}

    def cli(self, *args: str, home: str = "evidence", timeout: float = 300, env: dict[str, str] | None = None
            ) -> subprocess.CompletedProcess[str]:  # fmt: skip
        return subprocess.run(self.command(*args, home=home), cwd=self.root, env=self.env(env), capture_output=True,
                              text=True, timeout=timeout, check=False)  # fmt: skip

    def popen(self, *args: str, home: str = "evidence", env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        return subprocess.Popen(self.command(*args, home=home), cwd=self.root, env=self.env(env),
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # fmt: skip

    def db_path(self, home: str = "evidence") -> Path:
        return self.root / home / "sandbox" / "luckyctl.db"

    def up(self) -> None:
        done = self.cli("sandbox", "up", home="sandbox-home", timeout=180)
        assert done.returncode == 0, done.stdout + done.stderr

    def down(self) -> None:
        self.cli("sandbox", "down", home="sandbox-home", timeout=120)

    def start_afresh(self) -> None:
        """A new sandbox with the state of a first start (the stand-ins keep theirs in its folder)."""
        self.down()
        shutil.rmtree(self.root / "sandbox-home", ignore_errors=True)
        self.up()

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
