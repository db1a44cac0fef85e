"""Content-addressed artifact files: layout, read-only, atomic writes, verification."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from pathlib import Path

import pytest

from luckyctl.errors import EvidenceError
from luckyctl.evidence import ArtifactState, ArtifactStore


def test_put_stores_bytes_under_their_sha256_read_only(tmp_path: Path) -> None:
    artifacts = ArtifactStore.for_plan(tmp_path / "sandbox")
    digest = artifacts.put(b"hello evidence")
    assert digest == hashlib.sha256(b"hello evidence").hexdigest()
    path = tmp_path / "sandbox" / "artifacts" / "sha256" / digest[:2] / digest[2:]
    assert artifacts.path(digest) == path
    assert path.read_bytes() == b"hello evidence" == artifacts.read(digest)
    assert stat.S_IMODE(path.stat().st_mode) & 0o222 == 0
    assert artifacts.exists(digest) and artifacts.verify(digest)
    assert [entry.name for entry in path.parent.iterdir()] == [digest[2:]]  # no temporary file left


def test_the_same_content_is_stored_once(tmp_path: Path) -> None:
    artifacts = ArtifactStore(tmp_path)
    digests: list[str] = []

    def put() -> None:
        digests.append(artifacts.put(b"same bytes" * 1000))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(set(digests)) == 1 and len(digests) == 8
    assert [path.name for path in (tmp_path / "sha256").rglob("*") if path.is_file()] == [digests[0][2:]]


def test_a_failed_write_leaves_nothing_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    artifacts = ArtifactStore(tmp_path)

    def disk_full(descriptor: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(EvidenceError, match="No space left on device"):
        artifacts.put(b"never complete")
    digest = hashlib.sha256(b"never complete").hexdigest()
    assert not artifacts.exists(digest)
    assert [path for path in tmp_path.rglob("*") if path.is_file()] == []


def test_check_tells_missing_from_changed(tmp_path: Path) -> None:
    artifacts = ArtifactStore(tmp_path)
    changed, removed = artifacts.put(b"original"), artifacts.put(b"to be removed")
    path = artifacts.path(changed)
    path.chmod(0o644)
    path.write_bytes(b"tampered")
    artifacts.path(removed).unlink()
    assert artifacts.check(changed) is ArtifactState.CORRUPT and not artifacts.verify(changed)
    assert artifacts.check(removed) is ArtifactState.MISSING and not artifacts.verify(removed)
    with pytest.raises(EvidenceError, match="cannot be read"):
        artifacts.read(removed)


@pytest.mark.parametrize("name", ["../../etc/passwd", "ABCDEF" + "0" * 58, "0" * 63, ""])
def test_a_forged_name_never_reaches_outside_the_store(tmp_path: Path, name: str) -> None:
    with pytest.raises(EvidenceError, match="not an artifact name"):
        ArtifactStore(tmp_path).path(name)


def test_copy_to_copies_the_file_as_it_is(tmp_path: Path) -> None:
    source, target = ArtifactStore(tmp_path / "a"), ArtifactStore(tmp_path / "b")
    digest = source.put(b"copy me")
    assert source.copy_to(digest, target)
    assert target.read(digest) == b"copy me" and target.verify(digest)
    assert not source.copy_to("f" * 64, target)
