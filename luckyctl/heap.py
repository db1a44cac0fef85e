"""Keeping the cyclic garbage collector away from luckyctl's big, acyclic data.

A 10,000-task roadmap is some 100,000 objects, and analytics reads as many
evidence rows; none of them form reference cycles, so the collector would only
rescan them, again at each full collection (measured: a third of ``task plan``
and ``task analytics`` on such a roadmap). Reference counting still frees
everything as usual.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic collection while many objects are built at once (as it was when entered, after)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
