"""``task show`` data and rendering for a task with history, evidence and assignments in a real store."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from rich.console import Console
from rich.text import Text
from test_graph_builders import epic, roadmap, story, task

from luckyctl.errors import SelectorError
from luckyctl.model import Roadmap, TaskState
from luckyctl.report.terminal import render_task_detail, short_time
from luckyctl.status import TaskDetail, read_task_detail
from luckyctl.store import Store

NOW = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)


def shown_roadmap() -> Roadmap:
    return roadmap(
        epic(
            "GO-LIVE",
            story(
                "GO-LIVE.2",
                task("GO-LIVE.2.1", hours=2),
                task("GO-LIVE.2.2", hours=1, owner="ops"),
                task(
                    "GO-LIVE.2.3",
                    "GO-LIVE.2.1",
                    "GO-LIVE.2.2",
                    hours=3,
                    description="Row counts and checksums compared before and after.",
                    approval=True,
                    retries=2,
                    steps=[{"name": "migrate", "run": {"argv": ["alembic", "upgrade", "head"]}}],
                    checks=[
                        {"http": {"url": "${backend_url}/health", "expect": {"status": 200}}},
                        {"name": "counts", "sql": {"instance": "p:r:db", "query": "SELECT count(*) FROM orders"}},
                    ],
                ),
                task("GO-LIVE.2.4", "GO-LIVE.2.3", hours=1),
                title="Release",
            ),
            title="Production Deployment",
        ),
        epic("GO-LIVE-B", story("GO-LIVE-B.1", task("GO-LIVE-B.1.1", "GO-LIVE.2", hours=1))),
    )


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Store]:
    """A store in which GO-LIVE.2.3 failed once and then succeeded."""
    store = Store.open(tmp_path / "luckyctl.db")
    store.set_state("GO-LIVE.2.1", TaskState.SUCCEEDED, attempts=1)
    first = store.add_task_run(
        run_id="r1", task_id="GO-LIVE.2.3", attempt=1, state="running", started_at="2026-12-08T08:00:00+00:00"
    )
    store.finish_task_run(first, state=TaskState.FAILED, reason="check 2 failed: 41 rows, expected 42", duration_s=12.5)
    second = store.add_task_run(
        run_id="r2", task_id="GO-LIVE.2.3", attempt=2, state="running", started_at="2026-12-08T08:30:00+00:00"
    )
    store.finish_task_run(second, state=TaskState.SUCCEEDED, reason=None, duration_s=75.0)
    store.set_state("GO-LIVE.2.3", TaskState.SUCCEEDED, attempts=2, last_evidence_at="2026-12-08T08:31:15+00:00")
    with store.transaction() as conn:
        for seq, (phase, index, kind, name, status, ended, metrics, summary) in enumerate(
            [
                ("step", 1, "run", "migrate", "passed", "2026-12-08T08:30:40+00:00", {"exit_code": 0}, "exit 0"),
                (
                    "check",
                    1,
                    "http",
                    None,
                    "passed",
                    "2026-12-08T08:31:00+00:00",
                    {"status_code": 200, "latency_ms": 12.5},
                    None,
                ),
                ("check", 2, "sql", "counts", "passed", "2026-12-08T08:31:15+00:00", {}, "1 row"),
            ],
            1,
        ):
            store.insert_evidence(
                conn,
                {
                    "run_id": "r2",
                    "task_id": "GO-LIVE.2.3",
                    "attempt": 2,
                    "phase": phase,
                    "step_index": index,
                    "kind": kind,
                    "name": name,
                    "status": status,
                    "started_at": ended,
                    "ended_at": ended,
                    "metrics": metrics,
                    "summary": summary,
                    "prev_hash": f"h{seq - 1}",
                    "hash": f"h{seq}",
                },
            )
    store.assign(
        [
            {
                "task_id": "GO-LIVE.2.3",
                "assignee": "be-1",
                "role": "dev",
                "wave": 2,
                "planned_start_day": 14,
                "planned_end_day": 14,
            }
        ],
        assigned_by="lead",
    )
    store.assign([{"task_id": "GO-LIVE.2.3", "assignee": "be-2", "role": "dev"}], assigned_by=None)
    yield store
    store.close()


def detail_of(store: Store | None) -> TaskDetail:
    return read_task_detail(shown_roadmap(), store, "GO-LIVE.2.3")


def render(detail: TaskDetail, *, terminal: bool) -> str:
    buffer = io.StringIO()
    console = Console(file=buffer, force_terminal=terminal, width=120, color_system="standard" if terminal else None)
    render_task_detail(console, detail, now=NOW)
    return buffer.getvalue()


def test_the_detail_gathers_spec_neighbours_history_evidence_and_assignments(store: Store) -> None:
    detail = detail_of(store)
    assert detail.status.state is TaskState.SUCCEEDED and detail.status.assignee == "be-2"
    assert [(dep.id, dep.state) for dep in detail.depends_on] == [
        ("GO-LIVE.2.1", TaskState.SUCCEEDED),
        ("GO-LIVE.2.2", TaskState.PENDING),
    ]
    # GO-LIVE-B.1.1 depends on the whole story, so on this task too.
    assert [dep.id for dep in detail.dependents] == ["GO-LIVE.2.4", "GO-LIVE-B.1.1"]
    assert [(entry.attempt, entry.state, entry.reason) for entry in detail.history] == [
        (1, TaskState.FAILED, "check 2 failed: 41 rows, expected 42"),
        (2, TaskState.SUCCEEDED, None),
    ]
    assert [(entry.seq, entry.kind, entry.metrics) for entry in detail.evidence] == [
        (1, "run", {"exit_code": 0}),
        (2, "http", {"status_code": 200, "latency_ms": 12.5}),
        (3, "sql", {}),
    ]
    assert [(entry.assignee, entry.active) for entry in detail.assignments] == [("be-1", False), ("be-2", True)]


def test_the_json_document_has_every_section(store: Store) -> None:
    document = detail_of(store).to_json()
    assert document["id"] == "GO-LIVE.2.3" and document["state"] == "succeeded"
    assert document["epic"] == {"id": "GO-LIVE", "title": "Production Deployment"}
    assert document["story"] == {"id": "GO-LIVE.2", "title": "Release"}
    assert document["owner_title"] == "Developer"
    assert document["depends_on_declared"] == ["GO-LIVE.2.1", "GO-LIVE.2.2"]
    assert document["depends_on"][1] == {"id": "GO-LIVE.2.2", "title": "Task GO-LIVE.2.2", "state": "pending"}
    assert document["steps"] == [{"index": 1, "kind": "run", "name": "migrate", "summary": "alembic upgrade head"}]
    assert [check["summary"] for check in document["checks"]] == [
        "GET ${backend_url}/health → 200",
        "SELECT count(*) FROM orders on p:r:db",
    ]
    assert (document["approval"], document["manual"], document["retries"]) == (True, None, 2)
    assert document["history"][0] == {
        "run_id": "r1",
        "attempt": 1,
        "state": "failed",
        "reason": "check 2 failed: 41 rows, expected 42",
        "started_at": "2026-12-08T08:00:00+00:00",
        "ended_at": document["history"][0]["ended_at"],
        "duration_s": 12.5,
    }
    assert document["evidence"][1] == {
        "seq": 2,
        "run_id": "r2",
        "attempt": 2,
        "phase": "check",
        "step_index": 1,
        "kind": "http",
        "name": None,
        "status": "passed",
        "started_at": "2026-12-08T08:31:00+00:00",
        "ended_at": "2026-12-08T08:31:00+00:00",
        "metrics": {"status_code": 200, "latency_ms": 12.5},
        "summary": None,
    }
    assert document["assignments"][0]["planned_start_day"] == 14


def test_piped_output_is_plain_sections(store: Store) -> None:
    detail = detail_of(store)
    assigned = [short_time(entry.assigned_at) for entry in detail.assignments]
    assert render(detail, terminal=False).splitlines() == [
        "GO-LIVE.2.3  Task GO-LIVE.2.3",
        "  state             succeeded after 2 attempts",
        "  epic              GO-LIVE  Production Deployment",
        "  story             GO-LIVE.2  Release",
        "  owner             dev (Developer)",
        "  assignee          be-2",
        "  estimate          3h",
        "  manual            no",
        "  approval          required",
        "  retries           2",
        "  timeout           1m00s",
        "  evidence max age  7d0h",
        "  last evidence     28m ago",
        "  description       Row counts and checksums compared before and after.",
        "",
        "depends on (GO-LIVE.2.1, GO-LIVE.2.2)",
        "  task         state      title",
        "  GO-LIVE.2.1  succeeded  Task GO-LIVE.2.1",
        "  GO-LIVE.2.2  pending    Task GO-LIVE.2.2",
        "",
        "dependents",
        "  task           state    title",
        "  GO-LIVE.2.4    pending  Task GO-LIVE.2.4",
        "  GO-LIVE-B.1.1  pending  Task GO-LIVE-B.1.1",
        "",
        "steps",
        "  #  kind  name     does",
        "  1  run   migrate  alembic upgrade head",
        "",
        "checks",
        "  #  kind  name    does",
        "  1  http  -       GET ${backend_url}/health → 200",
        "  2  sql   counts  SELECT count(*) FROM orders on p:r:db",
        "",
        "history",
        "  run  attempt  state      started               took   reason",
        "  r1   1        failed     2026-12-08 08:00:00Z  12s    check 2 failed: 41 rows, expected 42",
        "  r2   2        succeeded  2026-12-08 08:30:00Z  1m15s  -",
        "",
        "evidence",
        "  seq  phase  kind  name     status  at                    metrics                          summary",
        "  1    step   run   migrate  passed  2026-12-08 08:30:40Z  exit_code=0                      exit 0",
        "  2    check  http  -        passed  2026-12-08 08:31:00Z  latency_ms=12.5 status_code=200  -",
        "  3    check  sql   counts   passed  2026-12-08 08:31:15Z  -                                1 row",
        "",
        "assignments",
        "  assignee  role  wave  days   assigned              by    active",
        f"  be-1      dev   2     14-14  {assigned[0]}  lead  no",
        f"  be-2      dev   -     -      {assigned[1]}  -     yes",
    ]


def test_a_task_nothing_has_touched_says_none_in_each_section() -> None:
    output = render(detail_of(None), terminal=False)
    assert "  state             pending" in output.splitlines()
    for section in ("history", "evidence", "assignments"):
        assert f"{section}\n  none\n" in output


def test_a_terminal_gets_colours_and_tables(store: Store) -> None:
    output = render(detail_of(store), terminal=True)
    assert "\x1b[" in output
    lines = [line.rstrip() for line in Text.from_ansi(output).plain.splitlines()]
    assert "  state             ✓ succeeded after 2 attempts" in lines
    assert any(
        line.split()
        == [
            "r1",
            "1",
            "✗",
            "failed",
            "2026-12-08",
            "08:00:00Z",
            "12s",
            "check",
            "2",
            "failed:",
            "41",
            "rows,",
            "expected",
            "42",
        ]
        for line in lines
    )


def test_show_takes_one_task_id() -> None:
    with pytest.raises(SelectorError, match=r"^unknown id 'GO-LIVE\.2\.9' \(did you mean"):
        read_task_detail(shown_roadmap(), None, "GO-LIVE.2.9")
    with pytest.raises(SelectorError, match="task show takes one task id"):
        read_task_detail(shown_roadmap(), None, "GO-LIVE.2")


def test_the_state_line_says_why_a_task_failed(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "luckyctl.db")
    store.set_state("GO-LIVE.2.3", TaskState.FAILED, attempts=1, reason="check 2 failed: 41 rows, expected 42")
    output = render(detail_of(store), terminal=False)
    store.close()
    assert output.splitlines()[1] == "  state             failed after 1 attempt: check 2 failed: 41 rows, expected 42"
