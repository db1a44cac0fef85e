"""End to end through the authentication flow the front end uses: login, refresh, role checks, logout."""

from __future__ import annotations

import unittest

from deploytools.luckyapi import ApiError, LuckyApi
from smoke.environment import account, api_url, logged_in


class AuthFlow(unittest.TestCase):
    def test_login_gives_a_short_lived_access_token_and_the_role(self) -> None:
        api = LuckyApi(api_url())
        tokens = api.login(*account("manager"))
        self.assertEqual(tokens["token_type"], "bearer")
        self.assertLessEqual(tokens["expires_in"], 3600)
        self.assertEqual(api.get("/api/v1/auth/me")["role"], "manager")

    def test_refresh_rotates_and_the_old_refresh_token_is_refused(self) -> None:
        api = logged_in("manager")
        old_refresh = api.refresh_token
        api.refresh()
        self.assertNotEqual(api.refresh_token, old_refresh)
        self.assertEqual(api.get("/api/v1/auth/me")["role"], "manager")
        replay = LuckyApi(api.base_url, refresh_token=old_refresh)
        with self.assertRaises(ApiError) as refused:
            replay.refresh()
        self.assertEqual(refused.exception.status, 401)

    def test_a_page_of_another_role_is_refused(self) -> None:
        api = logged_in("driver")
        self.assertIn("items", api.get("/api/v1/orders?limit=1"))
        with self.assertRaises(ApiError) as refused:
            api.get("/api/v1/customers?limit=1")
        self.assertEqual(refused.exception.status, 403)

    def test_after_logout_the_api_asks_for_credentials(self) -> None:
        api = logged_in("admin")
        api.logout()
        with self.assertRaises(ApiError) as refused:
            api.get("/api/v1/auth/me")
        self.assertEqual(refused.exception.status, 401)
        self.assertEqual(refused.exception.headers.get("www-authenticate"), "Bearer")
        self.assertIsNotNone(refused.exception.request_id)


if __name__ == "__main__":
    unittest.main()
