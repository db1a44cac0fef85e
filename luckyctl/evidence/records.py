"""Evidence rows as typed records, and reading them from the store in seq order.

Rows are read a page at a time by seq, so a reader of 100,000 rows never
holds them all, and the store's lock is never held while a caller works.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterator, Mapping
from dataclasses import asdict, dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any

from luckyctl.errors import EvidenceError
from luckyctl.model import StepKind, StepStatus

if TYPE_CHECKING:
    from luckyctl.store import Store

PAGE_SIZE = 2000

# Every column but ``seq`` and ``hash``: what a row's hash covers, ``prev_hash`` included.
HASHED_FIELDS = (
    "run_id",
    "task_id",
    "attempt",
    "phase",
    "step_index",
    "kind",
    "name",
    "status",
    "summary",
    "started_at",
    "ended_at",
    "inputs",
    "outputs",
    "metrics",
    "artifacts",
    "operator",
    "spec_hash",
    "prev_hash",
)
COLUMNS = ("seq", *HASHED_FIELDS, "hash")
JSON_FIELDS = ("inputs", "outputs", "metrics", "artifacts", "operator")
# JSON columns are selected under another name so the store hands back their
# text as stored: a tampered row must reach the verifier, not crash a decoder.
_RAW_PREFIX = "raw_"
_SELECT = "SELECT {} FROM evidence".format(
    ", ".join(f"{column} AS {_RAW_PREFIX}{column}" if column in JSON_FIELDS else column for column in COLUMNS)
)


class EvidencePhase(str, Enum):
    """Why a row was recorded."""

    STEP = "step"  # one of a task's steps (changes something)
    CHECK = "check"  # one of a task's checks (read-only verification)
    SIGNOFF = "signoff"  # a person signed a manual task off
    APPROVAL = "approval"  # a person approved a task (enterprise strategy)
    RECHECK = "recheck"  # a check re-run live by the gate (`task validate --recheck`)


@dataclass(frozen=True)
class EvidenceRecord:
    """One evidence row, JSON decoded; what the gate, analytics and reports read."""

    seq: int
    run_id: str | None
    task_id: str
    attempt: int
    phase: EvidencePhase
    step_index: int
    kind: StepKind
    name: str | None
    status: StepStatus
    summary: str | None
    started_at: str
    ended_at: str
    inputs: dict[str, Any]
    outputs: dict[str, Any]
    metrics: dict[str, Any]
    artifacts: dict[str, str]  # name → sha256 of the (redacted) content
    operator: dict[str, Any]  # {"user": …, "host": …}
    spec_hash: str | None
    prev_hash: str
    hash: str

    @property
    def passed(self) -> bool:
        return self.status is StepStatus.PASSED

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> EvidenceRecord:
        """From a decoded row; a value that cannot be what it claims is an EvidenceError."""
        seq = row.get("seq")
        try:
            values = {column: row[column] for column in COLUMNS}
            values["phase"] = EvidencePhase(values["phase"])
            values["kind"] = StepKind(values["kind"])
            values["status"] = StepStatus(values["status"])
            for column in JSON_FIELDS:
                if not isinstance(values[column], dict):
                    raise ValueError(f"'{column}' is not a JSON object")
            if not all(isinstance(value, str) for value in values["artifacts"].values()):
                raise ValueError("'artifacts' must map names to hashes")
        except (KeyError, ValueError) as error:
            raise EvidenceError(f"evidence record seq {seq} is malformed: {error}") from None
        return cls(**values)

    def to_json(self) -> dict[str, Any]:
        document = asdict(self)
        document.update(phase=self.phase.value, kind=self.kind.value, status=self.status.value)
        return document


def decode_row(raw: Mapping[str, Any], *, keep_invalid: bool = False) -> dict[str, Any]:
    """A row from ``iter_raw_rows`` with its JSON columns decoded.

    Text that is not JSON is an EvidenceError, or with ``keep_invalid`` stays
    text (an export copies a damaged row as it found it).
    """
    row = {key.removeprefix(_RAW_PREFIX): value for key, value in raw.items()}
    for column in JSON_FIELDS:
        text = row.get(column)
        try:
            row[column] = json.loads(text) if text is not None else None
        except (TypeError, ValueError):
            if not keep_invalid:
                raise EvidenceError(f"evidence record seq {row.get('seq')}: '{column}' is not valid JSON") from None
    return row


def iter_raw_rows(
    store: Store,
    *,
    task_ids: Collection[str] | None = None,
    up_to: int | None = None,
    page_size: int | None = None,
) -> Iterator[dict[str, Any]]:
    """Rows in seq order (up to seq ``up_to``), JSON columns still text (prefixed ``raw_``), a page at a time."""
    page_size = page_size or PAGE_SIZE
    conditions: list[str] = []
    params: list[Any] = []
    if up_to is not None:
        conditions.append("seq <= ?")
        params.append(up_to)
    if task_ids is not None:
        if not task_ids:
            return
        conditions.append(f"task_id IN ({', '.join('?' for _ in task_ids)})")
        params.extend(task_ids)
    after: int | None = None
    while True:
        where = [*conditions, "seq > ?"] if after is not None else conditions
        clause = f" WHERE {' AND '.join(where)}" if where else ""
        page_params = (*params, after) if after is not None else tuple(params)
        rows = store.query(f"{_SELECT}{clause} ORDER BY seq LIMIT {int(page_size)}", page_params)
        yield from rows
        if len(rows) < page_size:
            return
        after = rows[-1]["seq"]


def iter_records(store: Store, *, task_ids: Collection[str] | None = None) -> Iterator[EvidenceRecord]:
    """Every record (of ``task_ids``, if given) in seq order."""
    for raw in iter_raw_rows(store, task_ids=task_ids):
        yield EvidenceRecord.from_row(decode_row(raw))


def load_records(store: Store, task_ids: Collection[str] | None = None) -> list[EvidenceRecord]:
    return list(iter_records(store, task_ids=task_ids))


def record_at(store: Store, seq: int) -> EvidenceRecord | None:
    rows = store.query(f"{_SELECT} WHERE seq = ?", (seq,))
    return EvidenceRecord.from_row(decode_row(rows[0])) if rows else None


def chain_end(store: Store) -> tuple[str | None, int | None]:
    """The head the store recorded and the last seq, read at one instant.

    Verifying or exporting up to that seq ignores rows appended meanwhile,
    which would otherwise look like rows added outside luckyctl.
    """
    row = store.query(
        "SELECT (SELECT value FROM meta WHERE key = 'evidence_head') AS head, (SELECT MAX(seq) FROM evidence) AS last"
    )[0]
    return row["head"], row["last"]


def seq_range(store: Store) -> tuple[int, int] | None:
    """The first and last seq, or None while there is no evidence."""
    row = store.query("SELECT MIN(seq) AS first, MAX(seq) AS last FROM evidence")[0]
    return None if row["first"] is None else (row["first"], row["last"])
