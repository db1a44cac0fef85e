"""The analytics as ONE self-contained HTML file: inline CSS and inline SVG, nothing fetched.

Four charts drawn by hand as SVG (no script, no font or style sheet from
anywhere): the burndown (planned vs actual), the status breakdown per epic,
a Gantt chart of every task (planned vs actual, critical path marked) and
the 3×3 risk heat map (inherent and residual). Every text that comes from
the roadmap or the store goes through ``html.escape``.
"""

from __future__ import annotations

import html
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence

from luckyctl.analytics import Analytics, GanttRow
from luckyctl.model import Level, TaskState
from luckyctl.report.analytics_markdown import EMPTY, hours, on_day, percent, span_text, variance_words
from luckyctl.risks import LEVELS, RiskReport, RiskStatus, cell_level

STATE_COLOUR: dict[TaskState, str] = {
    TaskState.SUCCEEDED: "#2f9e5e",
    TaskState.SKIPPED: "#86c9a0",
    TaskState.RUNNING: "#2f6fdb",
    TaskState.READY: "#8fb5ee",
    TaskState.WAITING: "#e3a21a",
    TaskState.BLOCKED: "#9a5bd3",
    TaskState.FAILED: "#d64545",
    TaskState.INTERRUPTED: "#e5793b",
    TaskState.PENDING: "#c8cdd6",
}
LEVEL_COLOUR = {Level.LOW: "#2f9e5e", Level.MEDIUM: "#e3a21a", Level.HIGH: "#d64545"}
CELL_FILL = {Level.LOW: "#e6f4ea", Level.MEDIUM: "#fdf1d3", Level.HIGH: "#fbdcd8"}
STATUS_CLASS = {
    RiskStatus.OPEN: "warn",
    RiskStatus.IN_PROGRESS: "info",
    RiskStatus.MITIGATED: "good",
    RiskStatus.OVERDUE: "bad",
}
CRITICAL = "#d64545"
PLANNED = "#5b7db8"
TODAY = "#2f6fdb"
ARROW_MARKER = (
    '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto">'
    '<path d="M0,0 L10,5 L0,10 z" fill="#667085"/></marker></defs>'
)

CSS = """
:root { --ink:#1d2330; --muted:#667085; --line:#e4e7ec; --card:#ffffff; --bg:#f4f6fa; --accent:#2f6fdb; }
* { box-sizing: border-box; }
body { margin:0; background:var(--bg); color:var(--ink);
  font: 14px/1.45 -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
header { background: linear-gradient(120deg, #14284b, #2f6fdb); color:#fff; padding:28px 40px 84px; }
header h1 { margin:0; font-size:26px; font-weight:650; letter-spacing:.2px; }
header .sub { opacity:.82; margin-top:4px; }
main { max-width:1320px; margin:-64px auto 40px; padding:0 24px; }
.cards { display:grid; grid-template-columns: repeat(6, 1fr); gap:14px; }
.card, section { background:var(--card); border-radius:12px; box-shadow:0 1px 2px rgba(16,24,40,.06), 0 4px 14px rgba(16,24,40,.06); }
.card { padding:14px 16px; }
.card .label { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.6px; }
.card .value { font-size:26px; font-weight:650; margin-top:2px; }
.card .note { color:var(--muted); font-size:12.5px; }
section { margin-top:18px; padding:18px 22px 20px; }
section h2 { margin:0 0 4px; font-size:17px; }
section .hint { color:var(--muted); margin:0 0 12px; font-size:12.5px; }
.row { display:grid; grid-template-columns: 1fr 1fr; gap:18px; }
.row > section { margin-top:18px; }
svg { display:block; width:100%; height:auto; }
svg text { font-family: inherit; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th { text-align:left; color:var(--muted); font-weight:600; font-size:12px; text-transform:uppercase; letter-spacing:.4px;
  border-bottom:1px solid var(--line); padding:6px 8px; }
td { border-bottom:1px solid var(--line); padding:6px 8px; vertical-align:top; }
td.num, th.num { text-align:right; font-variant-numeric: tabular-nums; }
code, .id { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size:12.5px; }
.badge { display:inline-block; padding:1px 8px; border-radius:999px; font-size:12px; font-weight:600; white-space:nowrap; }
.good { background:#e6f4ea; color:#1e7a45; } .bad { background:#fbdcd8; color:#a52a2a; }
.warn { background:#fdf1d3; color:#8a5a00; } .info { background:#e3ecfb; color:#1f4fa8; }
.meter { background:#edf0f5; border-radius:999px; height:8px; min-width:90px; overflow:hidden; }
.meter > span { display:block; height:100%; background:var(--accent); border-radius:999px; }
.legend { display:flex; flex-wrap:wrap; gap:14px; color:var(--muted); font-size:12.5px; margin-top:8px; }
.legend i { display:inline-block; width:12px; height:12px; border-radius:3px; margin-right:5px; vertical-align:-1px; }
.path { line-height:2; }
.path code { background:#fbdcd8; color:#8d1f1f; padding:2px 6px; border-radius:5px; }
footer { color:var(--muted); text-align:center; font-size:12px; margin:0 0 30px; }
@media (max-width: 1000px) { .cards { grid-template-columns: repeat(3, 1fr); } .row { grid-template-columns: 1fr; } }
@media print { header { background:#14284b; } section, .card { box-shadow:none; border:1px solid var(--line); } }
"""


def esc(text: object) -> str:
    """Any text for HTML or SVG, attributes included."""
    return html.escape(str(text), quote=True)


def _num(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def _svg(width: float, height: float, body: Iterable[str], label: str) -> str:
    return (
        f'<svg viewBox="0 0 {_num(width)} {_num(height)}" role="img" aria-label="{esc(label)}">'
        + "".join(body)
        + "</svg>"
    )


def _text(
    x: float,
    y: float,
    content: str,
    *,
    size: float = 11,
    fill: str = "#667085",
    anchor: str = "start",
    weight: str = "normal",
    rotate: float = 0,
) -> str:
    turn = f' transform="rotate({_num(rotate)} {_num(x)} {_num(y)})"' if rotate else ""
    return (
        f'<text x="{_num(x)}" y="{_num(y)}" font-size="{_num(size)}" fill="{fill}" text-anchor="{anchor}"'
        f' font-weight="{weight}"{turn}>{esc(content)}</text>'
    )


def _line(x1: float, y1: float, x2: float, y2: float, stroke: str, *, width: float = 1, dash: str = "") -> str:
    dashed = f' stroke-dasharray="{dash}"' if dash else ""
    return (
        f'<line x1="{_num(x1)}" y1="{_num(y1)}" x2="{_num(x2)}" y2="{_num(y2)}" stroke="{stroke}"'
        f' stroke-width="{_num(width)}"{dashed}/>'
    )


def _rect(x: float, y: float, w: float, h: float, fill: str, *, title: str | None = None, extra: str = "") -> str:
    tooltip = f"<title>{esc(title)}</title>" if title else ""
    return (
        f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(max(w, 0))}" height="{_num(h)}" fill="{fill}"{extra}>'
        f"{tooltip}</rect>"
    )


def _nice_ceiling(value: float) -> float:
    """A round axis maximum at or above ``value``: 1, 1.5, 2, 2.5, 3, 4, 5, 6 or 8 times a power of ten."""
    if value <= 0:
        return 1.0
    power = 10.0 ** math.floor(math.log10(value))
    return next(step * power for step in (1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0, 8.0, 10.0) if step * power >= value)


# ---------------------------------------------------------------- burndown


def burndown_svg(analytics: Analytics) -> str:
    points = analytics.burndown
    width, height = 960.0, 330.0
    left, right, top, bottom = 58.0, 24.0, 18.0, 52.0
    first, last = points[0].day, points[-1].day
    top_hours = _nice_ceiling(max(max(p.planned_remaining_hours for p in points), analytics.progress.estimate_hours))

    def x(day: float) -> float:
        return left + (day - first) / max(1, last - first) * (width - left - right)

    def y(value: float) -> float:
        return top + (1 - value / top_hours) * (height - top - bottom)

    body: list[str] = []
    for index in range(6):
        value = top_hours * index / 5
        body.append(_line(left, y(value), width - right, y(value), "#eef0f4"))
        body.append(_text(left - 8, y(value) + 4, f"{_num(value)}h", anchor="end"))
    step = max(1, math.ceil((last - first + 1) / 32))
    for point in points[::step]:
        body.append(_text(x(point.day), height - bottom + 16, str(point.day), anchor="middle"))
    date_step = max(step, 5)
    for point in points[::date_step]:
        body.append(_text(x(point.day), height - bottom + 31, point.date.strftime("%b %d"), size=10, anchor="middle"))
    body.append(
        _text(
            (left + width - right) / 2,
            height - 4,
            "business day (remaining at the end of the day)",
            size=10.5,
            anchor="middle",
        )
    )
    schedule = analytics.schedule
    if schedule.planned_end_day is not None and first <= schedule.planned_end_day <= last:
        px = x(schedule.planned_end_day)
        body.append(_line(px, top, px, height - bottom, PLANNED, dash="2 4"))
        body.append(_text(px - 4, top + 10, "planned end", size=10.5, fill=PLANNED, anchor="end"))
    if first <= analytics.today_day <= last:
        tx = x(analytics.today_day)
        body.append(_line(tx, top, tx, height - bottom, TODAY, width=1.5, dash="5 4"))
        body.append(_text(tx + 4, top + 10, "today", size=10.5, fill=TODAY, weight="600"))
    planned = " ".join(f"{_num(x(p.day))},{_num(y(p.planned_remaining_hours))}" for p in points)
    body.append(
        f'<polyline points="{planned}" fill="none" stroke="{PLANNED}" stroke-width="2" stroke-dasharray="7 5"/>'
    )
    actual = [(p.day, p.actual_remaining_hours) for p in points if p.actual_remaining_hours is not None]
    if actual:
        line = " ".join(f"{_num(x(day))},{_num(y(value))}" for day, value in actual)
        area = f"{_num(x(actual[0][0]))},{_num(y(0))} {line} {_num(x(actual[-1][0]))},{_num(y(0))}"
        body.append(f'<polygon points="{area}" fill="#2f9e5e" fill-opacity="0.12"/>')
        body.append(
            f'<polyline points="{line}" fill="none" stroke="#2f9e5e" stroke-width="2.5" stroke-linejoin="round"/>'
        )
        day, value = actual[-1]
        body.append(
            f'<circle cx="{_num(x(day))}" cy="{_num(y(value))}" r="4.5" fill="#2f9e5e"><title>'
            f"{esc(f'day {day}: {hours(value)} left')}</title></circle>"
        )
    if analytics.eta is not None and first <= analytics.eta.day <= last:
        ex = x(analytics.eta.day)
        body.append(f'<circle cx="{_num(ex)}" cy="{_num(y(0))}" r="5" fill="#fff" stroke="{TODAY}" stroke-width="2"/>')
        # Near the right edge the label ends at the marker instead of overflowing the chart.
        anchor = "end" if ex > width - right - 40 else "middle"
        body.append(
            _text(ex, y(0) - 10, f"ETA day {analytics.eta.day}", size=10.5, fill=TODAY, anchor=anchor, weight="600")
        )
    body.append(_line(left, y(0), width - right, y(0), "#98a2b3"))
    return _svg(width, height, body, "Burndown: estimated hours remaining per business day, planned and actual")


# ---------------------------------------------------------------- status breakdown


def status_svg(analytics: Analytics) -> str:
    rows = [(epic.id, epic.title, epic.progress) for epic in analytics.epics]
    rows.append(("Total", analytics.project_name, analytics.progress))
    width, bar_left, bar_right, row_height = 600.0, 104.0, 86.0, 34.0
    height = row_height * len(rows) + 8
    body: list[str] = []
    for index, (label, title, totals) in enumerate(rows):
        top = 6 + index * row_height
        is_total = label == "Total"
        body.append(_text(0, top + 16, label, size=12, fill="#1d2330", weight="700" if is_total else "600"))
        x = bar_left
        span = width - bar_left - bar_right
        body.append(_rect(bar_left, top + 4, span, 16, "#f0f2f6", extra=' rx="4"'))
        for state in TaskState:
            count = totals.states.get(state, 0)
            if not count:
                continue
            share = count / totals.tasks
            body.append(
                _rect(x, top + 4, span * share, 16, STATE_COLOUR[state], title=f"{title}: {count} {state.value}")
            )
            x += span * share
        body.append(
            _text(
                width,
                top + 16,
                f"{totals.done}/{totals.tasks} · {totals.percent_done:.0f}%",
                size=12,
                fill="#1d2330",
                anchor="end",
            )
        )
    return _svg(width, height, body, "Status breakdown: tasks per state in each epic")


def state_legend(states: Iterable[TaskState]) -> str:
    return (
        '<div class="legend">'
        + "".join(
            f'<span><i style="background:{STATE_COLOUR[state]}"></i>{esc(state.value)}</span>' for state in states
        )
        + "</div>"
    )


# ---------------------------------------------------------------- gantt


def gantt_svg(analytics: Analytics) -> str:
    rows = analytics.gantt
    # Today widens the chart only when an open bar has to run up to it.
    days = (
        [analytics.today_day]
        if any(row.actual.start_day is not None and row.actual.end_day is None for row in rows)
        else []
    )
    date_of = {point.day: point.date for point in analytics.burndown}
    for row in rows:
        for span in (row.planned, row.actual):
            for day, date in ((span.start_day, span.start_date), (span.end_day, span.end_date)):
                if day is not None and date is not None:
                    days.append(day)
                    date_of[day] = date
    first, last = (min(days), max(days)) if days else (1, 1)
    label_width, width, row_height, epic_height, header = 150.0, 1260.0, 17.0, 24.0, 38.0
    column = (width - label_width - 10) / (last - first + 1)
    epics = {epic.id: epic for epic in analytics.epics}
    by_epic: dict[str, list[GanttRow]] = defaultdict(list)
    for row in rows:
        by_epic[row.epic_id].append(row)
    height = header + len(by_epic) * epic_height + len(rows) * row_height + 10

    def x(day: int) -> float:
        return label_width + (day - first) * column

    body: list[str] = []
    for day in range(first, last + 1):
        body.append(_line(x(day), header - 6, x(day), height - 6, "#f0f2f6"))
        if column >= 14 or day % 5 == 0:
            body.append(_text(x(day) + column / 2, header - 22, str(day), size=10, anchor="middle"))
    date_step = max(1, math.ceil(46 / column))
    for day in range(first, last + 1, date_step):
        if day in date_of:
            body.append(_text(x(day) + 1, header - 9, date_of[day].strftime("%b %d"), size=9.5, fill="#98a2b3"))
    top = header
    for epic_id, epic_rows in by_epic.items():
        epic = epics.get(epic_id)
        body.append(_rect(0, top, width, epic_height - 2, "#f6f8fb"))
        title = f"{epic_id}  {epic.title}" if epic else epic_id
        body.append(_text(6, top + 15, title, size=12, fill="#1d2330", weight="700"))
        if epic and epic.planned and epic.planned.start_day is not None and epic.planned.end_day is not None:
            start = x(epic.planned.start_day)
            window_width = (epic.planned.end_day - epic.planned.start_day + 1) * column
            window_top = top + epic_height - 2
            window_height = len(epic_rows) * row_height
            body.append(
                _rect(
                    start,
                    window_top,
                    window_width,
                    window_height,
                    "#5b7db8",
                    extra=' fill-opacity="0.06"',
                    title=f"{epic_id} planned days {epic.planned.start_day}-{epic.planned.end_day}",
                )
            )
        top += epic_height
        for row in epic_rows:
            body.extend(_gantt_row(row, top, x, column, analytics.today_day))
            top += row_height
    if first <= analytics.today_day <= last:
        tx = x(analytics.today_day) + column / 2
        body.append(_line(tx, header - 4, tx, height - 6, TODAY, width=1.5, dash="4 3"))
    return _svg(
        width, height, body, "Gantt chart: planned and actual business days of every task, critical path marked"
    )


def _gantt_row(row: GanttRow, top: float, x: Callable[[int], float], column: float, today: int) -> list[str]:
    """One task: its id, the planned bar and, once started, the actual bar (open ones run to today)."""
    body: list[str] = []
    remaining = row.on_remaining_critical_path
    label_colour = CRITICAL if remaining else "#344054"
    body.append(
        f'<text x="14" y="{_num(top + 12)}" font-size="10.5" fill="{label_colour}" class="id"'
        f' font-weight="{"700" if remaining else "normal"}">{esc(row.task_id)}<title>{esc(row.title)}</title></text>'
    )
    planned = row.planned
    if planned.start_day is not None and planned.end_day is not None:
        fill, stroke = ("#fbdcd8", CRITICAL) if row.on_critical_path else ("#dfe7f5", PLANNED)
        body.append(
            _rect(
                x(planned.start_day) + 1,
                top + 2,
                (planned.end_day - planned.start_day + 1) * column - 2,
                13,
                fill,
                title=f"{row.task_id} planned days {planned.start_day}-{planned.end_day}"
                + (" (critical path)" if row.on_critical_path else ""),
                extra=f' rx="3" stroke="{stroke}" stroke-width="0.8"',
            )
        )
    actual = row.actual
    if actual.start_day is not None:
        end = actual.end_day if actual.end_day is not None else max(today, actual.start_day)
        body.append(
            _rect(
                x(actual.start_day) + 3,
                top + 5.5,
                (end - actual.start_day + 1) * column - 6,
                6,
                STATE_COLOUR[row.state],
                title=f"{row.task_id} {row.state.value}, actual days {span_text(actual)}",
                extra=' rx="2"',
            )
        )
    return body


# ---------------------------------------------------------------- risk heat map


def heatmap_svg(report: RiskReport) -> str:
    cell_w, cell_h, left, top = 150.0, 104.0, 78.0, 10.0
    width, height = left + 3 * cell_w + 10, top + 3 * cell_h + 48
    body = [ARROW_MARKER]

    def cell_origin(impact: Level, probability: Level) -> tuple[float, float]:
        return left + LEVELS.index(probability) * cell_w, top + (2 - LEVELS.index(impact)) * cell_h

    for impact in LEVELS:
        for probability in LEVELS:
            cx, cy = cell_origin(impact, probability)
            level = cell_level(impact, probability)
            body.append(_rect(cx + 2, cy + 2, cell_w - 4, cell_h - 4, CELL_FILL[level], extra=' rx="8"'))
            body.append(
                _text(
                    cx + cell_w - 10,
                    cy + 18,
                    str(impact.weight * probability.weight),
                    size=11,
                    fill=LEVEL_COLOUR[level],
                    anchor="end",
                    weight="700",
                )
            )
        _, cy = cell_origin(impact, Level.LOW)
        body.append(
            _text(left - 10, cy + cell_h / 2 + 4, impact.value, size=12, fill="#344054", anchor="end", weight="600")
        )
    for probability in LEVELS:
        cx, _ = cell_origin(Level.LOW, probability)
        body.append(
            _text(
                cx + cell_w / 2,
                top + 3 * cell_h + 18,
                probability.value,
                size=12,
                fill="#344054",
                anchor="middle",
                weight="600",
            )
        )
    body.append(_text(left + 1.5 * cell_w, height - 6, "probability →", size=11, anchor="middle"))
    body.append(_text(14, top + 1.5 * cell_h, "impact →", size=11, anchor="middle", rotate=-90))

    slots: dict[tuple[Level, Level], int] = defaultdict(int)

    def place(impact: Level, probability: Level) -> tuple[float, float]:
        cx, cy = cell_origin(impact, probability)
        index = slots[(impact, probability)]
        slots[(impact, probability)] += 1
        return cx + 26 + (index % 4) * 33, cy + 40 + (index // 4) * 32

    for risk in report.risks:
        start = place(risk.impact, risk.probability)
        residual_probability = risk.residual_probability
        colour = LEVEL_COLOUR[risk.residual_level] if risk.residual_level else LEVEL_COLOUR[Level.LOW]
        tip = f"{risk.id} {risk.title}: inherent {risk.inherent_score}, residual {risk.residual_score:g} ({risk.status.value})"
        moved = residual_probability is not None and residual_probability != risk.probability
        if residual_probability is None or moved:
            body.append(
                f'<g><title>{esc(tip)}</title><circle cx="{_num(start[0])}" cy="{_num(start[1])}" r="14" fill="#fff"'
                f' stroke="#98a2b3" stroke-width="1.5" stroke-dasharray="3 2"/>'
                + _text(start[0], start[1] + 4, risk.id, size=10.5, fill="#667085", anchor="middle", weight="700")
                + "</g>"
            )
        if residual_probability is None:
            body.append(_text(start[0] + 12, start[1] - 9, "✓", size=13, fill=LEVEL_COLOUR[Level.LOW], weight="700"))
            continue
        end = place(risk.impact, residual_probability) if moved else start
        if moved:
            body.append(
                f'<path d="M{_num(start[0] + 14)},{_num(start[1])} L{_num(end[0] - 16)},{_num(end[1])}" stroke="#667085"'
                ' stroke-width="1.2" fill="none" marker-end="url(#arrow)"/>'
            )
        body.append(
            f'<g><title>{esc(tip)}</title><circle cx="{_num(end[0])}" cy="{_num(end[1])}" r="14" fill="{colour}"/>'
            + _text(end[0], end[1] + 4, risk.id, size=10.5, fill="#fff", anchor="middle", weight="700")
            + "</g>"
        )
    return _svg(
        width, height, body, "Risk heat map: impact by probability, inherent and residual position of each risk"
    )


# ---------------------------------------------------------------- page


def _card(label: str, value: str, note: str, badge: str | None = None) -> str:
    """A headline figure; ``badge`` (a CSS class) shows the note as a coloured pill."""
    shown = f'<span class="badge {badge}">{esc(note)}</span>' if badge else esc(note)
    return (
        f'<div class="card"><div class="label">{esc(label)}</div><div class="value">{esc(value)}</div>'
        f'<div class="note">{shown}</div></div>'
    )


def _cards(analytics: Analytics, risks: RiskReport) -> str:
    progress = analytics.progress
    eta = analytics.eta
    variance = analytics.schedule.variance_days
    velocity = analytics.velocity
    reliability = analytics.reliability
    high = [risk for risk in risks.risks if risk.residual_level is Level.HIGH]
    open_risks = sum(1 for risk in risks.risks if risk.status is not RiskStatus.MITIGATED)
    badge = None if variance is None else ("bad" if variance > 0 else "good")
    return (
        '<div class="cards">'
        + "".join(
            [
                _card(
                    "Progress",
                    f"{progress.percent_done:.0f}%",
                    f"{progress.done} of {progress.tasks} tasks · {hours(progress.done_hours)} of {hours(progress.estimate_hours)}",
                ),
                _card("ETA", eta.date.strftime("%b %d") if eta else EMPTY, variance_words(variance), badge),
                _card(
                    "Critical path left",
                    hours(analytics.critical_path.hours),
                    f"{analytics.critical_path.business_days} business days · {len(analytics.critical_path.task_ids)} tasks",
                ),
                _card(
                    "Velocity", f"{velocity.hours_per_day:.1f}h", f"per business day over {velocity.days_elapsed} days"
                ),
                _card(
                    "Failure rate",
                    percent(reliability.failure_rate),
                    f"{reliability.failed_attempts} of {reliability.attempts} attempts · retried {percent(reliability.retry_rate)}",
                ),
                _card("Open risks", str(open_risks), f"{len(high)} at residual high", "bad" if high else "good"),
            ]
        )
        + "</div>"
    )


def _meter(share: float, colour: str = "var(--accent)") -> str:
    return f'<div class="meter"><span style="width:{_num(100 * max(0.0, min(1.0, share)))}%;background:{colour}"></span></div>'


def _epics_table(analytics: Analytics) -> str:
    rows = []
    for epic in analytics.epics:
        variance = epic.variance_days
        badge = (
            ""
            if variance is None
            else f'<span class="badge {"bad" if variance > 0 else "good"}">{esc(variance_words(variance))}</span>'
        )
        planned = epic.planned
        rows.append(
            "<tr>"
            f'<td class="id">{esc(epic.id)}</td><td>{esc(epic.title)}</td>'
            f"<td>{_meter(epic.progress.percent_done / 100)}</td>"
            f'<td class="num">{epic.progress.done}/{epic.progress.tasks}</td>'
            f"<td>{esc(span_text(planned))}{esc(f' ({planned.start_date:%b %d}–{planned.end_date:%b %d})') if planned and planned.start_date and planned.end_date else ''}</td>"
            f"<td>{esc(span_text(epic.actual))}</td>"
            f"<td>{esc(on_day(epic.projected_end_day, epic.projected_end_date))}</td>"
            f"<td>{badge}</td>"
            "</tr>"
        )
    return (
        '<table><thead><tr><th>epic</th><th>title</th><th>progress</th><th class="num">tasks</th><th>planned days</th>'
        "<th>actual days</th><th>projected end</th><th>variance</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table>"
    )


def _risk_table(report: RiskReport) -> str:
    rows = []
    for risk in report.risks:
        rows.append(
            "<tr>"
            f'<td class="id">{esc(risk.id)}</td><td>{esc(risk.title)}<div class="note" style="color:var(--muted);font-size:12px">{esc(risk.strategy or "")}</div></td>'
            f'<td class="num">{risk.inherent_score}</td>'
            f'<td>{_meter(risk.progress, LEVEL_COLOUR[Level.LOW])}<span style="font-size:12px;color:var(--muted)">{esc(percent(risk.progress))}</span></td>'
            f'<td class="num">{esc(f"{risk.residual_score:g}")}</td>'
            f'<td><span class="badge {STATUS_CLASS[risk.status]}">{esc(risk.status.value)}</span></td>'
            f'<td class="id">{esc(risk.next_task.task_id) if risk.next_task else EMPTY}</td>'
            "</tr>"
        )
    return (
        '<table><thead><tr><th>risk</th><th>title</th><th class="num">inherent</th><th>mitigated</th>'
        '<th class="num">residual</th><th>status</th><th>next task</th></tr></thead><tbody>'
        + "".join(rows)
        + "</tbody></table>"
    )


def _simple_table(headers: Sequence[str], rows: Sequence[Sequence[str]], numeric: Sequence[int] = ()) -> str:
    if not rows:
        return '<p class="hint">none</p>'

    def align(index: int) -> str:
        return ' class="num"' if index in numeric else ""

    head = "".join(f"<th{align(index)}>{esc(header)}</th>" for index, header in enumerate(headers))
    body = "".join(
        "<tr>" + "".join(f"<td{align(index)}>{esc(cell)}</td>" for index, cell in enumerate(row)) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _section(title: str, hint: str, content: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{esc(title)}</h2><p class="hint">{esc(hint)}</p>{content}</section>'


def render_html(analytics: Analytics, risks: RiskReport) -> str:
    """The complete page."""
    present = [state for state in TaskState if analytics.progress.states.get(state, 0)]
    path = analytics.critical_path
    path_html = (
        '<div class="path">' + " → ".join(f"<code>{esc(task_id)}</code>" for task_id in path.task_ids) + "</div>"
        if path.task_ids
        else '<p class="hint">Nothing left: every task is done.</p>'
    )
    durations = sorted(analytics.durations.tasks, key=lambda task: -(task.ratio or 0.0))[:10]
    sections = [
        _cards(analytics, risks),
        _section(
            "Burndown",
            "Estimated hours left at the end of each business day: planned (each epic burning evenly over its planned days) against actual.",
            burndown_svg(analytics) + '<div class="legend"><span><i style="background:#5b7db8"></i>planned</span>'
            '<span><i style="background:#2f9e5e"></i>actual</span><span><i style="background:#2f6fdb"></i>today and ETA</span></div>',
            "burndown",
        ),
        '<div class="row">'
        + _section(
            "Status",
            "Tasks per state in each epic.",
            status_svg(analytics) + state_legend(present or [TaskState.PENDING]),
            "status",
        )
        + _section(
            "Risk heat map",
            "Impact × probability. Dashed: inherent position; filled: residual, coloured by residual level.",
            heatmap_svg(risks),
            "risks",
        )
        + "</div>",
        _section(
            "Risks",
            "Mitigation progress counts mitigating tasks done with passing evidence.",
            _risk_table(risks),
            "risk-table",
        ),
        _section(
            "Epics",
            "Planned against actual business days. Projection: every remaining task starts as soon as its dependencies are done; an epic not started yet waits for its first planned day.",
            _epics_table(analytics),
            "epics",
        ),
        _section(
            "Schedule",
            "Every task by business day: planned bar (red outline on the critical path), actual bar in the colour of its state; ids in red are on the remaining critical path.",
            gantt_svg(analytics) + state_legend(present or [TaskState.PENDING]),
            "gantt",
        ),
        _section(
            "Remaining critical path",
            f"{hours(path.hours)} of estimated work, {path.business_days} business days.",
            path_html,
            "critical-path",
        ),
        '<div class="row">'
        + _section(
            "Flakiest tasks",
            "Failed attempts before the last success.",
            _simple_table(
                ["task", "failed", "attempts", "title"],
                [[t.task_id, str(t.failed_attempts), str(t.attempts), t.title] for t in analytics.reliability.flakiest],
                (1, 2),
            ),
            "flaky",
        )
        + _section(
            "Blocked",
            "Tasks that cannot run, and why.",
            _simple_table(
                ["task", "reason", "title"], [[t.task_id, t.reason or EMPTY, t.title] for t in analytics.blocked]
            ),
            "blocked",
        )
        + "</div>",
        '<div class="row">'
        + _section(
            "Workload",
            "Active assignments per person: estimated hours assigned and done.",
            _simple_table(
                ["assignee", "role", "tasks", "assigned", "done"],
                [
                    [w.assignee, w.role, str(len(w.task_ids)), hours(w.assigned_hours), hours(w.done_hours)]
                    for w in analytics.workload.assignees
                ],
                (2, 3, 4),
            ),
            "workload",
        )
        + _section(
            "Actual vs estimated",
            "Working time of every attempt against the estimate, highest ratio first.",
            _simple_table(
                ["task", "estimate", "actual", "ratio", "attempts"],
                [
                    [
                        t.task_id,
                        hours(t.estimate_hours),
                        f"{t.actual_hours:.2f}h",
                        f"{t.ratio:.2f}" if t.ratio is not None else EMPTY,
                        str(t.attempts),
                    ]
                    for t in durations
                ],
                (1, 2, 3, 4),
            ),
            "durations",
        )
        + "</div>",
    ]
    title = f"{analytics.project_id} — {analytics.project_name}"
    as_of = f"As of {analytics.as_of:%Y-%m-%d %H:%M} UTC · business day {analytics.today_day} · started {analytics.start_date:%a %b %d, %Y} ({analytics.calendar_mode})"
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{esc(title)}</title>\n<style>{CSS}</style>\n</head>\n<body>\n"
        f'<header><h1>{esc(title)}</h1><div class="sub">{esc(as_of)}</div></header>\n'
        "<main>\n" + "\n".join(sections) + "\n</main>\n"
        f"<footer>{esc(analytics.project_id)} analytics from the evidence store · luckyctl</footer>\n"
        "</body>\n</html>\n"
    )
