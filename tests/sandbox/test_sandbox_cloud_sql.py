"""The Cloud SQL path: the real cloud-sql-python-connector, mutual TLS, the embedded PostgreSQL."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import httpx
import pg8000.dbapi
import pytest
from google.cloud.sql.connector import Connector

from luckyctl.sandbox import health
from luckyctl.sandbox.pki import CertificateAuthority, SandboxPki
from luckyctl.sandbox.postgres import ALEMBIC_HEAD
from luckyctl.sandbox.settings import SandboxSettings

INSTANCE = "lucky-gas-sandbox:asia-east1:lucky-gas-db"


@pytest.fixture
def connector(google_url: str, token_credentials: Any) -> Connector:
    with Connector(sqladmin_api_endpoint=google_url, credentials=token_credentials, timeout=20) as connector:
        yield connector


def test_connector_reaches_postgres_through_the_tls_proxy(connector: Connector,
                                                          sandbox_settings: SandboxSettings) -> None:
    connection = connector.connect(INSTANCE, "pg8000", user=sandbox_settings.db_user,
                                   password=sandbox_settings.db_password, db="luckygas")
    try:
        cursor = connection.cursor()
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == [1]
        cursor.execute("SELECT version_num FROM alembic_version")
        assert cursor.fetchone() == [ALEMBIC_HEAD]
        cursor.execute("SELECT count(*) FROM customers JOIN orders ON orders.customer_id = customers.id")
        assert cursor.fetchone()[0] > 0
        cursor.execute("SELECT inet_server_addr()::text")  # the proxy, not the client, talks to the server
        assert cursor.fetchone()[0].startswith("127.0.0.1")
    finally:
        connection.close()


def test_the_database_refuses_a_wrong_password(connector: Connector, sandbox_settings: SandboxSettings) -> None:
    with pytest.raises(pg8000.dbapi.DatabaseError, match="password authentication failed"):
        connector.connect(INSTANCE, "pg8000", user=sandbox_settings.db_user, password="wrong", db="luckygas")


def test_the_connector_checks_the_region(connector: Connector) -> None:
    with pytest.raises(ValueError, match="region was mismatched"):
        connector.connect("lucky-gas-sandbox:europe-west1:lucky-gas-db", "pg8000",
                          user="luckygas", password="x", db="luckygas")


def test_connect_settings_and_ephemeral_cert_shapes(google_url: str, bearer: dict[str, str],
                                                    sandbox_settings: SandboxSettings) -> None:
    base = f"{google_url}/sql/v1beta4/projects/lucky-gas-sandbox/instances/lucky-gas-db"
    settings = httpx.get(f"{base}/connectSettings", headers=bearer).json()
    assert settings["ipAddresses"] == [{"type": "PRIMARY", "ipAddress": sandbox_settings.sql_proxy_host}]
    assert (settings["region"], settings["backendType"]) == ("asia-east1", "SECOND_GEN")
    assert settings["databaseVersion"].startswith("POSTGRES_")
    assert settings["serverCaCert"]["cert"].startswith("-----BEGIN CERTIFICATE-----")
    refused = httpx.post(f"{base}:generateEphemeralCert", headers=bearer, json={"public_key": "nope"})
    assert refused.status_code == 400
    missing = httpx.get(f"{google_url}/sql/v1beta4/projects/lucky-gas-sandbox/instances/other/connectSettings",
                        headers=bearer)
    assert missing.status_code == 404


def test_the_proxy_refuses_clients_the_client_ca_did_not_sign(sandbox: object, sandbox_dir: Path,
                                                              sandbox_settings: SandboxSettings,
                                                              tmp_path: Path) -> None:
    pki = SandboxPki(sandbox_dir / "pki")
    assert health.sql_proxy(sandbox_settings, pki)
    rogue = SandboxPki(tmp_path)
    CertificateAuthority.create("rogue").save(rogue.client_ca_cert, rogue.client_ca_key)
    shutil.copy(pki.server_ca_cert, rogue.server_ca_cert)
    assert not health.sql_proxy(sandbox_settings, rogue)


def test_an_on_demand_backup_dumps_the_database(google_url: str, bearer: dict[str, str], sandbox_dir: Path) -> None:
    base = f"{google_url}/sql/v1beta4/projects/lucky-gas-sandbox/instances/lucky-gas-db/backupRuns"
    operation = httpx.post(base, headers=bearer, json={"description": "before migration"}, timeout=60).json()
    assert (operation["status"], operation["operationType"]) == ("DONE", "BACKUP_VOLUME")
    backup_id = operation["backupContext"]["backupId"]
    run = httpx.get(f"{base}/{backup_id}", headers=bearer).json()
    assert run["status"] == "SUCCESSFUL"
    dump = (sandbox_dir / "backups" / f"{backup_id}.sql").read_text()
    assert "CREATE TABLE public.customers" in dump and ALEMBIC_HEAD in dump
