"""A short-lived in-process cache for configuration the hot paths read on every ticket.

SLA policies, calendars and escalation rules change rarely and are read many times per
ticket by the worker. They are cached per process for ``TTL_SECONDS``; the services that
save them clear the cache at once in their own process, and other processes (the worker,
other web processes) see a change within the TTL.
"""

import threading
import time
from collections.abc import Callable
from typing import Any

TTL_SECONDS = 5.0
_entries: dict[str, tuple[float, Any]] = {}
_lock = threading.Lock()


def cached(key: str, load: Callable[[], Any]) -> Any:
    now = time.monotonic()
    with _lock:
        entry = _entries.get(key)
        if entry is not None and now - entry[0] < TTL_SECONDS:
            return entry[1]
    value = load()
    with _lock:
        _entries[key] = (now, value)
    return value


def clear() -> None:
    with _lock:
        _entries.clear()
