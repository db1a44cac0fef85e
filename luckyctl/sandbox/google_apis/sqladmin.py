"""Cloud SQL Admin v1beta4 stand-in: the sandbox instance, its connect settings and ephemeral certificates.

``connectSettings`` and ``generateEphemeralCert`` answer exactly what
cloud-sql-python-connector reads: the server CA, the instance's PRIMARY
address (the TLS proxy's loopback address; the connector dials port 3307
there), ``region`` and ``databaseVersion``. The ephemeral certificate is
signed by the client CA the proxy trusts, for the public key the connector
sent. On-demand backups really dump the database (pg_dump) into the state
directory.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import subprocess
import uuid
from typing import Any

from fastapi import APIRouter, Request

from luckyctl.sandbox.google_apis.errors import invalid, not_found
from luckyctl.sandbox.google_apis.state import ApiContext, json_body, now, split_verb
from luckyctl.sandbox.pki import EPHEMERAL_LIFETIME, SandboxPki, pem, sha1_fingerprint

DATABASE_VERSION = "POSTGRES_18"  # the embedded server is PostgreSQL 18
BACKUPS = "sqladmin.backupRuns"
OPERATIONS = "sqladmin.operations"
API = "/sql/v1beta4"


def _ssl_cert(certificate: Any, instance: str) -> dict[str, Any]:
    return {
        "kind": "sql#sslCert",
        "certSerialNumber": str(certificate.serial_number),
        "cert": pem(certificate),
        "commonName": certificate.subject.rfc4514_string(),
        "sha1Fingerprint": sha1_fingerprint(certificate),
        "instance": instance,
        "createTime": certificate.not_valid_before_utc.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "expirationTime": certificate.not_valid_after_utc.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
    }


class SqlAdmin:
    def __init__(self, ctx: ApiContext, pki: SandboxPki) -> None:
        self.ctx = ctx
        self.pki = pki
        self.settings = ctx.settings

    def check(self, project: str, instance: str) -> None:
        self.ctx.project(project)
        if instance != self.settings.sql_instance:
            raise not_found(f"The Cloud SQL instance {project}:{instance} does not exist.")

    @property
    def self_link(self) -> str:
        settings = self.settings
        return f"{settings.google_url}{API}/projects/{settings.project}/instances/{settings.sql_instance}"

    def connect_settings(self) -> dict[str, Any]:
        settings = self.settings
        return {
            "kind": "sql#connectSettings",
            "serverCaCert": _ssl_cert(self.pki.server_ca().certificate, settings.sql_instance),
            "ipAddresses": [{"type": "PRIMARY", "ipAddress": settings.sql_proxy_host}],
            "region": settings.region,
            "databaseVersion": DATABASE_VERSION,
            "backendType": "SECOND_GEN",
            "pscEnabled": False,
            "serverCaMode": "GOOGLE_MANAGED_INTERNAL_CA",
        }

    def ephemeral_cert(self, body: dict[str, Any]) -> dict[str, Any]:
        from cryptography.hazmat.primitives import serialization

        try:
            public_key = serialization.load_pem_public_key(str(body.get("public_key", "")).encode())
        except ValueError:
            raise invalid("public_key must be a PEM-encoded public key") from None
        certificate = self.pki.client_ca().issue(
            public_key, f"sandbox-ephemeral-{uuid.uuid4().hex[:12]}", EPHEMERAL_LIFETIME  # type: ignore[arg-type]
        )
        return {"ephemeralCert": _ssl_cert(certificate, self.settings.sql_instance)}

    def instance(self) -> dict[str, Any]:
        settings = self.settings
        return {
            "kind": "sql#instance", "state": "RUNNABLE", "databaseVersion": DATABASE_VERSION,
            "settings": {
                "kind": "sql#settings", "tier": "db-custom-2-7680", "availabilityType": "REGIONAL",
                "activationPolicy": "ALWAYS", "dataDiskSizeGb": "20", "dataDiskType": "PD_SSD",
                "settingsVersion": "1", "userLabels": {"environment": "sandbox"},
                "backupConfiguration": {
                    "kind": "sql#backupConfiguration", "enabled": True, "startTime": "03:00",
                    "pointInTimeRecoveryEnabled": True, "transactionLogRetentionDays": 7,
                    "backupRetentionSettings": {"retentionUnit": "COUNT", "retainedBackups": 7},
                },
                "ipConfiguration": {"ipv4Enabled": True, "requireSsl": True,
                                    "sslMode": "TRUSTED_CLIENT_CERTIFICATE_REQUIRED"},
            },
            "ipAddresses": [{"type": "PRIMARY", "ipAddress": settings.sql_proxy_host}],
            "serverCaCert": _ssl_cert(self.pki.server_ca().certificate, settings.sql_instance),
            "instanceType": "CLOUD_SQL_INSTANCE", "project": settings.project, "name": settings.sql_instance,
            "region": settings.region, "gceZone": f"{settings.region}-a", "backendType": "SECOND_GEN",
            "connectionName": settings.connection_name, "selfLink": self.self_link,
        }

    def databases(self) -> dict[str, Any]:
        return {"kind": "sql#databasesList", "items": [
            {"kind": "sql#database", "name": name, "charset": "UTF8", "collation": "en_US.UTF8",
             "instance": self.settings.sql_instance, "project": self.settings.project,
             "selfLink": f"{self.self_link}/databases/{name}"}
            for name in ("postgres", self.settings.database)
        ]}

    def users(self) -> dict[str, Any]:
        return {"kind": "sql#usersList", "items": [
            {"kind": "sql#user", "name": name, "instance": self.settings.sql_instance,
             "project": self.settings.project, "type": "BUILT_IN"}
            for name in ("postgres", self.settings.db_user)
        ]}

    async def backup(self, body: dict[str, Any]) -> dict[str, Any]:
        started = now()
        backup_id = str(int(dt.datetime.now(dt.UTC).timestamp() * 1000))
        error = await asyncio.to_thread(self._dump, backup_id)
        run: dict[str, Any] = {
            "kind": "sql#backupRun", "id": backup_id, "status": "FAILED" if error else "SUCCESSFUL",
            "type": "ON_DEMAND", "backupKind": "SNAPSHOT", "instance": self.settings.sql_instance,
            "enqueuedTime": started, "startTime": started, "endTime": now(), "windowStartTime": started,
            "location": self.settings.region, "selfLink": f"{self.self_link}/backupRuns/{backup_id}",
        }
        if body.get("description"):
            run["description"] = body["description"]
        if error:
            run["error"] = {"kind": "sql#operationError", "code": "BACKUP_FAILED", "message": error}
        self.ctx.state.put(BACKUPS, backup_id, run)
        operation_id = str(uuid.uuid4())
        operation = {
            "kind": "sql#operation", "name": operation_id, "status": "DONE", "operationType": "BACKUP_VOLUME",
            "targetId": self.settings.sql_instance, "targetProject": self.settings.project,
            "targetLink": self.self_link, "user": "sandbox-caller@luckyctl.invalid", "insertTime": started,
            "startTime": started, "endTime": run["endTime"],
            "backupContext": {"kind": "sql#backupContext", "backupId": backup_id},
            "selfLink": f"{self.settings.google_url}{API}/projects/{self.settings.project}/operations/{operation_id}",
        }
        if error:
            operation["error"] = {"kind": "sql#operationErrors", "errors": [run["error"]]}
        return self.ctx.state.put(OPERATIONS, operation_id, operation)

    def _dump(self, backup_id: str) -> str | None:
        """pg_dump the sandbox database into ``<state>/backups/``; the error text, or None."""
        from luckyctl.sandbox.postgres import binary

        target = self.ctx.paths.state_dir / "backups" / f"{backup_id}.sql"
        target.parent.mkdir(parents=True, exist_ok=True)
        argv = [str(binary("pg_dump")), "-h", self.settings.host, "-p", str(self.settings.postgres_port),
                "-U", self.settings.db_user, "-d", self.settings.database, "-f", str(target)]
        env = {**os.environ, "PGPASSWORD": self.settings.db_password}
        result = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=120, check=False)
        if result.returncode == 0:
            return None
        return result.stderr.strip() or f"pg_dump exited with {result.returncode}"


def router(ctx: ApiContext, pki: SandboxPki) -> APIRouter:
    api = APIRouter()
    sql = SqlAdmin(ctx, pki)
    base = API + "/projects/{project}/instances"

    @api.get(base)
    async def list_instances(project: str) -> dict[str, Any]:
        ctx.project(project)
        return {"kind": "sql#instancesList", "items": [sql.instance()]}

    @api.api_route(base + "/{instance}", methods=["GET", "POST"])
    async def instance(request: Request, project: str, instance: str) -> dict[str, Any]:
        instance_id, verb = split_verb(instance)
        sql.check(project, instance_id)
        if request.method == "GET" and verb is None:
            return sql.instance()
        if request.method == "POST" and verb == "generateEphemeralCert":
            return sql.ephemeral_cert(await json_body(request))
        raise not_found(f"{project}:{instance}")

    @api.get(base + "/{instance}/connectSettings")
    async def connect_settings(project: str, instance: str) -> dict[str, Any]:
        sql.check(project, instance)
        return sql.connect_settings()

    @api.get(base + "/{instance}/databases")
    async def databases(project: str, instance: str) -> dict[str, Any]:
        sql.check(project, instance)
        return sql.databases()

    @api.get(base + "/{instance}/users")
    async def users(project: str, instance: str) -> dict[str, Any]:
        sql.check(project, instance)
        return sql.users()

    @api.post(base + "/{instance}/backupRuns")
    async def create_backup(request: Request, project: str, instance: str) -> dict[str, Any]:
        sql.check(project, instance)
        return await sql.backup(await json_body(request))

    @api.get(base + "/{instance}/backupRuns")
    async def list_backups(project: str, instance: str) -> dict[str, Any]:
        sql.check(project, instance)
        runs = sorted(ctx.state.resources.get(BACKUPS, {}).values(), key=lambda r: int(r["id"]), reverse=True)
        return {"kind": "sql#backupRunsList", "items": runs} if runs else {"kind": "sql#backupRunsList"}

    @api.get(base + "/{instance}/backupRuns/{backup_id}")
    async def get_backup(project: str, instance: str, backup_id: str) -> dict[str, Any]:
        sql.check(project, instance)
        return ctx.state.get(BACKUPS, backup_id)

    @api.get(API + "/projects/{project}/operations/{operation}")
    async def get_operation(project: str, operation: str) -> dict[str, Any]:
        ctx.project(project)
        return ctx.state.get(OPERATIONS, operation)

    return api
