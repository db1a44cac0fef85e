"""OAuth 2.0 token endpoint stand-in (``POST /token``), as google-auth calls it.

Two grants: the JWT-bearer grant of a service-account key (RS256 signature
checked against the key the IAM stand-in issued) and the refresh-token grant
of user credentials (any non-empty client id, secret and refresh token). The
access tokens are opaque; the other stand-ins accept any bearer token.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from luckyctl.sandbox.google_apis.iam import find_key
from luckyctl.sandbox.google_apis.state import ApiContext

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_LIFETIME_S = 3599


def _refused(error: str, description: str) -> JSONResponse:
    return JSONResponse({"error": error, "error_description": description}, status_code=400)


def _token(scope: str | None) -> dict[str, Any]:
    body: dict[str, Any] = {
        "access_token": f"ya29.sandbox-{secrets.token_urlsafe(32)}",
        "expires_in": TOKEN_LIFETIME_S,
        "token_type": "Bearer",
    }
    if scope:
        body["scope"] = scope
    return body


def _jwt_grant(ctx: ApiContext, assertion: str) -> JSONResponse | dict[str, Any]:
    import jwt

    try:
        header = jwt.get_unverified_header(assertion)
    except jwt.InvalidTokenError:
        return _refused("invalid_grant", "Invalid JWT: the assertion is not a JWT.")
    key = find_key(ctx, str(header.get("kid", "")))
    if key is None or header.get("alg") != "RS256":
        return _refused("invalid_grant", "Invalid JWT Signature.")
    try:
        claims = jwt.decode(assertion, key["_publicKeyPem"], algorithms=["RS256"], leeway=30,
                            options={"verify_aud": False, "require": ["iss", "aud", "exp", "iat"]})
    except jwt.ExpiredSignatureError:
        return _refused("invalid_grant", "Invalid JWT: Token must be a short-lived token (60 minutes) "
                                         "and in a reasonable timeframe.")
    except jwt.InvalidTokenError:
        return _refused("invalid_grant", "Invalid JWT Signature.")
    if claims["iss"] != key["_email"]:
        return _refused("invalid_grant", "Invalid JWT: the issuer is not the key's service account.")
    if urlsplit(str(claims["aud"])).path != "/token":
        return _refused("invalid_grant", "Invalid JWT: the audience must be the token endpoint.")
    if "target_audience" in claims:
        return _refused("unsupported_grant_type", "The sandbox does not issue ID tokens.")
    return _token(claims.get("scope"))


def router(ctx: ApiContext) -> APIRouter:
    api = APIRouter()

    @api.post("/token", response_model=None)
    async def token(request: Request) -> JSONResponse | dict[str, Any]:
        form = await request.form()
        grant = form.get("grant_type")
        if grant == JWT_BEARER:
            return _jwt_grant(ctx, str(form.get("assertion", "")))
        if grant == "refresh_token":
            if not all(form.get(k) for k in ("client_id", "client_secret", "refresh_token")):
                return _refused("invalid_request", "client_id, client_secret and refresh_token are required.")
            return _token(str(form.get("scope") or "") or None)
        return _refused("unsupported_grant_type", f"Unsupported grant_type: {grant!r}")

    return api
