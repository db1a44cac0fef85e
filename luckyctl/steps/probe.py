"""The ``probe`` step: ``requests`` requests to one URL, ``concurrency`` at a time.

Threads share one httpx client. A request counts as an error when it gets no
response (refused, timed out, reset) or a status of 400 or more. Latency
percentiles are nearest-rank over the requests that got a response.

Metrics (usable by KPIs): ``p50_ms``, ``p95_ms``, ``p99_ms``, ``mean_ms``,
``max_ms``, ``error_rate_pct``, ``requests`` (completed) and ``rps``.
``expect: {p95_ms, p99_ms, error_rate}`` are upper bounds, ``error_rate`` in
percent (``0.1`` means 0.1 %). The artifact ``histogram`` is JSON: latency
buckets, status counts and error kinds. The whole probe must end within the
step's timeout; what is left undone then makes it an ERROR.
"""

from __future__ import annotations

import json
import math
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from luckyctl.model import ProbeExpect, ProbeSpec, StepStatus
from luckyctl.steps import expect
from luckyctl.steps.base import StepContext, StepOutcome
from luckyctl.steps.http import describe_failure, open_client

if TYPE_CHECKING:
    import httpx

BUCKETS_MS = (1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000)
_POLL = 0.05  # how often the probe looks at the cancel event and the deadline


@dataclass
class _Tally:
    """What the workers measured; guarded by ``lock``."""

    total: int
    lock: threading.Lock = field(default_factory=threading.Lock)
    issued: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    failures: Counter[str] = field(default_factory=Counter)  # no response, by reason

    def take(self) -> bool:
        """Claim the next request; False when all are claimed."""
        with self.lock:
            if self.issued >= self.total:
                return False
            self.issued += 1
            return True

    @property
    def completed(self) -> int:
        return len(self.latencies_ms) + sum(self.failures.values())

    @property
    def errors(self) -> int:
        return sum(self.failures.values()) + sum(n for status, n in self.statuses.items() if status >= 400)


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list."""
    rank = max(1, math.ceil(pct / 100 * len(sorted_values)))
    return sorted_values[rank - 1]


def _worker(client: httpx.Client, spec: ProbeSpec, tally: _Tally, stop: threading.Event, timeout: float) -> None:
    import httpx

    while not stop.is_set() and tally.take():
        started = time.perf_counter()
        try:
            response = client.request(spec.method, spec.url, headers=spec.headers)
        except httpx.HTTPError as exc:
            with tally.lock:
                tally.failures[describe_failure(exc, spec.url, timeout)] += 1
            continue
        latency_ms = (time.perf_counter() - started) * 1000
        with tally.lock:
            tally.latencies_ms.append(latency_ms)
            tally.statuses[response.status_code] += 1


def _histogram(latencies_ms: list[float], tally: _Tally) -> bytes:
    edges = [*BUCKETS_MS, math.inf]
    counts = Counter(next(edge for edge in edges if value <= edge) for value in latencies_ms)
    document = {
        "buckets_ms": [{"le": "+Inf" if edge == math.inf else edge, "count": counts[edge]} for edge in edges],
        "statuses": {str(status): n for status, n in sorted(tally.statuses.items())},
        "failures": dict(tally.failures),
    }
    return json.dumps(document, indent=2).encode()


def _metrics(latencies_ms: list[float], tally: _Tally, elapsed: float) -> dict[str, float]:
    completed = tally.completed
    metrics = {
        "requests": float(completed),
        "error_rate_pct": round(100 * tally.errors / completed, 3) if completed else 100.0,
        "rps": round(completed / elapsed, 1) if elapsed > 0 else 0.0,
    }
    if latencies_ms:
        metrics |= {
            "p50_ms": round(percentile(latencies_ms, 50), 1),
            "p95_ms": round(percentile(latencies_ms, 95), 1),
            "p99_ms": round(percentile(latencies_ms, 99), 1),
            "mean_ms": round(sum(latencies_ms) / len(latencies_ms), 1),
            "max_ms": round(latencies_ms[-1], 1),
        }
    return metrics


def _check(expected: ProbeExpect, metrics: dict[str, float]) -> list[str]:
    bounds = [
        ("p95", metrics.get("p95_ms"), expected.p95_ms, "ms"),
        ("p99", metrics.get("p99_ms"), expected.p99_ms, "ms"),
        ("error rate", metrics["error_rate_pct"], expected.error_rate, "%"),
    ]
    failures = []
    for name, measured, bound, unit in bounds:
        if bound is not None and (failure := expect.check_upper_bound(name, measured, bound, unit)):
            failures.append(failure)
    return failures


def run_probe(spec: ProbeSpec, ctx: StepContext) -> StepOutcome:
    """Send the requests; PASSED when the percentiles and error rate are within ``expect``."""
    import httpx

    tally = _Tally(total=spec.requests)
    stop = threading.Event()
    limits = httpx.Limits(max_connections=spec.concurrency, max_keepalive_connections=spec.concurrency)
    workers = min(spec.concurrency, spec.requests)
    started = time.perf_counter()
    with (
        open_client(ctx.transport, ctx.timeout, limits=limits) as client,
        ThreadPoolExecutor(workers, "luckyctl-probe") as pool,
    ):
        futures = [pool.submit(_worker, client, spec, tally, stop, ctx.timeout) for _ in range(workers)]
        deadline = time.monotonic() + ctx.timeout
        pending = set(futures)
        while pending:
            _, pending = wait(pending, timeout=min(_POLL, max(0.0, deadline - time.monotonic())))
            if pending and (ctx.cancel.is_set() or time.monotonic() >= deadline):
                stop.set()  # workers finish the request they are in, then stop
                break
        for future in futures:
            future.result()
    elapsed = time.perf_counter() - started

    latencies_ms = sorted(tally.latencies_ms)
    metrics = _metrics(latencies_ms, tally, elapsed)
    outputs: dict[str, Any] = {
        "request": f"{spec.method} {spec.url}",
        "requests": spec.requests,
        "concurrency": spec.concurrency,
        "completed": tally.completed,
        "statuses": {str(status): n for status, n in sorted(tally.statuses.items())},
    }
    if tally.failures:
        outputs["failures"] = dict(tally.failures.most_common(5))
    artifacts = {"histogram": _histogram(latencies_ms, tally)}
    if tally.completed < spec.requests:
        reason = "cancelled" if ctx.cancel.is_set() else f"timed out after {float(ctx.timeout)!r}s"
        summary = f"{reason} with {tally.completed} of {spec.requests} requests done"
        return StepOutcome(StepStatus.ERROR, summary, outputs=outputs, metrics=metrics, artifacts=artifacts)
    failures = _check(spec.expect, metrics)
    if failures:
        outputs["expectation_failures"] = failures
        return StepOutcome(
            StepStatus.FAILED, expect.summarize(failures), outputs=outputs, metrics=metrics, artifacts=artifacts
        )
    p95 = f"p95 {metrics['p95_ms']:g} ms, " if "p95_ms" in metrics else ""
    summary = f"{tally.completed} requests, {p95}errors {metrics['error_rate_pct']:g} %"
    return StepOutcome(StepStatus.PASSED, summary, outputs=outputs, metrics=metrics, artifacts=artifacts)
