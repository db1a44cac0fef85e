"""``task status --all-epics`` starts fast: it never imports networkx, httpx or a Google package.

A real process with ``python -X importtime`` lists every module it imported;
this asserts on that list, not on a timing.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_graph_builders import lucky_epics, write_project

from luckyctl.model import TaskState
from luckyctl.store import Store

HEAVY = ("networkx", "httpx", "google")


def imported_modules(importtime_report: str) -> set[str]:
    """Module names from ``-X importtime`` lines: ``import time: self | cumulative | name``."""
    names = set()
    for line in importtime_report.splitlines():
        if line.startswith("import time:") and line.count("|") == 2:
            names.add(line.rsplit("|", 1)[1].strip())
    return names


def heavy(modules: set[str]) -> list[str]:
    return sorted(name for name in modules if name.split(".")[0] in HEAVY)


@pytest.mark.parametrize("with_store", [False, True], ids=["nothing-ran-yet", "with-a-store"])
def test_task_status_imports_nothing_heavy(tmp_path: Path, with_store: bool) -> None:
    roadmap_file, plan_file = write_project(tmp_path, lucky_epics())
    home = tmp_path / "evidence"
    if with_store:
        store = Store.open(home / "test" / "luckyctl.db")
        store.set_state("FE-INT.1.1", TaskState.SUCCEEDED, attempts=1)
        store.close()
    environment = {**os.environ, "XDG_CACHE_HOME": str(tmp_path / "cache")}
    command = [
        sys.executable,
        "-X",
        "importtime",
        "-m",
        "luckyctl",
        "--roadmap",
        str(roadmap_file),
        "--plan",
        str(plan_file),
        "--home",
        str(home),
        "task",
        "status",
        "--all-epics",
    ]
    result = subprocess.run(command, capture_output=True, text=True, env=environment, cwd=tmp_path, timeout=60)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "GCP-SETUP.1.1" in result.stdout
    modules = imported_modules(result.stderr)
    assert "luckyctl.status" in modules  # the report really lists our modules
    assert heavy(modules) == []


def test_the_import_report_is_read_right() -> None:
    report = "import time: self [us] | cumulative | imported package\nimport time:  12 |  40 |   networkx.utils\n"
    assert heavy(imported_modules(report)) == ["networkx.utils"]
