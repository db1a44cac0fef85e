from __future__ import annotations

import contextlib
import copy
import io
import tempfile
import unittest
from pathlib import Path
from typing import Any

import yaml

from deploytools import pipeline

WORKFLOW = Path(__file__).resolve().parents[1] / "github" / "workflows" / "release.yml"


def shipped() -> dict[str, Any]:
    return yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))


class Pipeline(unittest.TestCase):
    def test_the_shipped_workflow_has_no_problems(self) -> None:
        self.assertEqual(pipeline.problems(shipped()), [])

    def test_a_missing_stage_is_reported(self) -> None:
        workflow = shipped()
        del workflow["jobs"]["dast"]
        self.assertIn("job 'dast' is missing", pipeline.problems(workflow))

    def test_production_must_wait_for_the_scans(self) -> None:
        workflow = shipped()
        workflow["jobs"]["deploy-production"]["needs"] = ["build"]
        found = pipeline.problems(workflow)
        self.assertTrue(any("deploy-production' does not wait for dast, load-test" in p for p in found), found)

    def test_order_is_followed_through_intermediate_jobs(self) -> None:
        jobs = shipped()["jobs"]
        self.assertIn("lint", pipeline.upstream(jobs, "deploy-production"))
        self.assertEqual(pipeline.upstream(jobs, "lint"), set())

    def test_a_json_key_is_refused(self) -> None:
        workflow = shipped()
        step = workflow["jobs"]["build"]["steps"][1]
        step["with"] = {"credentials_json": "${{ secrets.GCP_KEY }}"}
        found = pipeline.problems(workflow)
        self.assertIn("job 'build': Google auth without workload_identity_provider", found)
        self.assertTrue(any("service-account key" in p for p in found), found)

    def test_keyless_auth_needs_an_id_token(self) -> None:
        workflow = shipped()
        workflow["jobs"]["build"]["permissions"] = {"contents": "read"}
        self.assertIn("job 'build': Google auth needs permissions id-token: write", pipeline.problems(workflow))

    def test_coverage_gate_below_80_is_reported(self) -> None:
        text = WORKFLOW.read_text(encoding="utf-8").replace('COVERAGE_MIN: "80"', 'COVERAGE_MIN: "60"')
        text = text.replace("--cov-fail-under=${{ env.COVERAGE_MIN }}", "--cov-fail-under=60")
        self.assertIn("no coverage gate of at least 80 %", pipeline.problems(yaml.safe_load(text)))

    def test_container_scan_must_fail_the_build(self) -> None:
        workflow = shipped()
        scan = workflow["jobs"]["container-scan"]["steps"][1]["with"]
        scan["exit-code"] = "0"
        self.assertIn("no container scan that fails the build on CRITICAL vulnerabilities",
                      pipeline.problems(workflow))

    def test_production_needs_the_protected_environment(self) -> None:
        workflow = copy.deepcopy(shipped())
        workflow["jobs"]["deploy-production"]["environment"] = "prod"
        self.assertTrue(any("'production' environment" in p for p in pipeline.problems(workflow)))
        workflow["jobs"]["deploy-production"]["environment"] = "production"
        self.assertEqual(pipeline.problems(workflow), [])

    def test_main_reports_and_sets_the_exit_code(self) -> None:
        out = io.StringIO()
        with contextlib.redirect_stdout(out):
            self.assertEqual(pipeline.main([str(WORKFLOW)]), 0)
        self.assertIn("::metric pipeline_problems=0", out.getvalue())
        with tempfile.TemporaryDirectory() as folder:
            broken = Path(folder) / "release.yml"
            broken.write_text("jobs: {lint: {}}\n", encoding="utf-8")
            with contextlib.redirect_stdout(io.StringIO()):
                self.assertEqual(pipeline.main([str(broken)]), 1)
            broken.write_text("- not a mapping\n", encoding="utf-8")
            with contextlib.redirect_stderr(io.StringIO()):
                self.assertEqual(pipeline.main([str(broken)]), 2)
        with contextlib.redirect_stderr(io.StringIO()):
            self.assertEqual(pipeline.main([]), 2)


if __name__ == "__main__":
    unittest.main()
