from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import io
import json
import os
import time
import unittest
from unittest import mock

from deploytools import jwtcheck


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def token(key: bytes, *, exp: float | None = None, alg: str = "HS256") -> str:
    header = b64(json.dumps({"alg": alg, "typ": "JWT"}).encode())
    payload = b64(json.dumps({"sub": "admin", "type": "access", "exp": exp or time.time() + 900}).encode())
    signature = hmac.new(key, f"{header}.{payload}".encode(), hashlib.sha256).digest()
    return f"{header}.{payload}.{b64(signature)}"


class Verify(unittest.TestCase):
    def test_current_and_previous_keys(self) -> None:
        self.assertEqual(jwtcheck.verify(token(b"current"), [b"current", b"old"])[0], 0)
        self.assertEqual(jwtcheck.verify(token(b"old"), [b"current", b"old"])[0], 1)

    def test_refusals(self) -> None:
        cases = {"other key": token(b"other"), "expired": token(b"k", exp=time.time() - 1),
                 "alg": token(b"k", alg="none"), "garbage": "not-a-jwt"}
        for name, value in cases.items():
            with self.subTest(name), self.assertRaises(jwtcheck.TokenError):
                jwtcheck.verify(value, [b"k"])

    def test_main(self) -> None:
        environ = {"LUCKY_TOKEN": token(b"k"), "KEY": "k"}
        with mock.patch.dict(os.environ, environ), contextlib.redirect_stdout(io.StringIO()) as out:
            self.assertEqual(jwtcheck.main(["--key-env", "KEY"]), 0)
        self.assertIn("::metric jwt_key_index=0", out.getvalue())
        with mock.patch.dict(os.environ, {**environ, "KEY": "wrong"}), contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(jwtcheck.main(["--key-env", "KEY"]), 1)
        with mock.patch.dict(os.environ, {"LUCKY_TOKEN": ""}), contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(jwtcheck.main(["--key-env", "KEY"]), 2)


if __name__ == "__main__":
    unittest.main()
