from __future__ import annotations

import contextlib
import io
import os
import unittest
from unittest import mock

from deploytools import iam
from tests.stub_server import serve

SA = "serviceAccount:api@p.iam.gserviceaccount.com"
OWNERS = {"role": "roles/owner", "members": ["group:admins@luckygas.com.tw"]}


class Bindings(unittest.TestCase):
    def test_adds_missing_members_and_keeps_everyone_else(self) -> None:
        policy = {"etag": "e1", "bindings": [OWNERS, {"role": "roles/logging.logWriter", "members": ["user:x@y"]}]}
        updated, added = iam.with_members(policy, SA, ["roles/logging.logWriter", "roles/cloudsql.client"])
        self.assertEqual(added, ["roles/logging.logWriter", "roles/cloudsql.client"])
        self.assertIn(OWNERS, updated["bindings"])
        self.assertEqual(updated["bindings"][1]["members"], ["user:x@y", SA])
        self.assertEqual(updated["etag"], "e1")
        self.assertEqual(policy["bindings"][1]["members"], ["user:x@y"])  # the input is left alone

    def test_nothing_to_add(self) -> None:
        policy = {"bindings": [{"role": "roles/cloudsql.client", "members": [SA]}]}
        self.assertEqual(iam.with_members(policy, SA, ["roles/cloudsql.client"])[1], [])

    def test_conditional_bindings_are_not_touched(self) -> None:
        conditional = {"role": "roles/cloudsql.client", "members": [], "condition": {"expression": "true"}}
        updated, _ = iam.with_members({"bindings": [conditional]}, SA, ["roles/cloudsql.client"])
        self.assertEqual(updated["bindings"][0], conditional)
        self.assertEqual(updated["bindings"][1], {"role": "roles/cloudsql.client", "members": [SA]})


class Grant(unittest.TestCase):
    def test_read_modify_write_with_the_etag(self) -> None:
        with serve([(200, {}, {"etag": "e1", "bindings": [OWNERS]}), (200, {}, {"etag": "e2"})]) as (url, got):
            added = iam.grant(url + "/v1/projects/p", SA, ["roles/cloudsql.client"], "t0ken")
        self.assertEqual(added, ["roles/cloudsql.client"])
        self.assertEqual([r["path"] for r in got], ["/v1/projects/p:getIamPolicy", "/v1/projects/p:setIamPolicy"])
        written = got[1]["body"]["policy"]
        self.assertEqual(written["etag"], "e1")
        self.assertIn(OWNERS, written["bindings"])
        self.assertEqual(got[0]["headers"]["authorization"], "Bearer t0ken")

    def test_a_concurrent_change_starts_again(self) -> None:
        replies = [(200, {}, {"etag": "e1"}), (409, {}, {"error": {"message": "concurrent policy changes"}}),
                   (200, {}, {"etag": "e2"}), (200, {}, {"etag": "e3"})]
        with serve(replies) as (url, got):
            iam.grant(url + "/r", SA, ["roles/a"], "t")
        self.assertEqual(len(got), 4)
        self.assertEqual(got[3]["body"]["policy"]["etag"], "e2")

    def test_nothing_is_written_when_all_roles_are_held(self) -> None:
        with serve([(200, {}, {"etag": "e1", "bindings": [{"role": "roles/a", "members": [SA]}]})]) as (url, got):
            self.assertEqual(iam.grant(url + "/r", SA, ["roles/a"], "t"), [])
        self.assertEqual(len(got), 1)

    def test_main_needs_a_token_and_reports_refusals(self) -> None:
        with mock.patch.dict(os.environ, {"GOOGLE_OAUTH_ACCESS_TOKEN": ""}), \
                contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(iam.main(["http://x/r", "--member", SA, "--role", "roles/a"]), 2)
        with serve([(403, {}, {"error": {"message": "Permission denied"}})]) as (url, _got), \
                mock.patch.dict(os.environ, {"GOOGLE_OAUTH_ACCESS_TOKEN": "t"}):
            err = io.StringIO()
            with contextlib.redirect_stderr(err):
                self.assertEqual(iam.main([url + "/r", "--member", SA, "--role", "roles/a"]), 1)
        self.assertIn("Permission denied", err.getvalue())

    def test_main_prints_what_it_granted(self) -> None:
        with serve([(200, {}, {"etag": "e1"}), (200, {}, {"etag": "e2"})]) as (url, _got), \
                mock.patch.dict(os.environ, {"GOOGLE_OAUTH_ACCESS_TOKEN": "t"}):
            out = io.StringIO()
            with contextlib.redirect_stdout(out):
                self.assertEqual(iam.main([url + "/r", "--member", SA, "--role", "roles/a"]), 0)
        self.assertIn("roles/a (granted)", out.getvalue())
        self.assertIn("::metric iam_bindings_added=1", out.getvalue())


if __name__ == "__main__":
    unittest.main()
