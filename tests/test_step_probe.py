"""The probe step: concurrent requests to a real local server, percentiles and error rate."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

from helpers import step_context, unused_port
from helpers.http_server import LocalHttpServer
from luckyctl.model import ProbeSpec, StepStatus
from luckyctl.steps.probe import percentile, run_probe

pytest_plugins = ["helpers"]  # the http_server fixture


def spec(**fields: Any) -> ProbeSpec:
    return ProbeSpec.model_validate(fields)


def test_percentiles_are_nearest_rank() -> None:
    values = [float(n) for n in range(1, 101)]
    assert percentile(values, 50) == 50.0
    assert percentile(values, 95) == 95.0
    assert percentile(values, 99) == 99.0
    assert percentile([7.0], 99) == 7.0
    assert percentile([1.0, 2.0, 3.0], 0) == 1.0


def test_a_healthy_endpoint_meets_its_bounds(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/health", json={"status": "ok"})
    outcome = run_probe(
        spec(
            url=f"{http_server.url}/health",
            requests=60,
            concurrency=6,
            expect={"p95_ms": 2000, "p99_ms": 3000, "error_rate": 0},
        ),
        step_context(tmp_path),
    )
    assert outcome.status is StepStatus.PASSED, outcome.summary
    assert len(http_server.requests_to("/health")) == 60
    metrics = outcome.metrics
    assert metrics["requests"] == 60 and metrics["error_rate_pct"] == 0.0
    assert 0 < metrics["p50_ms"] <= metrics["p95_ms"] <= metrics["p99_ms"] <= metrics["max_ms"]
    assert metrics["rps"] > 0 and metrics["mean_ms"] > 0
    histogram = json.loads(outcome.artifacts["histogram"])
    assert sum(bucket["count"] for bucket in histogram["buckets_ms"]) == 60
    assert histogram["buckets_ms"][-1]["le"] == "+Inf"
    assert histogram["statuses"] == {"200": 60}
    assert outcome.outputs["statuses"] == {"200": 60}
    assert outcome.summary.startswith("60 requests, p95 ")


def test_errors_count_towards_the_error_rate(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/api", status=503, times=5)
    http_server.route("GET", "/api", json={})
    outcome = run_probe(
        spec(url=f"{http_server.url}/api", requests=50, concurrency=5, expect={"error_rate": 0.1}),
        step_context(tmp_path),
    )
    assert outcome.status is StepStatus.FAILED
    assert outcome.metrics["error_rate_pct"] == 10.0
    assert outcome.summary == "error rate 10 % > 0.1 %"
    assert outcome.outputs["statuses"] == {"200": 45, "503": 5}


def test_latency_bounds_name_the_measured_value(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/slow", json={}, delay=0.06)
    outcome = run_probe(
        spec(url=f"{http_server.url}/slow", requests=8, concurrency=4, expect={"p95_ms": 10, "p99_ms": 20}),
        step_context(tmp_path),
    )
    assert outcome.status is StepStatus.FAILED
    p95, p99 = outcome.outputs["expectation_failures"]
    assert p95 == f"p95 {outcome.metrics['p95_ms']:g} ms > 10 ms"
    assert p99 == f"p99 {outcome.metrics['p99_ms']:g} ms > 20 ms"
    assert outcome.metrics["p50_ms"] >= 60


def test_a_closed_port_is_all_errors(tmp_path: Path) -> None:
    port = unused_port()
    outcome = run_probe(
        spec(url=f"http://127.0.0.1:{port}/", requests=10, concurrency=2, expect={"p95_ms": 100}),
        step_context(tmp_path),
    )
    assert outcome.status is StepStatus.FAILED
    assert outcome.metrics["error_rate_pct"] == 100.0
    assert "p95_ms" not in outcome.metrics
    assert outcome.summary == "p95: nothing measured (bound 100 ms)"
    assert outcome.outputs["failures"] == {f"connection refused to 127.0.0.1:{port}": 10}
    assert json.loads(outcome.artifacts["histogram"])["failures"] == {f"connection refused to 127.0.0.1:{port}": 10}


def test_without_bounds_a_failing_endpoint_still_passes_with_its_error_rate(tmp_path: Path) -> None:
    outcome = run_probe(
        spec(url=f"http://127.0.0.1:{unused_port()}/", requests=3, concurrency=1), step_context(tmp_path)
    )
    assert outcome.status is StepStatus.PASSED
    assert outcome.summary == "3 requests, errors 100 %"


def test_the_probe_ends_within_the_step_timeout(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/slow", json={}, delay=0.2)
    started = time.monotonic()
    outcome = run_probe(
        spec(url=f"{http_server.url}/slow", requests=100, concurrency=2), step_context(tmp_path, timeout=0.5)
    )
    assert time.monotonic() - started < 1.5
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("timed out after 0.5s with ")
    assert 0 < outcome.outputs["completed"] < 100


def test_the_cancel_event_stops_the_probe(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/slow", json={}, delay=0.1)
    cancel = threading.Event()
    timer = threading.Timer(0.25, cancel.set)
    timer.start()
    outcome = run_probe(
        spec(url=f"{http_server.url}/slow", requests=1000, concurrency=2),
        step_context(tmp_path, timeout=30, cancel=cancel),
    )
    timer.cancel()
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("cancelled with ")
    assert outcome.outputs["completed"] < 1000
