"""Lint the release workflow: the stages, their order, keyless Google auth and the gates.

    python -m deploytools.pipeline WORKFLOW.yml

Prints one line per rule and ``::metric pipeline_problems=N``; exits 1 when a
rule is broken, 2 when the file cannot be read. The rules are what the
roadmap's CI/CD epic promises: every stage present and ordered, Google Cloud
reached through Workload Identity Federation only (no JSON key), the
coverage gate, scanners that fail the build, and production behind the
protected ``production`` environment.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

# job -> jobs it must come after (directly or through others)
ORDER = {
    "test": {"lint"},
    "build": {"test", "sast", "dependencies"},
    "container-scan": {"build"},
    "deploy-staging": {"container-scan"},
    "dast": {"deploy-staging"},
    "load-test": {"deploy-staging"},
    "deploy-production": {"dast", "load-test"},
}
AUTH_ACTION = "google-github-actions/auth@"
MIN_COVERAGE = 80


def _needs(job: dict[str, Any]) -> set[str]:
    needs = job.get("needs", [])
    return {needs} if isinstance(needs, str) else set(needs)


def upstream(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job that must finish before ``name`` starts."""
    seen: set[str] = set()
    todo = list(_needs(jobs.get(name, {})))
    while todo:
        job = todo.pop()
        if job not in seen:
            seen.add(job)
            todo.extend(_needs(jobs.get(job, {})))
    return seen


def _steps(jobs: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for name, job in jobs.items():
        for step in job.get("steps", []) or []:
            yield name, step


def _text(step: dict[str, Any]) -> str:
    return yaml.safe_dump(step, default_flow_style=True, width=10_000)


def problems(workflow: dict[str, Any]) -> list[str]:
    jobs = workflow.get("jobs") or {}
    found = []
    for job, before in ORDER.items():
        if job not in jobs:
            found.append(f"job '{job}' is missing")
            continue
        missing = sorted(before - upstream(jobs, job) - {job})
        if missing:
            found.append(f"job '{job}' does not wait for {', '.join(missing)}")
    for name, job in jobs.items():
        for step in job.get("steps", []) or []:
            if str(step.get("uses", "")).startswith(AUTH_ACTION):
                inputs = step.get("with") or {}
                if "workload_identity_provider" not in inputs:
                    found.append(f"job '{name}': Google auth without workload_identity_provider")
                permissions = job.get("permissions") or workflow.get("permissions") or {}
                if permissions.get("id-token") != "write":
                    found.append(f"job '{name}': Google auth needs permissions id-token: write")
    everything = yaml.safe_dump(workflow)
    if "credentials_json" in everything or "GOOGLE_APPLICATION_CREDENTIALS" in everything:
        found.append("a service-account key is used (credentials_json / GOOGLE_APPLICATION_CREDENTIALS)")
    gates = [int(m) for _, step in _steps(jobs) for m in re.findall(r"--cov-fail-under=(\d+)", _text(step))]
    gates += [int(v) for v in re.findall(r"COVERAGE_MIN: '?(\d+)", everything)]
    if not gates or min(gates) < MIN_COVERAGE:
        found.append(f"no coverage gate of at least {MIN_COVERAGE} %")
    scans = [step.get("with") or {} for _, step in _steps(jobs) if "trivy-action" in str(step.get("uses", ""))]
    if not any(str(scan.get("exit-code")) == "1" and "CRITICAL" in str(scan.get("severity")) for scan in scans):
        found.append("no container scan that fails the build on CRITICAL vulnerabilities")
    environment = (jobs.get("deploy-production") or {}).get("environment")
    name = environment.get("name") if isinstance(environment, dict) else environment
    if name != "production":
        found.append("job 'deploy-production' does not run in the protected 'production' environment")
    return found


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m deploytools.pipeline WORKFLOW.yml", file=sys.stderr)
        return 2
    try:
        workflow = yaml.safe_load(Path(args[0]).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as error:
        print(f"{args[0]}: {error}", file=sys.stderr)
        return 2
    if not isinstance(workflow, dict):
        print(f"{args[0]}: not a workflow (expected a mapping)", file=sys.stderr)
        return 2
    found = problems(workflow)
    for problem in found:
        print(f"problem: {problem}")
    jobs = workflow.get("jobs") or {}
    print(f"{len(jobs)} jobs; order: " + " -> ".join(sorted(jobs, key=lambda job: len(upstream(jobs, job)))))
    print(f"::metric pipeline_problems={len(found)}")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
