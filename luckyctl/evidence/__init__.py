"""Evidence: redaction, content-addressed artifacts, the hash-chained log, verification, export.

The engine records every step result through ``EvidenceLog``; readers (the
gate, analytics, reports) read ``EvidenceRecord``s; ``verify_chain`` proves
nothing was edited, deleted or reordered since.
"""

from luckyctl.evidence.artifacts import ARTIFACTS_DIR, ArtifactState, ArtifactStore
from luckyctl.evidence.chain import (
    GENESIS_HASH,
    HASHED_FIELDS,
    ChainBrokenError,
    ChainProblem,
    Problem,
    VerifyReport,
    canonical_json,
    row_hash,
    verify_chain,
)
from luckyctl.evidence.export import ExportSummary, export_evidence, verify_export
from luckyctl.evidence.recorder import EvidenceLog, current_operator
from luckyctl.evidence.records import (
    EvidencePhase,
    EvidenceRecord,
    iter_records,
    load_records,
    record_at,
    seq_range,
)
from luckyctl.evidence.redaction import Redactor, ShortSecretWarning

__all__ = [
    "ARTIFACTS_DIR",
    "GENESIS_HASH",
    "HASHED_FIELDS",
    "ArtifactState",
    "ArtifactStore",
    "ChainBrokenError",
    "ChainProblem",
    "EvidenceLog",
    "EvidencePhase",
    "EvidenceRecord",
    "ExportSummary",
    "Problem",
    "Redactor",
    "ShortSecretWarning",
    "VerifyReport",
    "canonical_json",
    "current_operator",
    "export_evidence",
    "iter_records",
    "load_records",
    "record_at",
    "row_hash",
    "seq_range",
    "verify_chain",
    "verify_export",
]
