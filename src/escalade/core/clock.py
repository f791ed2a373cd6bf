"""The one source of "now" for domain code.

Nothing in Escalade calls ``timezone.now()`` directly: tests, ``--now`` on the CLI and
simulations replace the clock here, and every service, SLA computation and worker sweep
moves with it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta


class SystemClock:
    def now(self) -> datetime:
        return datetime.now(UTC)


class FixedClock:
    """A clock that only moves when told to."""

    def __init__(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        self._at = at.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            return self._at

    def set(self, at: datetime) -> None:
        if at.tzinfo is None:
            raise ValueError("FixedClock needs an aware datetime")
        with self._lock:
            self._at = at.astimezone(UTC)

    def advance(self, delta: timedelta | None = None, **kwargs: float) -> datetime:
        with self._lock:
            self._at += delta if delta is not None else timedelta(**kwargs)
            return self._at


_clock: SystemClock | FixedClock = SystemClock()


def now() -> datetime:
    return _clock.now()


def install(clock: SystemClock | FixedClock) -> None:
    global _clock
    _clock = clock


@contextmanager
def frozen(at: datetime) -> Iterator[FixedClock]:
    """Run a block with time fixed at ``at`` (and movable with ``advance``)."""
    previous = _clock
    clock = FixedClock(at)
    install(clock)
    try:
        yield clock
    finally:
        install(previous)


def parse_instant(text: str) -> datetime:
    """Parse an ISO 8601 instant as given on the command line; it must carry an offset."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise ValueError(f"{text!r} has no time zone offset (add Z or +01:00)")
    return value.astimezone(UTC)
