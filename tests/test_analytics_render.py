"""The renderers on a terminal (rich), and the phrasing the text reports share."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from rich.console import Console
from test_analytics import NOW, add_evidence, scenario_store
from test_graph_builders import epic, roadmap, story, task
from test_html_report import chart, parse, texts
from test_risks import risk_roadmap

from luckyctl.analytics import DaySpan, compute_analytics
from luckyctl.calendar import ProjectCalendar
from luckyctl.model import TaskState
from luckyctl.report.analytics_html import render_html
from luckyctl.report.analytics_markdown import on_day, percent, render_markdown, span_text, variance_words
from luckyctl.report.analytics_terminal import render_analytics
from luckyctl.report.risks_terminal import render_risks
from luckyctl.risks import assess_risks


def terminal() -> Console:
    return Console(force_terminal=True, width=220, record=True, color_system="truecolor")


def test_phrasing() -> None:
    assert [variance_words(days) for days in (None, 0, 1, 3, -1, -4)] == [
        "-",
        "on time",
        "+1 day late",
        "+3 days late",
        "1 day ahead",
        "4 days ahead",
    ]
    assert (on_day(None, None), on_day(9, dt.date(2026, 12, 17))) == ("-", "day 9 (2026-12-17)")
    assert (percent(None), percent(0.255), percent(1)) == ("-", "26%", "100%")
    calendar = ProjectCalendar(dt.date(2026, 12, 7))
    spans = (None, DaySpan.of(calendar, 4, None), DaySpan.of(calendar, None, None), DaySpan.of(calendar, 1, 3))
    assert [span_text(span) for span in spans] == ["-", "4-…", "-", "1-3"]


def test_the_dashboard_on_a_terminal_has_colour_and_bars(tmp_path: Path) -> None:
    built = risk_roadmap()
    result = compute_analytics(built, scenario_store(tmp_path / "luckyctl.db"), now=NOW)
    console = terminal()
    render_analytics(console, result)
    text = console.export_text(clear=False)
    assert "━" in text and "+1 day late" in text and "◀ today" in text and "D → E" in text
    assert "\x1b[" in console.export_text(styles=True)


def test_the_risk_view_on_a_terminal_shows_mitigated_and_overdue(tmp_path: Path) -> None:
    built = risk_roadmap()
    store = scenario_store(tmp_path / "luckyctl.db")
    for task_id in ("B", "C"):
        add_evidence(store, task_id, "r9", 1, "passed")
        store.set_state(task_id, TaskState.SUCCEEDED)
    # Friday, day 5: E (R2's task, planned for day 4) is overdue; R1 is mitigated.
    report = assess_risks(built, store, now=dt.datetime(2026, 12, 11, 9, tzinfo=dt.UTC))
    console = terminal()
    render_risks(console, report, mitigation_status=True)
    text = console.export_text()
    assert "0 none" in text and "mitigated" in text and "overdue" in text and "proven" in text
    assert "R1  Data loss" in text


def test_a_roadmap_of_zero_estimates_still_renders() -> None:
    free = roadmap(epic("E", story("E.1", task("A", hours=0), task("B", "A", hours=0)), days=[1, 1]))
    now = dt.datetime(2026, 12, 8, 9, tzinfo=dt.UTC)
    result = compute_analytics(free, None, now=now)
    # Nothing to do takes no time: the ETA is the first day work can use (today, day 2).
    assert (result.eta.day, result.eta.business_days_left, result.schedule.variance_days) == (2, 0, 1)
    risks = assess_risks(free, None, now=now)
    page = render_html(result, risks)
    assert "0h" in texts(chart(parse(page), "Burndown"))
    assert "_none_" in render_markdown(result, risks)
    console = Console(width=200, record=True)
    render_analytics(console, result)
    assert "no task declares checks" in console.export_text()
