"""Recording evidence: redact, store the artifacts, append one row to the chain.

Everything a step returns is redacted before it is written anywhere. Artifact
files are written first (outside the transaction, they are content-addressed
and idempotent); then one ``BEGIN IMMEDIATE`` transaction reads the chain's
head, hashes the row and inserts it, so concurrent writers (threads of a run,
or two processes on the same plan) queue up and the chain stays linear.
"""

from __future__ import annotations

import datetime as dt
import getpass
import json
import os
import socket
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from luckyctl.errors import InputError
from luckyctl.evidence.artifacts import ArtifactStore
from luckyctl.evidence.chain import GENESIS_HASH, canonical_json, row_hash
from luckyctl.evidence.records import EvidencePhase, EvidenceRecord
from luckyctl.model import StepKind, StepStatus
from luckyctl.store import utc_now

if TYPE_CHECKING:
    from luckyctl.evidence.redaction import Redactor
    from luckyctl.steps.base import StepOutcome
    from luckyctl.store import Store

Timestamp = str | dt.datetime


def current_operator() -> dict[str, str]:
    """Who runs this process, on which machine."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no login name (e.g. a container with an unnamed uid)
        user = f"uid:{os.getuid()}"
    return {"user": user, "host": socket.gethostname()}


def _timestamp(value: Timestamp) -> str:
    if isinstance(value, dt.datetime):
        moment = value if value.tzinfo else value.replace(tzinfo=dt.UTC)
        return moment.astimezone(dt.UTC).isoformat(timespec="microseconds")
    return value


def _jsonable(value: Any) -> Any:
    """The value as it will read back from the store, so the hash covers exactly that."""
    return json.loads(json.dumps(value, sort_keys=True, default=str))


class EvidenceLog:
    """Appends redacted evidence rows to a plan's hash chain. Safe to share between threads."""

    def __init__(
        self,
        store: Store,
        artifacts: ArtifactStore,
        redactor: Redactor,
        operator: Mapping[str, str] | None = None,
    ) -> None:
        self.store = store
        self.artifacts = artifacts
        self.redactor = redactor
        self.operator = dict(operator) if operator is not None else current_operator()

    def record(
        self,
        *,
        run_id: str | None,
        task_id: str,
        attempt: int,
        phase: EvidencePhase | str,
        step_index: int,
        kind: StepKind | str,
        name: str | None,
        outcome: StepOutcome,
        started_at: Timestamp,
        ended_at: Timestamp,
        spec_hash: str | None,
    ) -> EvidenceRecord:
        """One step's or check's result, redacted, as a new row of the chain."""
        redact = self.redactor
        stored = {
            redact.redact(label): self.artifacts.put(redact.redact_bytes(data))
            for label, data in outcome.artifacts.items()
        }
        return self._append(
            {
                "run_id": run_id,
                "task_id": task_id,
                "attempt": attempt,
                "phase": EvidencePhase(phase).value,
                "step_index": step_index,
                "kind": StepKind(kind).value,
                "name": redact.redact(name) if name is not None else None,
                "status": StepStatus(outcome.status).value,
                "summary": redact.redact(outcome.summary),
                "started_at": _timestamp(started_at),
                "ended_at": _timestamp(ended_at),
                "inputs": _jsonable(redact.redact_obj(outcome.inputs)),
                "outputs": _jsonable(redact.redact_obj(outcome.outputs)),
                "metrics": _jsonable(redact.redact_obj(outcome.metrics)),
                "artifacts": stored,
                "spec_hash": spec_hash,
            }
        )

    def record_signoff(
        self,
        task_id: str,
        by: str,
        note: str | None = None,
        attachments: Sequence[Path] = (),
        *,
        run_id: str | None = None,
        spec_hash: str | None = None,
        attempt: int = 0,
    ) -> EvidenceRecord:
        """A person's sign-off of a manual task; attachments are stored (redacted) as artifacts.

        A missing or unreadable attachment is the user's input error: nothing is recorded.
        """
        redact = self.redactor
        contents = [(Path(path), _read_attachment(Path(path))) for path in attachments]
        stored: dict[str, str] = {}
        listing = []
        for path, data in contents:
            clean = redact.redact_bytes(data)
            digest = self.artifacts.put(clean)
            label = _unique(redact.redact(path.name), stored)
            stored[label] = digest
            listing.append({"name": label, "size": len(clean), "sha256": digest, "redacted": clean != data})
        who = redact.redact(by)
        clean_note = redact.redact(note) if note is not None else None
        return self._manual(
            phase=EvidencePhase.SIGNOFF,
            task_id=task_id,
            summary=f"signed off by {who}" + (f": {clean_note}" if clean_note else ""),
            inputs={"by": who},
            outputs={"note": clean_note, "attachments": listing},
            artifacts=stored,
            run_id=run_id,
            spec_hash=spec_hash,
            attempt=attempt,
        )

    def record_approval(
        self,
        task_id: str,
        by: str,
        *,
        note: str | None = None,
        run_id: str | None = None,
        spec_hash: str | None = None,
        attempt: int = 0,
    ) -> EvidenceRecord:
        """A person's approval to run a task (enterprise strategy, protected plans)."""
        who = self.redactor.redact(by)
        clean_note = self.redactor.redact(note) if note is not None else None
        return self._manual(
            phase=EvidencePhase.APPROVAL,
            task_id=task_id,
            summary=f"approved by {who}" + (f": {clean_note}" if clean_note else ""),
            inputs={"by": who},
            outputs={"note": clean_note},
            artifacts={},
            run_id=run_id,
            spec_hash=spec_hash,
            attempt=attempt,
        )

    def _manual(
        self,
        *,
        phase: EvidencePhase,
        task_id: str,
        summary: str,
        inputs: dict[str, Any],
        outputs: dict[str, Any],
        artifacts: dict[str, str],
        run_id: str | None,
        spec_hash: str | None,
        attempt: int,
    ) -> EvidenceRecord:
        now = utc_now()
        return self._append(
            {
                "run_id": run_id,
                "task_id": task_id,
                "attempt": attempt,
                "phase": phase.value,
                "step_index": 0,
                "kind": StepKind.MANUAL.value,
                "name": phase.value,
                "status": StepStatus.PASSED.value,
                "summary": summary,
                "started_at": now,
                "ended_at": now,
                "inputs": _jsonable(inputs),
                "outputs": _jsonable(outputs),
                "metrics": {},
                "artifacts": artifacts,
                "spec_hash": spec_hash,
            }
        )

    def _append(self, fields: dict[str, Any]) -> EvidenceRecord:
        fields = {**fields, "operator": self.operator}
        with self.store.transaction() as conn:
            fields["prev_hash"] = self.store.last_evidence_hash(conn) or GENESIS_HASH
            digest = row_hash(fields)
            # The store encodes the JSON columns it knows; the operator is encoded here.
            seq = self.store.insert_evidence(
                conn, {**fields, "operator": canonical_json(self.operator), "hash": digest}
            )
        return EvidenceRecord.from_row({**fields, "seq": seq, "hash": digest})


def _read_attachment(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise InputError(f"cannot read the attachment: {error.strerror}", path=path) from None


def _unique(name: str, taken: Mapping[str, Any]) -> str:
    """``report.pdf``, then ``report-2.pdf`` … for attachments with the same file name."""
    if name not in taken:
        return name
    stem, dot, suffix = name.partition(".")
    number = 2
    while f"{stem}-{number}{dot}{suffix}" in taken:
        number += 1
    return f"{stem}-{number}{dot}{suffix}"
