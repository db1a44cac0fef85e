"""The roadmap cache: a hit for the same bytes, a miss for any change, never a stale or broken entry."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from luckyctl.loader import cache, load_roadmap, roadmap_files

REPO = Path(__file__).parent.parent

PROJECT = """\
project:
  id: P
  name: Demo
  start: 2026-12-07
  roles: {backend: {title: Backend}}
"""
EPIC = """\
id: A
title: Epic A
stories:
  - id: A.1
    title: Story
    tasks:
      - {id: A.1.1, title: Task, owner: backend, estimate: 1h, manual: sign it}
"""


@pytest.fixture
def roadmap_folder(write_roadmap: Callable[..., Path]) -> Path:
    write_roadmap(EPIC, "roadmap/epics/a.yaml")
    return write_roadmap(PROJECT, "roadmap/project.yaml").parent


def _entries() -> list[Path]:
    return sorted(cache.directory().glob("roadmap-*.pickle"))


def _key(folder: Path) -> str:
    return cache.key([(str(path), path.read_bytes()) for path in roadmap_files(folder)])


def _plant(folder: Path, title: str) -> None:
    """Overwrite the entry for the folder's current bytes with a roadmap that says ``title``."""
    roadmap = load_roadmap(folder)
    roadmap.epics[0].title = title
    entry = cache.directory() / f"roadmap-{_key(folder)}.pickle"
    entry.write_bytes(pickle.dumps((_key(folder), roadmap)))


def test_the_same_bytes_are_served_from_the_cache(roadmap_folder: Path) -> None:
    first = load_roadmap(roadmap_folder)
    assert len(_entries()) == 1
    _plant(roadmap_folder, "from the cache")
    second = load_roadmap(roadmap_folder)
    assert second.epics[0].title == "from the cache"  # only a hit can say this
    assert second.location("A.1.1") == first.location("A.1.1") == (str(roadmap_folder / "epics" / "a.yaml"), 7)
    assert second.tasks["A.1.1"] is second.epics[0].stories[0].tasks[0]


def test_any_edit_is_a_miss(roadmap_folder: Path) -> None:
    load_roadmap(roadmap_folder)
    _plant(roadmap_folder, "stale")
    (roadmap_folder / "epics" / "a.yaml").write_text(EPIC.replace("Epic A", "Epic A, renamed"))
    assert load_roadmap(roadmap_folder).epics[0].title == "Epic A, renamed"
    assert len(_entries()) == 2
    (roadmap_folder / "epics" / "b.yaml").write_text(EPIC.replace("A", "B"))
    assert [epic.id for epic in load_roadmap(roadmap_folder).epics] == ["A", "B"]
    assert len(_entries()) == 3


def test_a_renamed_file_is_a_miss(roadmap_folder: Path) -> None:
    load_roadmap(roadmap_folder)
    (roadmap_folder / "epics" / "a.yaml").rename(roadmap_folder / "epics" / "first.yaml")
    assert load_roadmap(roadmap_folder).location("A")[0] == str(roadmap_folder / "epics" / "first.yaml")


@pytest.mark.parametrize(
    "content",
    [b"", b"garbage", pickle.dumps(("another key", None)), pickle.dumps({"not": "a roadmap"})],
)
def test_a_broken_entry_is_ignored_and_written_again(roadmap_folder: Path, content: bytes) -> None:
    load_roadmap(roadmap_folder)
    [entry] = _entries()
    entry.write_bytes(content)
    assert load_roadmap(roadmap_folder).epics[0].title == "Epic A"
    key, roadmap = pickle.loads(entry.read_bytes())
    assert key == _key(roadmap_folder) and roadmap.epics[0].title == "Epic A"


def test_an_invalid_roadmap_is_never_cached(write_roadmap: Callable[..., Path]) -> None:
    path = write_roadmap(PROJECT + "extra: 1\n")
    with pytest.raises(Exception, match="unknown key 'extra'"):
        load_roadmap(path)
    assert _entries() == []


def test_a_cache_others_can_write_is_not_used(roadmap_folder: Path) -> None:
    load_roadmap(roadmap_folder)
    _plant(roadmap_folder, "planted by someone else")
    cache.directory().chmod(0o777)
    assert load_roadmap(roadmap_folder).epics[0].title == "Epic A"


def test_no_usable_cache_folder_is_no_error(
    roadmap_folder: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    assert load_roadmap(roadmap_folder).epics[0].id == "A"


def test_only_the_newest_entries_are_kept(roadmap_folder: Path) -> None:
    folder = cache.directory()
    folder.mkdir(mode=0o700, parents=True)
    for index in range(cache.KEEP_ENTRIES + 5):
        old = folder / f"roadmap-{index:064x}.pickle"
        old.write_bytes(b"old")
        os.utime(old, (1_000_000 + index, 1_000_000 + index))
    load_roadmap(roadmap_folder)
    entries = _entries()
    assert len(entries) == cache.KEEP_ENTRIES
    assert folder / f"roadmap-{_key(roadmap_folder)}.pickle" in entries


def test_the_key_covers_names_bytes_and_code() -> None:
    base = cache.key([("a.yaml", b"x: 1\n")])
    assert base == cache.key([("a.yaml", b"x: 1\n")])
    assert base != cache.key([("a.yaml", b"x: 2\n")])
    assert base != cache.key([("b.yaml", b"x: 1\n")])
    assert cache.key([("a", b"bc")]) != cache.key([("ab", b"c")])
    assert Path(cache.__file__) in cache._code()


def test_a_cached_load_imports_no_network_or_graph_library(roadmap_folder: Path) -> None:
    probe = (
        "import sys\n"
        "from luckyctl.loader import load_roadmap\n"
        f"roadmap = load_roadmap({str(roadmap_folder)!r})\n"
        "heavy = [name for name in ('networkx', 'httpx', 'google', 'fastapi') if name in sys.modules]\n"
        "print(len(roadmap.tasks), heavy)\n"
    )
    for _ in range(2):  # a miss, then a hit
        completed = subprocess.run(
            [sys.executable, "-c", probe], capture_output=True, text=True, timeout=60, check=True
        )
        assert completed.stdout.strip() == "1 []"
    assert len(_entries()) == 1


def test_the_cli_uses_the_cache_of_the_shipped_roadmap(cli: Callable, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO)
    assert cli("roadmap", "check").exit_code == 0
    assert len(_entries()) == 1
    assert cli("roadmap", "check").exit_code == 0
    assert len(_entries()) == 1
