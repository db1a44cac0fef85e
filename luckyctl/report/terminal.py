"""Terminal output: rich on a terminal, plain aligned lines everywhere else.

The shared vocabulary (a colour and a symbol per task state, relative times,
counts per state) and the renderers of ``task status`` and ``task show``.
Whether a console is a terminal decides the form: piped output has no box
characters, no tree guides and no colour, so ``grep`` and ``diff`` work on it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from rich.cells import cell_len
from rich.console import Console
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from luckyctl.durations import format_hours, format_seconds
from luckyctl.model import TaskState
from luckyctl.status import EpicStatus, Neighbour, StatusReport, StoryStatus, TaskDetail, TaskStatus, Totals

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
# Styles of step outcomes as the evidence rows store them.
OUTCOME_STYLE: dict[str, str] = {"passed": "green", "failed": "bold red", "error": "red", "waiting": "yellow"}
COLUMN_GAP = "  "
EMPTY = "-"


def is_plain(console: Console) -> bool:
    """Plain lines unless the console writes to a terminal."""
    return not console.is_terminal


def state_style(state: TaskState) -> str:
    return STATE_LOOK[state][1]


def state_label(state: TaskState, *, symbol: bool = True) -> Text:
    """``✓ succeeded`` in the state's colour (without the symbol in plain output)."""
    mark, style = STATE_LOOK[state]
    return Text(f"{mark} {state.value}" if symbol else state.value, style=style)


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


def short_time(timestamp: str | None) -> str:
    """``2026-12-07 10:03:12Z`` from a stored UTC ISO timestamp."""
    if not timestamp:
        return EMPTY
    moment = dt.datetime.fromisoformat(timestamp).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def state_counts(states: Mapping[TaskState, int]) -> Text:
    """``succeeded 2, pending 13``: the non-zero counts in state order, each in its colour."""
    text = Text()
    for state in TaskState:
        count = states.get(state, 0)
        if count:
            if text:
                text.append(", ")
            text.append(f"{state.value} {count}", style=state_style(state))
    return text


def progress(totals: Totals) -> str:
    """``2/15 done, 13% of 120h``: done tasks and the share of estimated hours done."""
    return f"{totals.done}/{totals.tasks} done, {totals.whole_percent_done}% of {format_hours(totals.estimate_hours)}"


def _widths(rows: Iterable[Sequence[str]]) -> list[int]:
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
    widths = _widths(rows)
    lines = []
    for row in rows:
        padded = [text + " " * (width - cell_len(text)) for text, width in zip(row, widths, strict=False)]
        lines.append(COLUMN_GAP.join([*padded, *row[len(widths) :]]).rstrip())
    return lines


def aligned(rows: Sequence[Sequence[Text]]) -> list[Text]:
    """Rows of styled cells padded into columns; the last cell of a row is not padded."""
    widths = _widths([[cell.plain for cell in row] for row in rows])
    lines = []
    for row in rows:
        line = Text()
        for index, cell in enumerate(row):
            if index:
                line.append(COLUMN_GAP)
            line.append_text(cell)
            if index < len(widths):
                line.append(" " * (widths[index] - cell.cell_len))
        line.rstrip()
        lines.append(line)
    return lines


def write_plain(console: Console, lines: Iterable[str]) -> None:
    """Plain lines straight to the console's file, in one write.

    Rich's rendering of each line costs more than a 10,000-line listing itself;
    plain output needs none of it.
    """
    console.file.write("".join(line + "\n" for line in lines))
    console.file.flush()


def emit(console: Console, line: Text, indent: int = 0) -> None:
    """One line: styled on a terminal, bare text otherwise, never wrapped."""
    if is_plain(console):
        console.out(" " * indent + line.plain, highlight=False)
    else:
        console.print(Text(" " * indent) + line, soft_wrap=True)


def emit_table(console: Console, headers: Sequence[str], rows: Sequence[Sequence[Text | str]], indent: int = 2) -> None:
    """A table: rich on a terminal, aligned plain columns with a header line otherwise."""
    cells = [[cell if isinstance(cell, Text) else Text(cell) for cell in row] for row in rows]
    if not cells:
        emit(console, Text("none", style="dim"), indent)
        return
    if is_plain(console):
        for line in aligned([[Text(header) for header in headers], *cells]):
            emit(console, line, indent)
        return
    table = Table(*headers, box=None, padding=(0, 2, 0, 0), header_style="bold dim")
    for row in cells:
        table.add_row(*row)
    console.print(Padding(table, (0, 0, 0, indent), expand=False))


# ---------------------------------------------------------------- task status


def _task_cells(task: TaskStatus, now: dt.datetime, plain: bool) -> list[tuple[str, str]]:
    """(text, style) per column; plain output takes only the text, so long listings build no rich objects."""
    mark, style = STATE_LOOK[task.state]
    attempts = f"{task.attempts} attempt{'' if task.attempts == 1 else 's'}" if task.attempts else EMPTY
    title = f"{task.title} ({task.reason})" if task.reason and plain else task.title
    return [
        (task.state.value if plain else f"{mark} {task.state.value}", style),
        (task.id, "bold"),
        (task.owner, ""),
        (task.assignee or EMPTY, ""),
        (attempts, ""),
        (age(task.last_evidence_at, now), ""),
        (title, ""),
    ]


def _epic_line(epic: EpicStatus) -> Text:
    days = f"  days {epic.days[0]}-{epic.days[1]}" if epic.days else ""
    line = Text.assemble((epic.id, "bold"), f"  {epic.title}{days}  {progress(epic.totals)}  ")
    return line.append_text(state_counts(epic.totals.states))


def _story_line(story: StoryStatus) -> Text:
    line = Text.assemble((story.id, "bold"), f"  {story.title}  {story.totals.done}/{story.totals.tasks} done  ")
    return line.append_text(state_counts(story.totals.states))


def render_status(console: Console, report: StatusReport, *, expand: bool, now: dt.datetime) -> None:
    """The status tree; stories without their tasks unless ``expand``."""
    plain = is_plain(console)
    tasks = [task for epic in report.epics for story in epic.stories for task in story.tasks] if expand else []
    cells = [_task_cells(task, now, plain) for task in tasks]
    header = Text.assemble((report.project_id, "bold"), f"  {report.project_name}  plan {report.plan}")
    total = Text.assemble(("total", "bold"), f"  {progress(report.totals)}  ").append_text(
        state_counts(report.totals.states)
    )
    if plain:
        plain_lines = aligned_plain([[text for text, _style in row] for row in cells])
        by_task = dict(zip((task.id for task in tasks), plain_lines, strict=True))
        lines = [header.plain]
        for epic in report.epics:
            lines.append(_epic_line(epic).plain)
            for story in epic.stories:
                lines.append("  " + _story_line(story).plain)
                lines.extend("    " + by_task[task.id] for task in story.tasks if expand)
        lines.append(total.plain)
        write_plain(console, lines)
        return
    styled = aligned([[Text(text, style=style) for text, style in row] for row in cells])
    task_lines = dict(zip((task.id for task in tasks), styled, strict=True))
    tree = Tree(header, guide_style="dim")
    for epic in report.epics:
        epic_node = tree.add(_epic_line(epic))
        for story in epic.stories:
            story_node = epic_node.add(_story_line(story))
            for task in story.tasks if expand else []:
                # One line per task however long its title; the reason gets a line of its own.
                line = task_lines[task.id]
                line.no_wrap, line.overflow = True, "ellipsis"
                task_node = story_node.add(line)
                if task.reason:
                    task_node.add(Text(task.reason, style=state_style(task.state)))
    console.print(tree)
    console.print(total)


# ---------------------------------------------------------------- task show


def _metrics(metrics: Mapping[str, Any]) -> str:
    """``p95_ms=181.2 status_code=200``."""
    shown = (f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}" for name, value in metrics.items())
    return " ".join(shown)


def _yes_no(flag: bool, yes: str) -> str:
    return yes if flag else "no"


def _section(console: Console, title: str) -> None:
    console.out("")
    emit(console, Text(title, style="bold underline"))


def _neighbour_rows(neighbours: Iterable[Neighbour], plain: bool) -> list[list[Text]]:
    return [[Text(n.id, style="bold"), state_label(n.state, symbol=not plain), Text(n.title)] for n in neighbours]


def render_task_detail(console: Console, detail: TaskDetail, *, now: dt.datetime) -> None:
    """Every section of ``task show``; empty sections say ``none``."""
    plain = is_plain(console)
    task = detail.status
    state = state_label(task.state, symbol=not plain)
    if task.attempts:
        state.append(f" after {task.attempts} attempt{'' if task.attempts == 1 else 's'}")
    if task.reason:
        state.append(f": {task.reason}")
    owner = f"{task.owner} ({detail.owner_title})" if detail.owner_title else task.owner
    fields: list[tuple[str, Text | str]] = [
        ("state", state),
        ("epic", f"{detail.epic_id}  {detail.epic_title}"),
        ("story", f"{detail.story_id}  {detail.story_title}"),
        ("owner", owner),
        ("assignee", task.assignee or EMPTY),
        ("estimate", format_hours(task.estimate_hours)),
        ("manual", f"sign-off: {detail.manual}" if detail.manual else "no"),
        ("approval", _yes_no(detail.approval, "required")),
        ("retries", str(detail.retries)),
        ("timeout", format_seconds(detail.timeout_s)),
        ("evidence max age", format_seconds(detail.evidence_max_age_s)),
        ("last evidence", age(task.last_evidence_at, now)),
    ]
    if detail.description:
        fields.append(("description", detail.description))
    emit(console, Text.assemble((task.id, "bold"), "  ", task.title))
    field_rows = [[Text(name, style="dim"), Text(value) if isinstance(value, str) else value] for name, value in fields]
    for line in aligned(field_rows):
        emit(console, line, 2)

    declared = ", ".join(detail.depends_on_declared)
    _section(console, f"depends on ({declared})" if declared else "depends on")
    emit_table(console, ["task", "state", "title"], _neighbour_rows(detail.depends_on, plain))
    _section(console, "dependents")
    emit_table(console, ["task", "state", "title"], _neighbour_rows(detail.dependents, plain))
    for title, steps in (("steps", detail.steps), ("checks", detail.checks)):
        _section(console, title)
        step_rows = [[str(step.index), step.kind.value, step.name or EMPTY, step.summary] for step in steps]
        emit_table(console, ["#", "kind", "name", "does"], step_rows)

    _section(console, "history")
    emit_table(
        console,
        ["run", "attempt", "state", "started", "took", "reason"],
        [
            [
                entry.run_id,
                str(entry.attempt),
                state_label(entry.state, symbol=not plain),
                short_time(entry.started_at),
                format_seconds(entry.duration_s) if entry.duration_s is not None else EMPTY,
                entry.reason or EMPTY,
            ]
            for entry in detail.history
        ],
    )
    _section(console, "evidence")
    emit_table(
        console,
        ["seq", "phase", "kind", "name", "status", "at", "metrics", "summary"],
        [
            [
                str(entry.seq),
                entry.phase,
                entry.kind,
                entry.name or EMPTY,
                Text(entry.status, style=OUTCOME_STYLE.get(entry.status, "")),
                short_time(entry.ended_at),
                _metrics(entry.metrics) or EMPTY,
                entry.summary or EMPTY,
            ]
            for entry in detail.evidence
        ],
    )
    _section(console, "assignments")
    emit_table(
        console,
        ["assignee", "role", "wave", "days", "assigned", "by", "active"],
        [
            [
                entry.assignee,
                entry.role,
                str(entry.wave) if entry.wave is not None else EMPTY,
                f"{entry.planned_start_day}-{entry.planned_end_day}" if entry.planned_start_day is not None else EMPTY,
                short_time(entry.assigned_at),
                entry.assigned_by or EMPTY,
                _yes_no(entry.active, "yes"),
            ]
            for entry in detail.assignments
        ],
    )
