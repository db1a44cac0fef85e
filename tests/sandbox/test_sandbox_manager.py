"""``up`` / ``down`` / ``status``: real processes, pid files, health checks, clear failures."""

from __future__ import annotations

import dataclasses
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import psutil
import pytest

from luckyctl.errors import SandboxError
from luckyctl.sandbox import manager
from luckyctl.sandbox.manager import ServiceName, ServiceState
from luckyctl.sandbox.processes import PidRecord
from luckyctl.sandbox.settings import SandboxSettings


def processes_under(directory: Path) -> list[psutil.Process]:
    """Live processes whose command line names ``directory`` (the sandbox's children do)."""
    found = []
    for process in psutil.process_iter(["cmdline", "status"]):
        cmdline = " ".join(process.info["cmdline"] or ())
        if str(directory) in cmdline and process.info["status"] != psutil.STATUS_ZOMBIE:
            found.append(process)
    return found


def test_up_twice_is_harmless_and_status_tells_each_service(
    sandbox: manager.UpResult, sandbox_settings: SandboxSettings, sandbox_dir: Path
) -> None:
    assert set(sandbox.started) == set(ServiceName)
    again = manager.up(sandbox_settings, sandbox_dir)
    assert again.started == ()
    now = manager.status(sandbox_dir)
    assert now.running
    assert [s.pid for s in now.services] == [s.pid for s in sandbox.status.services]
    api = now.service(ServiceName.LUCKY_API)
    assert (api.address, api.url) == (f"127.0.0.1:{sandbox_settings.api_port}", sandbox_settings.api_url)
    assert now.service(ServiceName.SQL_PROXY).address == f"{sandbox_settings.sql_proxy_host}:3307"
    assert all(s.log_file.is_file() for s in now.services)
    assert now.credentials_file == sandbox_dir / "service-account.json"


def test_up_refuses_other_settings_while_running(
    sandbox: manager.UpResult, sandbox_settings: SandboxSettings, sandbox_dir: Path
) -> None:
    changed = dataclasses.replace(sandbox_settings, api_port=sandbox_settings.api_port + 1)
    with pytest.raises(SandboxError, match=r"already runs with other settings \(api_port\)"):
        manager.up(changed, sandbox_dir)


def test_a_full_cycle_leaves_no_process_behind(spare_dir: Path, new_settings: Callable[..., SandboxSettings]) -> None:
    result = manager.up(new_settings(), spare_dir)
    pids = [s.pid for s in result.status.services]
    assert all(pids) and result.status.running
    stopped = manager.down(spare_dir)
    assert set(stopped.stopped) == set(ServiceName) and stopped.stale == ()
    assert not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != psutil.STATUS_ZOMBIE for pid in pids)
    assert {s.state for s in manager.status(spare_dir).services} == {ServiceState.STOPPED}
    assert manager.down(spare_dir).stopped == ()


def test_down_never_signals_a_process_its_pid_file_no_longer_names(spare_dir: Path) -> None:
    stranger = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        run_dir = spare_dir / "run"
        run_dir.mkdir(parents=True)
        # the pid is live, but it started at another time than the one recorded: a reused pid
        PidRecord(stranger.pid, psutil.Process(stranger.pid).create_time() - 1000, ("old",)).write(
            run_dir / "lucky-api.pid")
        result = manager.down(spare_dir)
        assert result.stale == (ServiceName.LUCKY_API,) and result.stopped == ()
        assert stranger.poll() is None
        assert not (run_dir / "lucky-api.pid").exists()
    finally:
        stranger.kill()
        stranger.wait()


def test_a_service_that_dies_at_start_is_named_with_its_log_and_the_rest_is_stopped(
    spare_dir: Path, tmp_path: Path, new_settings: Callable[..., SandboxSettings]
) -> None:
    broken_seed = tmp_path / "seed.json"
    broken_seed.write_text("{ not json")
    with pytest.raises(SandboxError) as caught:
        manager.up(new_settings(seed_file=broken_seed), spare_dir, health_timeout=30)
    message = str(caught.value)
    assert message.startswith("google-apis exited during start-up")
    assert message.endswith(f"see {spare_dir.resolve() / 'logs' / 'google-apis.log'}")
    assert "JSONDecodeError" in message
    assert processes_under(spare_dir) == []
    assert not list((spare_dir / "run").iterdir())


def test_a_busy_port_is_reported_before_anything_starts(
    spare_dir: Path, new_settings: Callable[..., SandboxSettings]
) -> None:
    settings = new_settings()
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", settings.api_port))
        squatter.listen()
        with pytest.raises(SandboxError, match=f"lucky-api cannot listen on 127.0.0.1:{settings.api_port}"):
            manager.up(settings, spare_dir)
    assert processes_under(spare_dir) == []
