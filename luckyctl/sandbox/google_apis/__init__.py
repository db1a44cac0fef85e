"""One ASGI app on one port standing in for the Google REST APIs the roadmap uses.

Real paths and JSON shapes; Google's error shape; ``Authorization: Bearer``
required everywhere except the token endpoint and the sandbox's own
``/_sandbox/*`` routes; state kept in memory and saved to a JSON file.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from luckyctl.sandbox.faults import (
    ADMIN_PREFIX,
    SANDBOX_HEADER,
    FaultMiddleware,
    FaultRegistry,
    faults_router,
)
from luckyctl.sandbox.google_apis import (
    billing,
    iam,
    monitoring,
    oauth,
    resourcemanager,
    run,
    secretmanager,
    securitycenter,
    serviceusage,
    sqladmin,
)
from luckyctl.sandbox.google_apis.errors import (
    MISSING_CREDENTIALS,
    GoogleApiError,
    error_body,
)
from luckyctl.sandbox.google_apis.state import ApiContext, ApiState, public
from luckyctl.sandbox.paths import SandboxPaths
from luckyctl.sandbox.pki import SandboxPki
from luckyctl.sandbox.settings import SandboxSettings

PUBLIC_PATHS = ("/token",)
APIS = (
    "run.googleapis.com", "serviceusage.googleapis.com", "secretmanager.googleapis.com", "iam.googleapis.com",
    "cloudresourcemanager.googleapis.com", "billingbudgets.googleapis.com", "cloudbilling.googleapis.com",
    "monitoring.googleapis.com", "securitycenter.googleapis.com", "sqladmin.googleapis.com",
    "oauth2.googleapis.com",
)


class GoogleGateway:
    """Bearer-token check, the sandbox header, and saving the state after each request."""

    def __init__(self, app: Any, state: ApiState) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_marked(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), SANDBOX_HEADER]
            await send(message)

        path = scope["path"]
        if not path.startswith(ADMIN_PREFIX) and path not in PUBLIC_PATHS and not _has_bearer(scope):
            response = JSONResponse(error_body(401, MISSING_CREDENTIALS), status_code=401,
                                    headers={"WWW-Authenticate": 'Bearer realm="https://accounts.google.com/"'})
            await response(scope, receive, send_marked)
            return
        try:
            await self.app(scope, receive, send_marked)
        finally:
            if scope["method"] != "GET" or "/operations/" in path:  # reading an operation can finish it
                self.state.save()


def _has_bearer(scope: dict[str, Any]) -> bool:
    for key, value in scope.get("headers", []):
        if key.lower() == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return scheme.lower() == "bearer" and bool(token.strip())
    return False


def create_app(settings: SandboxSettings, paths: SandboxPaths) -> FaultMiddleware:
    """The ASGI app; its state file, the SQL instance's PKI and the deployment records live in ``paths``."""
    paths.create()
    state = ApiState.load(paths.google_state_file, settings.seed_file)
    ctx = ApiContext(state, settings, paths)
    pki = SandboxPki(paths.pki_dir)
    pki.ensure_authorities()
    # no OpenAPI document: the custom methods share routes, which OpenAPI cannot describe; see docs/sandbox.md
    app = FastAPI(title="Google API stand-ins (luckyctl sandbox)", openapi_url=None, docs_url=None, redoc_url=None)
    faults = FaultRegistry()
    app.state.api = ctx
    app.state.faults = faults

    @app.exception_handler(GoogleApiError)
    async def google_error(_request: Request, exc: GoogleApiError) -> JSONResponse:
        return JSONResponse(exc.body(), status_code=exc.code)

    @app.exception_handler(StarletteHTTPException)
    async def http_error(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return JSONResponse(error_body(exc.status_code, str(exc.detail)), status_code=exc.status_code)

    @app.exception_handler(RequestValidationError)
    async def validation_error(_request: Request, exc: RequestValidationError) -> JSONResponse:
        return JSONResponse(error_body(400, f"Invalid request: {exc.errors()}"), status_code=400)

    @app.get("/_sandbox/health")
    async def health() -> dict[str, Any]:
        return {"status": "ok", "sandbox": True, "project": settings.project, "apis": list(APIS)}

    @app.get("/_sandbox/state")
    async def dump_state() -> dict[str, Any]:
        """Every resource as the APIs would return it (no secret payloads, no private keys)."""
        return {"resources": {kind: {name: public(r) for name, r in items.items()}
                              for kind, items in state.resources.items()}}

    app.include_router(faults_router(faults))
    for module in (run, serviceusage, secretmanager, iam, resourcemanager, billing, monitoring, securitycenter,
                   oauth):
        app.include_router(module.router(ctx))
    app.include_router(sqladmin.router(ctx, pki))
    app.add_middleware(GoogleGateway, state=state)
    state.save()
    return FaultMiddleware(app, faults, error_body)
