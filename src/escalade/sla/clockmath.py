"""Pure arithmetic of one SLA clock (no Django): thresholds, due time, what fires next.

A clock has a target in business seconds, the business seconds already used, and, while
running, the instant since which more time is being used. Thresholds are points on the
used-time axis: each warning at a percentage of the target or a number of seconds
before it, and the breach at the target itself. Mapping a threshold back to a wall-clock
instant is one ``add_business_time`` on the clock's calendar.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

BREACH = "breach"


class Calendar(Protocol):
    def add_business_time(self, start: datetime, seconds: int) -> datetime: ...
    def business_seconds_between(self, a: datetime, b: datetime) -> int: ...


@dataclass(frozen=True)
class Threshold:
    key: str  # "75%", "900s-before" or "breach"
    used_seconds: int  # business seconds used when it is reached


@dataclass(frozen=True)
class ClockReading:
    used_seconds: int
    running_since: datetime | None
    target_seconds: int


def thresholds(target_seconds: int, warn_at: Iterable[dict]) -> list[Threshold]:
    """The clock's thresholds in the order they are reached, breach last.

    A warning that would fall at or before zero used time, or at or after the breach,
    is dropped: it could never be a warning.
    """
    found: dict[str, int] = {}
    for rule in warn_at:
        if "percent" in rule:
            percent = float(rule["percent"])
            key = f"{percent:g}%"
            at = int(target_seconds * percent / 100)
        else:
            before = int(rule["seconds_before"])
            key = f"{before}s-before"
            at = target_seconds - before
        if 0 < at < target_seconds:
            found[key] = at
    ordered = sorted(found.items(), key=lambda item: (item[1], item[0]))
    return [Threshold(key, at) for key, at in ordered] + [Threshold(BREACH, target_seconds)]


def used_at(reading: ClockReading, calendar: Calendar, now: datetime) -> int:
    if reading.running_since is None or now <= reading.running_since:
        return reading.used_seconds
    return reading.used_seconds + calendar.business_seconds_between(reading.running_since, now)


def instant_of(reading: ClockReading, calendar: Calendar, used_seconds: int) -> datetime | None:
    """When the clock reaches ``used_seconds`` of business time; None if it is not running.

    A point already passed (a target lowered mid-flight below the time used) is reached
    at ``running_since``: it fires at the next sweep rather than never.
    """
    if reading.running_since is None:
        return None
    remaining = used_seconds - reading.used_seconds
    if remaining <= 0:
        return reading.running_since
    return calendar.add_business_time(reading.running_since, remaining)


def due_at(reading: ClockReading, calendar: Calendar) -> datetime | None:
    return instant_of(reading, calendar, reading.target_seconds)


def next_unfired(
    reading: ClockReading, calendar: Calendar, points: Sequence[Threshold], fired: Iterable[str]
) -> tuple[Threshold, datetime] | None:
    done = set(fired)
    for point in points:
        if point.key in done:
            continue
        at = instant_of(reading, calendar, point.used_seconds)
        return None if at is None else (point, at)
    return None


def reached(
    reading: ClockReading,
    calendar: Calendar,
    points: Sequence[Threshold],
    fired: Iterable[str],
    now: datetime,
) -> list[tuple[Threshold, datetime]]:
    """Thresholds reached by ``now`` and not fired yet, each with the instant it was reached."""
    done = set(fired)
    used = used_at(reading, calendar, now)
    result = []
    for point in points:
        if point.key in done or point.used_seconds > used:
            continue
        at = instant_of(reading, calendar, point.used_seconds)
        if at is not None:
            result.append((point, min(at, now)))
    return result
