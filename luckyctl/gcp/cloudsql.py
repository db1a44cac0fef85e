"""Connections to Cloud SQL for PostgreSQL through the real Cloud SQL connector, and to a plain DSN.

``CloudSqlConnector`` runs google's ``Connector`` on an event loop of its
own, in a thread of its own, so that each connect can be bounded by the
step's timeout and given up when the run is cancelled (the connector's own
``connect()`` waits as long as the Admin API takes). One is shared by a run
(``ctx.services``); ``close()`` stops it.

The connector asks the SQL Admin API (``gcp.endpoints.sqladmin`` or Google's)
for the instance's address and server CA, gets an ephemeral client
certificate for a key of its own, and dials port 3307 with mutual TLS;
pg8000 then logs in over that socket.
"""

from __future__ import annotations

import re
import ssl
import threading
from typing import TYPE_CHECKING, Any
from urllib.parse import SplitResult, parse_qs, unquote, urlsplit

from luckyctl.errors import StepError
from luckyctl.gcp.errors import Cancelled

if TYPE_CHECKING:
    import asyncio

    import pg8000.dbapi
    from google.auth.credentials import Credentials

INSTANCE = re.compile(r"^[^:\s]+(:[^:\s]+)?:[^:\s]+:[^:\s]+$")  # project:region:instance (project may hold 'domain:')
_CANCEL_POLL_S = 0.05
_SSL_MODES = ("disable", "require", "verify-ca", "verify-full")


class CloudSqlConnector:
    """A Cloud SQL ``Connector`` (lazy refresh) whose connects have a deadline."""

    def __init__(self, *, credentials: Credentials, sqladmin_endpoint: str | None, ip_type: str) -> None:
        import asyncio

        from google.cloud.sql.connector import Connector

        self._loop: asyncio.AbstractEventLoop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="cloud-sql-connector", daemon=True)
        self._thread.start()
        self._connector = Connector(
            ip_type=ip_type,
            credentials=credentials,
            loop=self._loop,
            sqladmin_api_endpoint=sqladmin_endpoint,
            refresh_strategy="lazy",
        )

    def connect(
        self,
        instance: str,
        *,
        user: str,
        password: str,
        database: str | None,
        iam_auth: bool,
        timeout: float,
        cancel: threading.Event,
    ) -> pg8000.dbapi.Connection:
        """A pg8000 connection to ``project:region:instance``; TimeoutError after ``timeout`` s, Cancelled on cancel."""
        import asyncio

        # "" rather than no password: a server that asks for one then refuses clearly (pg8000 fails on None);
        # an IAM login is never asked, its token travels in the client certificate
        options: dict[str, Any] = {"user": user, "password": password, "enable_iam_auth": iam_auth, "timeout": timeout}
        if database is not None:
            options["db"] = database
        attempt = asyncio.wait_for(self._connector.connect_async(instance, "pg8000", **options), timeout)
        future = asyncio.run_coroutine_threadsafe(attempt, self._loop)
        while not future.done():
            if cancel.wait(_CANCEL_POLL_S):
                future.cancel()
                raise Cancelled(f"cancelled while connecting to {instance}")
        return future.result()

    def close(self) -> None:
        self._connector.close()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()


def parse_dsn(dsn: str) -> SplitResult:
    """The DSN's parts; StepError when it is not ``postgresql://user:password@host:port/database``."""
    parts = urlsplit(dsn)
    try:
        parts.port  # noqa: B018 - reading it checks it
    except ValueError:
        raise StepError(f"the sql dsn has a port that is not a number: {masked_dsn(dsn)}") from None
    if parts.scheme not in ("postgresql", "postgres") or not parts.hostname:
        raise StepError("a sql dsn reads postgresql://user:password@host:port/database")
    return parts


def connect_dsn(
    dsn: str, *, user: str | None, password: str | None, database: str | None, timeout: float
) -> pg8000.dbapi.Connection:
    """A pg8000 connection from ``postgresql://user:pass@host:port/db[?sslmode=…]``; step keys override the DSN's."""
    import pg8000.dbapi

    parts = parse_dsn(dsn)
    login = user or unquote(parts.username or "")
    if not login:
        raise StepError("the sql step needs a user: in the dsn or as 'user'")
    return pg8000.dbapi.connect(
        user=login,
        password=password if password is not None else unquote(parts.password or ""),  # "": see connect above
        host=parts.hostname,
        port=parts.port or 5432,
        database=database or unquote(parts.path.lstrip("/")) or None,
        timeout=timeout,
        ssl_context=_ssl_context(parse_qs(parts.query).get("sslmode", ["disable"])[-1]),
    )


def _ssl_context(mode: str) -> ssl.SSLContext | None:
    if mode not in _SSL_MODES:
        raise StepError(f"sslmode={mode}: luckyctl knows {', '.join(_SSL_MODES)}")
    if mode == "disable":
        return None
    context = ssl.create_default_context()
    if mode == "require":  # encrypted, server not verified: what libpq means by it
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif mode == "verify-ca":
        context.check_hostname = False
    return context


def masked_dsn(dsn: str) -> str:
    """The DSN with its password replaced, for evidence."""
    parts = urlsplit(dsn)
    if parts.password is None:
        return dsn
    host = parts.netloc.rsplit("@", 1)[1]
    return parts._replace(netloc=f"{parts.username}:***@{host}").geturl()
