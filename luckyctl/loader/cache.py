"""A cache of validated roadmaps, keyed by the bytes of every file they came from.

Reading and hashing the files is cheap; parsing and validating them is not.
Since the key covers every byte (and the code that validates them), an entry
can never be stale: a changed file is simply another key. An entry that
cannot be read for any reason is ignored and written again.

Two kinds of entries live here: the pickled ``Roadmap`` (``roadmap-*.pickle``)
and the plain-data view of ``task status`` (``view-*.json``, see
``luckyctl.loader.snapshot``). Importing this module builds no models.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import luckyctl

if TYPE_CHECKING:
    from luckyctl.model import Roadmap

FORMAT = 1
KEEP_ENTRIES = 16
_PACKAGE = Path(luckyctl.__file__).parent
ROADMAP_ENTRY = ("roadmap-", ".pickle")  # entry names: prefix + key + suffix


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
    """The code whose behaviour a cached roadmap stands for: the models, their vocabularies and this loader."""
    models = ("model.py", "enums.py", "ids.py", "outline.py", "durations.py")
    return [*(_PACKAGE / name for name in models), *sorted(Path(__file__).parent.glob("*.py"))]


def load(entry_key: str) -> Roadmap | None:
    """The cached roadmap, or None when there is none or it cannot be trusted."""
    import pickle

    from luckyctl.model import Roadmap

    raw = read_entry(ROADMAP_ENTRY, entry_key)
    if raw is None:
        return None
    try:
        entry = pickle.loads(raw)
    except Exception:  # truncated, from other code: a miss  # noqa: BLE001
        return None
    if isinstance(entry, tuple) and len(entry) == 2 and entry[0] == entry_key and isinstance(entry[1], Roadmap):
        return entry[1]
    return None


def store(entry_key: str, roadmap: Roadmap) -> None:
    """Write the entry atomically; a cache that cannot be written is no error."""
    import pickle

    data = pickle.dumps((entry_key, roadmap), protocol=pickle.HIGHEST_PROTOCOL)
    write_entry(ROADMAP_ENTRY, entry_key, data)


def read_entry(kind: tuple[str, str], entry_key: str) -> bytes | None:
    """An entry's bytes, or None when there is none or the folder cannot be trusted."""
    folder = _private_directory(create=False)
    if folder is None:
        return None
    prefix, suffix = kind
    try:
        return (folder / f"{prefix}{entry_key}{suffix}").read_bytes()
    except OSError:
        return None


def write_entry(kind: tuple[str, str], entry_key: str, data: bytes) -> None:
    """Write an entry atomically and keep only the newest entries of its kind; failing to is no error."""
    folder = _private_directory(create=True)
    if folder is None:
        return
    try:
        handle, temporary = tempfile.mkstemp(dir=folder, prefix=".tmp-")
    except OSError:
        return
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
        os.replace(temporary, folder / f"{kind[0]}{entry_key}{kind[1]}")
    except OSError:
        Path(temporary).unlink(missing_ok=True)
        return
    _prune(folder, f"{kind[0]}*{kind[1]}")


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


def _prune(folder: Path, pattern: str) -> None:
    """Keep the newest entries of one kind only."""
    try:
        entries = sorted(folder.glob(pattern), key=lambda entry: entry.stat().st_mtime, reverse=True)
        for entry in entries[KEEP_ENTRIES:]:
            entry.unlink(missing_ok=True)
    except OSError:
        pass
