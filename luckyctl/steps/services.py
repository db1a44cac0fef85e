"""Clients shared by the steps of one run (``StepContext.services``), and closing them at its end.

The engine runs tasks on several threads and all of them share one
``services`` dict, so an entry is created under a lock, once.

Closing: when a run ends, the engine calls ``close_services(services)``. It
closes every entry that has ``close()`` (the Cloud SQL connector) or is a
context manager (``run_v2.ServicesClient`` closes its transport in
``__exit__``), and empties the dict.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, MutableMapping
from typing import Any, TypeVar

T = TypeVar("T")

_creating = threading.RLock()  # a factory may ask for another shared entry (a client for its credentials)


def shared(services: MutableMapping[str, Any], key: str, create: Callable[[], T]) -> T:
    """``services[key]``, created with ``create()`` the first time it is asked for."""
    with _creating:
        if key not in services:
            services[key] = create()
        value: T = services[key]
        return value


def close_services(services: MutableMapping[str, Any]) -> list[str]:
    """Close every closeable entry and empty ``services``; the keys whose close failed (each is still tried)."""
    failed = []
    with _creating:
        entries = list(services.items())
        services.clear()
    for key, value in entries:
        try:
            if callable(getattr(value, "close", None)):
                value.close()
            elif callable(getattr(value, "__exit__", None)):
                value.__exit__(None, None, None)
        except Exception:  # noqa: BLE001 - a client that fails to close must not stop the others from closing
            failed.append(key)
    return failed
