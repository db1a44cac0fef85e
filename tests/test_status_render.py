"""The terminal renderer of ``task status``: exact plain lines when piped, a coloured tree on a terminal."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from rich.console import Console
from rich.text import Text
from test_graph_builders import lucky_roadmap

from luckyctl.model import TaskState
from luckyctl.report.terminal import age, format_age, render_status, short_time, state_counts
from luckyctl.status import StatusReport, build_status
from luckyctl.store import TaskRecord

NOW = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


def sample_report() -> StatusReport:
    records = {
        "FE-INT.1.1": TaskRecord(
            "FE-INT.1.1", TaskState.SUCCEEDED, 1, last_evidence_at="2026-12-07T11:56:59.500000+00:00"
        ),
        "FE-INT.1.2": TaskRecord(
            "FE-INT.1.2",
            TaskState.FAILED,
            2,
            reason="exit code 1, expected 0",
            last_evidence_at="2026-12-07T09:00:00+00:00",
        ),
    }
    return build_status(lucky_roadmap(), plan="sandbox", records=records, assignees={"FE-INT.1.1": "fe-1"})


def rendered(*, terminal: bool, expand: bool) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal, width=100, color_system="standard" if terminal else None)
    render_status(console, sample_report(), expand=expand, now=NOW)
    return buffer.getvalue()


def test_piped_output_is_plain_aligned_lines() -> None:
    assert rendered(terminal=False, expand=True).splitlines() == [
        "P  Test project  plan sandbox",
        "FE-INT  Frontend Integration  days 1-3  1/4 done, 17% of 17h  pending 2, succeeded 1, failed 1",
        "  FE-INT.1  API client and JWT auth  1/2 done  succeeded 1, failed 1",
        "    succeeded  FE-INT.1.1     dev  fe-1  1 attempt   3m ago  Task FE-INT.1.1",
        "    failed     FE-INT.1.2     dev  -     2 attempts  3h ago  Task FE-INT.1.2 (exit code 1, expected 0)",
        "  FE-INT.2  Access control and CORS  0/2 done  pending 2",
        "    pending    FE-INT.2.1     ops  -     -           -       Task FE-INT.2.1",
        "    pending    FE-INT.2.2     dev  -     -           -       Task FE-INT.2.2",
        "GCP-SETUP  Google Cloud Setup  days 4-6  0/1 done, 0% of 1h  pending 1",
        "  GCP-SETUP.1  Identity and access  0/1 done  pending 1",
        "    pending    GCP-SETUP.1.1  ops  -     -           -       Task GCP-SETUP.1.1",
        "total  1/5 done, 16% of 18h  pending 3, succeeded 1, failed 1",
    ]


def test_the_summary_has_one_line_per_story() -> None:
    assert rendered(terminal=False, expand=False).splitlines() == [
        "P  Test project  plan sandbox",
        "FE-INT  Frontend Integration  days 1-3  1/4 done, 17% of 17h  pending 2, succeeded 1, failed 1",
        "  FE-INT.1  API client and JWT auth  1/2 done  succeeded 1, failed 1",
        "  FE-INT.2  Access control and CORS  0/2 done  pending 2",
        "GCP-SETUP  Google Cloud Setup  days 4-6  0/1 done, 0% of 1h  pending 1",
        "  GCP-SETUP.1  Identity and access  0/1 done  pending 1",
        "total  1/5 done, 16% of 18h  pending 3, succeeded 1, failed 1",
    ]


def test_a_terminal_gets_a_coloured_tree_with_symbols_and_the_reason_below_the_task() -> None:
    output = rendered(terminal=True, expand=True)
    assert "\x1b[" in output  # colour
    plain = Text.from_ansi(output).plain
    lines = [line.rstrip() for line in plain.splitlines()]
    assert "├── FE-INT  Frontend Integration  days 1-3  1/4 done, 17% of 17h  pending 2, succeeded 1, failed 1" in lines
    assert "│   │   ├── ✓ succeeded  FE-INT.1.1     dev  fe-1  1 attempt   3m ago  Task FE-INT.1.1" in lines
    assert "│   │   └── ✗ failed     FE-INT.1.2     dev  -     2 attempts  3h ago  Task FE-INT.1.2" in lines
    assert "│   │       └── exit code 1, expected 0" in lines
    assert lines[-1] == "total  1/5 done, 16% of 18h  pending 3, succeeded 1, failed 1"


def test_no_box_characters_in_piped_output() -> None:
    output = rendered(terminal=False, expand=True)
    assert not set(output) & set("─│├└┌┐✓✗·\x1b")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.2, "just now"),
        (12, "12s ago"),
        (59.9, "59s ago"),
        (60, "1m ago"),
        (3599, "59m ago"),
        (7300, "2h ago"),
        (86400 * 3 + 5, "3d ago"),
    ],
)
def test_ages_read_like_people_say_them(seconds: float, text: str) -> None:
    assert format_age(seconds) == text


def test_times_and_counts() -> None:
    assert age(None, NOW) == "-"
    assert age("2026-12-07T11:59:30+00:00", NOW) == "30s ago"
    assert short_time("2026-12-07T10:03:12.123456+00:00") == "2026-12-07 10:03:12Z"
    assert short_time(None) == "-"
    assert (
        state_counts({TaskState.FAILED: 1, TaskState.PENDING: 0, TaskState.SUCCEEDED: 3}).plain
        == "succeeded 3, failed 1"
    )
