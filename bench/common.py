"""Shared by the benchmarks: project folders, timing, medians, the machine's description."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

VENV_BIN = Path(sys.executable).parent


def tool(name: str) -> str:
    """A console script of this virtualenv (luckyctl, doit), else from PATH."""
    local = VENV_BIN / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def write_roadmap(root: Path, tasks: list[dict[str, Any]]) -> None:
    """``roadmap.yaml`` (one epic, one story) and ``plans/sandbox.yaml`` in ``root``."""
    document = {
        "project": {"id": "BENCH", "name": "Benchmark", "start": "2026-12-07", "roles": {"dev": {"title": "Developer"}}},
        "epics": [{"id": "E", "title": "epic", "stories": [{"id": "E.1", "title": "story", "tasks": tasks}]}],
    }
    root.mkdir(parents=True, exist_ok=True)
    (root / "roadmap.yaml").write_text(yaml.safe_dump(document, sort_keys=False))
    (root / "plans").mkdir(exist_ok=True)
    (root / "plans" / "sandbox.yaml").write_text("name: sandbox\n")


def luckyctl_env() -> dict[str, str]:
    environ = {key: value for key, value in os.environ.items() if not key.startswith("LUCKYCTL_")}
    return {**environ, "NO_COLOR": "1", "LUCKYCTL_ROADMAP": "roadmap.yaml"}


def timed(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> float:
    """Wall-clock seconds of one run of ``command``; a failing command stops the benchmark."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-2000:]}")
    return elapsed


def median_of(runs: int, measure: Callable[[], float]) -> tuple[float, list[float]]:
    samples = [measure() for _ in range(runs)]
    return statistics.median(samples), samples


def machine() -> str:
    cpus = os.cpu_count()
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{platform.system()} {platform.release()}, {model or platform.machine()}, {cpus} CPU(s), Python {platform.python_version()}"
