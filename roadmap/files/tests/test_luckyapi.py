from __future__ import annotations

import unittest

from deploytools.luckyapi import ApiError, LuckyApi
from tests.stub_server import serve

TOKENS = {"access_token": "a1", "refresh_token": "r1", "token_type": "bearer", "expires_in": 900, "role": "admin"}


class Client(unittest.TestCase):
    def setUp(self) -> None:
        self.slept: list[float] = []

    def api(self, url: str, **options: object) -> LuckyApi:
        return LuckyApi(url, sleep=self.slept.append, **options)  # type: ignore[arg-type]

    def test_login_keeps_the_tokens_and_sends_the_bearer_token(self) -> None:
        with serve([(200, {}, TOKENS), (200, {}, {"username": "admin"})]) as (url, received):
            api = self.api(url)
            api.login("admin", "pw")
            self.assertEqual(api.get("/api/v1/auth/me"), {"username": "admin"})
        self.assertEqual(received[0]["body"], {"username": "admin", "password": "pw"})
        self.assertNotIn("authorization", received[0]["headers"])
        self.assertEqual(received[1]["headers"]["authorization"], "Bearer a1")
        self.assertEqual(api.role, "admin")

    def test_errors_carry_status_detail_and_request_id(self) -> None:
        with serve([(403, {"x-request-id": "abc"}, {"detail": "Role 'driver' may not access this resource"})]) as (
            url, _received):
            with self.assertRaises(ApiError) as raised:
                self.api(url).get("/api/v1/customers")
        self.assertEqual(raised.exception.status, 403)
        self.assertIn("driver", raised.exception.detail)
        self.assertEqual(raised.exception.request_id, "abc")

    def test_idempotent_requests_retry_and_honour_retry_after(self) -> None:
        replies = [(429, {"Retry-After": "2"}, {"detail": "Rate limit exceeded"}),
                   (503, {}, {"detail": "unavailable"}), (200, {}, {"items": []})]
        with serve(replies) as (url, received):
            self.assertEqual(self.api(url).get("/api/v1/orders"), {"items": []})
        self.assertEqual(len(received), 3)
        self.assertEqual(self.slept[0], 2.0)
        self.assertGreaterEqual(self.slept[1], 0.4)  # second backoff: 0.2 s doubled, plus jitter
        self.assertEqual(len({r["headers"]["x-request-id"] for r in received}), 1)

    def test_retry_after_is_capped(self) -> None:
        with serve([(429, {"Retry-After": "600"}, {}), (200, {}, {})]) as (url, _received):
            self.api(url, max_delay_s=3.0).get("/x")
        self.assertEqual(self.slept, [3.0])

    def test_gives_up_after_max_attempts(self) -> None:
        with serve([(503, {}, {"detail": "down"})]) as (url, received):
            with self.assertRaises(ApiError):
                self.api(url, max_attempts=3).get("/x")
        self.assertEqual(len(received), 3)

    def test_a_post_is_never_replayed(self) -> None:
        with serve([(503, {}, {"detail": "down"}), (201, {}, {"id": 1})]) as (url, received):
            with self.assertRaises(ApiError):
                self.api(url).post("/api/v1/orders", {"customer_id": 1})
        self.assertEqual(len(received), 1)

    def test_client_errors_are_not_retried(self) -> None:
        with serve([(401, {"WWW-Authenticate": "Bearer"}, {"detail": "Not authenticated"})]) as (url, received):
            with self.assertRaises(ApiError) as raised:
                self.api(url).get("/x")
        self.assertEqual(len(received), 1)
        self.assertEqual(raised.exception.headers["www-authenticate"], "Bearer")

    def test_refresh_replaces_both_tokens(self) -> None:
        rotated = {**TOKENS, "access_token": "a2", "refresh_token": "r2"}
        with serve([(200, {}, rotated)]) as (url, received):
            api = self.api(url, access_token="a1", refresh_token="r1")
            api.refresh()
        self.assertEqual(received[0]["body"], {"refresh_token": "r1"})
        self.assertEqual((api.access_token, api.refresh_token), ("a2", "r2"))

    def test_refresh_without_a_session_is_refused_locally(self) -> None:
        with self.assertRaises(ValueError):
            self.api("http://127.0.0.1:9").refresh()

    def test_logout_forgets_the_tokens(self) -> None:
        api = self.api("http://127.0.0.1:9", access_token="a", refresh_token="r", role="admin")
        api.logout()
        self.assertEqual((api.access_token, api.refresh_token, api.role), (None, None, None))

    def test_a_text_error_body_is_kept_as_text(self) -> None:
        with serve([(502, {}, "Bad Gateway")]) as (url, _received):
            with self.assertRaises(ApiError) as raised:
                self.api(url, max_attempts=1).get("/x")
        self.assertEqual(raised.exception.detail, "Bad Gateway")


if __name__ == "__main__":
    unittest.main()
