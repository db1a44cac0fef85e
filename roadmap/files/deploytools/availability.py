"""Availability of an endpoint, sampled: the share of requests answered healthy, in percent.

    python -m deploytools.availability URL [--requests N] [--target 99.9] [--expect-json status=healthy]

A sample counts as up when it gets a 2xx answer within the timeout and, with
``--expect-json``, the JSON body has that value. Prints ``::metric
uptime_pct=…`` (the line luckyctl records as a metric) and exits 1 below the
target, 2 on a usage error.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import urllib.error
import urllib.request
from collections import Counter
from dataclasses import dataclass, field


@dataclass
class Sample:
    requests: int = 0
    up: int = 0
    reasons: Counter[str] = field(default_factory=Counter)

    @property
    def uptime_pct(self) -> float:
        return round(100.0 * self.up / self.requests, 3) if self.requests else 0.0


def probe_once(url: str, timeout: float, expected: dict[str, str]) -> str | None:
    """None when the endpoint answered healthy, else why not."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            body = response.read()
    except urllib.error.HTTPError as error:
        return f"HTTP {error.code}"
    except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
        return type(getattr(error, "reason", error)).__name__
    if expected:
        try:
            document = json.loads(body)
        except ValueError:
            return "body is not JSON"
        for key, value in expected.items():
            if str(document.get(key)) != value:
                return f"{key}={document.get(key)}"
    return None


def sample(url: str, requests: int, *, timeout: float = 5.0, interval_s: float = 0.0,
           expected: dict[str, str] | None = None) -> Sample:
    result = Sample()
    for index in range(requests):
        if index and interval_s:
            time.sleep(interval_s)
        reason = probe_once(url, timeout, expected or {})
        result.requests += 1
        if reason is None:
            result.up += 1
        else:
            result.reasons[reason] += 1
    return result


def _pair(text: str) -> tuple[str, str]:
    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key, value


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="availability", description=__doc__.splitlines()[0])
    parser.add_argument("url")
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--target", type=float, default=99.9, help="minimum uptime in percent")
    parser.add_argument("--timeout", type=float, default=5.0)
    parser.add_argument("--interval", type=float, default=0.0, help="seconds between samples")
    parser.add_argument("--expect-json", type=_pair, action="append", default=[], metavar="KEY=VALUE")
    args = parser.parse_args(argv)
    if args.requests < 1:
        parser.error("--requests must be at least 1")
    result = sample(args.url, args.requests, timeout=args.timeout, interval_s=args.interval,
                    expected=dict(args.expect_json))
    print(f"{result.up} of {result.requests} samples of {args.url} healthy")
    for reason, count in result.reasons.most_common():
        print(f"  {count} x {reason}")
    print(f"::metric uptime_pct={result.uptime_pct}")
    if result.uptime_pct < args.target:
        print(f"uptime {result.uptime_pct} % is below the target of {args.target} %", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
