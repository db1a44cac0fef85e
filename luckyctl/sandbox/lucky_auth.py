"""JWT access and refresh tokens of the Lucky Gas API stand-in (HS256, PyJWT).

Refresh tokens rotate: each one can be used once; using it again is refused,
as a careful backend does.
"""

from __future__ import annotations

import hmac
import time
import uuid
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import jwt

from luckyctl.sandbox.settings import Account, Role, SandboxSettings

ISSUER = "lucky-gas-sandbox"


class TokenType(str, Enum):
    ACCESS = "access"
    REFRESH = "refresh"


class TokenRejected(Exception):
    """The token is missing, malformed, expired, of the wrong type or already used."""


@dataclass(frozen=True)
class Principal:
    username: str
    role: Role
    full_name: str


@dataclass
class TokenIssuer:
    settings: SandboxSettings
    used_refresh_ids: set[str] = field(default_factory=set)

    def authenticate(self, username: str, password: str) -> Account | None:
        for account in self.settings.accounts:
            same_user = hmac.compare_digest(account.username.encode(), username.encode())
            if same_user and hmac.compare_digest(account.password.encode(), password.encode()):
                return account
        return None

    def issue(self, account: Account) -> dict[str, Any]:
        """The login/refresh response body: a fresh access token and a fresh refresh token."""
        return {
            "access_token": self._encode(account, TokenType.ACCESS, self.settings.access_token_ttl_s),
            "refresh_token": self._encode(account, TokenType.REFRESH, self.settings.refresh_token_ttl_s),
            "token_type": "bearer",
            "expires_in": self.settings.access_token_ttl_s,
            "role": account.role.value,
        }

    def _encode(self, account: Account, kind: TokenType, ttl: int) -> str:
        now = int(time.time())
        claims = {
            "iss": ISSUER,
            "sub": account.username,
            "role": account.role.value,
            "type": kind.value,
            "iat": now,
            "exp": now + ttl,
            "jti": uuid.uuid4().hex,
        }
        return jwt.encode(claims, self.settings.jwt_secret, algorithm="HS256")

    def verify(self, token: str, kind: TokenType) -> dict[str, Any]:
        try:
            claims = jwt.decode(
                token, self.settings.jwt_secret, algorithms=["HS256"], issuer=ISSUER,
                options={"require": ["exp", "iat", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError:
            raise TokenRejected("Token has expired") from None
        except jwt.InvalidTokenError:
            raise TokenRejected("Could not validate credentials") from None
        if claims.get("type") != kind.value:
            raise TokenRejected("Not an access token" if kind is TokenType.ACCESS else "Not a refresh token")
        return claims

    def principal(self, access_token: str) -> Principal:
        claims = self.verify(access_token, TokenType.ACCESS)
        account = self._account(claims["sub"])
        return Principal(account.username, account.role, account.full_name)

    def refresh(self, refresh_token: str) -> dict[str, Any]:
        claims = self.verify(refresh_token, TokenType.REFRESH)
        if claims["jti"] in self.used_refresh_ids:
            raise TokenRejected("Refresh token has already been used")
        self.used_refresh_ids.add(claims["jti"])
        return self.issue(self._account(claims["sub"]))

    def _account(self, username: str) -> Account:
        for account in self.settings.accounts:
            if account.username == username:
                return account
        raise TokenRejected("Unknown user")
