"""The state store: schema, migrations, transactions."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from luckyctl.errors import StoreError
from luckyctl.model import TaskState
from luckyctl.store import SCHEMA_VERSION, Store


def test_open_creates_schema_in_wal_mode(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "p" / "luckyctl.db")
    assert store.schema_version == SCHEMA_VERSION
    assert store.query("PRAGMA journal_mode")[0]["journal_mode"] == "wal"
    assert {"runs", "task_state", "task_runs", "evidence", "assignments", "audit", "meta"} <= set(store.db.table_names())
    store.close()
    # Opening again migrates nothing and keeps the version.
    assert Store.open(tmp_path / "p" / "luckyctl.db").schema_version == SCHEMA_VERSION


def test_read_only_open_of_a_missing_store_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="nothing has run"):
        Store.open(tmp_path / "none.db", create=False)
    assert not (tmp_path / "none.db").exists()


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "luckyctl.db"
    Store.open(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE meta SET value = '999' WHERE key = 'schema_version'")
    with pytest.raises(StoreError, match="upgrade luckyctl"):
        Store.open(path)


def test_task_state_upserts_and_forget(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "luckyctl.db")
    store.set_state("T1", TaskState.RUNNING, attempts=1, run_id="r1")
    store.set_state("T1", TaskState.SUCCEEDED, reason=None)
    record = store.task("T1")
    assert record is not None and record.state is TaskState.SUCCEEDED and record.attempts == 1 and record.run_id == "r1"
    assert store.task("T2") is None
    assert store.forget(["T1", "T2"]) == 1
    assert store.tasks() == {}


def test_runs_history_assignments_and_audit(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "luckyctl.db")
    store.begin_run("r1", plan="sandbox", selector="P", strategy="systematic", options={"parallel": 1})
    store.end_run("r1", status="succeeded", exit_code=0)
    (run,) = store.runs()
    assert run["options"] == {"parallel": 1} and run["exit_code"] == 0 and run["ended_at"]

    row_id = store.add_task_run(run_id="r1", task_id="T1", attempt=1, state="running", started_at="2026-01-01T00:00:00")
    store.finish_task_run(row_id, state=TaskState.FAILED, reason="boom", duration_s=1.5)
    (history,) = store.task_runs("T1")
    assert history["state"] == "failed" and history["reason"] == "boom" and history["duration_s"] == 1.5
    assert store.task_runs() == [history]

    store.assign([{"task_id": "T1", "assignee": "be-1", "role": "backend"}], assigned_by="lead")
    store.assign([{"task_id": "T1", "assignee": "be-2", "role": "backend"}], assigned_by="lead")
    assert [row["assignee"] for row in store.assignments()] == ["be-2"]
    assert [row["assignee"] for row in store.assignments(active_only=False)] == ["be-1", "be-2"]

    store.audit("approve", actor="sec-1", task_id="T1", reason="ok")
    (entry,) = store.audit_log()
    assert entry["detail"] == {"reason": "ok"} and entry["actor"] == "sec-1"


def test_a_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "luckyctl.db")
    with pytest.raises(RuntimeError), store.transaction() as conn:
        conn.execute("INSERT INTO audit (at, action) VALUES ('now', 'x')")
        raise RuntimeError("crash mid-way")
    assert store.audit_log() == []
