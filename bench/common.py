"""Shared by the benchmarks: project folders, timing, medians, peak memory, the machine's description."""

from __future__ import annotations

import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

VENV_BIN = Path(sys.executable).parent
REPO = Path(__file__).resolve().parent.parent


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


def child_env(**extra: str) -> dict[str, str]:
    """The environment of a measured process: no LUCKYCTL_* settings, and bytecode used as an install has it.

    ``PYTHONDONTWRITEBYTECODE`` would make an editable install compile every
    changed module on every start; a user's install has its bytecode.
    """
    environ = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("LUCKYCTL_") and key != "PYTHONDONTWRITEBYTECODE"
    }
    return {**environ, "NO_COLOR": "1", **extra}


def luckyctl_env() -> dict[str, str]:
    return child_env(LUCKYCTL_ROADMAP="roadmap.yaml")


def compile_bytecode() -> None:
    """Write the bytecode of luckyctl's modules, as ``pip install`` does for an installed package."""
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(REPO / "luckyctl")], check=True, stdout=subprocess.DEVNULL)


@dataclass(frozen=True)
class Sample:
    seconds: float
    max_rss_mb: float  # peak resident memory of the process; nan when it cannot be measured


GNU_TIME = Path("/usr/bin/time")


def measured(command: list[str], cwd: Path, env: dict[str, str] | None = None, *, memory: bool = True) -> Sample:
    """Wall-clock seconds of one run, and its peak memory; a failing command stops the benchmark.

    The peak comes from GNU time (``%M``): a child forked from this (large)
    process would count this process's pages in its own peak, a grandchild
    forked from the small ``time`` does not. Without GNU time (or with
    ``memory=False``, for start-up timings without the wrapper) it is nan.
    """
    memory = memory and GNU_TIME.exists()
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err, tempfile.NamedTemporaryFile() as peak:
        wrapped = [str(GNU_TIME), "-q", "-f", "%M", "-o", peak.name, *command] if memory else command
        started = time.perf_counter()
        done = subprocess.run(wrapped, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=out, stderr=err, check=False)
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            out.seek(0)
            err.seek(0)
            raise SystemExit(
                f"{' '.join(command)} failed ({done.returncode}):\n{out.read()[-2000:].decode()}{err.read()[-2000:].decode()}"
            )
        kilobytes = Path(peak.name).read_text().strip().splitlines()[-1] if memory else ""
    return Sample(elapsed, int(kilobytes) / 1024 if kilobytes.isdigit() else float("nan"))


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


def versions(*packages: str) -> str:
    found = []
    for name in packages:
        try:
            found.append(f"{name} {metadata.version(name)}")
        except metadata.PackageNotFoundError:
            found.append(f"{name} (not installed)")
    return ", ".join(found)


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
