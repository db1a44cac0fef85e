"""Start, stop and inspect the local sandbox: ``up``, ``down``, ``status``.

Each service is a child process in its own session (PostgreSQL, the Google
API stand-ins, the Cloud SQL TLS proxy, the Lucky Gas API), listening on
loopback only, with a pid file and a log in the state directory. ``up``
returns once every service answers its health check; ``up`` on a running
sandbox starts only what is missing; ``down`` stops only processes whose pid
file still names them. Nothing here prints.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from luckyctl.errors import SandboxError
from luckyctl.sandbox import health, postgres, processes
from luckyctl.sandbox.credentials import ensure_credentials_file
from luckyctl.sandbox.paths import SandboxPaths
from luckyctl.sandbox.pki import SandboxPki
from luckyctl.sandbox.settings import SQL_PROXY_PORT, SandboxSettings

DEFAULT_HEALTH_TIMEOUT_S = 60.0


class ServiceName(str, Enum):
    POSTGRES = "postgres"
    GOOGLE_APIS = "google-apis"
    SQL_PROXY = "sql-proxy"
    LUCKY_API = "lucky-api"


class ServiceState(str, Enum):
    RUNNING = "running"  # the process lives and answers its health check
    UNHEALTHY = "unhealthy"  # the process lives but does not answer
    STOPPED = "stopped"


@dataclass(frozen=True)
class ServiceStatus:
    name: ServiceName
    state: ServiceState
    pid: int | None
    address: str | None  # host:port
    url: str | None  # for the HTTP services
    log_file: Path


@dataclass(frozen=True)
class SandboxStatus:
    state_dir: Path
    services: tuple[ServiceStatus, ...]
    credentials_file: Path | None  # a service-account key file for google.auth, once the sandbox ran

    @property
    def running(self) -> bool:
        return all(s.state is ServiceState.RUNNING for s in self.services)

    def service(self, name: ServiceName) -> ServiceStatus:
        return next(s for s in self.services if s.name is name)


@dataclass(frozen=True)
class UpResult:
    status: SandboxStatus
    started: tuple[ServiceName, ...]  # empty when everything already ran


@dataclass(frozen=True)
class DownResult:
    state_dir: Path
    stopped: tuple[ServiceName, ...]
    stale: tuple[ServiceName, ...]  # pid files naming no live process of ours: removed, nothing signalled


@dataclass(frozen=True)
class _Service:
    name: ServiceName
    stop_signal: int
    address: Callable[[SandboxSettings], tuple[str, int]]
    url: Callable[[SandboxSettings], str | None]
    healthy: Callable[[SandboxPaths, SandboxSettings], bool]


def _python_service(command: str) -> Callable[[SandboxPaths], list[str]]:
    return lambda paths: [sys.executable, "-m", "luckyctl.sandbox", command, "--state-dir", str(paths.state_dir)]


# Start order; ``down`` goes the other way.
SERVICES = (
    _Service(ServiceName.POSTGRES, signal.SIGINT,  # SIGINT: PostgreSQL's fast shutdown
             lambda s: (s.host, s.postgres_port), lambda s: None, lambda p, s: health.database(s)),
    _Service(ServiceName.GOOGLE_APIS, signal.SIGTERM,
             lambda s: (s.host, s.google_port), lambda s: s.google_url, lambda p, s: health.google_apis(s)),
    _Service(ServiceName.SQL_PROXY, signal.SIGTERM,
             lambda s: (s.sql_proxy_host, SQL_PROXY_PORT), lambda s: None,
             lambda p, s: health.sql_proxy(s, SandboxPki(p.pki_dir))),
    _Service(ServiceName.LUCKY_API, signal.SIGTERM,
             lambda s: (s.host, s.api_port), lambda s: s.api_url, lambda p, s: health.lucky_api(s)),
)
_COMMANDS = {
    ServiceName.GOOGLE_APIS: _python_service("serve-google"),
    ServiceName.SQL_PROXY: _python_service("serve-sql-proxy"),
    ServiceName.LUCKY_API: _python_service("serve-api"),
}


# --------------------------------------------------------------- public


def up(settings: SandboxSettings, state_dir: Path, *, health_timeout: float = DEFAULT_HEALTH_TIMEOUT_S) -> UpResult:
    """Start whatever of the sandbox is not running and wait until every service is healthy."""
    paths = SandboxPaths(Path(state_dir).resolve())
    paths.create()
    running = {s.name for s in SERVICES if _live_record(paths, s.name) is not None}
    if running:
        _check_same_settings(paths, settings)
    missing = [s for s in SERVICES if s.name not in running]
    for service in missing:
        paths.pid_file(service.name.value).unlink(missing_ok=True)
        _check_port_free(service, settings)
    if missing:
        paths.settings_file.write_text(settings.to_json())
        _prepare(paths, settings, {s.name for s in missing})
    started: list[ServiceName] = []
    try:
        for service in missing:
            _start(service, paths, settings)
            started.append(service.name)
        for service in SERVICES:
            _wait_healthy(service, paths, settings, health_timeout)
            if service.name is ServiceName.POSTGRES and service.name in started:
                postgres.seed(paths, settings)
    except BaseException:
        for name in reversed(started):
            _stop_service(paths, name)
        raise
    return UpResult(status(paths.state_dir), tuple(started))


def down(state_dir: Path) -> DownResult:
    """Stop exactly the processes this sandbox's pid files still name, in reverse start order."""
    paths = SandboxPaths(Path(state_dir).resolve())
    stopped, stale = [], []
    for service in reversed(SERVICES):
        pid_file = paths.pid_file(service.name.value)
        if not pid_file.exists():
            continue
        if _stop_service(paths, service.name):
            stopped.append(service.name)
        else:
            stale.append(service.name)
    return DownResult(paths.state_dir, tuple(stopped), tuple(stale))


def status(state_dir: Path) -> SandboxStatus:
    """Each service's state, pid, address and log; no side effects."""
    paths = SandboxPaths(Path(state_dir).resolve())
    settings = _stored_settings(paths)
    services = []
    for service in SERVICES:
        record = _live_record(paths, service.name)
        if record is None or settings is None:
            state = ServiceState.STOPPED
        else:
            state = ServiceState.RUNNING if service.healthy(paths, settings) else ServiceState.UNHEALTHY
        host, port = service.address(settings) if settings else (None, None)
        services.append(ServiceStatus(
            name=service.name, state=state, pid=record.pid if record else None,
            address=f"{host}:{port}" if settings else None, url=service.url(settings) if settings else None,
            log_file=paths.log_file(service.name.value),
        ))
    credentials = paths.credentials_file if paths.credentials_file.is_file() else None
    return SandboxStatus(paths.state_dir, tuple(services), credentials)


# -------------------------------------------------------------- helpers


def _stored_settings(paths: SandboxPaths) -> SandboxSettings | None:
    if not paths.settings_file.is_file():
        return None
    return SandboxSettings.from_json(paths.settings_file.read_text())


def _live_record(paths: SandboxPaths, name: ServiceName) -> processes.PidRecord | None:
    record = processes.PidRecord.read(paths.pid_file(name.value))
    return record if record is not None and processes.is_alive(record) else None


def _check_same_settings(paths: SandboxPaths, settings: SandboxSettings) -> None:
    stored = _stored_settings(paths)
    if stored is None or stored == settings:
        return
    old, new = json.loads(stored.to_json()), json.loads(settings.to_json())
    changed = sorted(key for key in new if old.get(key) != new[key])
    raise SandboxError(
        f"the sandbox in {paths.state_dir} already runs with other settings ({', '.join(changed)}); "
        "stop it first with `luckyctl sandbox down`"
    )


def _check_port_free(service: _Service, settings: SandboxSettings) -> None:
    host, port = service.address(settings)
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise SandboxError(
                f"{service.name.value} cannot listen on {host}:{port}: {exc.strerror}; "
                "free the port or choose another one in the plan"
            ) from None


def _prepare(paths: SandboxPaths, settings: SandboxSettings, to_start: set[ServiceName]) -> None:
    pki = SandboxPki(paths.pki_dir)
    pki.ensure_authorities()
    if ServiceName.SQL_PROXY in to_start:
        pki.issue_server_certificate(
            instance_name=f"{settings.project}:{settings.sql_instance}", proxy_host=settings.sql_proxy_host,
            dns_name=f"{settings.sql_instance}.{settings.region}.sql.sandbox.invalid",
        )
    ensure_credentials_file(paths, settings)
    if ServiceName.POSTGRES in to_start:
        postgres.init_cluster(paths)


def _child_env() -> dict[str, str]:
    """The children import this very luckyctl, installed or not."""
    import luckyctl

    package_root = str(Path(luckyctl.__file__).resolve().parent.parent)
    python_path = os.pathsep.join(p for p in (package_root, os.environ.get("PYTHONPATH", "")) if p)
    return {**os.environ, "PYTHONPATH": python_path, "PYTHONUNBUFFERED": "1"}


def _start(service: _Service, paths: SandboxPaths, settings: SandboxSettings) -> None:
    if service.name is ServiceName.POSTGRES:
        argv, user = postgres.server_argv(paths, settings), postgres.server_user()
    else:
        argv, user = _COMMANDS[service.name](paths), None
    processes.spawn(argv, log_file=paths.log_file(service.name.value), pid_file=paths.pid_file(service.name.value),
                    env=_child_env(), cwd=paths.state_dir, user=user)


def _wait_healthy(service: _Service, paths: SandboxPaths, settings: SandboxSettings, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    log = paths.log_file(service.name.value)
    while True:
        record = processes.PidRecord.read(paths.pid_file(service.name.value))
        if record is None or not processes.is_alive(record):
            raise SandboxError(f"{service.name.value} exited during start-up{_last_line(log)}; see {log}")
        if service.healthy(paths, settings):
            return
        if time.monotonic() >= deadline:
            raise SandboxError(
                f"{service.name.value} did not become healthy within {timeout:g} s{_last_line(log)}; see {log}"
            )
        time.sleep(0.1)


def _last_line(log: Path) -> str:
    try:
        lines = [line for line in log.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return ""
    return f" (last log line: {lines[-1].strip()[:300]})" if lines else ""


def _stop_service(paths: SandboxPaths, name: ServiceName) -> bool:
    """Stop the service if its pid file names a live process of ours; remove the pid file either way."""
    pid_file = paths.pid_file(name.value)
    record = processes.PidRecord.read(pid_file)
    service = next(s for s in SERVICES if s.name is name)
    stopped = record is not None and processes.stop(record, service.stop_signal)
    pid_file.unlink(missing_ok=True)
    return stopped
