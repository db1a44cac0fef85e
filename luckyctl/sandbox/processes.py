"""Child processes that outlive their starter: spawn, pid files, identity, stop.

A pid file records the pid *and* the process's start time, so a pid that the
system has since given to another process is never signalled.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import psutil

START_TIME_TOLERANCE_S = 0.5


@dataclass(frozen=True)
class PidRecord:
    pid: int
    started: float  # psutil create_time
    argv: tuple[str, ...]

    @classmethod
    def read(cls, path: Path) -> PidRecord | None:
        try:
            data = json.loads(path.read_text())
            return cls(int(data["pid"]), float(data["started"]), tuple(data.get("argv", ())))
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, path: Path) -> None:
        path.write_text(json.dumps({"pid": self.pid, "started": self.started, "argv": list(self.argv)}))


def spawn(argv: list[str], *, log_file: Path, pid_file: Path, env: dict[str, str], cwd: Path,
          user: str | None = None) -> PidRecord:
    """Start ``argv`` in its own session, output appended to ``log_file``; record it in ``pid_file``."""
    with log_file.open("ab") as log:
        process = subprocess.Popen(
            argv, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env, cwd=cwd,
            start_new_session=True, user=user,
        )
    record = PidRecord(process.pid, psutil.Process(process.pid).create_time(), tuple(argv))
    record.write(pid_file)
    return record


def _reap(pid: int) -> None:
    """Collect the exit status if ``pid`` is our own child, so it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def is_alive(record: PidRecord) -> bool:
    """True when the recorded process still runs (same pid, same start time, not a zombie)."""
    _reap(record.pid)
    try:
        process = psutil.Process(record.pid)
        same = abs(process.create_time() - record.started) <= START_TIME_TOLERANCE_S
        return same and process.status() != psutil.STATUS_ZOMBIE
    except psutil.Error:
        return False


def stop(record: PidRecord, stop_signal: int, grace_s: float = 15.0) -> bool:
    """Signal the recorded process and wait; kill its process group after the grace period.

    Returns False when the record no longer names a live process (nothing was signalled).
    """
    if not is_alive(record):
        return False
    with contextlib.suppress(ProcessLookupError):
        os.kill(record.pid, stop_signal)
    deadline = time.monotonic() + grace_s
    while time.monotonic() < deadline:
        if not is_alive(record):
            return True
        time.sleep(0.05)
    if is_alive(record):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            # its own session (spawn), so the group is exactly it and its children
            if os.getpgid(record.pid) == record.pid:
                os.killpg(record.pid, signal.SIGKILL)
            else:
                os.kill(record.pid, signal.SIGKILL)
        while is_alive(record) and time.monotonic() < deadline + 5:
            time.sleep(0.05)
    return True
