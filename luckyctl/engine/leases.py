"""Who holds a task, whether that holder is still alive, and the heartbeat that says so.

A lease names a run, a pid and a host. On this host a dead pid means the
holder is gone at once; on any host a heartbeat older than the expiry means
the same (the process hangs, or its machine went away).
"""

from __future__ import annotations

import datetime as dt
import os
import socket
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from luckyctl.errors import StoreError
from luckyctl.store import Store, TaskRecord, parse_time

HEARTBEAT_INTERVAL_S = 2.0
LEASE_EXPIRY_S = 60.0

# Runs going on in this process. A lease naming this process's pid but another
# run is stale (the pid was reused after a crash) unless that run is one of these.
_LIVE_RUNS: set[str] = set()


@dataclass(frozen=True)
class Holder:
    """This process, as leases name it."""

    run_id: str
    pid: int
    host: str

    @classmethod
    def current(cls, run_id: str) -> Holder:
        return cls(run_id, os.getpid(), socket.gethostname())


def pid_alive(pid: int) -> bool:
    """Whether a process with this pid runs on this host (a zombie counts as dead)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # it exists, under another user
        return True
    stat = Path(f"/proc/{pid}/stat")
    try:
        # The state letter follows the command name, which is in parentheses and may hold spaces.
        return stat.read_text().rpartition(")")[2].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def describe_holder(record: TaskRecord) -> str:
    return f"run {record.lease_run} (pid {record.lease_pid} on {record.lease_host})"


class LivenessCheck:
    """Decides whether the holder of a lease is gone, from the point of view of ``me``."""

    def __init__(self, me: Holder, *, expiry_s: float = LEASE_EXPIRY_S) -> None:
        self.me = me
        self.expiry_s = expiry_s

    def lease_is_stale(self, record: TaskRecord) -> bool:
        if record.lease_run is None or record.lease_run == self.me.run_id:
            return False
        if record.lease_host == self.me.host and record.lease_pid is not None:
            if record.lease_pid == self.me.pid:
                return record.lease_run not in _LIVE_RUNS
            if not pid_alive(record.lease_pid):
                return True
        return self._expired(record.heartbeat_at)

    def run_is_dead(self, run: dict[str, object]) -> bool:
        pid = run.get("pid")
        if run.get("id") == self.me.run_id or run.get("host") != self.me.host or not isinstance(pid, int):
            return False
        if pid == self.me.pid:
            return run.get("id") not in _LIVE_RUNS
        return not pid_alive(pid)

    def _expired(self, heartbeat_at: str | None) -> bool:
        if heartbeat_at is None:
            return True
        age = dt.datetime.now(dt.UTC) - parse_time(heartbeat_at)
        return age.total_seconds() > self.expiry_s


def reap(store: Store, check: LivenessCheck) -> list[str]:
    """Mark ``interrupted`` the tasks whose holder is gone, and close dead runs; the tasks' ids."""
    store.reap_dead_runs(check.run_is_dead)
    return store.reap_stale_leases(check.lease_is_stale, reason="interrupted: the process running it stopped")


class Heartbeat:
    """A daemon thread refreshing this run's leases every few seconds while the run lasts."""

    def __init__(self, store: Store, run_id: str, *, interval_s: float = HEARTBEAT_INTERVAL_S) -> None:
        self._store = store
        self._run_id = run_id
        self._interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._beat, name=f"heartbeat-{run_id}", daemon=True)

    def __enter__(self) -> Self:
        _LIVE_RUNS.add(self._run_id)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        _LIVE_RUNS.discard(self._run_id)

    def _beat(self) -> None:
        while not self._stop.wait(self._interval_s):
            try:
                self._store.heartbeat(self._run_id)
            except StoreError:  # a busy database: the next beat comes long before the lease expires
                continue
