"""Check a Grafana dashboard against what the API really exposes on /metrics.

    python -m deploytools.dashboard DASHBOARD.json METRICS_URL

A panel that queries a metric the service does not export stays empty and
nobody notices until an incident. This reads every Prometheus query of the
dashboard, takes the metric names out of it and looks each up in one scrape
of ``METRICS_URL``. Panels of other data sources (Cloud Monitoring for Cloud
SQL and Memorystore) are counted, not checked. Exits 1 when a metric is
missing, 2 when the inputs cannot be read; prints ``::metric
dashboard_missing_metrics=N``.
"""

from __future__ import annotations

import json
import re
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

_STRING = re.compile(r'"(?:\\.|[^"\\])*"')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\]]*\]")
_GROUPING = re.compile(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)")
_NAME = re.compile(r"[A-Za-z_:][A-Za-z0-9_:]*")
_KEYWORDS = {"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "and", "or", "unless", "offset",
             "inf", "nan"}


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (function names, labels and keywords left out)."""
    text = _GROUPING.sub(" ", _RANGE.sub(" ", _MATCHERS.sub(" ", _STRING.sub(" ", expr))))
    names = set()
    for match in _NAME.finditer(text):
        rest = text[match.end():].lstrip()
        if rest.startswith("(") or match.group().lower() in _KEYWORDS:
            continue
        if match.start() and (text[match.start() - 1].isdigit() or text[match.start() - 1] == "."):
            continue  # the tail of a number such as 1e3
        names.add(match.group())
    return names


def panels(dashboard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for panel in dashboard.get("panels", []):
        yield panel
        yield from panels(panel)  # rows hold panels of their own


def _source(panel: dict[str, Any], target: dict[str, Any]) -> str:
    datasource = target.get("datasource") or panel.get("datasource") or {}
    return str(datasource.get("type", "")) if isinstance(datasource, dict) else str(datasource)


def queries(dashboard: dict[str, Any]) -> tuple[list[str], int]:
    """The Prometheus expressions, and how many targets use another data source."""
    exprs, others = [], 0
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            if _source(panel, target) == "prometheus" and target.get("expr"):
                exprs.append(target["expr"])
            else:
                others += 1
    return exprs, others


def exported(exposition: str) -> set[str]:
    """Sample and family names in a Prometheus text exposition."""
    names = set()
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            names.add(line.split()[2])
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names


def missing(dashboard: dict[str, Any], exposition: str) -> dict[str, list[str]]:
    """Metric name -> titles of the panels that query it, for every name the scrape lacks."""
    available = exported(exposition)
    absent: dict[str, list[str]] = {}
    for panel in panels(dashboard):
        for target in panel.get("targets", []):
            if _source(panel, target) != "prometheus":
                continue
            for name in sorted(metric_names(target.get("expr", "")) - available):
                absent.setdefault(name, []).append(panel.get("title", "untitled"))
    return absent


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 2:
        print("usage: python -m deploytools.dashboard DASHBOARD.json METRICS_URL", file=sys.stderr)
        return 2
    try:
        dashboard = json.loads(Path(args[0]).read_text(encoding="utf-8"))
        with urllib.request.urlopen(args[1], timeout=10) as response:
            exposition = response.read().decode("utf-8", "replace")
    except (OSError, ValueError, urllib.error.URLError) as error:
        print(f"cannot read the inputs: {error}", file=sys.stderr)
        return 2
    exprs, others = queries(dashboard)
    absent = missing(dashboard, exposition)
    for name, titles in sorted(absent.items()):
        print(f"missing metric {name} (panels: {', '.join(titles)})")
    print(f"{dashboard.get('title', 'dashboard')}: {len(exprs)} Prometheus queries checked, "
          f"{others} queries of other data sources")
    print(f"::metric dashboard_missing_metrics={len(absent)}")
    return 1 if absent or not exprs else 0


if __name__ == "__main__":
    sys.exit(main())
