"""Verify an HS256 token issued by the API against signing keys from Secret Manager.

    LUCKY_TOKEN=… JWT_KEY=… JWT_KEY_PREVIOUS=… python -m deploytools.jwtcheck --key-env JWT_KEY [--key-env JWT_KEY_PREVIOUS]

Proves the running API signs with the key kept in Secret Manager, and checks
what a rotation relies on: a token verifies under the current key or the
previous one. Token and keys come from the environment, never the command
line. Prints which key verified it and ``::metric jwt_key_index=N``; exits 1
when no key verifies the token or it has expired, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import hmac
import json
import os
import sys
import time
from typing import Any


class TokenError(Exception):
    pass


def _b64decode(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def verify(token: str, keys: list[bytes], now: float | None = None) -> tuple[int, dict[str, Any]]:
    """The index of the key that signed ``token`` and its claims; TokenError otherwise."""
    try:
        header_b64, payload_b64, signature_b64 = token.split(".")
        header = json.loads(_b64decode(header_b64))
        claims = json.loads(_b64decode(payload_b64))
        signature = _b64decode(signature_b64)
    except ValueError as error:
        raise TokenError(f"not a JWT: {error}") from None
    if header.get("alg") != "HS256":
        raise TokenError(f"algorithm {header.get('alg')!r}, expected HS256")
    signed = f"{header_b64}.{payload_b64}".encode()
    for index, key in enumerate(keys):
        if hmac.compare_digest(hmac.new(key, signed, hashlib.sha256).digest(), signature):
            if float(claims.get("exp", 0)) <= (time.time() if now is None else now):
                raise TokenError("the token has expired")
            return index, claims
    raise TokenError(f"none of the {len(keys)} keys verifies the signature")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="jwtcheck", description=__doc__.splitlines()[0])
    parser.add_argument("--token-env", default="LUCKY_TOKEN")
    parser.add_argument("--key-env", action="append", required=True, dest="key_envs",
                        help="environment variable holding a key: the current one first")
    args = parser.parse_args(argv)
    token = os.environ.get(args.token_env, "")
    keys = [os.environ.get(name, "").encode() for name in args.key_envs]
    if not token or not all(keys):
        print(f"set {args.token_env} and {', '.join(args.key_envs)}", file=sys.stderr)
        return 2
    try:
        index, claims = verify(token, keys)
    except TokenError as error:
        print(f"token rejected: {error}", file=sys.stderr)
        return 1
    print(f"signed with the key from {args.key_envs[index]}; sub={claims.get('sub')} type={claims.get('type')}")
    print(f"::metric jwt_key_index={index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
