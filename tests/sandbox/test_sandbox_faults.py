"""Fault injection on both HTTP stand-ins: errors, latency, dropped connections."""

from __future__ import annotations

import time
from typing import Any

import httpx
import pytest
from google.api_core import exceptions
from google.cloud import run_v2

from luckyctl.sandbox.faults import FaultRegistry, FaultSpec


@pytest.fixture(params=["lucky-api", "google-apis"])
def target(request: pytest.FixtureRequest, api_url: str, google_url: str) -> tuple[str, str, str]:
    """(base URL, method, path) of a request that needs no token on that stand-in."""
    return (api_url, "GET", "/health") if request.param == "lucky-api" else (google_url, "POST", "/token")


def inject(base: str, **spec: Any) -> dict[str, Any]:
    response = httpx.post(f"{base}/_sandbox/faults", json=spec)
    assert response.status_code == 201, response.text
    return response.json()


def test_errors_for_the_next_n_requests_then_normal_again(target: tuple[str, str, str]) -> None:
    base, method, path = target
    fault = inject(base, path_regex=f"^{path}$", status=503, times=2)
    statuses = [httpx.request(method, f"{base}{path}").status_code for _ in range(3)]
    assert statuses[:2] == [503, 503] and statuses[2] != 503
    assert httpx.get(f"{base}/_sandbox/faults").json() == {"faults": []}  # used up
    assert fault["remaining"] == 2


def test_injected_error_bodies_and_markers(api_url: str, google_url: str) -> None:
    inject(api_url, path_regex="/health", status=500, times=1)
    lucky = httpx.get(f"{api_url}/health")
    assert lucky.json() == {"detail": "Injected fault: HTTP 500"}
    assert lucky.headers["x-luckyctl-fault"] and lucky.headers["x-luckyctl-sandbox"] == "1"
    inject(google_url, path_regex="/v2/", status=429, times=1)
    google = httpx.get(f"{google_url}/v2/projects/p/locations/l/services", headers={"Authorization": "Bearer t"})
    assert google.json()["error"]["status"] == "RESOURCE_EXHAUSTED"


def test_latency_is_added_before_the_normal_answer(target: tuple[str, str, str]) -> None:
    base, method, path = target
    normal = httpx.request(method, f"{base}{path}").status_code
    inject(base, path_regex=f"^{path}$", latency_ms=400, times=1)
    started = time.perf_counter()
    response = httpx.request(method, f"{base}{path}")
    assert time.perf_counter() - started >= 0.4
    assert response.status_code == normal


def test_dropped_connections_reach_the_client(target: tuple[str, str, str]) -> None:
    base, method, path = target
    inject(base, path_regex=".", drop_connection=True, times=1)
    with pytest.raises(httpx.RemoteProtocolError):
        httpx.request(method, f"{base}{path}")
    assert httpx.get(f"{base}/_sandbox/faults").json() == {"faults": []}


def test_the_admin_routes_are_never_faulted(target: tuple[str, str, str]) -> None:
    base, method, path = target
    inject(base, path_regex=".", status=503)
    assert httpx.request(method, f"{base}{path}").status_code == 503
    assert httpx.get(f"{base}/_sandbox/faults").status_code == 200


def test_the_real_client_sees_unavailable(google_url: str, token_credentials: Any) -> None:
    client = run_v2.ServicesClient(transport="rest", client_options={"api_endpoint": google_url},
                                   credentials=token_credentials)
    inject(google_url, path_regex="/services/flaky$", methods=["GET"], status=503)
    with pytest.raises(exceptions.ServiceUnavailable):
        client.get_service(name="projects/lucky-gas-sandbox/locations/asia-east1/services/flaky", retry=None)
    assert httpx.delete(f"{google_url}/_sandbox/faults").json() == {"cleared": 1}


def test_bad_fault_specs_are_refused(api_url: str) -> None:
    assert httpx.post(f"{api_url}/_sandbox/faults", json={"path_regex": "(", "status": 503}).status_code == 422
    assert httpx.post(f"{api_url}/_sandbox/faults", json={"status": 99}).status_code == 422
    assert httpx.delete(f"{api_url}/_sandbox/faults/12345").status_code == 404


def test_registry_matches_method_and_counts_hits() -> None:
    registry = FaultRegistry()
    fault = registry.add(FaultSpec(path_regex="^/api/", methods=["post"], status=500, times=2))
    assert registry.take("GET", "/api/v1/orders") is None
    assert registry.take("POST", "/api/v1/orders") is fault
    assert fault.remaining == 1
    registry.take("POST", "/api/v1/orders")
    assert registry.faults == []
