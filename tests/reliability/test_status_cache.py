"""``task status`` answers from a cached view of the roadmap and plan: fast, and never stale.

The view is keyed by the name and bytes of every roadmap file and of the plan
(and by luckyctl's loader code), so any edit, added or removed file, or a
different plan is a miss and the files are read again; a damaged entry is a
miss too. On a hit no YAML parser, no models and no rich are imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from test_startup import imported_modules

from luckyctl.enums import TaskState
from luckyctl.loader import cache
from luckyctl.store import Store

EPIC = {"id": "E", "title": "Epic one", "stories": [{"id": "E.1", "title": "Story", "tasks": [
    {"id": "E.1.1", "title": "First task", "owner": "dev", "estimate": "1h"},
    {"id": "E.1.2", "title": "Second task", "owner": "dev", "estimate": "2h", "depends_on": ["E.1.1"]},
]}]}  # fmt: skip
PROJECT = {"project": {"id": "P", "name": "Cache test", "start": "2026-12-07", "roles": {"dev": {"title": "Dev"}}}}
# Imported by a cache hit of task status, none of these may be: parsers, models, rich rendering, graphs, network.
NOT_ON_THE_CACHED_PATH = ("yaml", "pydantic", "pydantic_core", "rich", "sqlite_utils", "networkx", "httpx", "google")


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "roadmap" / "epics").mkdir(parents=True)
    (tmp_path / "roadmap" / "project.yaml").write_text(yaml.safe_dump(PROJECT))
    (tmp_path / "roadmap" / "epics" / "e.yaml").write_text(yaml.safe_dump(EPIC, sort_keys=False))
    (tmp_path / "plans").mkdir()
    (tmp_path / "plans" / "sandbox.yaml").write_text("name: sandbox\n")
    return tmp_path


def status(root: Path, *args: str, plan: str = "sandbox") -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "luckyctl", "--plan", plan, *args, "task", "status", "--json"]
    return subprocess.run(command, cwd=root, capture_output=True, text=True, timeout=60, check=False)


def titles(root: Path, plan: str = "sandbox") -> tuple[str, list[str]]:
    done = status(root, plan=plan)
    assert done.returncode == 0, done.stderr
    document = json.loads(done.stdout)
    tasks = [task["title"] for epic in document["epics"] for story in epic["stories"] for task in story["tasks"]]
    return document["plan"], tasks


def views() -> list[Path]:
    return sorted(cache.directory().glob("view-*.json"))


def test_every_change_to_the_roadmap_or_the_plan_is_seen(project: Path) -> None:
    epic_file = project / "roadmap" / "epics" / "e.yaml"
    assert titles(project) == ("sandbox", ["First task", "Second task"])
    assert titles(project) == ("sandbox", ["First task", "Second task"])  # now from the cache
    assert len(views()) == 1

    # Same size, same modification time, other bytes: still seen.
    before = epic_file.stat()
    epic_file.write_text(epic_file.read_text().replace("First task", "Fir5t task"))
    os.utime(epic_file, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert epic_file.stat().st_size == before.st_size
    assert titles(project)[1] == ["Fir5t task", "Second task"]

    # Another epic file, then that file gone again.
    second = {**EPIC, "id": "F", "title": "Epic two", "stories": [{"id": "F.1", "title": "S", "tasks": [
        {"id": "F.1.1", "title": "Third task", "owner": "dev", "estimate": "1h"}]}]}  # fmt: skip
    (project / "roadmap" / "epics" / "f.yaml").write_text(yaml.safe_dump(second))
    assert titles(project)[1] == ["Fir5t task", "Second task", "Third task"]
    (project / "roadmap" / "epics" / "f.yaml").unlink()
    assert titles(project)[1] == ["Fir5t task", "Second task"]

    # The plan: another plan file, and an edited plan.
    (project / "plans" / "staging.yaml").write_text("name: staging\n")
    assert titles(project, plan="staging")[0] == "staging"
    (project / "plans" / "other.yaml").write_text("name: renamed\n")
    assert titles(project, plan="plans/other.yaml")[0] == "renamed"
    (project / "plans" / "other.yaml").write_text("name: renamed-again\n")
    assert titles(project, plan="plans/other.yaml")[0] == "renamed-again"


def test_a_roadmap_or_plan_made_invalid_is_an_error_not_a_cached_answer(project: Path) -> None:
    assert status(project).returncode == 0
    epic_file = project / "roadmap" / "epics" / "e.yaml"
    valid = epic_file.read_text()
    epic_file.write_text(valid.replace("estimate: 1h", "estimate: lots"))
    broken = status(project)
    assert broken.returncode == 2 and "e.yaml:" in broken.stderr and "estimate" in broken.stderr
    epic_file.write_text(valid)
    assert status(project).returncode == 0  # the old entry is good again: the same bytes

    (project / "plans" / "sandbox.yaml").write_text("name: sandbox\nstrategy: {parallel: 0}\n")
    bad_plan = status(project)
    assert bad_plan.returncode == 2 and "sandbox.yaml:2" in bad_plan.stderr
    (project / "plans" / "sandbox.yaml").write_text("name: elsewhere\n")  # its name no longer matches its file
    assert status(project).returncode == 2


@pytest.mark.parametrize("damage", [b"", b"{", b'{"key": "other", "plan": "x", "outline": {}}', b"\x00" * 64])
def test_a_damaged_cache_entry_is_a_miss(project: Path, damage: bytes) -> None:
    assert titles(project)[1] == ["First task", "Second task"]
    (view,) = views()
    view.write_bytes(damage)
    assert titles(project)[1] == ["First task", "Second task"]


def test_an_entry_written_under_another_key_is_never_served(project: Path) -> None:
    """An entry whose content names another key (a copied file) does not count."""
    assert titles(project)[1] == ["First task", "Second task"]
    (old,) = views()
    epic_file = project / "roadmap" / "epics" / "e.yaml"
    epic_file.write_text(epic_file.read_text().replace("Second task", "Changed"))
    assert titles(project)[1] == ["First task", "Changed"]
    new = next(view for view in views() if view != old)
    new.write_bytes(old.read_bytes())  # the old answer planted under the new key
    assert titles(project)[1] == ["First task", "Changed"]


@pytest.mark.parametrize("with_store", [False, True], ids=["nothing-ran-yet", "with-a-store"])
def test_a_cache_hit_imports_no_parser_models_or_rich(project: Path, with_store: bool) -> None:
    if with_store:
        store = Store.open(project / "evidence" / "sandbox" / "luckyctl.db")
        store.set_state("E.1.1", TaskState.SUCCEEDED, attempts=1)
        store.close()
    assert status(project).returncode == 0  # fills the cache
    command = [sys.executable, "-X", "importtime", "-m", "luckyctl", "task", "status", "--all-epics"]
    done = subprocess.run(command, cwd=project, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "E.1.2" in done.stdout and ("succeeded" in done.stdout) == with_store
    modules = imported_modules(done.stderr)
    assert "luckyctl.outline" in modules  # the report lists our modules
    assert sorted(name for name in modules if name.split(".")[0] in NOT_ON_THE_CACHED_PATH) == []
