"""A cache of validated roadmaps, keyed by the bytes of every file they came from.

Reading and hashing the files is cheap; parsing and validating them is not.
Since the key covers every byte (and the code that validates them), an entry
can never be stale: a changed file is simply another key. An entry that
cannot be read for any reason is ignored and written again.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from collections.abc import Sequence
from pathlib import Path

import luckyctl
from luckyctl.model import Roadmap

FORMAT = 1
KEEP_ENTRIES = 16
_PACKAGE = Path(luckyctl.__file__).parent


def directory() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "luckyctl"


def key(files: Sequence[tuple[str, bytes]]) -> str:
    """A hash of each file's name as it is shown, and its bytes."""
    digest = hashlib.sha256(f"luckyctl-roadmap-cache {FORMAT} {luckyctl.__version__}\0".encode())
    for code in _code():
        digest.update(code.read_bytes())
    for name, content in files:
        digest.update(f"\0{name}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def _code() -> list[Path]:
    """The code whose behaviour a cached roadmap stands for: the models and this loader."""
    return [_PACKAGE / "model.py", _PACKAGE / "durations.py", *sorted(Path(__file__).parent.glob("*.py"))]


def load(entry_key: str) -> Roadmap | None:
    """The cached roadmap, or None when there is none or it cannot be trusted."""
    folder = _private_directory(create=False)
    if folder is None:
        return None
    try:
        with (folder / _name(entry_key)).open("rb") as stream:
            entry = pickle.load(stream)
    except Exception:  # missing, truncated, from other code: a miss  # noqa: BLE001
        return None
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == entry_key and isinstance(entry[1], Roadmap):
        return entry[1]
    return None


def store(entry_key: str, roadmap: Roadmap) -> None:
    """Write the entry atomically; a cache that cannot be written is no error."""
    folder = _private_directory(create=True)
    if folder is None:
        return
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            pickle.dump((entry_key, roadmap), stream, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, folder / _name(entry_key))
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return
    _prune(folder)


def _name(entry_key: str) -> str:
    return f"roadmap-{entry_key}.pickle"


def _private_directory(*, create: bool) -> Path | None:
    """The cache folder, if only this user can write to it (a pickle must come from oneself)."""
    folder = directory()
    try:
        if create:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        status = folder.stat()
    except OSError:
        return None
    if hasattr(os, "getuid") and (status.st_uid != os.getuid() or status.st_mode & 0o022):
        return None
    return folder


def _prune(folder: Path) -> None:
    """Keep the newest entries only."""
    try:
        entries = sorted(folder.glob("roadmap-*.pickle"), key=lambda entry: entry.stat().st_mtime, reverse=True)
        for entry in entries[KEEP_ENTRIES:]:
            entry.unlink(missing_ok=True)
    except OSError:
        pass
