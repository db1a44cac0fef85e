"""The ``http`` step: one request, checked against ``expect``.

``expect`` keys (all optional):

- ``status``: an int or a list of ints; without it any status below 400 passes;
- ``json``: ``{dotted.path: expected}`` into the JSON body;
- ``headers``: ``{name: expected}``, names case-insensitive;
- ``body_contains``: a text the body must contain;
- ``max_latency_ms``: an upper bound on the time to the whole response.

Expected values in ``json`` and ``headers`` use the expectation language of
``luckyctl.steps.expect``: a plain value compares exactly, a string that starts
with an operator compares accordingly (``">= 3"``, ``"~ ^application/json"``,
``"exists"``, ``"absent"``, ``"len >= 1"``, ``"contains admin"``).

Evidence: outputs ``request`` (method and URL), ``status``, ``latency_ms``,
``headers`` (the response's, cookie values masked), ``url`` (after
redirects) and ``json`` (the parsed body, when it is JSON — so ``save:
{token: json.access_token}`` works); the body as artifact ``response``;
metrics ``status_code`` and ``latency_ms``.
A request that gets no response (refused, timed out, reset) is an ERROR.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from luckyctl.errors import StepError
from luckyctl.model import HttpExpect, HttpSpec, StepStatus
from luckyctl.steps import expect
from luckyctl.steps.base import StepContext, StepOutcome

if TYPE_CHECKING:
    import httpx

_COOKIE_VALUE = re.compile(r"^(\s*[^=;]+=)[^;]*")


@contextmanager
def open_client(transport: httpx.BaseTransport | None, timeout: float, **options: Any) -> Iterator[httpx.Client]:
    """An httpx client on ``transport`` (None: the network); an injected transport is left open for its owner."""
    import httpx

    client = httpx.Client(transport=transport, timeout=timeout, **options)
    try:
        yield client
    finally:
        if transport is None:
            client.close()


def describe_failure(exc: Exception, url: str, timeout: float) -> str:
    """One line for a request that got no response: 'connection refused to 127.0.0.1:9'."""
    import httpx

    target = _host_port(url)
    if isinstance(exc, httpx.TimeoutException):
        return f"timed out after {float(timeout)!r}s waiting for {target}"
    if isinstance(exc, httpx.ConnectError):
        reason = str(exc)
        if "refused" in reason.lower():
            return f"connection refused to {target}"
        return f"cannot connect to {target}: {_strip_errno(reason)}"
    return f"{type(exc).__name__} from {target}: {_strip_errno(str(exc)) or 'no response'}"


def _host_port(url: str) -> str:
    import httpx

    parsed = httpx.URL(url)
    port = parsed.port or {"http": 80, "https": 443}.get(parsed.scheme)
    return f"{parsed.host}:{port}"


def _strip_errno(reason: str) -> str:
    """'[Errno -2] Name or service not known' → 'Name or service not known'."""
    return reason.split("] ", 1)[1] if reason.startswith("[Errno") and "] " in reason else reason


def _response_headers(response: httpx.Response) -> dict[str, str]:
    """The response's headers, with cookie values masked: sessions are credentials."""
    headers = dict(response.headers)
    if "set-cookie" in headers:
        cookies = response.headers.get_list("set-cookie")
        headers["set-cookie"] = ", ".join(_COOKIE_VALUE.sub(r"\1[masked]", cookie) for cookie in cookies)
    return headers


def parse_json(body: bytes) -> Any:
    """The body as JSON, or ``expect.MISSING`` when it is not JSON."""
    try:
        return json.loads(body)
    except ValueError:
        return expect.MISSING


def _request_options(spec: HttpSpec) -> dict[str, Any]:
    options: dict[str, Any] = {"headers": spec.headers}
    if spec.json_ is not None and spec.data is not None:
        raise StepError("an http step takes 'json' or 'data', not both")
    if spec.json_ is not None:
        options["json"] = spec.json_
    elif isinstance(spec.data, str):
        options["content"] = spec.data.encode()
    elif spec.data is not None:
        options["data"] = spec.data
    return options


def _check(expected: HttpExpect, response: httpx.Response, body: Any, latency_ms: float) -> list[str]:
    failures = []
    if expected.status is None:
        if response.status_code >= 400:
            failures.append(f"status {response.status_code}, expected below 400")
    else:
        allowed = expected.status if isinstance(expected.status, list) else [expected.status]
        if response.status_code not in allowed:
            wanted = " or ".join(str(status) for status in allowed)
            failures.append(f"status {response.status_code}, expected {wanted}")
    for name, value in expected.headers.items():
        failure = expect.check(response.headers.get(name, expect.MISSING), value)
        if failure:
            failures.append(f"header {name}: {failure}")
    if expected.json_:
        if body is expect.MISSING:
            failures.append(f"body is not JSON ({response.headers.get('content-type', 'no content-type')})")
        else:
            failures.extend(expect.check_paths(body, expected.json_, prefix="json."))
    if expected.body_contains is not None and expected.body_contains not in response.text:
        failures.append(f"body does not contain {expected.body_contains!r}")
    if expected.max_latency_ms is not None:
        failure = expect.check_upper_bound("latency", latency_ms, expected.max_latency_ms, "ms")
        if failure:
            failures.append(failure)
    return failures


def _validate_expectations(expected: HttpExpect) -> None:
    """Unreadable expectations are spec errors, raised before anything is sent."""
    for value in [*expected.headers.values(), *expected.json_.values()]:
        expect.parse(value)


def send_request(spec: HttpSpec, ctx: StepContext) -> StepOutcome:
    """Send the request; PASSED when the response meets ``expect``."""
    import httpx

    method = spec.method.upper()
    request_line = f"{method} {spec.url}"
    options = _request_options(spec)
    _validate_expectations(spec.expect)
    with open_client(ctx.transport, ctx.timeout, follow_redirects=spec.follow_redirects) as client:
        started = time.perf_counter()
        try:
            response = client.request(method, spec.url, **options)
        except (httpx.UnsupportedProtocol, httpx.InvalidURL) as exc:
            raise StepError(f"bad url {spec.url!r}: {exc}") from exc
        except httpx.HTTPError as exc:
            summary = describe_failure(exc, spec.url, ctx.timeout)
            return StepOutcome(StepStatus.ERROR, summary, outputs={"request": request_line})
        latency_ms = round((time.perf_counter() - started) * 1000, 1)

    body = parse_json(response.content)
    outputs: dict[str, Any] = {
        "request": request_line,
        "url": str(response.url),
        "status": response.status_code,
        "latency_ms": latency_ms,
        "headers": _response_headers(response),
    }
    if body is not expect.MISSING:
        outputs["json"] = body
    metrics = {"status_code": float(response.status_code), "latency_ms": latency_ms}
    artifacts = {"response": response.content} if response.content else {}
    failures = _check(spec.expect, response, body, latency_ms)
    if failures:
        outputs["failures"] = failures
        summary = f"{request_line}: {expect.summarize(failures)}"
        return StepOutcome(StepStatus.FAILED, summary, outputs=outputs, metrics=metrics, artifacts=artifacts)
    summary = f"{request_line} → {response.status_code} in {latency_ms:g} ms"
    return StepOutcome(StepStatus.PASSED, summary, outputs=outputs, metrics=metrics, artifacts=artifacts)
