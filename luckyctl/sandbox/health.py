"""Is each sandbox service answering, the way its clients talk to it?"""

from __future__ import annotations

import datetime as dt
import http.client
import socket
import ssl

from luckyctl.sandbox import postgres
from luckyctl.sandbox.pki import SandboxPki
from luckyctl.sandbox.settings import SQL_PROXY_PORT, SandboxSettings

TIMEOUT_S = 2.0


def http_ok(host: str, port: int, path: str) -> bool:
    """A 200 from one of *our* stand-ins (it carries the sandbox header), not just anything on the port."""
    connection = http.client.HTTPConnection(host, port, timeout=TIMEOUT_S)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        response.read()
        return response.status == 200 and response.getheader("x-luckyctl-sandbox") == "1"
    except OSError:
        return False
    finally:
        connection.close()


def lucky_api(settings: SandboxSettings) -> bool:
    return http_ok(settings.host, settings.api_port, "/health")


def google_apis(settings: SandboxSettings) -> bool:
    return http_ok(settings.host, settings.google_port, "/_sandbox/health")


def database(settings: SandboxSettings) -> bool:
    return postgres.is_ready(settings)


def sql_proxy(settings: SandboxSettings, pki: SandboxPki) -> bool:
    """A full mutual-TLS handshake with a client certificate from the client CA, as the connector does."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from luckyctl.sandbox.pki import pem

    key = ec.generate_private_key(ec.SECP256R1())
    certificate = pki.client_ca().issue(key.public_key(), "sandbox-health-check", dt.timedelta(minutes=5))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.minimum_version = ssl.TLSVersion.TLSv1_3
    context.load_verify_locations(cadata=pki.server_ca_cert.read_text())
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    bundle = pki.directory / "health-check.pem"
    bundle.write_bytes(pem(certificate).encode() + key_pem)
    bundle.chmod(0o600)
    context.load_cert_chain(bundle)
    try:
        with socket.create_connection((settings.sql_proxy_host, SQL_PROXY_PORT), timeout=TIMEOUT_S) as raw:
            tls = context.wrap_socket(raw)
            # TLS 1.3 checks the client certificate after the client's handshake ends: a refused
            # certificate shows as an alert during the closing exchange
            tls.unwrap()
            return True
    except OSError:
        return False
    finally:
        bundle.unlink(missing_ok=True)
