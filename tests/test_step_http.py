"""The http step against a real server on 127.0.0.1."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest

from helpers import step_context, unused_port
from helpers.http_server import LocalHttpServer
from luckyctl.errors import StepError
from luckyctl.model import HttpSpec, StepStatus
from luckyctl.steps.http import send_request

pytest_plugins = ["helpers"]  # the http_server fixture


def spec(**fields: Any) -> HttpSpec:
    return HttpSpec.model_validate(fields)


def test_a_healthy_endpoint_passes_and_records_evidence(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/health", json={"status": "ok", "db": {"up": True}}, headers={"X-Version": "1.4.2"})
    outcome = send_request(
        spec(
            url=f"{http_server.url}/health",
            expect={"status": 200, "json": {"status": "ok", "db.up": True}, "headers": {"x-version": "~ ^1\\."}},
        ),
        step_context(tmp_path),
    )
    assert outcome.status is StepStatus.PASSED, outcome.summary
    assert outcome.outputs["request"] == f"GET {http_server.url}/health"
    assert outcome.outputs["status"] == 200
    assert outcome.outputs["headers"]["x-version"] == "1.4.2"
    assert outcome.outputs["json"] == {"status": "ok", "db": {"up": True}}
    assert outcome.artifacts["response"] == b'{"status": "ok", "db": {"up": true}}'
    assert outcome.metrics["status_code"] == 200.0
    assert outcome.metrics["latency_ms"] == outcome.outputs["latency_ms"] > 0
    assert outcome.summary.startswith(f"GET {http_server.url}/health → 200 in ")


def test_headers_and_bodies_are_sent(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("POST", "/api/v1/auth/login", json={"access_token": "abc"})
    http_server.route("PUT", "/form", status=204)
    http_server.route("PATCH", "/raw", status=204)
    ctx = step_context(tmp_path)
    login = spec(
        method="post", url=f"{http_server.url}/api/v1/auth/login", headers={"X-Trace": "t1"}, json={"user": "admin"}
    )
    assert send_request(login, ctx).passed
    assert send_request(spec(method="PUT", url=f"{http_server.url}/form", data={"a": "1"}), ctx).passed
    assert send_request(spec(method="PATCH", url=f"{http_server.url}/raw", data="plain text"), ctx).passed
    sent_login, sent_form, sent_raw = http_server.requests
    assert sent_login.method == "POST" and sent_login.json() == {"user": "admin"}
    assert sent_login.headers["x-trace"] == "t1"
    assert sent_form.body == b"a=1" and sent_form.headers["content-type"] == "application/x-www-form-urlencoded"
    assert sent_raw.body == b"plain text"


def test_status_expectations(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/down", status=503, json={"error": "maintenance"})
    http_server.route("GET", "/missing", status=404)
    ctx = step_context(tmp_path)
    down = send_request(spec(url=f"{http_server.url}/down", expect={"status": 200}), ctx)
    assert down.status is StepStatus.FAILED
    assert down.summary == f"GET {http_server.url}/down: status 503, expected 200"
    assert down.metrics["status_code"] == 503.0
    assert send_request(spec(url=f"{http_server.url}/down", expect={"status": [200, 503]}), ctx).passed
    either = send_request(spec(url=f"{http_server.url}/missing", expect={"status": [200, 204]}), ctx)
    assert "status 404, expected 200 or 204" in either.summary


def test_without_a_status_expectation_errors_fail_and_the_rest_pass(
    http_server: LocalHttpServer, tmp_path: Path
) -> None:
    http_server.route("GET", "/moved", status=302, headers={"Location": "/elsewhere"})
    http_server.route("GET", "/broken", status=500)
    ctx = step_context(tmp_path)
    assert send_request(spec(url=f"{http_server.url}/moved"), ctx).passed
    broken = send_request(spec(url=f"{http_server.url}/broken"), ctx)
    assert broken.status is StepStatus.FAILED and "status 500, expected below 400" in broken.summary


def test_redirects_are_followed_only_when_asked(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/old", status=301, headers={"Location": "/new"})
    http_server.route("GET", "/new", json={"here": True})
    outcome = send_request(
        spec(url=f"{http_server.url}/old", follow_redirects=True, expect={"json": {"here": True}}),
        step_context(tmp_path),
    )
    assert outcome.passed
    assert outcome.outputs["url"] == f"{http_server.url}/new"


def test_json_header_and_body_failures_are_all_named(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/api", json={"status": "degraded", "items": [1]}, headers={"Cache-Control": "no-store"})
    outcome = send_request(
        spec(
            url=f"{http_server.url}/api",
            expect={
                "json": {"status": "ok", "items": "len >= 2"},
                "headers": {"Access-Control-Allow-Origin": "http://localhost:5173", "cache-control": "no-store"},
                "body_contains": "healthy",
            },
        ),
        step_context(tmp_path),
    )
    assert outcome.status is StepStatus.FAILED
    assert outcome.outputs["failures"] == [
        "header Access-Control-Allow-Origin: expected 'http://localhost:5173', got missing",
        "json.status: expected 'ok', got 'degraded'",
        "json.items: expected len >= 2, got [1]",
        "body does not contain 'healthy'",
    ]
    assert outcome.summary.endswith("(+1 more)")


def test_json_expectations_on_a_body_that_is_not_json(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/page", body="<html></html>", headers={"Content-Type": "text/html"})
    outcome = send_request(
        spec(url=f"{http_server.url}/page", expect={"json": {"status": "ok"}}), step_context(tmp_path)
    )
    assert outcome.status is StepStatus.FAILED
    assert outcome.summary.endswith("body is not JSON (text/html)")
    assert "json" not in outcome.outputs


def test_a_latency_bound(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/slow", json={}, delay=0.15)
    ctx = step_context(tmp_path)
    slow = send_request(spec(url=f"{http_server.url}/slow", expect={"max_latency_ms": 50}), ctx)
    assert slow.status is StepStatus.FAILED
    assert "latency " in slow.summary and "ms > 50 ms" in slow.summary
    assert slow.metrics["latency_ms"] >= 150
    assert send_request(spec(url=f"{http_server.url}/slow", expect={"max_latency_ms": 5000}), ctx).passed


def test_a_timeout_is_an_error(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/hang", json={}, delay=2)
    outcome = send_request(spec(url=f"{http_server.url}/hang"), step_context(tmp_path, timeout=0.3))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == f"timed out after 0.3s waiting for 127.0.0.1:{http_server.port}"


def test_connection_refused_is_an_error(tmp_path: Path) -> None:
    port = unused_port()
    outcome = send_request(spec(url=f"http://127.0.0.1:{port}/health"), step_context(tmp_path))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary == f"connection refused to 127.0.0.1:{port}"
    assert outcome.outputs == {"request": f"GET http://127.0.0.1:{port}/health"}


def test_a_dropped_connection_is_an_error(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/drop", drop=True)
    outcome = send_request(spec(url=f"{http_server.url}/drop"), step_context(tmp_path))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("RemoteProtocolError from 127.0.0.1:")


def test_an_unknown_host_is_an_error(tmp_path: Path) -> None:
    outcome = send_request(spec(url="http://no-such-host.invalid/"), step_context(tmp_path))
    assert outcome.status is StepStatus.ERROR
    assert outcome.summary.startswith("cannot connect to no-such-host.invalid:80: ")
    assert "Errno" not in outcome.summary


@pytest.mark.parametrize(
    ("fields", "problem"),
    [
        ({"url": "ftp://example.com/x"}, "bad url"),
        ({"url": "http://127.0.0.1:1/", "json": {"a": 1}, "data": "x"}, "'json' or 'data', not both"),
        ({"url": "http://127.0.0.1:1/", "expect": {"json": {"n": ">= lots"}}}, "needs a number"),
    ],
)
def test_specs_that_cannot_be_understood_raise(tmp_path: Path, fields: dict[str, Any], problem: str) -> None:
    with pytest.raises(StepError, match=problem):
        send_request(spec(**fields), step_context(tmp_path))


def test_session_cookies_are_masked_in_the_recorded_headers(http_server: LocalHttpServer, tmp_path: Path) -> None:
    http_server.route("GET", "/login", json={}, headers={"Set-Cookie": "session=s3cr3t-value; HttpOnly; Path=/"})
    outcome = send_request(spec(url=f"{http_server.url}/login"), step_context(tmp_path))
    assert outcome.outputs["headers"]["set-cookie"] == "session=[masked]; HttpOnly; Path=/"


def test_an_injected_transport_is_used_and_left_open(tmp_path: Path) -> None:
    seen: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json={"ok": True})

    transport = httpx.MockTransport(answer)
    ctx = step_context(tmp_path)
    ctx.transport = transport
    for _ in range(2):
        assert send_request(spec(url="http://backend.test/health", expect={"json": {"ok": True}}), ctx).passed
    assert seen == ["http://backend.test/health"] * 2
