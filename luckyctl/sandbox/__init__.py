"""The local sandbox: stand-ins for the Lucky Gas backend and the Google APIs, on loopback only.

Public API (imported on first use, so ``import luckyctl.sandbox`` stays cheap)::

    settings = settings_from_plan(plan_mapping, base_dir=plan_file.parent, source=plan_file)
    result = up(settings, state_dir)      # UpResult: .status, .started
    status(state_dir)                     # SandboxStatus: .services, .running, .credentials_file
    down(state_dir)                       # DownResult: .stopped, .stale

The routes, ports and fault-injection interface are described in docs/sandbox.md.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "SandboxSettings": "settings",
    "Account": "settings",
    "Role": "settings",
    "settings_from_plan": "settings",
    "up": "manager",
    "down": "manager",
    "status": "manager",
    "UpResult": "manager",
    "DownResult": "manager",
    "SandboxStatus": "manager",
    "ServiceStatus": "manager",
    "ServiceName": "manager",
    "ServiceState": "manager",
}
__all__ = [
    "Account", "DownResult", "Role", "SandboxSettings", "SandboxStatus", "ServiceName", "ServiceState",
    "ServiceStatus", "UpResult", "down", "settings_from_plan", "status", "up",
]


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'luckyctl.sandbox' has no attribute {name!r}")
    return getattr(importlib.import_module(f"luckyctl.sandbox.{_EXPORTS[name]}"), name)
