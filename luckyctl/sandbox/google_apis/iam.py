"""IAM v1 stand-in: service accounts, their keys and their IAM policies.

A created key comes back as a service-account key file (base64 in
``privateKeyData``) whose ``token_uri`` is this stand-in's ``/token``; the
public half stays here, so the token endpoint can check the signatures of
the JWTs made with it. Every account also has one system-managed key, as on
Google.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
import uuid
from typing import Any

from fastapi import APIRouter, Request

from luckyctl.sandbox.google_apis.errors import already_exists, invalid, not_found
from luckyctl.sandbox.google_apis.policies import policy_verbs
from luckyctl.sandbox.google_apis.state import (
    ApiContext,
    etag,
    json_body,
    now,
    page,
    public,
    split_verb,
)

ACCOUNTS = "iam.serviceAccounts"
KEYS = "iam.keys"
_ACCOUNT_ID = re.compile(r"^[a-z]([-a-z0-9]{4,28}[a-z0-9])$")
FAR_FUTURE = "9999-12-31T23:59:59Z"


def _numeric_id(text: str) -> str:
    return str(100000000000000000000 + uuid.uuid5(uuid.NAMESPACE_URL, text).int % 10**20)


class ServiceAccounts:
    def __init__(self, ctx: ApiContext) -> None:
        self.ctx = ctx
        self.state = ctx.state

    def create(self, project: str, body: dict[str, Any]) -> dict[str, Any]:
        project = self.ctx.project(project)
        account_id = str(body.get("accountId", ""))
        if not _ACCOUNT_ID.match(account_id):
            raise invalid(f"accountId '{account_id}' must be 6-30 characters matching {_ACCOUNT_ID.pattern}")
        email = f"{account_id}@{project}.iam.gserviceaccount.com"
        name = f"projects/{project}/serviceAccounts/{email}"
        if self.state.find(ACCOUNTS, name) is not None:
            raise already_exists(name)
        details = body.get("serviceAccount") or {}
        account = {
            "name": name, "projectId": project, "uniqueId": _numeric_id(email), "email": email,
            "displayName": details.get("displayName", ""), "description": details.get("description", ""),
            "oauth2ClientId": _numeric_id(email),
        }
        account = {k: v for k, v in account.items() if v != ""}
        account["etag"] = etag(account)
        self.state.put(ACCOUNTS, name, account)
        self._system_key(name)
        return public(account)

    def name(self, project: str, account: str) -> str:
        """The stored name of ``account`` (an email or a unique id); ``-`` stands for any project."""
        if project != "-":
            self.ctx.project(project)
        for stored in self.state.resources.get(ACCOUNTS, {}).values():
            if account in (stored["email"], stored["uniqueId"]):
                return stored["name"]
        raise not_found(f"projects/{project}/serviceAccounts/{account}")

    def _system_key(self, account: str) -> None:
        key_id = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        self.state.put(KEYS, f"{account}/keys/{key_id}", {
            "name": f"{account}/keys/{key_id}", "validAfterTime": now(), "validBeforeTime": FAR_FUTURE,
            "keyAlgorithm": "KEY_ALG_RSA_2048", "keyOrigin": "GOOGLE_PROVIDED", "keyType": "SYSTEM_MANAGED",
        })

    def create_key(self, account: str, body: dict[str, Any]) -> dict[str, Any]:
        from cryptography.hazmat.primitives import serialization
        from cryptography.hazmat.primitives.asymmetric import rsa

        stored = self.state.get(ACCOUNTS, account)
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        private_pem = private_key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        ).decode()
        key_id = uuid.uuid4().hex + uuid.uuid4().hex[:8]
        key_file = {
            "type": "service_account", "project_id": stored["projectId"], "private_key_id": key_id,
            "private_key": private_pem, "client_email": stored["email"], "client_id": stored["oauth2ClientId"],
            "auth_uri": f"{self.ctx.settings.google_url}/o/oauth2/auth",
            "token_uri": f"{self.ctx.settings.google_url}/token",
            "universe_domain": "googleapis.com",
        }
        key = self.register_key(account, key_id, private_key.public_key())
        return {**public(key), "privateKeyType": body.get("privateKeyType", "TYPE_GOOGLE_CREDENTIALS_FILE"),
                "privateKeyData": base64.b64encode(json.dumps(key_file).encode()).decode()}

    def register_key(self, account: str, key_id: str, public_key: Any) -> dict[str, Any]:
        """A user-managed key of ``account`` whose public half is ``public_key``."""
        from cryptography.hazmat.primitives import serialization

        valid_after = dt.datetime.now(dt.UTC)
        key = {
            "name": f"{account}/keys/{key_id}", "validAfterTime": now(),
            "validBeforeTime": (valid_after + dt.timedelta(days=3650)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "keyAlgorithm": "KEY_ALG_RSA_2048", "keyOrigin": "GOOGLE_PROVIDED", "keyType": "USER_MANAGED",
            "_publicKeyPem": public_key.public_bytes(
                serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        }
        return self.state.put(KEYS, key["name"], key)

    def import_key_file(self, path: Any) -> None:
        """Make a key file written by the sandbox manager known: its account and its key."""
        from cryptography.hazmat.primitives import serialization

        info = json.loads(path.read_text())
        email = info["client_email"]
        account = f"projects/{info['project_id']}/serviceAccounts/{email}"
        if self.state.find(ACCOUNTS, account) is None:
            self.create(info["project_id"], {"accountId": email.split("@")[0],
                                             "serviceAccount": {"displayName": "luckyctl sandbox runner"}})
        if self.state.find(KEYS, f"{account}/keys/{info['private_key_id']}") is None:
            private_key = serialization.load_pem_private_key(info["private_key"].encode(), password=None)
            self.register_key(account, info["private_key_id"], private_key.public_key())


def find_key(ctx: ApiContext, key_id: str) -> dict[str, Any] | None:
    """The user-managed key with this id, with its account's email in ``_email``."""
    for name, key in ctx.state.resources.get(KEYS, {}).items():
        if name.endswith(f"/keys/{key_id}") and "_publicKeyPem" in key:
            return {**key, "_email": name.split("/serviceAccounts/")[1].split("/keys/")[0]}
    return None


def router(ctx: ApiContext) -> APIRouter:
    api = APIRouter()
    accounts = ServiceAccounts(ctx)
    if ctx.paths.credentials_file.is_file():
        accounts.import_key_file(ctx.paths.credentials_file)
    base = "/v1/projects/{project}/serviceAccounts"
    iam = policy_verbs()

    @api.post(base)
    async def create_account(request: Request, project: str) -> dict[str, Any]:
        return accounts.create(project, await json_body(request))

    @api.get(base)
    async def list_accounts(request: Request, project: str) -> dict[str, Any]:
        project = ctx.project(project)
        return page(list(ctx.state.children(ACCOUNTS, f"projects/{project}")), request, "accounts")

    @api.api_route(base + "/{account}", methods=["GET", "DELETE", "POST", "PATCH"])
    async def one_account(request: Request, project: str, account: str) -> dict[str, Any]:
        account_id, verb = split_verb(account)
        name = accounts.name(project, account_id)
        if verb is not None:
            handler = iam.get((request.method, verb))
            if handler is None:
                raise not_found(f"{name}:{verb}")
            return await handler(ctx, request, name)
        if request.method == "GET":
            return public(ctx.state.get(ACCOUNTS, name))
        if request.method == "DELETE":
            ctx.state.delete(ACCOUNTS, name)
            for key in [k for k in ctx.state.resources.get(KEYS, {}) if k.startswith(name + "/")]:
                ctx.state.delete(KEYS, key)
            return {}
        if request.method == "PATCH":
            changes = (await json_body(request)).get("serviceAccount", {})
            stored = ctx.state.get(ACCOUNTS, name)
            stored.update({k: changes[k] for k in ("displayName", "description") if k in changes})
            stored["etag"] = etag(stored)
            return public(stored)
        raise not_found(name)

    @api.get(base + "/{account}/keys")
    async def list_keys(request: Request, project: str, account: str) -> dict[str, Any]:
        name = accounts.name(project, account)
        wanted = set(request.query_params.getlist("keyTypes"))
        keys = [public(k) for k in ctx.state.children(KEYS, name) if not wanted or k["keyType"] in wanted]
        return {"keys": keys} if keys else {}

    @api.post(base + "/{account}/keys")
    async def create_key(request: Request, project: str, account: str) -> dict[str, Any]:
        return accounts.create_key(accounts.name(project, account), await json_body(request))

    @api.api_route(base + "/{account}/keys/{key}", methods=["GET", "DELETE"])
    async def one_key(request: Request, project: str, account: str, key: str) -> dict[str, Any]:
        name = f"{accounts.name(project, account)}/keys/{key}"
        if request.method == "DELETE":
            ctx.state.delete(KEYS, name)
            return {}
        return public(ctx.state.get(KEYS, name))

    return api
