"""The run step: real subprocesses, their exit codes, output, timeouts and cancellation."""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path

import pytest

from helpers import step_context
from luckyctl.errors import StepError
from luckyctl.model import RunSpec, StepStatus
from luckyctl.steps import run as run_module
from luckyctl.steps.run import run_process

PYTHON = sys.executable


def spec(**fields: object) -> RunSpec:
    return RunSpec.model_validate(fields)


def is_running(pid: int) -> bool:
    """True while the process exists and is not a zombie waiting to be reaped."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_zero_exit_passes_and_records_evidence(tmp_path: Path) -> None:
    outcome = run_process(spec(argv=["sh", "-c", "echo hello; echo warn >&2"]), step_context(tmp_path))
    assert outcome.status is StepStatus.PASSED
    assert outcome.outputs["exit_code"] == 0
    assert outcome.outputs["argv"] == ["sh", "-c", "echo hello; echo warn >&2"]
    assert outcome.outputs["stdout_tail"] == "hello"
    assert outcome.artifacts == {"stdout": b"hello\n", "stderr": b"warn\n"}
    assert outcome.metrics["exit_code"] == 0.0
    assert 0 <= outcome.metrics["duration_s"] < 5
    assert "exit code 0" in outcome.summary


def test_an_unexpected_exit_code_fails_with_the_last_error_line(tmp_path: Path) -> None:
    outcome = run_process(
        spec(argv=["sh", "-c", "echo first >&2; echo 'no such table' >&2; exit 3"]), step_context(tmp_path)
    )
    assert outcome.status is StepStatus.FAILED
    assert outcome.summary == "exit code 3, expected 0: no such table"
    assert outcome.metrics["exit_code"] == 3.0


def test_an_expected_nonzero_exit_code_passes(tmp_path: Path) -> None:
    outcome = run_process(spec(argv=["sh", "-c", "exit 4"], expect={"exit_code": 4}), step_context(tmp_path))
    assert outcome.status is StepStatus.PASSED


def test_stdout_expectations(tmp_path: Path) -> None:
    ctx = step_context(tmp_path)
    text = ["printf", "version: 1.4.2\nready\n"]
    assert run_process(spec(argv=text, expect={"stdout_contains": "ready"}), ctx).passed
    assert run_process(spec(argv=text, expect={"stdout_matches": r"^version: 1\.\d+"}), ctx).passed
    missing = run_process(spec(argv=text, expect={"stdout_contains": "healthy", "stdout_matches": "^v2"}), ctx)
    assert missing.status is StepStatus.FAILED
    assert missing.summary == "stdout does not contain 'healthy'; stdout does not match /^v2/"


def test_cmd_is_split_like_a_shell_but_never_run_by_one(tmp_path: Path) -> None:
    outcome = run_process(spec(cmd="printf '%s|' 'two words' $HOME *.txt"), step_context(tmp_path))
    assert outcome.artifacts["stdout"] == b"two words|$HOME|*.txt|"
    assert outcome.outputs["argv"] == ["printf", "%s|", "two words", "$HOME", "*.txt"]


def test_env_is_added_to_the_environment_and_cwd_is_relative_to_the_workdir(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LUCKY_INHERITED", "from-parent")
    (tmp_path / "sub").mkdir()
    outcome = run_process(
        spec(
            argv=["sh", "-c", 'echo "$LUCKY_STAGE $LUCKY_INHERITED $(pwd)"'], cwd="sub", env={"LUCKY_STAGE": "staging"}
        ),
        step_context(tmp_path),
    )
    assert outcome.outputs["stdout_tail"] == f"staging from-parent {tmp_path / 'sub'}"
    assert "LUCKY_STAGE" not in os.environ


def test_a_missing_working_directory_is_an_error(tmp_path: Path) -> None:
    outcome = run_process(spec(argv=["true"], cwd="nowhere"), step_context(tmp_path))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == f"working directory not found: {tmp_path / 'nowhere'}"


def test_a_missing_program_is_an_error(tmp_path: Path) -> None:
    outcome = run_process(spec(argv=["luckyctl-no-such-program", "--help"]), step_context(tmp_path))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == "program not found: luckyctl-no-such-program"


def test_a_program_that_cannot_be_executed_is_an_error(tmp_path: Path) -> None:
    script = tmp_path / "script.sh"
    script.write_text("#!/bin/sh\necho hi\n")
    script.chmod(0o644)
    outcome = run_process(spec(argv=["./script.sh"]), step_context(tmp_path))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == "program not executable: ./script.sh"


def test_a_program_of_an_unknown_format_cannot_start(tmp_path: Path) -> None:
    binary = tmp_path / "garbage"
    binary.write_bytes(b"\x00\x01\x02 not a program")
    binary.chmod(0o755)
    outcome = run_process(spec(argv=["./garbage"]), step_context(tmp_path))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("cannot start ./garbage: ")


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"cmd": "echo 'unbalanced"}, "cannot split cmd"),
        ({"cmd": "   "}, "names no program"),
        ({"argv": ["true"], "expect": {"stdout_matches": "(x"}}, "bad stdout_matches"),
    ],
)
def test_specs_that_cannot_be_understood_raise(tmp_path: Path, fields: dict[str, object], problem: str) -> None:
    with pytest.raises(StepError, match=problem):
        run_process(spec(**fields), step_context(tmp_path))


def test_a_timeout_kills_the_whole_process_group(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    script = f"sleep 30 & echo $! > {pid_file}; echo started; wait"
    started = time.monotonic()
    outcome = run_process(spec(argv=["sh", "-c", script]), step_context(tmp_path, timeout=0.5))
    assert time.monotonic() - started < 4
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == "timed out after 0.5s"
    assert outcome.artifacts["stdout"] == b"started\n"
    assert "exit_code" not in outcome.metrics
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while is_running(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not is_running(child)


def test_a_program_ignoring_sigterm_is_killed_after_the_grace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "KILL_GRACE", 0.3)
    stubborn = (
        "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); print('up', flush=True); time.sleep(30)"
    )
    started = time.monotonic()
    outcome = run_process(spec(argv=[PYTHON, "-c", stubborn]), step_context(tmp_path, timeout=0.5))
    assert outcome.status is StepStatus.ERROR and "timed out" in outcome.summary
    assert time.monotonic() - started < 3


def test_a_background_child_holding_the_output_open_times_out(tmp_path: Path) -> None:
    pid_file = tmp_path / "child.pid"
    outcome = run_process(
        spec(argv=["sh", "-c", f"sleep 30 & echo $! > {pid_file}"]), step_context(tmp_path, timeout=0.5)
    )
    assert outcome.status is StepStatus.ERROR and outcome.summary == "timed out after 0.5s"
    child = int(pid_file.read_text())
    deadline = time.monotonic() + 2
    while is_running(child) and time.monotonic() < deadline:
        time.sleep(0.02)
    assert not is_running(child)


def test_the_cancel_event_stops_the_program_promptly(tmp_path: Path) -> None:
    cancel = threading.Event()
    timer = threading.Timer(0.3, cancel.set)
    timer.start()
    started = time.monotonic()
    outcome = run_process(spec(argv=["sleep", "30"]), step_context(tmp_path, timeout=30, cancel=cancel))
    timer.cancel()
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == "cancelled"
    assert time.monotonic() - started < 2


def test_big_output_is_cut_and_says_so(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "OUTPUT_LIMIT", 1024 * 1024)
    writer = "import sys; sys.stdout.buffer.write(b'x' * (3 * 1024 * 1024)); print(); print('::metric after_cut=1')"
    outcome = run_process(
        spec(argv=[PYTHON, "-c", writer], expect={"stdout_contains": "after_cut"}), step_context(tmp_path)
    )
    stdout = outcome.artifacts["stdout"]
    total = 3 * 1024 * 1024 + len("\n::metric after_cut=1\n")
    assert stdout == b"x" * 1024 * 1024 + f"…\n[luckyctl: output cut at 1048576 of {total} bytes]\n".encode()
    assert outcome.outputs["truncated"] == ["stdout"]
    assert outcome.outputs["stdout_bytes"] == total
    assert outcome.metrics["after_cut"] == 1.0  # metric lines are read past the cut
    assert outcome.status is StepStatus.FAILED and "(stdout was cut)" in outcome.summary


def test_the_default_limit_keeps_ten_mebibytes(tmp_path: Path) -> None:
    writer = "import sys; sys.stdout.buffer.write(b'y' * (11 * 1024 * 1024))"
    outcome = run_process(spec(argv=[PYTHON, "-c", writer]), step_context(tmp_path))
    assert outcome.passed
    assert outcome.artifacts["stdout"].split(b"\n")[0] == b"y" * (10 * 1024 * 1024) + "…".encode()
    assert outcome.outputs["truncated"] == ["stdout"]


def test_metric_lines_record_metrics(tmp_path: Path) -> None:
    lines = "\n".join(
        [
            "::metric coverage_pct=84.2",
            "::metric rows=100",
            "::metric rows=120",
            "::metric exit_code=99",
            "::metric broken=abc",
            "::metric inf=inf",
            "not a ::metric x=1",
            "::metricless=1",
            "",
        ]
    )
    outcome = run_process(spec(argv=["printf", "%s", lines]), step_context(tmp_path))
    assert outcome.metrics["coverage_pct"] == 84.2
    assert outcome.metrics["rows"] == 120.0
    assert outcome.metrics["exit_code"] == 0.0  # the measured value wins
    assert "broken" not in outcome.metrics and "x" not in outcome.metrics and "inf" not in outcome.metrics
    assert outcome.outputs["bad_metric_lines"] == ["::metric broken=abc", "::metric inf=inf", "::metricless=1"]


def test_metrics_beyond_the_cap_are_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(run_module, "_MAX_METRICS", 2)
    outcome = run_process(
        spec(argv=["printf", "::metric a=1\n::metric b=2\n::metric c=3\n::metric a=4\n"]), step_context(tmp_path)
    )
    assert {name: outcome.metrics[name] for name in ("a", "b")} == {"a": 4.0, "b": 2.0}
    assert "c" not in outcome.metrics


def test_a_program_printing_nothing_stores_no_artifacts(tmp_path: Path) -> None:
    outcome = run_process(spec(argv=["true"]), step_context(tmp_path))
    assert outcome.passed and outcome.artifacts == {}
