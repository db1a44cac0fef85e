"""The hash chain over a plan's evidence rows, and its verification.

Each row's ``hash`` is the SHA-256 of the canonical JSON of its fields
(``HASHED_FIELDS``: everything but ``seq`` and ``hash``, ``prev_hash``
included); ``prev_hash`` is the previous row's ``hash``, 64 zeros for the
first. Changing a row breaks its own hash; rewriting its hash too breaks the
next row's link; deleting or reordering rows breaks links; deleting the last
rows no longer matches the head the store recorded apart from the rows.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING, Any

from luckyctl.errors import EvidenceError
from luckyctl.evidence.artifacts import ArtifactState, ArtifactStore, is_digest
from luckyctl.evidence.records import HASHED_FIELDS, chain_end, decode_row, iter_raw_rows

if TYPE_CHECKING:
    from luckyctl.store import Store

GENESIS_HASH = "0" * 64
HASH_RULE = (
    "sha256 of the UTF-8 bytes of json.dumps({field: row[field] for field in fields}, "
    "sort_keys=True, separators=(',', ':'), ensure_ascii=True); prev_hash of the first row is 64 zeros"
)


_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical_json(value: Any) -> str:
    """One spelling per value: sorted keys, no spaces, ASCII only."""
    return _CANONICAL.encode(value)


def row_hash(fields: Mapping[str, Any]) -> str:
    """The hash of a row from its decoded fields (``seq`` and ``hash`` are ignored)."""
    body = {name: fields.get(name) for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(body).encode("ascii")).hexdigest()


class ChainBrokenError(EvidenceError):
    """Verification found problems: like a failed gate, exit code 1."""

    exit_code = 1


class Problem(str, Enum):
    EDITED = "edited"  # the row's content does not hash to its stored hash
    DELETED = "deleted"  # a row it was chained to is gone
    REORDERED = "reordered"  # its link points elsewhere in the chain
    TRUNCATED = "truncated"  # rows at the end are gone
    MALFORMED = "malformed"  # the row cannot be read at all
    ARTIFACT_MISSING = "artifact-missing"
    ARTIFACT_CORRUPT = "artifact-corrupt"


@dataclass(frozen=True)
class ChainProblem:
    seq: int | None  # None for a problem of the chain as a whole (truncation)
    task_id: str | None
    problem: Problem
    detail: str

    def __str__(self) -> str:
        where = f"seq {self.seq}" if self.seq is not None else "chain"
        task = f" ({self.task_id})" if self.task_id else ""
        return f"{where}{task}: {self.problem.value}: {self.detail}"

    def to_json(self) -> dict[str, Any]:
        return {"seq": self.seq, "task_id": self.task_id, "problem": self.problem.value, "detail": self.detail}


@dataclass
class VerifyReport:
    records: int = 0
    artifacts: int = 0  # distinct artifact files checked
    head: str | None = None  # hash of the last row
    problems: list[ChainProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "records": self.records,
            "artifacts": self.artifacts,
            "head": self.head,
            "problems": [problem.to_json() for problem in self.problems],
        }


@dataclass(frozen=True)
class ChainRow:
    """What verification needs of one row; ``fields`` is None when it could not be decoded."""

    seq: int | None  # None for an export line that is not even JSON
    task_id: str | None
    hash: str
    prev_hash: str
    fields: Mapping[str, Any] | None
    error: str | None = None


Locate = Callable[[str], "tuple[int, str | None] | None"]  # hash → (seq, task id) of the row that has it


def check_chain(
    rows: Iterable[ChainRow], artifacts: ArtifactStore, *, locate: Locate, expected_head: str | None
) -> VerifyReport:
    """Verify rows given in seq order: hashes, links, the head, every artifact."""
    report = VerifyReport()
    artifact_states: dict[str, ArtifactState] = {}
    previous: ChainRow | None = None
    for row in rows:
        report.records += 1
        problems = report.problems
        if row.fields is None:
            problems.append(ChainProblem(row.seq, row.task_id, Problem.MALFORMED, row.error or "unreadable"))
        elif row_hash(row.fields) != row.hash:
            problems.append(ChainProblem(row.seq, row.task_id, Problem.EDITED, "its content does not match its hash"))
        expected_prev = previous.hash if previous else GENESIS_HASH
        if row.prev_hash != expected_prev:
            problems.append(_broken_link(row, previous, locate))
        if row.fields is not None:
            problems.extend(_artifact_problems(row, artifacts, artifact_states))
        previous = row
    report.artifacts = len(artifact_states)
    report.head = previous.hash if previous else None
    if expected_head is not None and expected_head != report.head:
        report.problems.append(_truncation(previous, expected_head, locate))
    return report


def _short(digest: str) -> str:
    return digest[:12]


def _broken_link(row: ChainRow, previous: ChainRow | None, locate: Locate) -> ChainProblem:
    def problem(kind: Problem, detail: str) -> ChainProblem:
        return ChainProblem(row.seq, row.task_id, kind, detail)

    if row.prev_hash == GENESIS_HASH and previous is not None:
        return problem(Problem.REORDERED, f"it was recorded as the first record, but comes after seq {previous.seq}")
    found = locate(row.prev_hash)
    if found is not None:
        seq = found[0]
        if previous is None or row.seq is None or seq > row.seq:
            return problem(
                Problem.REORDERED, f"out of order: it was recorded after seq {seq}, which now comes after it"
            )
        return problem(
            Problem.REORDERED, f"out of order: it was recorded right after seq {seq}, not seq {previous.seq}"
        )
    if previous is None:
        return problem(Problem.DELETED, f"the records before it are missing (it follows {_short(row.prev_hash)}…)")
    if row.seq is not None and previous.seq is not None and row.seq - previous.seq > 1:
        gap = f"seq {previous.seq + 1}" if row.seq - previous.seq == 2 else f"seq {previous.seq + 1}–{row.seq - 1}"
        return problem(Problem.DELETED, f"{gap} before it is missing")
    return problem(
        Problem.DELETED,
        f"it does not follow seq {previous.seq}: a record between them was deleted, or seq {previous.seq} was rewritten",
    )


def _truncation(last: ChainRow | None, head: str, locate: Locate) -> ChainProblem:
    found = locate(head)
    if found is not None:
        detail = f"the records after seq {found[0]} were added outside luckyctl"
    elif last is None:
        detail = f"every record is missing (the chain's head was {_short(head)}…)"
    else:
        detail = f"the records after seq {last.seq} are missing (the chain's head was {_short(head)}…)"
    return ChainProblem(None, None, Problem.TRUNCATED, detail)


def _artifact_problems(
    row: ChainRow, artifacts: ArtifactStore, states: dict[str, ArtifactState]
) -> Iterator[ChainProblem]:
    named = row.fields.get("artifacts") if row.fields else None
    if not isinstance(named, Mapping):
        yield ChainProblem(row.seq, row.task_id, Problem.MALFORMED, "'artifacts' is not a JSON object")
        return
    for name, digest in named.items():
        if not is_digest(digest):
            yield ChainProblem(row.seq, row.task_id, Problem.MALFORMED, f"artifact '{name}' has a bad name {digest!r}")
            continue
        if digest not in states:
            states[digest] = artifacts.check(digest)
        state = states[digest]
        if state is ArtifactState.MISSING:
            yield ChainProblem(
                row.seq, row.task_id, Problem.ARTIFACT_MISSING, f"artifact '{name}' ({_short(digest)}…) is missing"
            )
        elif state is ArtifactState.CORRUPT:
            yield ChainProblem(
                row.seq,
                row.task_id,
                Problem.ARTIFACT_CORRUPT,
                f"artifact '{name}' ({_short(digest)}…) does not match its hash: the file was changed",
            )


def chain_row(row: Mapping[str, Any]) -> ChainRow:
    """A ChainRow from a row whose JSON fields are already decoded (an export line)."""
    return ChainRow(
        seq=row.get("seq"),
        task_id=row.get("task_id"),
        hash=str(row.get("hash")),
        prev_hash=str(row.get("prev_hash")),
        fields=row,
    )


def _store_rows(store: Store, up_to: int | None) -> Iterator[ChainRow]:
    for raw in iter_raw_rows(store, up_to=up_to):
        try:
            yield chain_row(decode_row(raw))
        except EvidenceError as error:
            yield ChainRow(raw["seq"], raw["task_id"], raw["hash"], raw["prev_hash"], None, error.message)


def verify_chain(store: Store, artifacts: ArtifactStore) -> VerifyReport:
    """Verify every evidence row of a store and every artifact they name."""

    def locate(digest: str) -> tuple[int, str | None] | None:
        rows = store.query("SELECT seq, task_id FROM evidence WHERE hash = ? LIMIT 1", (digest,))
        return (rows[0]["seq"], rows[0]["task_id"]) if rows else None

    head, last_seq = chain_end(store)
    return check_chain(_store_rows(store, last_seq), artifacts, locate=locate, expected_head=head)
