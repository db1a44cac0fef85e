"""The Lucky Gas API stand-in, over real HTTP: auth, roles, CORS, metrics, business routes."""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from luckyctl.sandbox import lucky_domain
from luckyctl.sandbox.lucky_api import create_app
from luckyctl.sandbox.settings import SandboxSettings

ALLOWED_ORIGIN = "http://localhost:5173"


def login(api_url: str, username: str, password: str) -> dict[str, object]:
    response = httpx.post(f"{api_url}/api/v1/auth/login", data={"username": username, "password": password})
    assert response.status_code == 200, response.text
    return response.json()


def auth(token: object) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_login_refresh_then_protected_call(api_url: str) -> None:
    tokens = login(api_url, "admin", "admin-sandbox")
    assert tokens["token_type"] == "bearer" and tokens["role"] == "admin"
    refreshed = httpx.post(f"{api_url}/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert refreshed.status_code == 200
    new_access = refreshed.json()["access_token"]
    assert new_access != tokens["access_token"]
    me = httpx.get(f"{api_url}/api/v1/auth/me", headers=auth(new_access))
    assert me.json() == {"username": "admin", "role": "admin", "full_name": "Sandbox Administrator"}
    customers = httpx.get(f"{api_url}/api/v1/customers", headers=auth(new_access)).json()
    assert customers["total"] >= len(lucky_domain.SEED_CUSTOMERS)


def test_login_takes_json_too_and_refuses_bad_passwords(api_url: str) -> None:
    ok = httpx.post(f"{api_url}/api/v1/auth/login", json={"username": "manager", "password": "manager-sandbox"})
    assert ok.json()["role"] == "manager"
    bad = httpx.post(f"{api_url}/api/v1/auth/login", json={"username": "manager", "password": "guess"})
    assert bad.status_code == 401
    assert bad.headers["www-authenticate"] == "Bearer"
    assert bad.json() == {"detail": "Incorrect username or password"}
    missing = httpx.post(f"{api_url}/api/v1/auth/login", json={"username": "manager"})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "password"]


def test_a_refresh_token_works_once_and_is_no_access_token(api_url: str) -> None:
    tokens = login(api_url, "manager", "manager-sandbox")
    first = httpx.post(f"{api_url}/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    again = httpx.post(f"{api_url}/api/v1/auth/refresh", json={"refresh_token": tokens["refresh_token"]})
    assert (first.status_code, again.status_code) == (200, 401)
    assert again.json()["detail"] == "Refresh token has already been used"
    as_access = httpx.get(f"{api_url}/api/v1/orders", headers=auth(tokens["refresh_token"]))
    assert as_access.status_code == 401


def test_roles_guard_the_routes(api_url: str) -> None:
    driver = auth(login(api_url, "driver", "driver-sandbox")["access_token"])
    denied = httpx.get(f"{api_url}/api/v1/customers", headers=driver)
    assert denied.status_code == 403
    assert denied.json() == {"detail": "Role 'driver' may not access this resource"}
    assert httpx.get(f"{api_url}/api/v1/orders", headers=driver).status_code == 200
    assert httpx.get(f"{api_url}/api/v1/customers").status_code == 401
    assert httpx.get(f"{api_url}/api/v1/customers", headers=auth("not.a.jwt")).status_code == 401


def test_cors_preflight_allows_the_configured_origin_only(api_url: str) -> None:
    preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
    allowed = httpx.options(f"{api_url}/api/v1/customers", headers={"Origin": ALLOWED_ORIGIN, **preflight})
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    denied = httpx.options(f"{api_url}/api/v1/customers", headers={"Origin": "https://evil.example", **preflight})
    assert denied.status_code == 400
    assert "access-control-allow-origin" not in denied.headers
    assert denied.headers["x-luckyctl-sandbox"] == "1"


def test_past_the_rate_limit_comes_a_429_a_browser_can_read(serve: Callable[[Any], str]) -> None:
    base = serve(create_app(SandboxSettings(rate_limit_per_minute=2)))
    origin = {"Origin": ALLOWED_ORIGIN}
    answers = [httpx.get(f"{base}/api/v1/orders", headers=origin) for _ in range(3)]
    assert [a.status_code for a in answers] == [401, 401, 429]
    assert [a.headers["x-ratelimit-remaining"] for a in answers] == ["1", "0", "0"]
    assert answers[2].headers["access-control-allow-origin"] == ALLOWED_ORIGIN
    assert answers[2].headers["retry-after"] == "60"
    assert httpx.get(f"{base}/health").status_code == 200  # only /api/ is limited


def test_orders_and_deliveries_show_in_the_business_metrics(api_url: str) -> None:
    manager = auth(login(api_url, "manager", "manager-sandbox")["access_token"])
    driver = auth(login(api_url, "driver", "driver-sandbox")["access_token"])

    def count(name: str) -> float:
        text = httpx.get(f"{api_url}/metrics").text
        return float(next(line.split()[-1] for line in text.splitlines()
                          if line.startswith(f'{name}{{cylinder_type="20kg"}}')))

    orders_before, deliveries_before = count("luckygas_orders_total"), count("luckygas_deliveries_total")
    order = httpx.post(f"{api_url}/api/v1/orders", headers=manager,
                       json={"customer_id": 3, "quantity": 2, "cylinder_type": "20kg"})
    assert order.status_code == 201 and order.json()["status"] == "pending"
    delivered = httpx.post(f"{api_url}/api/v1/orders/{order.json()['id']}/deliver", headers=driver)
    assert delivered.json()["status"] == "delivered"
    assert count("luckygas_orders_total") == orders_before + 1
    assert count("luckygas_deliveries_total") == deliveries_before + 1
    metrics = httpx.get(f"{api_url}/metrics")
    assert metrics.headers["content-type"].startswith("text/plain; version=0.0.4")
    assert "# TYPE http_request_duration_seconds histogram" in metrics.text
    assert 'http_request_duration_seconds_bucket{method="POST",path="/api/v1/orders",le="+Inf"}' in metrics.text


def test_invalid_bodies_are_422(api_url: str) -> None:
    manager = auth(login(api_url, "manager", "manager-sandbox")["access_token"])
    response = httpx.post(f"{api_url}/api/v1/orders", headers=manager,
                          json={"customer_id": 1, "quantity": 0, "cylinder_type": "50kg"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "quantity"]


def test_every_response_is_marked_and_carries_a_request_id(api_url: str) -> None:
    echoed = httpx.get(f"{api_url}/health", headers={"X-Request-ID": "trace-123"})
    assert echoed.headers["x-request-id"] == "trace-123"
    assert echoed.headers["x-luckyctl-sandbox"] == "1"
    fresh = httpx.get(f"{api_url}/health")
    assert len(fresh.headers["x-request-id"]) == 32
    assert fresh.json() == {"status": "healthy", "database": "connected", "cache": "connected",
                            "version": "1.0.0-sandbox", "sandbox": True}
    limited = httpx.get(f"{api_url}/api/v1/orders")
    assert int(limited.headers["x-ratelimit-limit"]) == 6000
    assert int(limited.headers["x-ratelimit-remaining"]) < 6000


def test_route_optimisation_orders_stops_and_beats_the_given_order(api_url: str) -> None:
    driver = auth(login(api_url, "driver", "driver-sandbox")["access_token"])
    stops = [{"id": str(cid), "lat": lat, "lng": lng} for cid, _, _, lat, lng, _, _ in lucky_domain.SEED_CUSTOMERS]
    body = {"stops": stops, "return_to_depot": True}
    first = httpx.post(f"{api_url}/api/v1/routes/optimize", headers=driver, json=body).json()
    again = httpx.post(f"{api_url}/api/v1/routes/optimize", headers=driver, json=body).json()
    assert first == again
    assert sorted(first["route"]) == sorted(s["id"] for s in stops)
    depot = lucky_domain.DEPOT
    points = [depot, *((s["lat"], s["lng"]) for s in stops), depot]
    as_given = sum(lucky_domain.haversine_km(a, b) for a, b in itertools.pairwise(points))
    assert first["total_distance_km"] < as_given
    assert first["total_duration_min"] > first["total_distance_km"] / lucky_domain.AVERAGE_SPEED_KMH * 60
    empty = httpx.post(f"{api_url}/api/v1/routes/optimize", headers=driver, json={"stops": []})
    assert empty.status_code == 422


def test_demand_forecast_is_deterministic_and_office_only(api_url: str) -> None:
    manager = auth(login(api_url, "manager", "manager-sandbox")["access_token"])
    url = f"{api_url}/api/v1/predictions/demand?days=7&start=2026-12-07"
    first, second = httpx.get(url, headers=manager).json(), httpx.get(url, headers=manager).json()
    assert first == second
    days = first["predictions"]
    assert [d["date"] for d in days][:2] == ["2026-12-07", "2026-12-08"] and len(days) == 7
    assert all(d["lower_bound"] < d["predicted_cylinders"] < d["upper_bound"] for d in days)
    saturday, sunday = days[5]["predicted_cylinders"], days[6]["predicted_cylinders"]
    assert saturday > sunday  # restaurants order less on Sundays
    driver = auth(login(api_url, "driver", "driver-sandbox")["access_token"])
    assert httpx.get(url, headers=driver).status_code == 403


@pytest.mark.parametrize("path", ["/api/v1/customers/999", "/api/v1/orders/999"])
def test_unknown_records_are_404(api_url: str, path: str) -> None:
    admin = auth(login(api_url, "admin", "admin-sandbox")["access_token"])
    assert httpx.get(f"{api_url}{path}", headers=admin).status_code == 404
