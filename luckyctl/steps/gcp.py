"""The ``gcp`` step: one call to any Google REST API, with the plan's credentials.

The URL is the API's base (``luckyctl.gcp.endpoints``: the plan's
``gcp.endpoints.<api>``, else ``https://<api>.googleapis.com``) followed by
``path``; ``params`` become the query string and ``json`` the body. The
request carries the plan's bearer token (``luckyctl.gcp.auth.GoogleAuth``).
A long-running operation in the answer is not waited for: check it with
another ``gcp`` step and ``retries``.

``expect`` keys (all optional):

- ``status``: an int or a list of ints; without it any status below 400 passes;
- ``json``: ``{dotted.path: expected}`` into the JSON answer, in the
  expectation language of ``luckyctl.steps.expect``.

Evidence: outputs ``request`` (method and URL), ``status``, ``latency_ms``,
``json`` (the parsed answer, so ``save: {etag: json.etag}`` works) and, for
an error answer, ``error`` (Google's status and message); artifact
``response`` (the body); metrics ``status_code`` and ``latency_ms``. An
answer that does not meet ``expect`` is FAILED, its summary naming Google's
error (``status 404, expected 200 (NOT_FOUND: Secret [...] not found)``);
with an unexpected status the ``json`` expectations are not looked at. No
answer (refused, timed out) or no token is an ERROR.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from luckyctl.errors import StepError
from luckyctl.gcp.auth import GoogleAuth
from luckyctl.gcp.credentials import shared_credentials
from luckyctl.gcp.endpoints import endpoint
from luckyctl.gcp.errors import describe_error, google_error, google_status
from luckyctl.model import ApiExpect, GcpSpec, StepStatus
from luckyctl.steps import expect
from luckyctl.steps.base import StepContext, StepOutcome
from luckyctl.steps.http import describe_failure, open_client, parse_json

if TYPE_CHECKING:
    import httpx


def call_google_api(spec: GcpSpec, ctx: StepContext) -> StepOutcome:
    """Send the call; PASSED when the answer meets ``expect``."""
    import httpx

    if not spec.path.startswith("/"):
        raise StepError(f"gcp path must start with '/': {spec.path!r}")
    for value in spec.expect.json_.values():
        expect.parse(value)
    method = spec.method.upper()
    url = endpoint(ctx.plan, spec.api) + spec.path
    request_line = f"{method} {url}"
    options: dict[str, Any] = {"params": spec.params} if spec.params else {}
    if spec.json_ is not None:
        options["json"] = spec.json_
    try:
        auth = GoogleAuth(shared_credentials(ctx))
        with open_client(ctx.transport, ctx.timeout, auth=auth) as client:
            started = time.perf_counter()
            response = client.request(method, url, **options)
    except httpx.HTTPError as exc:
        return StepOutcome(StepStatus.ERROR, describe_failure(exc, url, ctx.timeout), outputs={"request": request_line})
    except Exception as exc:  # google-auth's refresh failures, at this edge
        summary = describe_error(exc, spec.api, timeout=ctx.timeout)
        if summary is None:
            raise
        return StepOutcome(StepStatus.ERROR, summary, outputs={"request": request_line})
    latency_ms = round((time.perf_counter() - started) * 1000, 1)
    return _outcome(spec.expect, request_line, response, latency_ms)


def _outcome(expected: ApiExpect, request_line: str, response: httpx.Response, latency_ms: float) -> StepOutcome:
    body = parse_json(response.content)
    outputs: dict[str, Any] = {"request": request_line, "status": response.status_code, "latency_ms": latency_ms}
    if body is not expect.MISSING:
        outputs["json"] = body
    error = _error(response.status_code, body) if response.status_code >= 400 else None
    if error:
        outputs["error"] = error
    metrics = {"status_code": float(response.status_code), "latency_ms": latency_ms}
    artifacts = {"response": response.content} if response.content else {}
    failures = _check(expected, response.status_code, body, error)
    if failures:
        outputs["failures"] = failures
        summary = f"{request_line}: {expect.summarize(failures)}"
        return StepOutcome(StepStatus.FAILED, summary, outputs=outputs, metrics=metrics, artifacts=artifacts)
    summary = f"{request_line} → {response.status_code} in {latency_ms:g} ms"
    return StepOutcome(StepStatus.PASSED, summary, outputs=outputs, metrics=metrics, artifacts=artifacts)


def _error(status_code: int, body: Any) -> str:
    """``NOT_FOUND: Secret [...] not found`` from Google's error body (the status name alone without one)."""
    status, message = google_error(body) if body is not expect.MISSING else (None, None)
    status = status or google_status(status_code)
    return f"{status}: {message}" if message else status


def _check(expected: ApiExpect, status_code: int, body: Any, error: str | None) -> list[str]:
    """What does not meet ``expect``; an unexpected status alone (the body is then Google's error, not the answer)."""
    allowed = expected.status if isinstance(expected.status, list) else [expected.status]
    if (expected.status is None and status_code >= 400) or (expected.status is not None and status_code not in allowed):
        wanted = "below 400" if expected.status is None else " or ".join(str(status) for status in allowed)
        return [f"status {status_code}, expected {wanted}" + (f" ({error})" if error else "")]
    if not expected.json_:
        return []
    if body is expect.MISSING:
        return ["the answer is not JSON"]
    return expect.check_paths(body, expected.json_, prefix="json.")
