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

from rich.console import Console
from rich.control import strip_control_codes
from rich.padding import Padding
from rich.table import Table
from rich.text import Text
from rich.tree import Tree

from luckyctl.durations import format_hours, format_seconds
from luckyctl.enums import TaskState
from luckyctl.report.status_lines import (  # the shared vocabulary, also imported from here
    COLUMN_GAP,
    EMPTY,
    STATE_LOOK,
    Segments,
    age,
    aligned_plain,
    column_widths,
    epic_segments,
    format_age,  # noqa: F401
    header_segments,
    plain_status_lines,
    state_count_segments,
    story_segments,
    task_cells,
    total_segments,
)
from luckyctl.status import StatusReport
from luckyctl.task_detail import Neighbour, TaskDetail

# Styles of step outcomes as the evidence rows store them.
OUTCOME_STYLE: dict[str, str] = {"passed": "green", "failed": "bold red", "error": "red", "waiting": "yellow"}


def is_plain(console: Console) -> bool:
    """Plain lines unless the console writes to a terminal."""
    return not console.is_terminal


def state_style(state: TaskState) -> str:
    return STATE_LOOK[state][1]


def state_label(state: TaskState, *, symbol: bool = True) -> Text:
    """``✓ succeeded`` in the state's colour (without the symbol in plain output)."""
    mark, style = STATE_LOOK[state]
    return Text(f"{mark} {state.value}" if symbol else state.value, style=style)


def short_time(timestamp: str | None) -> str:
    """``2026-12-07 10:03:12Z`` from a stored UTC ISO timestamp."""
    if not timestamp:
        return EMPTY
    moment = dt.datetime.fromisoformat(timestamp).astimezone(dt.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%SZ")


def styled(segments: Segments) -> Text:
    return Text.assemble(*segments)


def state_counts(states: Mapping[TaskState, int]) -> Text:
    """``succeeded 2, pending 13``: the non-zero counts in state order, each in its colour."""
    return styled(state_count_segments(states))


def aligned(rows: Sequence[Sequence[Text]]) -> list[Text]:
    """Rows of styled cells padded into columns; the last cell of a row is not padded."""
    widths = column_widths([[cell.plain for cell in row] for row in rows])
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
    if not rows:
        emit(console, Text("none", style="dim"), indent)
        return
    if is_plain(console):  # strings only: rich's rendering would cost more than a long listing itself
        texts = [[cell.plain if isinstance(cell, Text) else cell for cell in row] for row in rows]
        margin = " " * indent
        write_plain(console, [strip_control_codes(margin + line) for line in aligned_plain([list(headers), *texts])])
        return
    cells = [[cell if isinstance(cell, Text) else Text(cell) for cell in row] for row in rows]
    table = Table(*headers, box=None, padding=(0, 2, 0, 0), header_style="bold dim")
    for row in cells:
        table.add_row(*row)
    console.print(Padding(table, (0, 0, 0, indent), expand=False))


# ---------------------------------------------------------------- task status


def render_status(console: Console, report: StatusReport, *, expand: bool, now: dt.datetime) -> None:
    """The status tree; stories without their tasks unless ``expand``."""
    if is_plain(console):
        write_plain(console, plain_status_lines(report, expand=expand, now=now))
        return
    tasks = [task for epic in report.epics for story in epic.stories for task in story.tasks] if expand else []
    rows = [[Text(text, style=style) for text, style in task_cells(task, now, plain_form=False)] for task in tasks]
    task_lines = dict(zip((task.id for task in tasks), aligned(rows), strict=True))
    tree = Tree(styled(header_segments(report)), guide_style="dim")
    for epic in report.epics:
        epic_node = tree.add(styled(epic_segments(epic)))
        for story in epic.stories:
            story_node = epic_node.add(styled(story_segments(story)))
            for task in story.tasks if expand else []:
                # One line per task however long its title; the reason gets a line of its own.
                line = task_lines[task.id]
                line.no_wrap, line.overflow = True, "ellipsis"
                task_node = story_node.add(line)
                if task.reason:
                    task_node.add(Text(task.reason, style=state_style(task.state)))
    console.print(tree)
    console.print(styled(total_segments(report)))


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
