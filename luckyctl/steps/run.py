"""The ``run`` step: start a program without a shell, capture what it prints, check how it ended.

The program comes from ``argv``, or from ``cmd`` split the way a POSIX shell
splits words (``shlex``) — but no shell runs, so there is no globbing, no
pipes, no redirection and no expansion of ``$VARS`` (use ``${env:NAME}``).
``cwd`` is relative to the roadmap's root; ``env`` is added to a copy of
luckyctl's own environment.

The program runs in a process group of its own. On timeout or Ctrl-C the whole
group gets SIGTERM, then SIGKILL once the program has ended or ``KILL_GRACE``
seconds have passed, so children such as a backgrounded ``sleep`` die too.

Each of stdout and stderr is kept up to ``OUTPUT_LIMIT`` bytes (the rest is
read and dropped, and the artifact ends with a note saying so).

Structured output: a stdout line ``::metric NAME=VALUE`` (VALUE a number)
records metric NAME, so a script can feed a KPI, e.g. ``::metric
coverage_pct=84.2``. The last line for a name wins; ``exit_code`` and
``duration_s`` are always the measured ones.
"""

from __future__ import annotations

import math
import os
import re
import selectors
import shlex
import signal
import subprocess
import time
from contextlib import suppress
from typing import IO

from luckyctl.errors import StepError
from luckyctl.model import RunSpec, StepStatus
from luckyctl.steps.base import StepContext, StepOutcome
from luckyctl.steps.expect import shorten, summarize

OUTPUT_LIMIT = 10 * 1024 * 1024  # bytes kept per stream
KILL_GRACE = 2.0  # seconds between SIGTERM and SIGKILL
_POLL = 0.1  # how often a wait looks at the cancel event
_READ = 64 * 1024
_TAIL_LINES = 20
_TAIL_CHARS = 4000
_METRIC_PREFIX = b"::metric"
_METRIC_LINE = re.compile(rb"^::metric\s+([A-Za-z_][A-Za-z0-9_.-]*)=(\S+)\s*$")
_MAX_METRICS = 1000  # a runaway loop printing metrics must not grow memory without bound


class _Capture:
    """One pipe's output: keeps the first ``limit`` bytes and, for stdout, the metric lines."""

    def __init__(self, *, limit: int, scan_metrics: bool) -> None:
        self.kept = bytearray()
        self.total = 0
        self.metrics: dict[str, float] = {}
        self.bad_metric_lines: list[str] = []
        self._limit = limit
        self._scan_metrics = scan_metrics
        self._line = bytearray()  # the unfinished last line, while scanning for metrics
        self._line_too_long = False

    def feed(self, chunk: bytes) -> None:
        self.total += len(chunk)
        room = self._limit - len(self.kept)
        if room > 0:
            self.kept += chunk[:room]
        if self._scan_metrics:
            self._scan(chunk)

    def _scan(self, chunk: bytes) -> None:
        *complete, rest = chunk.split(b"\n")
        for piece in complete:
            if not self._line_too_long:
                line = bytes(self._line + piece)
                if line.startswith(_METRIC_PREFIX):
                    self._record_metric(line)
            self._line.clear()
            self._line_too_long = False
        self._line += rest
        if len(self._line) > _READ:  # no metric line is this long: stop keeping it
            self._line.clear()
            self._line_too_long = True

    def close(self) -> None:
        if self._scan_metrics and self._line and not self._line_too_long and self._line.startswith(_METRIC_PREFIX):
            self._record_metric(bytes(self._line))

    def _record_metric(self, line: bytes) -> None:
        match = _METRIC_LINE.match(line.rstrip(b"\r\n"))
        value = _finite(match.group(2)) if match else None
        if match is None or value is None:
            if len(self.bad_metric_lines) < 5:
                self.bad_metric_lines.append(line.decode("utf-8", "replace").rstrip())
            return
        name = match.group(1).decode()
        if name in self.metrics or len(self.metrics) < _MAX_METRICS:
            self.metrics[name] = value

    @property
    def truncated(self) -> bool:
        return self.total > len(self.kept)

    # A cut output ends in "…", the mark the redactor looks for: a secret cut in two leaves no head.
    def text(self) -> str:
        return self.kept.decode("utf-8", "replace") + ("…" if self.truncated else "")

    def artifact(self) -> bytes:
        if not self.truncated:
            return bytes(self.kept)
        note = f"…\n[luckyctl: output cut at {len(self.kept)} of {self.total} bytes]\n"
        return bytes(self.kept) + note.encode()


def _finite(text: bytes) -> float | None:
    try:
        value = float(text)
    except ValueError:
        return None
    return value if math.isfinite(value) else None


def _argv(spec: RunSpec) -> list[str]:
    if spec.argv is not None:
        return list(spec.argv)
    try:
        argv = shlex.split(spec.cmd or "")
    except ValueError as exc:
        raise StepError(f"cannot split cmd {spec.cmd!r}: {exc}") from exc
    if not argv:
        raise StepError("'cmd' names no program")
    return argv


def _signal_group(pgid: int, signum: int) -> None:
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


def _kill_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the program's whole group; SIGKILL once it has ended or the grace has passed."""
    _signal_group(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=KILL_GRACE)
    _signal_group(process.pid, signal.SIGKILL)
    process.wait()


class _Exit:
    """Marks the pidfd in the selector: readable once the program has ended."""


def _wait(process: subprocess.Popen[bytes], pipes: dict[IO[bytes], _Capture], ctx: StepContext) -> str | None:
    """Read the output and wait for the program on this thread; the reason when it had to be stopped, else None.

    One selector watches both pipes and a pidfd, so the end of the program is
    noticed at once, without polling and without reader threads.
    """
    deadline = time.monotonic() + ctx.timeout
    reason = None
    with selectors.DefaultSelector() as selector:
        for pipe, capture in pipes.items():
            selector.register(pipe, selectors.EVENT_READ, capture)
        pidfd = os.pidfd_open(process.pid)
        selector.register(pidfd, selectors.EVENT_READ, _Exit)
        try:
            # A background child may keep the pipes open after the program ended: wait for them too.
            while len(selector.get_map()) > 0:
                if ctx.cancel.is_set():
                    reason = "cancelled"
                    break
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    reason = f"timed out after {float(ctx.timeout)!r}s"
                    break
                for key, _ in selector.select(min(_POLL, remaining)):
                    if key.data is _Exit:
                        selector.unregister(pidfd)
                        process.wait()
                        continue
                    chunk = os.read(key.fd, _READ)
                    if chunk:
                        key.data.feed(chunk)
                    else:
                        selector.unregister(key.fileobj)
        finally:
            os.close(pidfd)
    if reason is not None:
        _kill_group(process)
    for pipe, capture in pipes.items():
        pipe.close()
        capture.close()
    return reason


def _tail(text: str) -> str:
    return "\n".join(text.splitlines()[-_TAIL_LINES:])[-_TAIL_CHARS:]


def _check(spec: RunSpec, exit_code: int, out: _Capture, err: _Capture) -> list[str]:
    expect = spec.expect
    failures = []
    if exit_code != expect.exit_code:
        last_error = _tail(err.text()).rpartition("\n")[2].strip()
        failures.append(
            f"exit code {exit_code}, expected {expect.exit_code}" + (f": {last_error}" if last_error else "")
        )
    cut = " (stdout was cut)" if out.truncated else ""
    if expect.stdout_contains is not None and expect.stdout_contains not in out.text():
        failures.append(f"stdout does not contain {expect.stdout_contains!r}{cut}")
    if expect.stdout_matches is not None and not re.search(expect.stdout_matches, out.text(), re.MULTILINE):
        failures.append(f"stdout does not match /{expect.stdout_matches}/{cut}")
    return failures


def run_process(spec: RunSpec, ctx: StepContext) -> StepOutcome:
    """Run the program; PASSED when its exit code and stdout meet ``expect``."""
    argv = _argv(spec)
    if spec.expect.stdout_matches is not None:
        try:
            re.compile(spec.expect.stdout_matches)
        except re.error as exc:
            raise StepError(f"bad stdout_matches /{spec.expect.stdout_matches}/: {exc}") from exc
    cwd = ctx.workdir / spec.cwd if spec.cwd else ctx.workdir
    outputs: dict[str, object] = {"argv": argv, "cwd": str(cwd)}
    if not cwd.is_dir():
        return StepOutcome(StepStatus.ERROR, f"working directory not found: {cwd}", outputs=outputs)
    started = time.monotonic()
    try:
        process = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **spec.env} if spec.env else None,  # None: inherit as is, without copying it
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
    except FileNotFoundError:
        return StepOutcome(StepStatus.ERROR, f"program not found: {argv[0]}", outputs=outputs)
    except PermissionError:
        return StepOutcome(StepStatus.ERROR, f"program not executable: {argv[0]}", outputs=outputs)
    except OSError as exc:
        return StepOutcome(StepStatus.ERROR, f"cannot start {argv[0]}: {exc.strerror or exc}", outputs=outputs)
    assert process.stdout is not None and process.stderr is not None  # both are pipes
    out = _Capture(limit=OUTPUT_LIMIT, scan_metrics=True)
    err = _Capture(limit=OUTPUT_LIMIT, scan_metrics=False)
    stopped = _wait(process, {process.stdout: out, process.stderr: err}, ctx)
    duration = round(time.monotonic() - started, 3)

    outputs |= {
        "duration_s": duration,
        "stdout_tail": _tail(out.text()),
        "stderr_tail": _tail(err.text()),
        "stdout_bytes": out.total,
        "stderr_bytes": err.total,
    }
    truncated = [name for name, capture in (("stdout", out), ("stderr", err)) if capture.truncated]
    if truncated:
        outputs["truncated"] = truncated
    if out.bad_metric_lines:
        outputs["bad_metric_lines"] = out.bad_metric_lines
    artifacts = {name: capture.artifact() for name, capture in (("stdout", out), ("stderr", err)) if capture.total}
    metrics = {**out.metrics, "duration_s": duration}

    if stopped is not None:
        return StepOutcome(StepStatus.ERROR, stopped, outputs=outputs, metrics=metrics, artifacts=artifacts)
    exit_code = process.returncode
    outputs["exit_code"] = exit_code
    metrics["exit_code"] = float(exit_code)
    failures = _check(spec, exit_code, out, err)
    if failures:
        outputs["failures"] = failures
        return StepOutcome(
            StepStatus.FAILED, summarize(failures), outputs=outputs, metrics=metrics, artifacts=artifacts
        )
    summary = f"{shorten(shlex.join(argv), 80)}: exit code {exit_code} in {duration:g}s"
    return StepOutcome(StepStatus.PASSED, summary, outputs=outputs, metrics=metrics, artifacts=artifacts)
