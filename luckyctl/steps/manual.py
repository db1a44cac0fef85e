"""The ``manual`` step: a person has to act; the step waits for ``task signoff``.

It never passes on its own: it returns WAITING with the instruction, and the
sign-off (who, when, note, attachment hashes) is recorded by the sign-off
command as the evidence.
"""

from __future__ import annotations

from luckyctl.model import ManualSpec, StepStatus
from luckyctl.steps.base import StepContext, StepOutcome


def await_signoff(spec: ManualSpec, ctx: StepContext) -> StepOutcome:
    """WAITING, with the instruction as the one-line summary."""
    first_line = spec.instruction.strip().splitlines()[0] if spec.instruction.strip() else "a person has to act"
    outputs = {"instruction": spec.instruction, "attachments_required": spec.attachments_required}
    summary = f"waiting for sign-off: {first_line}"
    if spec.attachments_required:
        summary += f" ({spec.attachments_required} attachment(s) required)"
    return StepOutcome(StepStatus.WAITING, summary, outputs=outputs)
