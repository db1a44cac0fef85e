"""Durations as the roadmap writes them: ``3h``, ``1d``, ``60s``, ``7d``.

Two readings of ``d`` exist on purpose: an *estimate* counts working hours
(1d = 8h), while a *timeout* or an *evidence age* counts wall-clock time
(1d = 24h).
"""

from __future__ import annotations

import re

WORK_DAY_HOURS = 8.0

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)?\s*$")
_WALL_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def _split(text: str | int | float, default_unit: str) -> tuple[float, str]:
    if isinstance(text, bool):
        raise ValueError(f"expected a duration like '3h', got {text!r}")
    if isinstance(text, int | float):
        return float(text), default_unit
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"expected a duration like '3h', '1d' or '60s', got {text!r}")
    return float(match.group(1)), match.group(2) or default_unit


def work_hours(text: str | int | float) -> float:
    """An estimate in working hours: ``3h`` → 3.0, ``1d`` → 8.0, ``1w`` → 40.0."""
    amount, unit = _split(text, "h")
    factors = {"m": 1 / 60, "h": 1.0, "d": WORK_DAY_HOURS, "w": 5 * WORK_DAY_HOURS}
    if unit not in factors:
        raise ValueError(f"an estimate is in m, h, d or w, got {text!r}")
    return amount * factors[unit]


def wall_seconds(text: str | int | float) -> float:
    """A wall-clock span in seconds: ``60s`` → 60.0, ``7d`` → 604800.0."""
    amount, unit = _split(text, "s")
    return amount * _WALL_SECONDS[unit]


def format_seconds(seconds: float) -> str:
    """The shortest readable form: ``0.4s``, ``12s``, ``3m20s``, ``2h05m``, ``3d4h``."""
    if seconds < 10:
        return f"{seconds:.1f}s"
    if seconds < 60:
        return f"{seconds:.0f}s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours}h"


def format_hours(hours: float) -> str:
    """Working hours as the roadmap writes them: ``3h``, ``1.5h``."""
    return f"{hours:g}h"
