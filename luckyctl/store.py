"""The state store: runs, task state, leases, evidence rows, assignments, audit log.

SQLite through sqlite-utils, in WAL mode. Every state change is its own
``BEGIN IMMEDIATE`` transaction, so a process killed at any moment leaves
either the old or the new state, never half of one, and two processes never
both believe they hold the same task. The interface is small on purpose: a
PostgreSQL store for teams can implement the same methods.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from luckyctl.enums import TaskState
from luckyctl.errors import StoreError

if TYPE_CHECKING:
    import sqlite_utils

SCHEMA_VERSION = 2
BUSY_TIMEOUT_MS = 30_000

# Each migration takes the schema from version N-1 to N; never edit one that shipped.
_MIGRATIONS: dict[int, str] = {
    1: """
    CREATE TABLE runs (
        id TEXT PRIMARY KEY,
        plan TEXT NOT NULL,
        selector TEXT NOT NULL,
        strategy TEXT NOT NULL,
        options TEXT NOT NULL DEFAULT '{}',
        status TEXT NOT NULL,
        exit_code INTEGER,
        pid INTEGER,
        host TEXT,
        operator TEXT,
        roadmap_hash TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT
    );
    CREATE TABLE task_state (
        task_id TEXT PRIMARY KEY,
        state TEXT NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        run_id TEXT,
        spec_hash TEXT,
        reason TEXT,
        started_at TEXT,
        ended_at TEXT,
        updated_at TEXT NOT NULL,
        last_evidence_at TEXT,
        lease_run TEXT,
        lease_pid INTEGER,
        lease_host TEXT,
        heartbeat_at TEXT
    );
    CREATE TABLE task_runs (
        id INTEGER PRIMARY KEY,
        run_id TEXT NOT NULL,
        task_id TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        state TEXT NOT NULL,
        reason TEXT,
        spec_hash TEXT,
        started_at TEXT NOT NULL,
        ended_at TEXT,
        duration_s REAL
    );
    CREATE INDEX task_runs_task ON task_runs(task_id);
    CREATE TABLE evidence (
        seq INTEGER PRIMARY KEY,
        run_id TEXT,
        task_id TEXT NOT NULL,
        attempt INTEGER NOT NULL DEFAULT 0,
        phase TEXT NOT NULL,
        step_index INTEGER NOT NULL DEFAULT 0,
        kind TEXT NOT NULL,
        name TEXT,
        status TEXT NOT NULL,
        started_at TEXT NOT NULL,
        ended_at TEXT NOT NULL,
        inputs TEXT NOT NULL DEFAULT '{}',
        outputs TEXT NOT NULL DEFAULT '{}',
        metrics TEXT NOT NULL DEFAULT '{}',
        artifacts TEXT NOT NULL DEFAULT '{}',
        operator TEXT,
        spec_hash TEXT,
        prev_hash TEXT NOT NULL,
        hash TEXT NOT NULL UNIQUE
    );
    CREATE INDEX evidence_task ON evidence(task_id);
    CREATE TABLE assignments (
        id INTEGER PRIMARY KEY,
        task_id TEXT NOT NULL,
        assignee TEXT NOT NULL,
        role TEXT NOT NULL,
        wave INTEGER,
        planned_start_day INTEGER,
        planned_end_day INTEGER,
        assigned_at TEXT NOT NULL,
        assigned_by TEXT,
        active INTEGER NOT NULL DEFAULT 1
    );
    CREATE INDEX assignments_task ON assignments(task_id, active);
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        run_id TEXT,
        actor TEXT,
        action TEXT NOT NULL,
        task_id TEXT,
        detail TEXT NOT NULL DEFAULT '{}'
    );
    """,
    # A step's one-line summary (what happened, or why it failed), hashed with the row.
    2: """
    ALTER TABLE evidence ADD COLUMN summary TEXT;
    """,
}

_JSON_COLUMNS = {"options", "inputs", "outputs", "metrics", "artifacts", "detail"}


ANY_VERSION = object()  # acquire_lease(seen=…) default: take the lease whatever the row looks like
_NO_LEASE = {"lease_run": None, "lease_pid": None, "lease_host": None, "heartbeat_at": None}


@dataclass(frozen=True)
class Lease:
    """A run's hold on a task while it runs; the attempt and its ``task_runs`` row."""

    task_id: str
    run_id: str
    attempt: int
    task_run_id: int
    started_at: str


def utc_now() -> str:
    """Timestamps are ISO 8601 in UTC with microseconds, so they sort as text."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds")


def parse_time(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text)


@dataclass(frozen=True)
class TaskRecord:
    """The current state of one task, as stored."""

    task_id: str
    state: TaskState
    attempts: int = 0
    run_id: str | None = None
    spec_hash: str | None = None
    reason: str | None = None
    started_at: str | None = None
    ended_at: str | None = None
    updated_at: str | None = None
    last_evidence_at: str | None = None
    lease_run: str | None = None
    lease_pid: int | None = None
    lease_host: str | None = None
    heartbeat_at: str | None = None

    @classmethod
    def from_row(cls, row: dict[str, Any]) -> TaskRecord:
        values = {key: value for key, value in row.items() if key in _RECORD_FIELDS}
        values["state"] = TaskState(values["state"])
        return cls(**values)


_RECORD_FIELDS = frozenset(f.name for f in fields(TaskRecord))


def _upsert_state(conn: sqlite3.Connection, task_id: str, state: TaskState, values: dict[str, Any]) -> None:
    """Insert or update one task_state row; call inside ``transaction()``."""
    row = {"task_id": task_id, "state": state.value, "updated_at": utc_now(), **values}
    names = ", ".join(row)
    updates = ", ".join(f"{name} = excluded.{name}" for name in row if name != "task_id")
    conn.execute(
        f"INSERT INTO task_state ({names}) VALUES ({', '.join('?' for _ in row)}) "
        f"ON CONFLICT(task_id) DO UPDATE SET {updates}",
        tuple(row.values()),
    )


def _use_wal(connection: sqlite3.Connection) -> None:
    """Put the database in WAL mode (it stays so once set).

    Switching needs the database to itself, and SQLite answers "database is
    locked" at once instead of waiting when another process is switching the
    same new store at that moment (two ``execute`` started together on a
    plan that never ran): try again until the busy timeout.
    """
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
        time.sleep(0.005)


def _decode(row: dict[str, Any]) -> dict[str, Any]:
    return {key: json.loads(value) if key in _JSON_COLUMNS and value is not None else value for key, value in row.items()}


def _encode(values: dict[str, Any]) -> dict[str, Any]:
    return {
        key: json.dumps(value, sort_keys=True, default=str) if key in _JSON_COLUMNS else value
        for key, value in values.items()
    }


class Store:
    """One plan's evidence database. Safe to share between the threads of a run."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._conn = connection
        self._lock = threading.RLock()

    @cached_property
    def db(self) -> sqlite_utils.Database:
        """The same connection through sqlite-utils, for ad-hoc queries; imported on first use (it is slow to)."""
        import sqlite_utils

        return sqlite_utils.Database(self._conn, execute_plugins=False, recursive_triggers=False)

    # ------------------------------------------------------------ lifecycle

    @classmethod
    def open(cls, path: Path, *, create: bool = True) -> Store:
        """Open (and create or migrate) the store at ``path``."""
        path = Path(path)
        if not path.exists() and not create:
            raise StoreError(f"no evidence store at {path} (nothing has run on this plan yet)")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            connection = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            connection.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
            _use_wal(connection)
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute("PRAGMA foreign_keys=ON")
        except (sqlite3.Error, OSError) as error:
            raise StoreError(f"cannot open the evidence store {path}: {error}") from error
        store = cls(path, connection)
        store._migrate()
        return store

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken at once so concurrent writers queue instead of deadlocking."""
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as error:
                raise StoreError(f"cannot write to {self.path}: {error}") from error
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            else:
                self._conn.execute("COMMIT")

    def _migrate(self) -> None:
        if self._stored_version() == SCHEMA_VERSION:  # the usual case: a read, no write lock taken
            return
        with self.transaction() as conn:
            conn.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)")
            row = conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
            current = int(row[0]) if row else 0
            if current > SCHEMA_VERSION:
                raise StoreError(
                    f"{self.path} has schema version {current}; this luckyctl knows up to {SCHEMA_VERSION}: upgrade luckyctl"
                )
            for version in range(current + 1, SCHEMA_VERSION + 1):
                for statement in _MIGRATIONS[version].split(";"):
                    if statement.strip():
                        conn.execute(statement)
            conn.execute(
                "INSERT OR REPLACE INTO meta (key, value) VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
            )

    def _stored_version(self) -> int | None:
        try:
            row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        except sqlite3.OperationalError:  # no meta table yet: a new store
            return None
        return int(row[0]) if row else None

    @property
    def schema_version(self) -> int:
        row = self._conn.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        return int(row[0])

    def query(self, sql: str, params: tuple[Any, ...] | dict[str, Any] = ()) -> list[dict[str, Any]]:
        """Rows as dicts, JSON columns decoded. For readers (reports, analytics)."""
        with self._lock:
            cursor = self._conn.execute(sql, params)
            names = [column[0] for column in cursor.description or ()]
            return [_decode(dict(zip(names, row, strict=True))) for row in cursor.fetchall()]

    # ------------------------------------------------------------ runs

    def begin_run(self, run_id: str, **values: Any) -> None:
        with self.transaction() as conn:
            row = _encode({"id": run_id, "started_at": utc_now(), "status": "running", **values})
            names = ", ".join(row)
            conn.execute(f"INSERT INTO runs ({names}) VALUES ({', '.join('?' for _ in row)})", tuple(row.values()))

    def end_run(self, run_id: str, *, status: str, exit_code: int) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, exit_code = ?, ended_at = ? WHERE id = ?",
                (status, exit_code, utc_now(), run_id),
            )

    def runs(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM runs ORDER BY started_at")

    # ------------------------------------------------------------ task state

    def task(self, task_id: str) -> TaskRecord | None:
        rows = self.query("SELECT * FROM task_state WHERE task_id = ?", (task_id,))
        return TaskRecord.from_row(rows[0]) if rows else None

    def tasks(self) -> dict[str, TaskRecord]:
        return {row["task_id"]: TaskRecord.from_row(row) for row in self.query("SELECT * FROM task_state")}

    def set_state(self, task_id: str, state: TaskState, **values: Any) -> None:
        """Record a task's new state (one transaction); other columns as given."""
        with self.transaction() as conn:
            _upsert_state(conn, task_id, state, values)

    def forget(self, task_ids: list[str]) -> int:
        """Drop the current state of tasks so they run again; history and evidence stay."""
        with self.transaction() as conn:
            placeholders = ", ".join("?" for _ in task_ids)
            cursor = conn.execute(
                f"DELETE FROM task_state WHERE task_id IN ({placeholders}) AND lease_run IS NULL", tuple(task_ids)
            )
            return cursor.rowcount

    # ------------------------------------------------------------ leases

    def acquire_lease(
        self, task_id: str, run_id: str, pid: int, host: str, *, seen: str | None | object = ANY_VERSION, **values: Any
    ) -> Lease | None:
        """Start ``task_id`` under ``run_id``: lease, state ``running``, attempt count and history row, at once.

        Returns None, changing nothing, when another run holds the task or when
        its row changed since the caller read it (``seen``: the ``updated_at``
        it saw, None for no row), so a decision taken on a stale read is taken
        again instead of running a task twice.
        """
        now = utc_now()
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT lease_run, updated_at, attempts FROM task_state WHERE task_id = ?", (task_id,)
            ).fetchone()
            holder, updated_at, attempts = row if row else (None, None, 0)
            if holder is not None and holder != run_id:
                return None
            if seen is not ANY_VERSION and updated_at != seen:
                return None
            attempt = attempts + 1
            _upsert_state(
                conn,
                task_id,
                TaskState.RUNNING,
                {
                    **values,
                    "attempts": attempt,
                    "run_id": run_id,
                    "reason": None,
                    "started_at": now,
                    "ended_at": None,
                    "lease_run": run_id,
                    "lease_pid": pid,
                    "lease_host": host,
                    "heartbeat_at": now,
                },
            )
            cursor = conn.execute(
                "INSERT INTO task_runs (run_id, task_id, attempt, state, spec_hash, started_at) VALUES (?, ?, ?, ?, ?, ?)",
                (run_id, task_id, attempt, TaskState.RUNNING.value, values.get("spec_hash"), now),
            )
            return Lease(task_id, run_id, attempt, int(cursor.lastrowid or 0), now)

    def release_lease(
        self, lease: Lease, state: TaskState, *, reason: str | None = None, duration_s: float = 0.0, **values: Any
    ) -> bool:
        """End a leased task in ``state`` and close its history row, in one transaction.

        False (nothing written) when the lease is no longer ours: another process
        found it stale and took the task over.
        """
        now = utc_now()
        with self.transaction() as conn:
            row = conn.execute("SELECT lease_run FROM task_state WHERE task_id = ?", (lease.task_id,)).fetchone()
            if row is None or row[0] != lease.run_id:
                return False
            conn.execute(
                "UPDATE task_runs SET state = ?, reason = ?, ended_at = ?, duration_s = ? WHERE id = ?",
                (state.value, reason, now, duration_s, lease.task_run_id),
            )
            _upsert_state(
                conn,
                lease.task_id,
                state,
                {**values, "reason": reason, "ended_at": now, **_NO_LEASE},
            )
            return True

    def set_state_unleased(
        self, task_id: str, state: TaskState, *, seen: str | None, history_run: str | None = None, **values: Any
    ) -> bool:
        """Record a state reached without running (blocked, waiting, signed off), unless a run holds
        the task or its row changed since the caller read it (``seen``: the ``updated_at`` it saw,
        None for no row). ``history_run`` also adds a finished ``task_runs`` row under that run id."""
        with self.transaction() as conn:
            row = conn.execute(
                "SELECT lease_run, updated_at, attempts FROM task_state WHERE task_id = ?", (task_id,)
            ).fetchone()
            if (row is not None and row[0] is not None) or (row[1] if row else None) != seen:
                return False
            _upsert_state(conn, task_id, state, values)
            if history_run is not None:
                now = utc_now()
                conn.execute(
                    "INSERT INTO task_runs (run_id, task_id, attempt, state, reason, spec_hash, started_at, ended_at, "
                    "duration_s) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 0)",
                    (history_run, task_id, row[2] if row else 0, state.value, values.get("reason"),
                     values.get("spec_hash"), now, now),
                )
            return True

    def heartbeat(self, run_id: str) -> int:
        """Refresh every lease of ``run_id``; the number of tasks it holds."""
        with self.transaction() as conn:
            cursor = conn.execute("UPDATE task_state SET heartbeat_at = ? WHERE lease_run = ?", (utc_now(), run_id))
            return cursor.rowcount

    def leased(self) -> list[TaskRecord]:
        """Tasks some run holds right now (or held when it died)."""
        return [TaskRecord.from_row(row) for row in self.query("SELECT * FROM task_state WHERE lease_run IS NOT NULL")]

    def reap_stale_leases(self, is_stale: Callable[[TaskRecord], bool], *, reason: str) -> list[str]:
        """Mark ``interrupted`` every leased task whose holder ``is_stale`` says is gone; their ids.

        The check and the change happen in one transaction, so a holder cannot
        finish in between and have its result overwritten.
        """
        now = utc_now()
        with self.transaction() as conn:
            cursor = conn.execute("SELECT * FROM task_state WHERE lease_run IS NOT NULL")
            names = [column[0] for column in cursor.description]
            stale = [
                record
                for record in (TaskRecord.from_row(dict(zip(names, row, strict=True))) for row in cursor.fetchall())
                if is_stale(record)
            ]
            for record in stale:
                conn.execute(
                    "UPDATE task_runs SET state = ?, reason = ?, ended_at = ? "
                    "WHERE run_id = ? AND task_id = ? AND ended_at IS NULL",
                    (TaskState.INTERRUPTED.value, reason, now, record.lease_run, record.task_id),
                )
                _upsert_state(
                    conn, record.task_id, TaskState.INTERRUPTED, {"reason": reason, "ended_at": now, **_NO_LEASE}
                )
            return [record.task_id for record in stale]

    def reap_dead_runs(self, is_dead: Callable[[dict[str, Any]], bool]) -> list[str]:
        """Close the ``runs`` rows still marked running whose process ``is_dead``; their ids."""
        with self.transaction() as conn:
            cursor = conn.execute("SELECT id, pid, host FROM runs WHERE status = 'running'")
            dead = [run_id for run_id, pid, host in cursor.fetchall() if is_dead({"id": run_id, "pid": pid, "host": host})]
            for run_id in dead:
                conn.execute(
                    "UPDATE runs SET status = 'interrupted', exit_code = 130, ended_at = ? WHERE id = ?",
                    (utc_now(), run_id),
                )
            return dead

    # ------------------------------------------------------------ history

    def add_task_run(self, **values: Any) -> int:
        with self.transaction() as conn:
            names = ", ".join(values)
            cursor = conn.execute(
                f"INSERT INTO task_runs ({names}) VALUES ({', '.join('?' for _ in values)})", tuple(values.values())
            )
            return int(cursor.lastrowid or 0)

    def finish_task_run(self, row_id: int, *, state: TaskState, reason: str | None, duration_s: float) -> None:
        with self.transaction() as conn:
            conn.execute(
                "UPDATE task_runs SET state = ?, reason = ?, ended_at = ?, duration_s = ? WHERE id = ?",
                (state.value, reason, utc_now(), duration_s, row_id),
            )

    def task_runs(self, task_id: str | None = None) -> list[dict[str, Any]]:
        if task_id is None:
            return self.query("SELECT * FROM task_runs ORDER BY id")
        return self.query("SELECT * FROM task_runs WHERE task_id = ? ORDER BY id", (task_id,))

    # ------------------------------------------------------------ evidence rows

    def last_evidence_hash(self, conn: sqlite3.Connection) -> str | None:
        """The chain's head; call inside ``transaction()`` so nobody appends in between."""
        row = conn.execute("SELECT hash FROM evidence ORDER BY seq DESC LIMIT 1").fetchone()
        return row[0] if row else None

    def insert_evidence(self, conn: sqlite3.Connection, row: dict[str, Any]) -> int:
        encoded = _encode(row)
        names = ", ".join(encoded)
        cursor = conn.execute(
            f"INSERT INTO evidence ({names}) VALUES ({', '.join('?' for _ in encoded)})", tuple(encoded.values())
        )
        # The head is kept apart from the rows, so deleting the last rows shows.
        conn.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('evidence_head', ?)", (row["hash"],))
        return int(cursor.lastrowid or 0)

    def evidence(self, task_ids: list[str] | None = None) -> list[dict[str, Any]]:
        if task_ids is None:
            return self.query("SELECT * FROM evidence ORDER BY seq")
        placeholders = ", ".join("?" for _ in task_ids)
        return self.query(f"SELECT * FROM evidence WHERE task_id IN ({placeholders}) ORDER BY seq", tuple(task_ids))

    # ------------------------------------------------------------ assignments

    def assign(self, rows: list[dict[str, Any]], *, assigned_by: str | None) -> None:
        """Make ``rows`` the active assignments of their tasks; earlier ones stay as history."""
        now = utc_now()
        with self.transaction() as conn:
            for row in rows:
                conn.execute("UPDATE assignments SET active = 0 WHERE task_id = ? AND active = 1", (row["task_id"],))
                values = {**row, "assigned_at": now, "assigned_by": assigned_by, "active": 1}
                names = ", ".join(values)
                conn.execute(
                    f"INSERT INTO assignments ({names}) VALUES ({', '.join('?' for _ in values)})",
                    tuple(values.values()),
                )

    def assignments(self, *, active_only: bool = True) -> list[dict[str, Any]]:
        where = "WHERE active = 1" if active_only else ""
        return self.query(f"SELECT * FROM assignments {where} ORDER BY id")

    # ------------------------------------------------------------ audit log

    def audit(
        self, action: str, *, actor: str | None = None, run_id: str | None = None, task_id: str | None = None, **detail: Any
    ) -> None:
        with self.transaction() as conn:
            conn.execute(
                "INSERT INTO audit (at, run_id, actor, action, task_id, detail) VALUES (?, ?, ?, ?, ?, ?)",
                (utc_now(), run_id, actor, action, task_id, json.dumps(detail, sort_keys=True, default=str)),
            )

    def audit_log(self) -> list[dict[str, Any]]:
        return self.query("SELECT * FROM audit ORDER BY seq")
