"""The lines of ``task status`` as text, and the vocabulary the terminal renderers share.

No rich here (but its cell widths, for text that is not ASCII): piped output
of ``task status`` is written from these strings alone, so the command starts
fast. Each line is
a list of ``(text, style)`` segments; ``luckyctl.report.terminal`` turns the
same segments into styled rich text on a terminal, so the two forms cannot
drift.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from luckyctl.durations import format_hours
from luckyctl.enums import TaskState
from luckyctl.status import EpicStatus, StatusReport, StoryStatus, TaskStatus, Totals

Segments = list[tuple[str, str]]  # (text, rich style); "" is no style

# state → (symbol, rich style)
STATE_LOOK: dict[TaskState, tuple[str, str]] = {
    TaskState.PENDING: ("·", "dim"),
    TaskState.READY: ("○", "cyan"),
    TaskState.RUNNING: ("▶", "bold blue"),
    TaskState.SUCCEEDED: ("✓", "green"),
    TaskState.FAILED: ("✗", "bold red"),
    TaskState.BLOCKED: ("⊘", "magenta"),
    TaskState.WAITING: ("⏸", "yellow"),
    TaskState.SKIPPED: ("↷", "green"),
    TaskState.INTERRUPTED: ("!", "red"),
}
COLUMN_GAP = "  "
EMPTY = "-"


def plain(segments: Segments) -> str:
    return "".join(text for text, _style in segments)


def format_age(seconds: float) -> str:
    """``just now``, ``12s ago``, ``3m ago``, ``5h ago``, ``2d ago``."""
    if seconds < 1:
        return "just now"
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{int(seconds // size)}{unit} ago"
    return f"{int(seconds)}s ago"


def age(timestamp: str | None, now: dt.datetime) -> str:
    """How long ago an ISO timestamp was, or ``-`` when there is none."""
    if not timestamp:
        return EMPTY
    return format_age((now - dt.datetime.fromisoformat(timestamp)).total_seconds())


def progress(totals: Totals) -> str:
    """``2/15 done, 13% of 120h``: done tasks and the share of estimated hours done."""
    return f"{totals.done}/{totals.tasks} done, {totals.whole_percent_done}% of {format_hours(totals.estimate_hours)}"


def state_count_segments(states: Mapping[TaskState, int]) -> Segments:
    """``succeeded 2, pending 13``: the non-zero counts in state order, each in its state's style."""
    segments: Segments = []
    for state in TaskState:
        count = states.get(state, 0)
        if count:
            if segments:
                segments.append((", ", ""))
            segments.append((f"{state.value} {count}", STATE_LOOK[state][1]))
    return segments


def cell_len(text: str) -> int:
    """The terminal cells ``text`` takes: its length when ASCII, else as rich measures it (wide characters)."""
    if text.isascii():
        return len(text)
    from rich.cells import cell_len as rich_cell_len

    return rich_cell_len(text)


def column_widths(rows: Iterable[Sequence[str]]) -> list[int]:
    """Terminal cell widths of each column but the last (which is never padded)."""
    widths: list[int] = []
    for row in rows:
        for index, text in enumerate(row[:-1]):
            width = cell_len(text)
            if index == len(widths):
                widths.append(width)
            elif width > widths[index]:
                widths[index] = width
    return widths


def aligned_plain(rows: Sequence[Sequence[str]]) -> list[str]:
    """Rows of strings padded into columns: the fast path for long plain listings."""
    widths = column_widths(rows)
    lines = []
    for row in rows:
        padded = [text + " " * (width - cell_len(text)) for text, width in zip(row, widths, strict=False)]
        lines.append(COLUMN_GAP.join([*padded, *row[len(widths) :]]).rstrip())
    return lines


def task_cells(task: TaskStatus, now: dt.datetime, plain_form: bool) -> Segments:
    """(text, style) per column; plain output takes only the text, so long listings build no rich objects."""
    mark, style = STATE_LOOK[task.state]
    attempts = f"{task.attempts} attempt{'' if task.attempts == 1 else 's'}" if task.attempts else EMPTY
    title = f"{task.title} ({task.reason})" if task.reason and plain_form else task.title
    return [
        (task.state.value if plain_form else f"{mark} {task.state.value}", style),
        (task.id, "bold"),
        (task.owner, ""),
        (task.assignee or EMPTY, ""),
        (attempts, ""),
        (age(task.last_evidence_at, now), ""),
        (title, ""),
    ]


def header_segments(report: StatusReport) -> Segments:
    return [(report.project_id, "bold"), (f"  {report.project_name}  plan {report.plan}", "")]


def epic_segments(epic: EpicStatus) -> Segments:
    days = f"  days {epic.days[0]}-{epic.days[1]}" if epic.days else ""
    heading = [(epic.id, "bold"), (f"  {epic.title}{days}  {progress(epic.totals)}  ", "")]
    return heading + state_count_segments(epic.totals.states)


def story_segments(story: StoryStatus) -> Segments:
    heading = [(story.id, "bold"), (f"  {story.title}  {story.totals.done}/{story.totals.tasks} done  ", "")]
    return heading + state_count_segments(story.totals.states)


def total_segments(report: StatusReport) -> Segments:
    return [("total", "bold"), (f"  {progress(report.totals)}  ", "")] + state_count_segments(report.totals.states)


def plain_status_lines(report: StatusReport, *, expand: bool, now: dt.datetime) -> list[str]:
    """The status tree as plain aligned lines: no colour, no guides, one line per task."""
    tasks = [task for epic in report.epics for story in epic.stories for task in story.tasks] if expand else []
    rows = [[text for text, _style in task_cells(task, now, plain_form=True)] for task in tasks]
    by_task = dict(zip((task.id for task in tasks), aligned_plain(rows), strict=True))
    lines = [plain(header_segments(report))]
    for epic in report.epics:
        lines.append(plain(epic_segments(epic)))
        for story in epic.stories:
            lines.append("  " + plain(story_segments(story)))
            lines.extend("    " + by_task[task.id] for task in story.tasks if expand)
    lines.append(plain(total_segments(report)))
    return lines
