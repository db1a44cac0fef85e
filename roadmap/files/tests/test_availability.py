from __future__ import annotations

import contextlib
import io
import unittest

from deploytools import availability
from tests.stub_server import serve

HEALTHY = (200, {}, {"status": "healthy"})


def run_main(argv: list[str]) -> tuple[int, str]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        code = availability.main(argv)
    return code, out.getvalue()


class Availability(unittest.TestCase):
    def test_all_healthy_is_100_percent(self) -> None:
        with serve([HEALTHY]) as (url, _received):
            code, out = run_main([url + "/health", "--requests", "5", "--expect-json", "status=healthy"])
        self.assertEqual(code, 0)
        self.assertIn("::metric uptime_pct=100.0", out)

    def test_errors_and_wrong_bodies_count_as_down(self) -> None:
        replies = [HEALTHY, (503, {}, {"status": "down"}), (200, {}, {"status": "degraded"}), HEALTHY]
        with serve(replies) as (url, _received):
            result = availability.sample(url, 4, expected={"status": "healthy"})
        self.assertEqual((result.up, result.requests, result.uptime_pct), (2, 4, 50.0))
        self.assertEqual(result.reasons["HTTP 503"], 1)
        self.assertEqual(result.reasons["status=degraded"], 1)

    def test_below_target_exits_1(self) -> None:
        with serve([(500, {}, {})]) as (url, _received):
            code, out = run_main([url, "--requests", "2"])
        self.assertEqual(code, 1)
        self.assertIn("::metric uptime_pct=0.0", out)

    def test_a_refused_connection_is_down(self) -> None:
        self.assertIsNotNone(availability.probe_once("http://127.0.0.1:9/health", 1.0, {}))

    def test_a_body_that_is_not_json_is_down_when_json_is_expected(self) -> None:
        with serve([(200, {}, "<html>maintenance</html>")]) as (url, _received):
            self.assertEqual(availability.probe_once(url, 1.0, {"status": "healthy"}), "body is not JSON")

    def test_bad_arguments_are_usage_errors(self) -> None:
        with self.assertRaises(SystemExit) as raised, contextlib.redirect_stderr(io.StringIO()):
            availability.main(["http://x", "--requests", "0"])
        self.assertEqual(raised.exception.code, 2)
        with self.assertRaises(SystemExit), contextlib.redirect_stderr(io.StringIO()):
            availability.main(["http://x", "--expect-json", "novalue"])


if __name__ == "__main__":
    unittest.main()
