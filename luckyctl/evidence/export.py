"""Exporting a plan's evidence for an auditor, and verifying an export offline.

An export directory holds ``evidence.jsonl`` (one row per line, canonical
JSON, in seq order), ``artifacts/sha256/…`` (the files the rows name, copied
as they are) and ``manifest.json`` (counts, the chain's head and the hashing
rule). Anyone can re-check it from those three without luckyctl; with
luckyctl, ``evidence verify DIR`` does.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from luckyctl.errors import InputError
from luckyctl.evidence.artifacts import ARTIFACTS_DIR, ArtifactStore, is_digest
from luckyctl.evidence.chain import (
    GENESIS_HASH,
    HASH_RULE,
    HASHED_FIELDS,
    ChainRow,
    VerifyReport,
    canonical_json,
    chain_row,
    check_chain,
)
from luckyctl.evidence.records import chain_end, decode_row, iter_raw_rows
from luckyctl.store import utc_now

if TYPE_CHECKING:
    from luckyctl.store import Store

EXPORT_FORMAT = "luckyctl-evidence-export"
EXPORT_VERSION = 1
ROWS_FILE = "evidence.jsonl"
MANIFEST_FILE = "manifest.json"


@dataclass
class ExportSummary:
    directory: Path
    records: int = 0
    artifacts: int = 0
    head: str | None = None
    missing_artifacts: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "directory": str(self.directory),
            "records": self.records,
            "artifacts": self.artifacts,
            "head": self.head,
            "missing_artifacts": self.missing_artifacts,
        }


def _require_empty(directory: Path) -> None:
    if directory.exists() and not directory.is_dir():
        raise InputError("not a directory: export into a new or empty directory", path=directory)
    if directory.is_dir() and any(directory.iterdir()):
        raise InputError("not empty: export into a new or empty directory", path=directory)


def export_evidence(
    store: Store, artifacts: ArtifactStore, directory: Path, *, plan: str | None = None
) -> ExportSummary:
    """Write every row, the artifacts they name and a manifest into a new or empty ``directory``."""
    directory = Path(directory)
    _require_empty(directory)
    directory.mkdir(parents=True, exist_ok=True)
    target = ArtifactStore(directory / ARTIFACTS_DIR)
    summary = ExportSummary(directory)
    copied: set[str] = set()
    recorded_head, up_to = chain_end(store)
    first_seq: int | None = None
    last_seq: int | None = None
    with (directory / ROWS_FILE).open("w", encoding="ascii", newline="\n") as rows_file:
        for raw in iter_raw_rows(store, up_to=up_to):
            row = decode_row(raw, keep_invalid=True)  # a damaged row is exported as found; verification says so
            rows_file.write(canonical_json(row) + "\n")
            summary.records += 1
            summary.head = row["hash"]
            first_seq = row["seq"] if first_seq is None else first_seq
            last_seq = row["seq"]
            named = row["artifacts"] if isinstance(row["artifacts"], dict) else {}
            for digest in named.values():
                if is_digest(digest) and digest not in copied:
                    copied.add(digest)
                    if not artifacts.copy_to(digest, target):
                        summary.missing_artifacts.append(digest)
    summary.artifacts = len(copied) - len(summary.missing_artifacts)
    manifest = {
        "format": EXPORT_FORMAT,
        "version": EXPORT_VERSION,
        "plan": plan,
        "exported_at": utc_now(),
        "records": summary.records,
        "first_seq": first_seq,
        "last_seq": last_seq,
        "head": summary.head,
        # The head the store recorded apart from its rows: differs from `head` if rows were cut off.
        "recorded_head": recorded_head,
        "rows_file": ROWS_FILE,
        "artifacts": summary.artifacts,
        "missing_artifacts": summary.missing_artifacts,
        "hash": {"algorithm": "sha256", "fields": list(HASHED_FIELDS), "rule": HASH_RULE, "genesis": GENESIS_HASH},
    }
    (directory / MANIFEST_FILE).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return summary


def read_manifest(directory: Path) -> dict[str, Any]:
    path = Path(directory) / MANIFEST_FILE
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise InputError(f"not an evidence export: {error.strerror}", path=path) from None
    except ValueError as error:
        raise InputError(f"not an evidence export: {error}", path=path) from None
    if not isinstance(manifest, dict) or manifest.get("format") != EXPORT_FORMAT:
        raise InputError(f"not an evidence export (expected format '{EXPORT_FORMAT}')", path=path)
    return manifest


def _export_rows(path: Path) -> Iterator[ChainRow]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("not a JSON object")
            except ValueError as error:
                yield ChainRow(
                    None, None, hash="", prev_hash="", fields=None, error=f"{path.name} line {number}: {error}"
                )
                continue
            yield chain_row(row)


def verify_export(directory: Path) -> VerifyReport:
    """Verify an export directory as ``verify_chain`` verifies a store."""
    directory = Path(directory)
    manifest = read_manifest(directory)
    rows_path = directory / str(manifest.get("rows_file", ROWS_FILE))
    if not rows_path.is_file():
        raise InputError("the export has no rows file", path=rows_path)
    index = {row.hash: (row.seq, row.task_id) for row in _export_rows(rows_path) if row.seq is not None}
    expected_head = manifest.get("recorded_head") or manifest.get("head")
    return check_chain(
        _export_rows(rows_path),
        ArtifactStore(directory / ARTIFACTS_DIR),
        locate=lambda digest: index.get(digest),
        expected_head=expected_head,
    )
