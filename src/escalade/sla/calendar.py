"""Business-hours calendars: when is a team open, and how much open time lies between two instants.

Pure Python (no Django), so SLA clocks, the escalation engine and the tests share one definition.
The exact semantics, DST rules and costs are in docs/sla-calendar.md.

How it answers quickly: a calendar lazily builds, per UTC year, the sorted list of its open
intervals as UTC epoch seconds (merged, never overlapping) plus a prefix sum of business seconds
before each interval. "How much open time before t" and "when has s seconds of open time passed"
are then one bisect each; only queries that cross a UTC new year walk from year to year.
"""

from __future__ import annotations

import operator
import re
from bisect import bisect_left, bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from escalade.core.messages import _, ngettext

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
ALWAYS = "24/7"
MINUTES_PER_DAY = 24 * 60
# add_business_time / next_open give up after this many consecutive years without open time.
SEARCH_LIMIT_YEARS = 10
# The UTC years we can index: year Y needs local dates from Y-1 and Y+1 (datetime stops at 1..9999).
MIN_YEAR = 2
MAX_YEAR = 9998

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_SECOND = timedelta(seconds=1)
EPOCH_ORDINAL = EPOCH.date().toordinal()
SECONDS_PER_DAY = 86_400

# (start, end) in minutes after local midnight of the day the interval starts on;
# start < end <= start + 1440, so an overnight interval has end > 1440.
Interval = tuple[int, int]
FULL_DAY: tuple[Interval, ...] = ((0, MINUTES_PER_DAY),)
ALWAYS_OPEN_WEEK = (FULL_DAY,) * 7

SPEC_FIELDS = ("timezone", "hours", "holidays", "closed", "extra_open")
_INTERVAL_PATTERN = re.compile(r"(\d\d):(\d\d)-(\d\d):(\d\d)")
_DATE_PATTERN = re.compile(r"\d{4}-\d\d-\d\d")


class CalendarError(ValueError):
    """An invalid spec (the message names the field), or a search that found no open time."""


@dataclass(frozen=True)
class BusinessCalendar:
    """Open hours of one team in one time zone. Build it with `from_spec`; instances are immutable,
    hashable and equal when their normalised specs are equal."""

    timezone: str
    weekly_hours: tuple[tuple[Interval, ...], ...]  # 7 entries, Monday first
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    closed: tuple[tuple[date, date], ...] = ()  # inclusive (first, last) local dates
    extra_open: tuple[tuple[date, tuple[Interval, ...]], ...] = ()
    _timeline: _Timeline = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "_timeline", _Timeline(self))

    # -- construction ----------------------------------------------------------------------------

    @classmethod
    def from_spec(cls, spec: dict) -> BusinessCalendar:
        """Validate a spec dict (YAML / JSON column format) and return the calendar.

        Equal specs return the same shared instance, so its per-year index is built only once.
        """
        return _shared(_parse_spec(spec))

    @classmethod
    def always_open(cls) -> BusinessCalendar:
        """Open 24 hours a day, every day, in UTC, with no holidays."""
        return _shared(cls(timezone="UTC", weekly_hours=ALWAYS_OPEN_WEEK))

    def to_spec(self) -> dict:
        """The normalised spec: `from_spec(calendar.to_spec()) == calendar`."""
        if self.weekly_hours == ALWAYS_OPEN_WEEK:
            hours: str | dict = ALWAYS
        else:
            hours = {
                day: [_format_interval(interval) for interval in intervals]
                for day, intervals in zip(WEEKDAYS, self.weekly_hours, strict=True)
                if intervals
            }
        spec: dict = {"timezone": self.timezone, "hours": hours}
        if self.holiday_country is not None:
            spec["holidays"] = {
                "country": self.holiday_country,
                "subdivision": self.holiday_subdivision,
            }
        if self.closed:
            spec["closed"] = [_format_date_range(first, last) for first, last in self.closed]
        if self.extra_open:
            spec["extra_open"] = {
                day.isoformat(): [_format_interval(interval) for interval in intervals]
                for day, intervals in self.extra_open
            }
        return spec

    # -- queries ---------------------------------------------------------------------------------

    def add_business_time(self, start: datetime, seconds: int) -> datetime:
        """The earliest instant d with business_seconds_between(start, d) == seconds (UTC).

        seconds == 0 returns start itself, even when closed. Raises CalendarError when the
        calendar has no open time for SEARCH_LIMIT_YEARS consecutive years.
        """
        seconds = operator.index(seconds)
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds}")
        instant = _to_epoch(start)
        if seconds:
            instant = self._timeline.add(instant, seconds)
        return _from_epoch(instant)

    def business_seconds_between(self, a: datetime, b: datetime) -> int:
        """Open seconds in [a, b); 0 when b <= a."""
        return self._timeline.between(_to_epoch(a), _to_epoch(b))

    def is_open(self, at: datetime) -> bool:
        """Whether the second starting at `at` is open (intervals are half-open [start, end))."""
        return self._timeline.is_open(_to_epoch(at))

    def next_open(self, at: datetime) -> datetime:
        """`at` itself (in UTC) if open, else the start of the next open interval."""
        return _from_epoch(self._timeline.next_open(_to_epoch(at)))

    # -- what a local date looks like ------------------------------------------------------------

    def intervals_on(self, day: date) -> tuple[Interval, ...]:
        """The local intervals that start on `day`, after holidays, closures and extra openings."""
        extra = self._timeline.extra_open_by_date.get(day)
        if extra is not None:
            return extra
        if self._timeline.is_holiday(day) or any(
            first <= day <= last for first, last in self.closed
        ):
            return ()
        return self.weekly_hours[day.weekday()]


@lru_cache(maxsize=256)
def _shared(calendar: BusinessCalendar) -> BusinessCalendar:
    """Intern equal calendars so that their lazily built year indexes are shared."""
    return calendar


# -- the index ----------------------------------------------------------------------------------


class _YearIndex:
    """Open time of one UTC year: merged intervals as epoch seconds, clipped to the year."""

    __slots__ = ("elapsed_before", "ends", "starts", "total")

    def __init__(self, intervals: list[tuple[int, int]]) -> None:
        self.starts: list[int] = []
        self.ends: list[int] = []
        for start, end in sorted(intervals):
            if self.ends and start <= self.ends[-1]:
                self.ends[-1] = max(self.ends[-1], end)
            else:
                self.starts.append(start)
                self.ends.append(end)
        # elapsed_before[i]: open seconds of the year before interval i; the last one is the total.
        self.elapsed_before = [0]
        for start, end in zip(self.starts, self.ends, strict=True):
            self.elapsed_before.append(self.elapsed_before[-1] + end - start)
        self.total = self.elapsed_before[-1]

    def elapsed_until(self, instant: int) -> int:
        """Open seconds between the start of the year and `instant`."""
        i = bisect_right(self.starts, instant) - 1
        if i < 0:
            return 0
        return self.elapsed_before[i] + min(instant, self.ends[i]) - self.starts[i]

    def instant_after(self, elapsed: int) -> int:
        """The earliest instant whose elapsed_until is `elapsed`; needs 0 < elapsed <= total."""
        i = bisect_left(self.elapsed_before, elapsed) - 1
        return self.starts[i] + elapsed - self.elapsed_before[i]


class _Timeline:
    """The lazily built per-year indexes of one calendar (and its holiday cache)."""

    def __init__(self, calendar: BusinessCalendar) -> None:
        self.calendar = calendar
        self.zone = ZoneInfo(calendar.timezone)
        self.extra_open_by_date = dict(calendar.extra_open)
        # Filled lazily; a race between threads only builds the same year twice.
        self.years: dict[int, _YearIndex] = {}
        self.holidays_by_year: dict[int, frozenset[date]] = {}

    def add(self, instant: int, seconds: int) -> int:
        year = _utc_year(instant)
        index = self.year(year)
        remaining = index.elapsed_until(instant) + seconds  # counted from the start of the year
        empty_years = 0
        while remaining > index.total:
            remaining -= index.total
            empty_years = empty_years + 1 if index.total == 0 else 0
            if empty_years >= SEARCH_LIMIT_YEARS:
                message = ngettext(
                    "no open time in the %(years)d year to the end of %(year)d (UTC)",
                    "no open time in the %(years)d years to the end of %(year)d (UTC)",
                    SEARCH_LIMIT_YEARS,
                )
                raise CalendarError(message % {"years": SEARCH_LIMIT_YEARS, "year": year})
            year += 1
            index = self.year(year)
        return index.instant_after(remaining)

    def between(self, a: int, b: int) -> int:
        if b <= a:
            return 0
        first_year, last_year = _utc_year(a), _utc_year(b)
        first = self.year(first_year)
        if first_year == last_year:
            return first.elapsed_until(b) - first.elapsed_until(a)
        seconds = first.total - first.elapsed_until(a)
        for year in range(first_year + 1, last_year):
            seconds += self.year(year).total
        return seconds + self.year(last_year).elapsed_until(b)

    def is_open(self, instant: int) -> bool:
        index = self.year(_utc_year(instant))
        i = bisect_right(index.starts, instant) - 1
        return i >= 0 and instant < index.ends[i]

    def next_open(self, instant: int) -> int:
        year = _utc_year(instant)
        index = self.year(year)
        i = bisect_right(index.starts, instant) - 1
        if i >= 0 and instant < index.ends[i]:
            return instant
        i += 1
        last_year = year + SEARCH_LIMIT_YEARS - 1
        while i == len(index.starts):
            if year == last_year:
                after = _from_epoch(instant).isoformat()
                message = _("no open time from %(after)s to the end of %(year)d (UTC)")
                raise CalendarError(message % {"after": after, "year": year})
            year += 1
            index = self.year(year)
            i = 0
        return index.starts[i]

    def year(self, year: int) -> _YearIndex:
        index = self.years.get(year)
        if index is None:
            index = self.years[year] = self._build_year(year)
        return index

    def _build_year(self, year: int) -> _YearIndex:
        if not MIN_YEAR <= year <= MAX_YEAR:
            message = _("year %(year)d is outside the supported years %(first)d..%(last)d")
            raise CalendarError(message % {"year": year, "first": MIN_YEAR, "last": MAX_YEAR})
        year_start = _utc_epoch(year)
        year_end = _utc_epoch(year + 1)
        # Local dates whose intervals can reach into this UTC year: UTC offsets stay within ±15 h
        # and an interval ends less than two days after its local midnight.
        day = date(year, 1, 1) - timedelta(days=3)
        last_day = date(year + 1, 1, 1) + timedelta(days=1)
        intervals = []
        while day <= last_day:
            local_midnight = datetime(day.year, day.month, day.day, tzinfo=self.zone)
            for start_minute, end_minute in self.calendar.intervals_on(day):
                # Aware + timedelta is wall-clock arithmetic with fold=0: a skipped wall time is
                # read with the offset before the change (moves forward), a repeated one is
                # its first occurrence.
                start = int((local_midnight + timedelta(minutes=start_minute)).timestamp())
                end = int((local_midnight + timedelta(minutes=end_minute)).timestamp())
                start, end = max(start, year_start), min(end, year_end)
                if start < end:
                    intervals.append((start, end))
            day += timedelta(days=1)
        return _YearIndex(intervals)

    def is_holiday(self, day: date) -> bool:
        if self.calendar.holiday_country is None:
            return False
        dates = self.holidays_by_year.get(day.year)
        if dates is None:
            dates = self.holidays_by_year[day.year] = frozenset(
                holidays.country_holidays(
                    self.calendar.holiday_country,
                    subdiv=self.calendar.holiday_subdivision,
                    years=day.year,
                )
            )
        return day in dates


# -- epoch seconds ------------------------------------------------------------------------------


def _to_epoch(moment: datetime) -> int:
    """Whole UTC epoch seconds; microseconds are truncated (floored)."""
    if not isinstance(moment, datetime):
        raise TypeError(f"expected a datetime, got {type(moment).__name__}")
    if moment.utcoffset() is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: pass a timezone-aware datetime")
    return (moment - EPOCH) // ONE_SECOND


def _from_epoch(instant: int) -> datetime:
    return EPOCH + timedelta(seconds=instant)


def _utc_year(instant: int) -> int:
    return date.fromordinal(EPOCH_ORDINAL + instant // SECONDS_PER_DAY).year


def _utc_epoch(year: int) -> int:
    """Epoch seconds of 1 January `year`, 00:00 UTC."""
    return (date(year, 1, 1).toordinal() - EPOCH_ORDINAL) * SECONDS_PER_DAY


# -- spec parsing -------------------------------------------------------------------------------


def _invalid(where: str, message: str) -> CalendarError:
    """An error in the spec, located by the path of the field ("hours.mon[0]")."""
    return CalendarError(f"{where}: {message}")


def _parse_spec(spec: dict) -> BusinessCalendar:
    if not isinstance(spec, dict):
        raise _invalid(
            "calendar", _("expected a mapping, got %(type)s") % {"type": type(spec).__name__}
        )
    for key in spec:
        if key not in SPEC_FIELDS:
            message = _("unknown field (expected one of %(fields)s)")
            raise _invalid(key, message % {"fields": ", ".join(SPEC_FIELDS)})
    country, subdivision = _parse_holidays(spec.get("holidays"))
    return BusinessCalendar(
        timezone=_parse_timezone(spec.get("timezone")),
        weekly_hours=_parse_hours(spec.get("hours")),
        holiday_country=country,
        holiday_subdivision=subdivision,
        closed=_parse_closed(spec.get("closed")),
        extra_open=_parse_extra_open(spec.get("extra_open")),
    )


def _parse_timezone(name: object) -> str:
    if name is None:
        raise _invalid("timezone", _("required (an IANA name such as 'Europe/Oslo')"))
    if not isinstance(name, str):
        raise _invalid("timezone", _("expected an IANA name, got %(value)r") % {"value": name})
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        message = _("%(value)r is not an IANA time zone") % {"value": name}
        raise _invalid("timezone", message) from None
    return name


def _parse_hours(hours: object) -> tuple[tuple[Interval, ...], ...]:
    if hours == ALWAYS:
        return ALWAYS_OPEN_WEEK
    if not isinstance(hours, dict):
        message = _("expected %(always)r or a mapping of weekday to intervals, got %(value)r")
        raise _invalid("hours", message % {"always": ALWAYS, "value": hours})
    for day in hours:
        if day not in WEEKDAYS:
            message = _("unknown weekday (use %(days)s)") % {"days": ", ".join(WEEKDAYS)}
            raise _invalid(f"hours.{day}", message)
    return tuple(_parse_intervals(hours.get(day), f"hours.{day}") for day in WEEKDAYS)


def _parse_intervals(texts: object, where: str) -> tuple[Interval, ...]:
    if texts is None:
        return ()
    if not isinstance(texts, list | tuple):
        message = _("expected a list of 'HH:MM-HH:MM' strings, got %(value)r")
        raise _invalid(where, message % {"value": texts})
    return tuple(sorted({_parse_interval(text, f"{where}[{i}]") for i, text in enumerate(texts)}))


def _parse_interval(text: object, where: str) -> Interval:
    match = _INTERVAL_PATTERN.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise _invalid(where, _("%(value)r is not HH:MM-HH:MM") % {"value": text})
    start_hour, start_min, end_hour, end_min = map(int, match.groups())
    start = start_hour * 60 + start_min
    end = end_hour * 60 + end_min
    if start_hour > 23 or start_min > 59 or end_min > 59 or end > MINUTES_PER_DAY:
        raise _invalid(where, _("%(value)r is not HH:MM-HH:MM") % {"value": text})
    if end <= start:  # crosses midnight into the next day
        end += MINUTES_PER_DAY
    return start, end


def _parse_holidays(value: object) -> tuple[str | None, str | None]:
    if value is None:
        return None, None
    if not isinstance(value, dict):
        message = _("expected a mapping with 'country', got %(value)r") % {"value": value}
        raise _invalid("holidays", message)
    for key in value:
        if key not in ("country", "subdivision"):
            message = _("unknown field (expected one of %(fields)s)")
            raise _invalid(f"holidays.{key}", message % {"fields": "country, subdivision"})
    country = value.get("country")
    subdivision = value.get("subdivision")
    if not isinstance(country, str):
        message = _("expected a country code such as 'NO', got %(value)r")
        raise _invalid("holidays.country", message % {"value": country})
    if subdivision is not None and not isinstance(subdivision, str):
        message = _("expected a string or null, got %(value)r") % {"value": subdivision}
        raise _invalid("holidays.subdivision", message)
    if country not in holidays.list_supported_countries():
        message = _("%(value)r is not supported by the holidays package") % {"value": country}
        raise _invalid("holidays.country", message)
    if not _is_holiday_region(country, subdivision):
        message = _("%(value)r is not a subdivision of %(country)s")
        raise _invalid("holidays.subdivision", message % {"value": subdivision, "country": country})
    return country, subdivision


@lru_cache(maxsize=512)
def _is_holiday_region(country: str, subdivision: str | None) -> bool:
    # Building a holidays object is the authoritative check (it knows subdivision aliases), but it
    # costs ~0.1 ms and specs are parsed again on every SLA recomputation.
    try:
        holidays.country_holidays(country, subdiv=subdivision)
    except NotImplementedError:
        return False
    return True


def _parse_closed(value: object) -> tuple[tuple[date, date], ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        message = _("expected a list of dates or date ranges, got %(value)r")
        raise _invalid("closed", message % {"value": value})
    ranges = set()
    for i, item in enumerate(value):
        where = f"closed[{i}]"
        if isinstance(item, str) and ".." in item:
            first_text, last_text = item.split("..", 1)
            first, last = _parse_date(first_text, where), _parse_date(last_text, where)
            if last < first:
                raise _invalid(where, _("%(value)r ends before it starts") % {"value": item})
        else:
            first = last = _parse_date(item, where)
        ranges.add((first, last))
    return tuple(sorted(ranges))


def _parse_extra_open(value: object) -> tuple[tuple[date, tuple[Interval, ...]], ...]:
    if value is None:
        return ()
    if not isinstance(value, dict):
        message = _("expected a mapping of date to intervals, got %(value)r")
        raise _invalid("extra_open", message % {"value": value})
    days = {}
    for key, texts in value.items():
        day = _parse_date(key, f"extra_open.{key}")
        if day in days:
            raise _invalid(f"extra_open.{key}", _("date listed twice"))
        intervals = _parse_intervals(texts, f"extra_open.{key}")
        if not intervals:
            message = _("list at least one interval (use 'closed' to close)")
            raise _invalid(f"extra_open.{key}", message)
        days[day] = intervals
    return tuple(sorted(days.items()))


def _parse_date(value: object, where: str) -> date:
    # YAML loaders turn unquoted dates into date objects; accept those as well as strings.
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    if isinstance(value, str) and _DATE_PATTERN.fullmatch(value):
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    message = _("%(value)r is not a date (YYYY-MM-DD or YYYY-MM-DD..YYYY-MM-DD)")
    raise _invalid(where, message % {"value": value})


def _format_interval(interval: Interval) -> str:
    start, end = interval
    if end > MINUTES_PER_DAY:
        end -= MINUTES_PER_DAY
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


def _format_date_range(first: date, last: date) -> str:
    return first.isoformat() if first == last else f"{first.isoformat()}..{last.isoformat()}"
