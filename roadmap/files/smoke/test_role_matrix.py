"""Every row of security/role-matrix.json, checked against the running API."""

from __future__ import annotations

import json
import unittest
from pathlib import Path
from typing import Any

from deploytools.luckyapi import ApiError, LuckyApi
from smoke.environment import api_url, logged_in

MATRIX = Path(__file__).resolve().parents[1] / "security" / "role-matrix.json"


def status_of(api: LuckyApi, row: dict[str, Any]) -> int:
    payload = row.get("body", {} if row["method"] != "GET" else None)
    try:
        return api.send(row["method"], row["path"], payload).status
    except ApiError as error:
        return error.status


class RoleMatrix(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.matrix = json.loads(MATRIX.read_text(encoding="utf-8"))
        cls.sessions = {role: logged_in(role) for role in cls.matrix["roles"]}

    def test_every_row_names_known_roles(self) -> None:
        for row in self.matrix["endpoints"]:
            self.assertLessEqual(set(row["roles"]), set(self.matrix["roles"]), row["path"])

    def test_anonymous_callers_get_401(self) -> None:
        anonymous = LuckyApi(api_url())
        for row in self.matrix["endpoints"]:
            with self.subTest(row=f"{row['method']} {row['path']}"):
                self.assertEqual(status_of(anonymous, row), 401)

    def test_roles_outside_a_row_get_403(self) -> None:
        for row in self.matrix["endpoints"]:
            for role in set(self.matrix["roles"]) - set(row["roles"]):
                with self.subTest(row=f"{row['method']} {row['path']}", role=role):
                    self.assertEqual(status_of(self.sessions[role], row), 403)

    def test_roles_in_a_row_are_let_through(self) -> None:
        for row in self.matrix["endpoints"]:
            if row.get("read_only", True) is False:
                continue  # it would change data; its refusals are tested above
            for role in row["roles"]:
                with self.subTest(row=f"{row['method']} {row['path']}", role=role):
                    self.assertEqual(status_of(self.sessions[role], row), 200)


if __name__ == "__main__":
    unittest.main()
