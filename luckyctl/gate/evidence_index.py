"""The evidence the gate reads: records of some tasks, and which of them the chain no longer vouches for.

A row that cannot be decoded is left out here; ``verify_chain`` reports it,
so a tampered row fails the gate with a reason instead of crashing it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING

from luckyctl.errors import EvidenceError
from luckyctl.evidence.chain import ChainProblem, VerifyReport
from luckyctl.evidence.records import EvidenceRecord, decode_row, iter_raw_rows

if TYPE_CHECKING:
    from luckyctl.store import Store

MAX_IDS_PER_QUERY = 500


@dataclass
class EvidenceIndex:
    """Records by task id in seq order, with the chain's verdict on them."""

    chain: VerifyReport
    by_task: dict[str, list[EvidenceRecord]] = field(default_factory=dict)

    @classmethod
    def read(cls, store: Store, task_ids: Collection[str], chain: VerifyReport) -> EvidenceIndex:
        """The records of ``task_ids`` (any id a record may carry: tasks, checklist items)."""
        wanted = set(task_ids)
        by_task: dict[str, list[EvidenceRecord]] = defaultdict(list)
        # Many ids: one scan beats a huge IN list (SQLite caps the parameters of a statement).
        rows = iter_raw_rows(store, task_ids=None if len(wanted) > MAX_IDS_PER_QUERY else sorted(wanted))
        for raw in rows:
            if raw["task_id"] not in wanted:
                continue
            try:
                record = EvidenceRecord.from_row(decode_row(raw))
            except EvidenceError:
                continue
            by_task[record.task_id].append(record)
        return cls(chain, dict(by_task))

    @cached_property
    def untrusted(self) -> frozenset[int]:
        """Seqs of the records the chain found a problem with."""
        return frozenset(problem.seq for problem in self.chain.problems if problem.seq is not None)

    def records(self, task_id: str) -> list[EvidenceRecord]:
        return self.by_task.get(task_id, [])

    def trusted(self, task_id: str) -> list[EvidenceRecord]:
        """The task's records the chain still vouches for."""
        untrusted = self.untrusted
        return [record for record in self.records(task_id) if record.seq not in untrusted]

    def problems_of(self, task_id: str) -> list[ChainProblem]:
        return [problem for problem in self.chain.problems if problem.task_id == task_id]
