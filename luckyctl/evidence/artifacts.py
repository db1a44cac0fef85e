"""Content-addressed artifact files: ``<root>/sha256/<2 hex>/<62 hex>``.

A file's name is the SHA-256 of its bytes, so equal content is stored once and
any change to a file shows. Files are written to a temporary name, flushed to
disk and renamed into place, so a crash leaves either no file or the whole
file, never a torn one; then they are made read-only. Callers redact before
``put``: nothing here looks inside the bytes.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import stat
import tempfile
from enum import Enum
from pathlib import Path

from luckyctl.errors import EvidenceError

ALGORITHM = "sha256"
ARTIFACTS_DIR = "artifacts"  # under a plan's evidence folder
_DIGEST = re.compile(r"^[0-9a-f]{64}$")
_CHUNK = 1 << 20
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


class ArtifactState(str, Enum):
    OK = "ok"
    MISSING = "missing"  # no file under that name
    CORRUPT = "corrupt"  # the file's bytes do not hash to its name


def digest_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def is_digest(text: object) -> bool:
    return isinstance(text, str) and bool(_DIGEST.match(text))


class ArtifactStore:
    """The artifact files of one plan (``<home>/<plan>/artifacts``)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    @classmethod
    def for_plan(cls, plan_home: Path) -> ArtifactStore:
        """The artifacts of the plan whose evidence lives in ``plan_home`` (``<home>/<plan>/``)."""
        return cls(Path(plan_home) / ARTIFACTS_DIR)

    def path(self, digest: str) -> Path:
        """Where the artifact named ``digest`` lives (whether or not it exists)."""
        if not is_digest(digest):
            # Names come from evidence rows; a forged one must not reach outside the store.
            raise EvidenceError(f"not an artifact name: {digest!r} (expected 64 lowercase hex digits)")
        return self.root / ALGORITHM / digest[:2] / digest[2:]

    def put(self, data: bytes) -> str:
        """Store ``data`` (once per content) and return its name."""
        digest = digest_of(data)
        target = self.path(digest)
        if target.exists():
            return digest
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            descriptor, temporary = tempfile.mkstemp(dir=target.parent, prefix=".incoming-")
            try:
                with os.fdopen(descriptor, "wb") as handle:
                    handle.write(data)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.chmod(temporary, _READ_ONLY)
                os.replace(temporary, target)
            except BaseException:
                Path(temporary).unlink(missing_ok=True)
                raise
            _fsync_directory(target.parent)
        except OSError as error:
            raise EvidenceError(f"cannot store an artifact in {self.root}: {error}") from error
        return digest

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def copy_to(self, digest: str, other: ArtifactStore) -> bool:
        """Copy a file as it is (even if it no longer matches its name); False when it is missing."""
        source, target = self.path(digest), other.path(digest)
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, target)
            os.chmod(target, _READ_ONLY)
        except FileNotFoundError:
            return False
        except OSError as error:
            raise EvidenceError(f"cannot copy artifact {digest} to {other.root}: {error}") from error
        return True

    def read(self, digest: str) -> bytes:
        try:
            return self.path(digest).read_bytes()
        except OSError as error:
            raise EvidenceError(f"artifact {digest} cannot be read: {error.strerror}") from error

    def check(self, digest: str) -> ArtifactState:
        """Whether the file is there and its bytes still hash to its name (streamed)."""
        hasher = hashlib.sha256()
        try:
            with self.path(digest).open("rb") as handle:
                while chunk := handle.read(_CHUNK):
                    hasher.update(chunk)
        except FileNotFoundError:
            return ArtifactState.MISSING
        except OSError:
            return ArtifactState.CORRUPT
        return ArtifactState.OK if hasher.hexdigest() == digest else ArtifactState.CORRUPT

    def verify(self, digest: str) -> bool:
        return self.check(digest) is ArtifactState.OK


def _fsync_directory(directory: Path) -> None:
    """Make the rename itself durable (POSIX); a no-op where directories cannot be opened."""
    try:
        descriptor = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
