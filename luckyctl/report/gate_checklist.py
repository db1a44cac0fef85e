"""``luckyctl checklist``: each go-live checklist item with its state and, when not done, why."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from luckyctl.gate.checklist import ChecklistReport, ItemState, ItemStatus
from luckyctl.report.terminal import EMPTY, emit, emit_table

ITEM_STYLE: dict[ItemState, str] = {ItemState.DONE: "green", ItemState.PENDING: "yellow", ItemState.FAILING: "bold red"}
CHECKLIST_HEADERS = ["item", "phase", "state", "title", "reason"]


def item_row(status: ItemStatus) -> list[Text | str]:
    reason = status.reason or (f"confirmed by {status.confirmed_by}" if status.confirmed_by else EMPTY)
    return [
        Text(status.item.id, style="bold"),
        status.item.phase.value,
        Text(status.state.value, style=ITEM_STYLE[status.state]),
        status.item.title,
        reason,
    ]


def counts_line(report: ChecklistReport) -> Text:
    """``3 done, 1 pending, 1 failing`` in the states' colours."""
    text = Text()
    for state, count in report.counts().items():
        if text:
            text.append(", ")
        text.append(f"{count} {state}", style=ITEM_STYLE[ItemState(state)] if count else "dim")
    return text


def render_checklist(console: Console, report: ChecklistReport) -> None:
    emit_table(console, CHECKLIST_HEADERS, [item_row(status) for status in report.items], indent=0)
    emit(console, counts_line(report))
