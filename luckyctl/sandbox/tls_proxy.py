"""The Cloud SQL server-side proxy stand-in: mutual TLS on port 3307 in front of PostgreSQL.

It presents a certificate signed by the instance's server CA (the one
``connectSettings`` returns), accepts only clients whose certificate the
client CA signed (``generateEphemeralCert``), requires TLS 1.3 as the
connector does, and then pipes bytes to PostgreSQL on 127.0.0.1 unchanged:
the driver speaks plain PostgreSQL protocol inside the tunnel.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import ssl

from luckyctl.sandbox.pki import SandboxPki
from luckyctl.sandbox.settings import SQL_PROXY_PORT, SandboxSettings

_log = logging.getLogger("luckyctl.sandbox.sql_proxy")
CHUNK = 65536


def server_context(pki: SandboxPki) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_cert_chain(pki.server_cert, pki.server_key)
    context.load_verify_locations(cafile=pki.client_ca_cert)
    return context


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except (ConnectionError, ssl.SSLError):
        pass
    finally:
        with contextlib.suppress(Exception):
            writer.close()


class SqlProxy:
    def __init__(self, settings: SandboxSettings, pki: SandboxPki) -> None:
        self.settings = settings
        self.context = server_context(pki)

    async def handle(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        peer = client_writer.get_extra_info("peercert") or {}
        subject = dict(item for rdn in peer.get("subject", ()) for item in rdn).get("commonName", "?")
        try:
            first = await client_reader.read(CHUNK)
        except (ConnectionError, ssl.SSLError):
            first = b""
        if not first:  # a handshake-only probe (the manager's health check): no database session
            client_writer.close()
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(
                self.settings.host, self.settings.postgres_port
            )
        except OSError as exc:
            _log.warning("client %s: PostgreSQL unreachable: %s", subject, exc)
            client_writer.close()
            return
        _log.info("client %s connected", subject)
        upstream_writer.write(first)
        await asyncio.gather(_pipe(client_reader, upstream_writer), _pipe(upstream_reader, client_writer))

    async def start(self) -> asyncio.Server:
        return await asyncio.start_server(
            self.handle, self.settings.sql_proxy_host, SQL_PROXY_PORT, ssl=self.context,
            ssl_handshake_timeout=10,
        )

    async def serve_forever(self) -> None:
        """Serve until SIGTERM or SIGINT, then stop accepting and return."""
        server = await self.start()
        stop = asyncio.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            asyncio.get_running_loop().add_signal_handler(signum, stop.set)
        _log.info("listening on %s:%d", self.settings.sql_proxy_host, SQL_PROXY_PORT)
        async with server:
            await stop.wait()
        _log.info("stopped")
