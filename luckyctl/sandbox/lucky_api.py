"""The Lucky Gas API stand-in: a small FastAPI app shaped like the real backend.

Health, Prometheus metrics, JWT login with refresh, role-protected customers
and orders, route optimisation, demand forecast, CORS for the configured
origins, request ids, rate-limit headers and a ``/version`` route reporting
what the Cloud Run stand-in last deployed. Every response says it is a sandbox
(``x-luckyctl-sandbox: 1``).

No ``from __future__ import annotations`` here: FastAPI must evaluate the
``Annotated[..., Depends(local_function)]`` hints at definition time.
"""

import asyncio
import datetime as dt
import json
import time
import uuid
from collections.abc import Callable, MutableMapping
from typing import Annotated, Any

from fastapi import Depends, FastAPI, HTTPException, Query, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field, ValidationError

from luckyctl.sandbox import lucky_domain
from luckyctl.sandbox.faults import (
    SANDBOX_HEADER,
    FaultMiddleware,
    FaultRegistry,
    faults_router,
)
from luckyctl.sandbox.lucky_auth import Principal, TokenIssuer, TokenRejected
from luckyctl.sandbox.metrics import CONTENT_TYPE, MetricsRegistry
from luckyctl.sandbox.paths import SandboxPaths
from luckyctl.sandbox.settings import Role, SandboxSettings

API_VERSION = "1.0.0-sandbox"
DEFAULT_IMAGE = "sandbox.local/lucky-gas/backend:local"
UNAUTHORIZED_HEADERS = {"WWW-Authenticate": "Bearer"}


# ------------------------------------------------------------------ bodies


class LoginBody(BaseModel):
    username: str = Field(min_length=1)
    password: str = Field(min_length=1)


class RefreshBody(BaseModel):
    refresh_token: str = Field(min_length=1)


class CustomerBody(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    district: str = Field(min_length=1, max_length=100)
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)
    cylinder_type: str = Field(pattern=r"^(50kg|20kg|16kg)$")
    avg_daily_cylinders: float = Field(default=0.5, ge=0)


class OrderBody(BaseModel):
    customer_id: int
    quantity: int = Field(ge=1, le=100)
    cylinder_type: str = Field(pattern=r"^(50kg|20kg|16kg)$")
    scheduled_date: dt.date | None = None


class StopBody(BaseModel):
    id: str = Field(min_length=1)
    lat: float = Field(ge=-90, le=90)
    lng: float = Field(ge=-180, le=180)


class OptimizeBody(BaseModel):
    stops: list[StopBody] = Field(min_length=1, max_length=100)
    depot: StopBody | None = None
    return_to_depot: bool = True


# ------------------------------------------------------------------- state


class LuckyState:
    """The stand-in's records, in memory, seeded from :mod:`lucky_domain`."""

    def __init__(self) -> None:
        today = dt.date.today()
        self.customers: dict[int, dict[str, Any]] = {
            cid: {"id": cid, "name": name, "district": district, "lat": lat, "lng": lng,
                  "cylinder_type": kind, "avg_daily_cylinders": daily}
            for cid, name, district, lat, lng, kind, daily in lucky_domain.SEED_CUSTOMERS
        }
        self.orders: dict[int, dict[str, Any]] = {
            oid: {"id": oid, "customer_id": cid, "quantity": qty, "cylinder_type": kind, "status": status,
                  "scheduled_date": (today + dt.timedelta(days=offset)).isoformat()}
            for oid, cid, qty, kind, status, offset in lucky_domain.SEED_ORDERS
        }


class Observability:
    """Outer layer: request metrics, the request id and the sandbox header on every response."""

    def __init__(self, app: Any, metrics: MetricsRegistry) -> None:
        self.app = app
        self.requests = metrics.counter(
            "http_requests_total", "HTTP requests by method, route and status.", ("method", "path", "status")
        )
        self.duration = metrics.histogram(
            "http_request_duration_seconds", "HTTP request latency by method and route.", ("method", "path")
        )

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_id = _header(scope, b"x-request-id") or uuid.uuid4().hex
        status_code = 500

        async def send_marked(message: MutableMapping[str, Any]) -> None:
            nonlocal status_code
            if message["type"] == "http.response.start":
                status_code = message["status"]
                message["headers"] = [*message.get("headers", []), SANDBOX_HEADER,
                                      (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_marked)
        finally:
            path = getattr(scope.get("route"), "path", "unmatched")  # the route template, not the raw path
            self.requests.inc(method=scope["method"], path=path, status=str(status_code))
            self.duration.observe(time.perf_counter() - started, method=scope["method"], path=path)


class RateLimiter:
    """Fixed one-minute windows per client address on ``/api/``; headers on every API response, 429 past it.

    It sits inside the CORS layer, so a browser can read a 429 too.
    """

    def __init__(self, app: Any, limit_per_minute: int) -> None:
        self.app = app
        self.limit = limit_per_minute
        self.windows: dict[str, tuple[int, int]] = {}  # client host -> (minute, count)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or not scope["path"].startswith("/api/") or scope["method"] == "OPTIONS":
            await self.app(scope, receive, send)
            return
        client = (scope.get("client") or ("unknown", 0))[0]
        now = time.time()
        minute = int(now // 60)
        window, count = self.windows.get(client, (minute, 0))
        count = count + 1 if window == minute else 1
        self.windows[client] = (minute, count)
        limit_headers = [
            (b"x-ratelimit-limit", str(self.limit).encode()),
            (b"x-ratelimit-remaining", str(max(self.limit - count, 0)).encode()),
            (b"x-ratelimit-reset", str(int((minute + 1) * 60 - now) + 1).encode()),
        ]

        async def send_limited(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *limit_headers]
            await send(message)

        if count <= self.limit:
            await self.app(scope, receive, send_limited)
        else:
            response = JSONResponse({"detail": "Rate limit exceeded"}, status_code=429, headers={"Retry-After": "60"})
            await response(scope, receive, send_limited)


def _header(scope: dict[str, Any], name: bytes) -> str | None:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return None


# ---------------------------------------------------------------- the app


def create_app(settings: SandboxSettings, paths: SandboxPaths | None = None) -> FaultMiddleware:
    """The ASGI app. ``paths`` lets ``/version`` read the Cloud Run stand-in's deployments."""
    app = FastAPI(title="Lucky Gas API (luckyctl sandbox)", version=API_VERSION)
    state = LuckyState()
    issuer = TokenIssuer(settings)
    faults = FaultRegistry()
    metrics = MetricsRegistry()
    business = _BusinessMetrics(metrics)
    app.state.lucky = state
    app.state.faults = faults

    # added innermost first: rate limiter, then CORS around it, then request ids and metrics around all
    app.add_middleware(RateLimiter, limit_per_minute=settings.rate_limit_per_minute)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=list(settings.cors_origins),
        allow_credentials=True,
        allow_methods=["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"],
        allow_headers=["Authorization", "Content-Type", "X-Request-ID"],
        expose_headers=["X-Request-ID", "X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
        max_age=600,
    )
    app.add_middleware(Observability, metrics=metrics)
    app.include_router(faults_router(faults))

    bearer = HTTPBearer(auto_error=False)

    def principal(credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> Principal:
        if credentials is None:
            raise HTTPException(401, "Not authenticated", headers=UNAUTHORIZED_HEADERS)
        try:
            return issuer.principal(credentials.credentials)
        except TokenRejected as exc:
            raise HTTPException(401, str(exc), headers=UNAUTHORIZED_HEADERS) from None

    def allow(*roles: Role) -> Callable[[Principal], Principal]:
        def check(user: Annotated[Principal, Depends(principal)]) -> Principal:
            if user.role not in roles:
                raise HTTPException(403, f"Role '{user.role.value}' may not access this resource")
            return user

        return check

    office = Depends(allow(Role.ADMIN, Role.MANAGER))
    everyone = Depends(allow(Role.ADMIN, Role.MANAGER, Role.DRIVER))
    field_staff = Depends(allow(Role.ADMIN, Role.DRIVER))

    @app.get("/health")
    async def health() -> dict[str, Any]:
        database = await _port_open(settings.host, settings.postgres_port)
        return {
            "status": "healthy" if database else "degraded",
            "database": "connected" if database else "unreachable",
            "cache": "connected",  # the stand-in's cache is in memory
            "version": API_VERSION,
            "sandbox": True,
        }

    @app.get("/metrics")
    async def prometheus() -> PlainTextResponse:
        business.refresh(state)
        return PlainTextResponse(metrics.render(), media_type=CONTENT_TYPE)

    @app.get("/version")
    async def version() -> dict[str, Any]:
        return _deployment(settings, paths)

    @app.post("/api/v1/auth/login")
    async def login(request: Request) -> JSONResponse:
        body = await _login_body(request)
        account = issuer.authenticate(body.username, body.password)
        if account is None:
            business.logins.inc(outcome="failure")
            raise HTTPException(401, "Incorrect username or password", headers=UNAUTHORIZED_HEADERS)
        business.logins.inc(outcome="success")
        return JSONResponse(issuer.issue(account))

    @app.post("/api/v1/auth/refresh")
    async def refresh(body: RefreshBody) -> dict[str, Any]:
        try:
            return issuer.refresh(body.refresh_token)
        except TokenRejected as exc:
            raise HTTPException(401, str(exc), headers=UNAUTHORIZED_HEADERS) from None

    @app.get("/api/v1/auth/me")
    async def me(user: Annotated[Principal, Depends(principal)]) -> dict[str, Any]:
        return {"username": user.username, "role": user.role.value, "full_name": user.full_name}

    @app.get("/api/v1/customers", dependencies=[office])
    async def list_customers(
        skip: Annotated[int, Query(ge=0)] = 0, limit: Annotated[int, Query(ge=1, le=500)] = 100
    ) -> dict[str, Any]:
        items = sorted(state.customers.values(), key=lambda c: c["id"])
        return {"items": items[skip : skip + limit], "total": len(items)}

    @app.get("/api/v1/customers/{customer_id}", dependencies=[office])
    async def get_customer(customer_id: int) -> dict[str, Any]:
        return _found(state.customers, customer_id, "Customer")

    @app.post("/api/v1/customers", status_code=201, dependencies=[office])
    async def create_customer(body: CustomerBody) -> dict[str, Any]:
        customer = {"id": max(state.customers, default=0) + 1, **body.model_dump()}
        state.customers[customer["id"]] = customer
        return customer

    @app.get("/api/v1/orders", dependencies=[everyone])
    async def list_orders(
        status: str | None = None,
        skip: Annotated[int, Query(ge=0)] = 0,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        items = [o for o in sorted(state.orders.values(), key=lambda o: o["id"]) if status in (None, o["status"])]
        return {"items": items[skip : skip + limit], "total": len(items)}

    @app.get("/api/v1/orders/{order_id}", dependencies=[everyone])
    async def get_order(order_id: int) -> dict[str, Any]:
        return _found(state.orders, order_id, "Order")

    @app.post("/api/v1/orders", status_code=201, dependencies=[office])
    async def create_order(body: OrderBody) -> dict[str, Any]:
        if body.customer_id not in state.customers:
            raise HTTPException(422, f"Customer {body.customer_id} does not exist")
        order = {
            "id": max(state.orders, default=0) + 1,
            **body.model_dump(exclude={"scheduled_date"}),
            "status": "pending",
            "scheduled_date": (body.scheduled_date or dt.date.today()).isoformat(),
        }
        state.orders[order["id"]] = order
        business.orders.inc(cylinder_type=order["cylinder_type"])
        return order

    @app.post("/api/v1/orders/{order_id}/deliver", dependencies=[field_staff])
    async def deliver_order(order_id: int) -> dict[str, Any]:
        order = _found(state.orders, order_id, "Order")
        if order["status"] == "delivered":
            raise HTTPException(409, f"Order {order_id} is already delivered")
        order["status"] = "delivered"
        business.deliveries.inc(cylinder_type=order["cylinder_type"])
        return order

    @app.post("/api/v1/routes/optimize", dependencies=[everyone])
    async def optimize(body: OptimizeBody) -> dict[str, Any]:
        depot = (body.depot.lat, body.depot.lng) if body.depot else lucky_domain.DEPOT
        stops = [lucky_domain.Stop(s.id, s.lat, s.lng) for s in body.stops]
        business.optimizations.inc()
        return lucky_domain.optimize_route(depot, stops, body.return_to_depot)

    @app.get("/api/v1/predictions/demand", dependencies=[office])
    async def demand(
        days: Annotated[int, Query(ge=1, le=90)] = 7,
        start: dt.date | None = None,
        customer_id: int | None = None,
    ) -> dict[str, Any]:
        if customer_id is None:
            customers = list(state.customers.values())
        else:
            customers = [_found(state.customers, customer_id, "Customer")]
        base = sum(c["avg_daily_cylinders"] for c in customers)
        business.predictions.inc()
        return {
            "model": "sandbox-seasonal-naive",
            "customer_id": customer_id,
            "horizon_days": days,
            "predictions": lucky_domain.forecast_demand(base, start or dt.date.today(), days),
        }

    return FaultMiddleware(app, faults, lambda status: {"detail": f"Injected fault: HTTP {status}"})


class _BusinessMetrics:
    def __init__(self, metrics: MetricsRegistry) -> None:
        self.orders = metrics.counter("luckygas_orders_total", "Orders created.", ("cylinder_type",))
        self.deliveries = metrics.counter("luckygas_deliveries_total", "Orders delivered.", ("cylinder_type",))
        self.logins = metrics.counter("luckygas_logins_total", "Login attempts.", ("outcome",))
        self.optimizations = metrics.counter("luckygas_route_optimizations_total", "Route optimisations run.")
        self.predictions = metrics.counter("luckygas_demand_predictions_total", "Demand forecasts served.")
        self.customers = metrics.gauge("luckygas_customers", "Customers on record.")
        self.open_orders = metrics.gauge("luckygas_open_orders", "Orders not yet delivered, by status.", ("status",))
        for kind in ("50kg", "20kg", "16kg"):  # present from the start, so a scrape always finds them
            self.orders.inc(0, cylinder_type=kind)
            self.deliveries.inc(0, cylinder_type=kind)

    def refresh(self, state: LuckyState) -> None:
        self.customers.set(len(state.customers))
        for status in ("pending", "assigned"):
            self.open_orders.set(sum(o["status"] == status for o in state.orders.values()), status=status)


async def _login_body(request: Request) -> LoginBody:
    """OAuth2 password form (what FastAPI backends take) or JSON."""
    content_type = request.headers.get("content-type", "")
    try:
        if content_type.startswith("application/json"):
            raw = await request.json()
        else:
            raw = dict(await request.form())
        return LoginBody.model_validate(raw)
    except ValidationError as exc:
        raise HTTPException(422, [{"type": e["type"], "loc": ["body", *e["loc"]], "msg": e["msg"]}
                                  for e in exc.errors()]) from None
    except (ValueError, json.JSONDecodeError):
        raise HTTPException(422, "Body must be a form or a JSON object with username and password") from None


def _found(records: dict[int, dict[str, Any]], record_id: int, label: str) -> dict[str, Any]:
    if record_id not in records:
        raise HTTPException(404, f"{label} {record_id} not found")
    return records[record_id]


async def _port_open(host: str, port: int) -> bool:
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(host, port), timeout=0.5)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


def _deployment(settings: SandboxSettings, paths: SandboxPaths | None) -> dict[str, Any]:
    """What the Cloud Run stand-in says serves ``backend_service``: the revision with the most traffic."""
    record_file = paths.deployments_dir / f"{settings.backend_service}.json" if paths else None
    if record_file is None or not record_file.is_file():
        return {"service": settings.backend_service, "image": DEFAULT_IMAGE, "revision": "sandbox-local",
                "traffic": [], "version": API_VERSION, "sandbox": True}
    record = json.loads(record_file.read_text())
    return {"service": settings.backend_service, "image": record["image"], "revision": record["revision"],
            "traffic": record["traffic"], "version": API_VERSION, "sandbox": True}
