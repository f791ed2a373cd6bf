"""Business-calendar throughput: add_business_time and business_seconds_between per second.

The calendar is Oslo, three intervals per weekday, Norwegian public holidays, over 2026-2035.
Warm figures run after every year index is built; cold figures time the first call on a fresh
(non-shared) instance, which builds one year index and loads that year's holidays.
Prints one JSON object to stdout.
"""

import dataclasses
import json
import random
import time
from datetime import UTC, datetime, timedelta

from escalade.sla.calendar import BusinessCalendar

SPEC = {
    "timezone": "Europe/Oslo",
    "hours": {
        day: ["07:00-11:30", "12:00-16:00", "18:00-21:00"]
        for day in ("mon", "tue", "wed", "thu", "fri")
    },
    "holidays": {"country": "NO", "subdivision": None},
}
YEARS = 10
OPERATIONS = 200_000
REPEATS = 5


def best_rate(operation, arguments) -> float:
    """Operations per second, best of REPEATS passes over the same arguments."""
    best = float("inf")
    for _ in range(REPEATS):
        started = time.perf_counter()
        for first, second in arguments:
            operation(first, second)
        best = min(best, time.perf_counter() - started)
    return len(arguments) / best


def cold_first_call_ms(calendar: BusinessCalendar, moment: datetime) -> float:
    fresh = dataclasses.replace(calendar)  # an equal instance with an empty year cache
    started = time.perf_counter()
    fresh.add_business_time(moment, 3600)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    rng = random.Random(2026)
    calendar = BusinessCalendar.from_spec(SPEC)
    span_start = datetime(2026, 1, 1, tzinfo=UTC)
    span_seconds = YEARS * 365 * 86_400

    def random_moment() -> datetime:
        return span_start + timedelta(seconds=rng.randrange(span_seconds))

    # SLA-like targets: 15 minutes to 3 business days.
    add_arguments = [(random_moment(), rng.randrange(900, 3 * 8 * 3600)) for _ in range(OPERATIONS)]
    between_arguments = []
    for _ in range(OPERATIONS):
        start = random_moment()
        between_arguments.append((start, start + timedelta(seconds=rng.randrange(14 * 86_400))))

    cold_ms = cold_first_call_ms(calendar, span_start)  # first in this process: includes imports
    cold_again_ms = cold_first_call_ms(calendar, span_start + timedelta(days=400))

    started = time.perf_counter()
    calendar.business_seconds_between(span_start, span_start + timedelta(days=366 * (YEARS + 1)))
    build_all_years_ms = (time.perf_counter() - started) * 1000

    started = time.perf_counter()
    for _ in range(10_000):
        BusinessCalendar.from_spec(SPEC)
    from_spec_per_s = 10_000 / (time.perf_counter() - started)

    result = {
        "calendar_add_per_s": round(best_rate(calendar.add_business_time, add_arguments)),
        "calendar_between_per_s": round(
            best_rate(calendar.business_seconds_between, between_arguments)
        ),
        "calendar_from_spec_shared_per_s": round(from_spec_per_s),
        "calendar_cold_first_call_ms": round(cold_ms, 2),
        "calendar_cold_call_new_year_ms": round(cold_again_ms, 2),
        "calendar_build_years": YEARS + 1,
        "calendar_build_years_ms": round(build_all_years_ms, 2),
        "calendar_intervals_per_day": 3,
        "calendar_years": YEARS,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
