"""Secret Manager v1 stand-in: secrets, versions (add, access, enable, disable, destroy), IAM.

Payloads travel base64-encoded with a CRC32C checksum, as in the real API;
``latest`` names the most recently created version.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from fastapi import APIRouter, Request

from luckyctl.sandbox.google_apis.errors import failed_precondition, invalid, not_found
from luckyctl.sandbox.google_apis.policies import policy_verbs
from luckyctl.sandbox.google_apis.standard_methods import Collection, add_collection
from luckyctl.sandbox.google_apis.state import (
    ApiContext,
    etag,
    json_body,
    now,
    page,
    public,
    split_verb,
)

SECRETS = "secretmanager.secrets"
VERSIONS = "secretmanager.versions"


def _crc32c_table() -> list[int]:
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0x82F63B78 if crc & 1 else crc >> 1
        table.append(crc)
    return table


_TABLE = _crc32c_table()


def crc32c(data: bytes) -> int:
    """CRC-32C (Castagnoli), the checksum Secret Manager uses for payloads."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


def _new_secret(_ctx: ApiContext, _name: str, secret: dict[str, Any]) -> dict[str, Any]:
    replication = secret.get("replication")
    if not isinstance(replication, dict) or not ({"automatic", "userManaged"} & set(replication)):
        raise invalid("Secret.replication is required: {'automatic': {}} or {'userManaged': {...}}")
    return {**secret, "createTime": now()}


class SecretVersions:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def add(self, secret: str, body: dict[str, Any]) -> dict[str, Any]:
        self.state.get(SECRETS, secret)
        payload = body.get("payload") or {}
        try:
            data = base64.b64decode(payload.get("data", ""), validate=True)
        except (binascii.Error, ValueError):
            raise invalid("payload.data must be base64") from None
        if "dataCrc32c" in payload and int(payload["dataCrc32c"]) != crc32c(data):
            raise invalid("Checksum mismatch: payload.dataCrc32c does not match the data")
        number = self.state.next_id(f"{VERSIONS}:{secret}")
        version: dict[str, Any] = {
            "name": f"{secret}/versions/{number}", "createTime": now(), "state": "ENABLED",
            "replicationStatus": {"automatic": {}}, "clientSpecifiedPayloadChecksum": "dataCrc32c" in payload,
            "_data": base64.b64encode(data).decode(),
        }
        version["etag"] = etag(version)
        return public(self.state.put(VERSIONS, version["name"], version))

    def resolve(self, secret: str, version_id: str) -> dict[str, Any]:
        self.state.get(SECRETS, secret)
        if version_id == "latest":
            versions = list(self.state.children(VERSIONS, secret))
            if not versions:
                raise not_found(f"{secret}/versions/latest")
            return versions[-1]
        return self.state.get(VERSIONS, f"{secret}/versions/{version_id}")

    def access(self, secret: str, version_id: str) -> dict[str, Any]:
        version = self.resolve(secret, version_id)
        if version["state"] != "ENABLED":
            raise failed_precondition(f"Secret Version [{version['name']}] is in {version['state']} state.")
        data = base64.b64decode(version["_data"])
        return {"name": version["name"], "payload": {"data": version["_data"], "dataCrc32c": str(crc32c(data))}}

    def set_state(self, secret: str, version_id: str, verb: str) -> dict[str, Any]:
        version = self.resolve(secret, version_id)
        if version["state"] == "DESTROYED":
            raise failed_precondition(f"Secret Version [{version['name']}] is in DESTROYED state.")
        if verb == "destroy":
            version.update(state="DESTROYED", destroyTime=now(), _data="")
        else:
            version["state"] = "ENABLED" if verb == "enable" else "DISABLED"
        version["etag"] = etag(version)
        return public(version)

    def seed(self, name: str, value: str) -> None:
        self.state.put(SECRETS, name, {"name": name, "replication": {"automatic": {}}, "createTime": now(),
                                       "labels": {"origin": "luckyctl-sandbox-plan"}})
        self.add(name, {"payload": {"data": base64.b64encode(value.encode()).decode()}})


def router(ctx: ApiContext) -> APIRouter:
    api = APIRouter()
    versions = SecretVersions(ctx)
    if ctx.state.fresh:
        for seeded in ctx.settings.seeded_secrets:
            versions.seed(seeded.name, seeded.value)

    async def add_version(_ctx: ApiContext, request: Request, name: str) -> dict[str, Any]:
        return versions.add(name, await json_body(request))

    def delete_versions(_ctx: ApiContext, name: str) -> None:
        for version in list(ctx.state.children(VERSIONS, name)):
            ctx.state.delete(VERSIONS, version["name"])

    add_collection(api, ctx, Collection(
        kind=SECRETS, prefix="/v1", parent="projects/{project}", segment="secrets", id_param="secretId",
        total_size=True, on_create=_new_secret, on_delete=delete_versions,
        verbs={("POST", "addVersion"): add_version, **policy_verbs()},
    ))

    base = "/v1/projects/{project}/secrets/{secret}/versions"

    def secret_name(request: Request) -> str:
        project = ctx.project(request.path_params["project"])
        return f"projects/{project}/secrets/{request.path_params['secret']}"

    @api.get(base)
    async def list_versions(request: Request) -> dict[str, Any]:
        secret = secret_name(request)
        ctx.state.get(SECRETS, secret)
        items = sorted(ctx.state.children(VERSIONS, secret), key=lambda v: -int(v["name"].rsplit("/", 1)[1]))
        return page(items, request, "versions", total_size=True)

    @api.api_route(base + "/{version}", methods=["GET", "POST"])
    async def one_version(request: Request) -> dict[str, Any]:
        secret = secret_name(request)
        version_id, verb = split_verb(request.path_params["version"])
        if request.method == "GET" and verb is None:
            return public(versions.resolve(secret, version_id))
        if request.method == "GET" and verb == "access":
            return versions.access(secret, version_id)
        if request.method == "POST" and verb in ("enable", "disable", "destroy"):
            return versions.set_state(secret, version_id, verb)
        raise not_found(f"{secret}/versions/{request.path_params['version']}")

    return api
