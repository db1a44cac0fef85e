"""What the sandbox runs with: one typed settings object, built from a plan.

The plan is read as a plain mapping (``vars``, ``secrets``, ``gcp.endpoints``
and an optional ``sandbox:`` mapping), so this module does not depend on the
plan model. The settings travel to the service processes as JSON in the
sandbox state directory.
"""

from __future__ import annotations

import json
import os
import zlib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from enum import Enum
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from luckyctl.errors import PlanError

LOOPBACK_NAMES = ("127.0.0.1", "localhost")
SQL_PROXY_PORT = 3307  # the Cloud SQL connector always dials this port
# HS256 needs at least 32 bytes; the sandbox's tokens are worthless outside it.
SANDBOX_JWT_SECRET = "luckyctl-sandbox-jwt-signing-key-not-for-production"


class Role(str, Enum):
    ADMIN = "admin"
    MANAGER = "manager"
    DRIVER = "driver"


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    role: Role
    full_name: str = ""


@dataclass(frozen=True)
class SeededSecret:
    """A Secret Manager secret the stand-in holds from the start (from a plan secret's sandbox default)."""

    name: str  # projects/{project}/secrets/{secret}
    value: str


def _default_accounts() -> tuple[Account, ...]:
    return (
        Account("admin", "admin-sandbox", Role.ADMIN, "Sandbox Administrator"),
        Account("manager", "manager-sandbox", Role.MANAGER, "Sandbox Office Manager"),
        Account("driver", "driver-sandbox", Role.DRIVER, "Sandbox Delivery Driver"),
    )


@dataclass(frozen=True)
class SandboxSettings:
    api_port: int = 8765
    google_port: int = 8766
    postgres_port: int = 15432
    sql_proxy_host: str = "127.0.0.2"
    project: str = "lucky-gas-sandbox"
    region: str = "asia-east1"
    sql_instance: str = "lucky-gas-db"
    database: str = "luckygas"
    db_user: str = "luckygas"
    db_password: str = "luckygas-sandbox"
    accounts: tuple[Account, ...] = field(default_factory=_default_accounts)
    cors_origins: tuple[str, ...] = ("http://localhost:5173",)
    jwt_secret: str = SANDBOX_JWT_SECRET
    access_token_ttl_s: int = 900
    refresh_token_ttl_s: int = 7 * 24 * 3600
    backend_service: str = "lucky-gas-backend"
    operation_polls: int = 1
    rate_limit_per_minute: int = 6000
    seed_file: Path | None = None
    seeded_secrets: tuple[SeededSecret, ...] = ()

    host = "127.0.0.1"  # every service listens on loopback only

    @property
    def api_url(self) -> str:
        return f"http://{self.host}:{self.api_port}"

    @property
    def google_url(self) -> str:
        return f"http://{self.host}:{self.google_port}"

    @property
    def connection_name(self) -> str:
        return f"{self.project}:{self.region}:{self.sql_instance}"

    @property
    def project_number(self) -> str:
        """A stable 12-digit number for the project (Google names some resources by number)."""
        return str(100000000000 + zlib.crc32(self.project.encode()) % 900000000000)

    def to_json(self) -> str:
        data = asdict(self)
        data["seed_file"] = str(self.seed_file) if self.seed_file else None
        return json.dumps(data, indent=2, sort_keys=True, default=str)

    @classmethod
    def from_json(cls, text: str) -> SandboxSettings:
        """Settings written by ``to_json``; fields this version does not know are ignored."""
        known = {f.name for f in fields(cls)}
        data = {key: value for key, value in json.loads(text).items() if key in known}
        data["accounts"] = tuple(
            Account(a["username"], a["password"], Role(a["role"]), a.get("full_name", "")) for a in data["accounts"]
        )
        data["seeded_secrets"] = tuple(SeededSecret(**s) for s in data.get("seeded_secrets", ()))
        data["cors_origins"] = tuple(data["cors_origins"])
        data["seed_file"] = Path(data["seed_file"]) if data.get("seed_file") else None
        return cls(**data)


# ------------------------------------------------------------- from a plan


def settings_from_plan(
    plan: Mapping[str, Any], *, base_dir: Path | None = None, source: str | Path | None = None
) -> SandboxSettings:
    """Build the sandbox settings from a plan given as a plain mapping.

    ``base_dir`` resolves a relative ``sandbox.seed`` path (the plan file's
    folder); ``source`` names the plan file in errors.
    """
    reader = _PlanReader(plan, source, base_dir or Path.cwd())
    sandbox = reader.mapping("sandbox")
    variables = reader.mapping("vars")
    gcp = reader.mapping("gcp")
    defaults = SandboxSettings()

    api_port = _loopback_port(variables.get("backend_url"), "vars.backend_url", defaults.api_port, reader)
    google_port = _google_port(reader.mapping("endpoints", gcp, "gcp.endpoints"), defaults.google_port, reader)
    project = str(gcp.get("project") or variables.get("gcp_project") or defaults.project)
    origins = [str(variables["frontend_origin"])] if variables.get("frontend_origin") else []
    origins += [str(o) for o in reader.sequence("cors_origins", sandbox, "sandbox.cors_origins")]

    settings = SandboxSettings(
        api_port=api_port,
        google_port=google_port,
        postgres_port=reader.port(sandbox, "postgres_port", defaults.postgres_port),
        sql_proxy_host=_proxy_host(sandbox.get("sql_proxy_host", defaults.sql_proxy_host), reader),
        project=project,
        region=str(variables.get("region") or defaults.region),
        sql_instance=str(sandbox.get("sql_instance", defaults.sql_instance)),
        database=str(sandbox.get("database", defaults.database)),
        db_user=str(sandbox.get("db_user", defaults.db_user)),
        db_password=reader.password(sandbox, "db_password", defaults.db_password),
        accounts=_accounts(sandbox, reader),
        cors_origins=tuple(dict.fromkeys(origins)) or defaults.cors_origins,
        backend_service=str(sandbox.get("backend_service", defaults.backend_service)),
        operation_polls=reader.integer(sandbox, "operation_polls", defaults.operation_polls, low=0, high=10),
        rate_limit_per_minute=reader.integer(
            sandbox, "rate_limit_per_minute", defaults.rate_limit_per_minute, low=1, high=10**7
        ),
        seed_file=_seed_file(sandbox.get("seed"), reader),
        seeded_secrets=_seeded_secrets(reader, project),
        jwt_secret=reader.long_secret(sandbox) if "jwt_secret" in sandbox else defaults.jwt_secret,
    )
    _check_ports_distinct(settings, reader)
    return settings


class _PlanReader:
    """Typed access to the plain plan mapping; every error names the plan key."""

    def __init__(self, plan: Mapping[str, Any], source: str | Path | None, base_dir: Path) -> None:
        self.plan = plan
        self.source = source
        self.base_dir = base_dir

    def error(self, key: str, message: str) -> PlanError:
        return PlanError(f"{key}: {message}", path=self.source)

    def mapping(self, key: str, parent: Mapping[str, Any] | None = None, label: str | None = None) -> Mapping[str, Any]:
        value = (self.plan if parent is None else parent).get(key) or {}
        if not isinstance(value, Mapping):
            raise self.error(label or key, "must be a mapping")
        return value

    def sequence(self, key: str, parent: Mapping[str, Any], label: str) -> list[Any]:
        value = parent.get(key) or []
        if not isinstance(value, list):
            raise self.error(label, "must be a list")
        return value

    def integer(self, parent: Mapping[str, Any], key: str, default: int, *, low: int, high: int) -> int:
        value = parent.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise self.error(f"sandbox.{key}", f"must be a whole number from {low} to {high}, got {value!r}")
        return value

    def port(self, parent: Mapping[str, Any], key: str, default: int) -> int:
        return self.integer(parent, key, default, low=1024, high=65535)

    def secret(self, name: str) -> str | None:
        """A plan secret's value as the sandbox sees it: its env var if set, its file, else its sandbox default.

        As the steps read secrets: an empty variable counts as unset; a relative file is relative to the plan.
        """
        spec = self.mapping("secrets").get(name)
        if not isinstance(spec, Mapping):
            return None
        if spec.get("env") and os.environ.get(str(spec["env"])):
            return os.environ[str(spec["env"])]
        if spec.get("file"):
            path = self.base_dir / Path(str(spec["file"])).expanduser()
            if path.is_file():
                return path.read_text().rstrip("\r\n")
        default = spec.get("default_for_sandbox")
        return str(default) if default is not None else None

    def password(self, parent: Mapping[str, Any], key: str, default: str, label: str | None = None) -> str:
        """``key`` literally, or ``key_secret`` naming a plan secret, or the plan secret called ``key``."""
        label = label or f"sandbox.{key}"
        if parent.get(key) is not None:
            return str(parent[key])
        secret_name = parent.get(f"{key}_secret")
        if secret_name is not None:
            value = self.secret(str(secret_name))
            if value is None:
                raise self.error(f"{label}_secret", f"names secret '{secret_name}', which has no sandbox value")
            return value
        return self.secret(key) or default

    def long_secret(self, sandbox: Mapping[str, Any]) -> str:
        value = str(sandbox["jwt_secret"])
        if len(value.encode()) < 32:
            raise self.error("sandbox.jwt_secret", "must be at least 32 bytes long (HS256)")
        return value


def _loopback_port(url: Any, key: str, default: int, reader: _PlanReader) -> int:
    if url is None:
        return default
    parts = urlsplit(str(url))
    try:
        port = parts.port
    except ValueError:
        port = None
    if parts.scheme != "http" or parts.hostname not in LOOPBACK_NAMES or port is None:
        raise reader.error(key, f"the sandbox serves http://127.0.0.1:PORT only, got '{url}'")
    return port


def _google_port(endpoints: Mapping[str, Any], default: int, reader: _PlanReader) -> int:
    ports = {name: _loopback_port(url, f"gcp.endpoints.{name}", default, reader) for name, url in endpoints.items()}
    if len(set(ports.values())) > 1:
        listing = ", ".join(f"{name}={port}" for name, port in sorted(ports.items()))
        raise reader.error("gcp.endpoints", f"the sandbox serves every Google API on one port, got {listing}")
    return next(iter(ports.values()), default)


def _proxy_host(value: Any, reader: _PlanReader) -> str:
    parts = str(value).split(".")
    if len(parts) != 4 or parts[0] != "127" or not all(p.isdigit() and 0 <= int(p) <= 255 for p in parts):
        raise reader.error("sandbox.sql_proxy_host", f"must be a loopback address 127.x.y.z, got {value!r}")
    return str(value)


def _accounts(sandbox: Mapping[str, Any], reader: _PlanReader) -> tuple[Account, ...]:
    given = reader.mapping("accounts", sandbox, "sandbox.accounts")
    if not given:
        return tuple(
            replace(a, password=reader.secret(f"{a.username}_password") or a.password) for a in _default_accounts()
        )
    accounts = []
    for username, spec in given.items():
        label = f"sandbox.accounts.{username}"
        spec = reader.mapping(str(username), given, label)
        try:
            role = Role(spec.get("role", username))
        except ValueError:
            raise reader.error(f"{label}.role", f"must be one of {[r.value for r in Role]}") from None
        password = reader.password(spec, "password", f"{username}-sandbox", label=f"{label}.password")
        accounts.append(Account(str(username), password, role, str(spec.get("full_name", ""))))
    return tuple(accounts)


def _seed_file(value: Any, reader: _PlanReader) -> Path | None:
    if value is None:
        return None
    path = Path(str(value)).expanduser()
    if not path.is_absolute():
        path = reader.base_dir / path
    if not path.is_file():
        raise reader.error("sandbox.seed", f"no such file: {path}")
    try:
        json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise PlanError(f"sandbox seed is not JSON: {exc.msg}", path=path, line=exc.lineno) from None
    return path.resolve()


def _seeded_secrets(reader: _PlanReader, project: str) -> tuple[SeededSecret, ...]:
    """Plan secrets kept in the sandbox project's Secret Manager start out there, holding their sandbox value."""
    seeded = []
    prefix = f"projects/{project}/secrets/"
    for spec in reader.mapping("secrets").values():
        if not isinstance(spec, Mapping):
            continue
        resource = str(spec.get("gcp_secret") or "")
        if resource.startswith(prefix) and spec.get("default_for_sandbox") is not None:
            secret = resource.split("/versions/")[0]
            seeded.append(SeededSecret(secret, str(spec["default_for_sandbox"])))
    return tuple(seeded)


def _check_ports_distinct(settings: SandboxSettings, reader: _PlanReader) -> None:
    ports = {"vars.backend_url": settings.api_port, "gcp.endpoints": settings.google_port}
    ports["sandbox.postgres_port"] = settings.postgres_port
    if len(set(ports.values())) != len(ports):
        raise reader.error("sandbox", f"the sandbox services need distinct ports, got {ports}")
