"""Business calendar: properties against a minute-by-minute oracle, plus hand-computed cases.

No database and no Django: the calendar is a pure module.
"""

from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from zoneinfo import ZoneInfo

import holidays
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from escalade.sla.calendar import BusinessCalendar, CalendarError

OSLO = ZoneInfo("Europe/Oslo")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OFFICE_WEEK = {day: ["08:00-16:00"] for day in WEEKDAYS[:5]}
EVERY_DAY_9_TO_5 = {day: ["09:00-17:00"] for day in WEEKDAYS}
HOUR = 3600


def local(zone: str, *fields: int) -> datetime:
    return datetime(*fields, tzinfo=ZoneInfo(zone))


def utc(*fields: int) -> datetime:
    return datetime(*fields, tzinfo=UTC)


def calendar(timezone: str = "Europe/Oslo", **spec) -> BusinessCalendar:
    return BusinessCalendar.from_spec({"timezone": timezone, **spec})


# -- the oracle -----------------------------------------------------------------------------------


@cache
def public_holidays(country: str, year: int) -> frozenset[date]:
    return frozenset(holidays.country_holidays(country, years=year))


def oracle_minutes(text: str) -> tuple[int, int]:
    start_text, end_text = text.split("-")
    start = int(start_text[:2]) * 60 + int(start_text[3:])
    end = int(end_text[:2]) * 60 + int(end_text[3:])
    return start, end if end > start else end + 24 * 60


def oracle_in_dates(text: str) -> tuple[date, date]:
    first, _, last = text.partition("..")
    return date.fromisoformat(first), date.fromisoformat(last or first)


class BruteForceCalendar:
    """Re-reads the spec independently and marks every open minute of a window: no merging,
    no prefix sums, no bisect, so it shares nothing with the implementation but zoneinfo."""

    def __init__(self, spec: dict, first_minute: int, minutes: int) -> None:
        self.spec = spec
        self.first_minute = first_minute
        self.open = [False] * minutes
        zone = ZoneInfo(spec["timezone"])
        window_start = datetime.fromtimestamp(first_minute * 60, UTC).astimezone(zone).date()
        window_end = (
            datetime.fromtimestamp((first_minute + minutes) * 60, UTC).astimezone(zone).date()
        )
        day = window_start - timedelta(days=3)
        while day <= window_end + timedelta(days=1):
            for text in self.intervals_on(day):
                start, end = oracle_minutes(text)
                self.mark(
                    self.wall_to_minute(zone, day, start), self.wall_to_minute(zone, day, end)
                )
            day += timedelta(days=1)

    @staticmethod
    def wall_to_minute(zone: ZoneInfo, day: date, minute_of_day: int) -> int:
        days, minute = divmod(minute_of_day, 24 * 60)
        wall = datetime.combine(day + timedelta(days=days), time(minute // 60, minute % 60))
        return int(wall.replace(tzinfo=zone, fold=0).timestamp()) // 60

    def intervals_on(self, day: date) -> list[str]:
        extra = self.spec.get("extra_open", {}).get(day.isoformat())
        if extra is not None:
            return extra
        country = (self.spec.get("holidays") or {}).get("country")
        if country and day in public_holidays(country, day.year):
            return []
        for text in self.spec.get("closed", []):
            first, last = oracle_in_dates(text)
            if first <= day <= last:
                return []
        hours = self.spec["hours"]
        if hours == "24/7":
            return ["00:00-24:00"]
        return hours.get(WEEKDAYS[day.weekday()], [])

    def mark(self, start_minute: int, end_minute: int) -> None:
        for minute in range(start_minute, end_minute):
            if 0 <= minute - self.first_minute < len(self.open):
                self.open[minute - self.first_minute] = True

    def between(self, a_minute: int, b_minute: int) -> int:
        return 60 * sum(self.open[a_minute - self.first_minute : b_minute - self.first_minute])

    def add(self, a_minute: int, seconds: int) -> int | None:
        """Epoch minute at which `seconds` of open time have passed; None past the window."""
        needed = seconds // 60
        for minute in range(a_minute, self.first_minute + len(self.open)):
            needed -= self.open[minute - self.first_minute]
            if needed == 0:
                return minute + 1
        return None


# -- strategies -----------------------------------------------------------------------------------

ZONES = [
    "Europe/Oslo",
    "Europe/Warsaw",
    "Europe/Rome",
    "Europe/Istanbul",
    "Asia/Shanghai",
    "UTC",
    "America/New_York",
    "America/Santiago",  # changes at midnight: 00:00 does not exist on the spring day
    "Australia/Lord_Howe",  # 30-minute DST
    "Asia/Kathmandu",  # +05:45
]
# DST changes, a holiday or two and a new year, all in 2026.
ANCHORS = [
    utc(2026, 3, 29, 1),
    utc(2026, 10, 25, 1),
    utc(2026, 3, 8, 7),
    utc(2026, 11, 1, 6),
    utc(2026, 4, 4, 15),
    utc(2026, 10, 3, 15, 30),
    utc(2026, 4, 5, 3),
    utc(2026, 9, 6, 4),
    utc(2026, 5, 17, 12),
    utc(2026, 10, 1, 4),
    utc(2026, 12, 31, 12),
    utc(2027, 1, 1),
]
WINDOW_MINUTES = 6 * 24 * 60


@st.composite
def interval_texts(draw) -> str:
    start = draw(st.integers(0, 24 * 60 - 1))
    end = draw(st.integers(0, 24 * 60))
    return f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"


@st.composite
def specs(draw) -> dict:
    spec: dict = {"timezone": draw(st.sampled_from(ZONES))}
    if draw(st.integers(0, 9)) == 0:
        spec["hours"] = "24/7"
    else:
        week = draw(
            st.dictionaries(st.sampled_from(WEEKDAYS), st.lists(interval_texts(), max_size=3))
        )
        always_open_on = draw(st.sampled_from(WEEKDAYS))  # so that add never runs out of time
        week[always_open_on] = [*week.get(always_open_on, []), draw(interval_texts())]
        spec["hours"] = week
    if draw(st.booleans()):
        spec["holidays"] = {"country": draw(st.sampled_from(["NO", "TR", "IT", "PL", "CN"]))}
    days_near_anchors = st.builds(
        lambda anchor, shift: (anchor + timedelta(days=shift)).date(),
        st.sampled_from(ANCHORS),
        st.integers(-3, 4),
    )
    closed = draw(st.lists(st.tuples(days_near_anchors, st.integers(0, 2)), max_size=2))
    if closed:
        spec["closed"] = [f"{first}..{first + timedelta(days=length)}" for first, length in closed]
    extra = draw(
        st.dictionaries(
            days_near_anchors, st.lists(interval_texts(), min_size=1, max_size=2), max_size=2
        )
    )
    if extra:
        spec["extra_open"] = {day.isoformat(): texts for day, texts in extra.items()}
    return spec


whole_minutes_near_anchors = st.builds(
    lambda anchor, minutes: anchor + timedelta(minutes=minutes),
    st.sampled_from(ANCHORS),
    st.integers(-2 * 24 * 60, 2 * 24 * 60),
)
seconds_near_anchors = st.builds(
    lambda anchor, seconds, micro: anchor + timedelta(seconds=seconds, microseconds=micro),
    st.sampled_from(ANCHORS),
    st.integers(-3 * 86_400, 3 * 86_400),
    st.integers(0, 999_999),
)
oracle_settings = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def epoch_minute(moment: datetime) -> int:
    return int(moment.timestamp()) // 60


# -- properties against the oracle (whole minutes) ------------------------------------------------


@oracle_settings
@given(spec=specs(), a=whole_minutes_near_anchors, b_minutes=st.integers(0, WINDOW_MINUTES))
def test_between_matches_the_oracle(spec, a, b_minutes):
    oracle = BruteForceCalendar(spec, epoch_minute(a), WINDOW_MINUTES)
    b = a + timedelta(minutes=b_minutes)
    expected = oracle.between(epoch_minute(a), epoch_minute(b))
    assert BusinessCalendar.from_spec(spec).business_seconds_between(a, b) == expected


@oracle_settings
@given(spec=specs(), a=whole_minutes_near_anchors, minutes=st.integers(0, 3 * 24 * 60))
def test_add_matches_the_oracle(spec, a, minutes):
    cal = BusinessCalendar.from_spec(spec)
    oracle = BruteForceCalendar(spec, epoch_minute(a), WINDOW_MINUTES)
    due = cal.add_business_time(a, minutes * 60)
    if minutes == 0:
        assert due == a
        return
    expected_minute = oracle.add(epoch_minute(a), minutes * 60)
    if expected_minute is None:  # not enough open time inside the oracle's window
        assert due >= a + timedelta(minutes=WINDOW_MINUTES)
    else:
        assert due == datetime.fromtimestamp(expected_minute * 60, UTC)


@oracle_settings
@given(spec=specs(), a=whole_minutes_near_anchors, offset=st.integers(0, WINDOW_MINUTES - 1))
def test_is_open_and_next_open_match_the_oracle(spec, a, offset):
    cal = BusinessCalendar.from_spec(spec)
    oracle = BruteForceCalendar(spec, epoch_minute(a), WINDOW_MINUTES)
    at = a + timedelta(minutes=offset)
    assert cal.is_open(at) == oracle.open[offset]
    opens_in = next((i for i, open_ in enumerate(oracle.open[offset:]) if open_), None)
    if opens_in is not None:
        assert cal.next_open(at) == at + timedelta(minutes=opens_in)


# -- properties at second precision ---------------------------------------------------------------


property_settings = settings(
    max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


@property_settings
@given(spec=specs(), a=seconds_near_anchors, seconds=st.integers(0, 5 * 86_400))
def test_between_of_add_is_the_seconds_added(spec, a, seconds):
    cal = BusinessCalendar.from_spec(spec)
    due = cal.add_business_time(a, seconds)
    assert cal.business_seconds_between(a, due) == seconds


@property_settings
@given(spec=specs(), a=seconds_near_anchors, seconds=st.integers(1, 5 * 86_400))
def test_add_is_earliest_and_never_lands_inside_closed_time(spec, a, seconds):
    cal = BusinessCalendar.from_spec(spec)
    due = cal.add_business_time(a, seconds)
    last_second = due - timedelta(seconds=1)
    # The second before the due time was business time: due is open or the end of an interval.
    assert cal.is_open(last_second)
    assert cal.business_seconds_between(a, last_second) == seconds - 1


@property_settings
@given(
    spec=specs(),
    a=seconds_near_anchors,
    seconds=st.lists(st.integers(0, 4 * 86_400), min_size=2, max_size=2),
)
def test_add_is_monotone_in_seconds(spec, a, seconds):
    cal = BusinessCalendar.from_spec(spec)
    fewer, more = sorted(seconds)
    assert cal.add_business_time(a, fewer) <= cal.add_business_time(a, more)


@property_settings
@given(spec=specs(), instants=st.lists(seconds_near_anchors, min_size=3, max_size=3))
def test_between_is_monotone_in_b_and_additive(spec, instants):
    cal = BusinessCalendar.from_spec(spec)
    a, b, c = sorted(instants)
    assert cal.business_seconds_between(a, b) <= cal.business_seconds_between(a, c)
    assert cal.business_seconds_between(a, b) + cal.business_seconds_between(
        b, c
    ) == cal.business_seconds_between(a, c)
    assert cal.business_seconds_between(c, a) == 0


@settings(max_examples=40, deadline=None)
@given(
    spec=specs(),
    a=seconds_near_anchors,
    days=st.lists(st.integers(0, 3 * 365), min_size=2, max_size=2),
)
def test_between_is_additive_over_years(spec, a, days):
    cal = BusinessCalendar.from_spec(spec)
    b, c = (a + timedelta(days=d, seconds=d * 7) for d in sorted(days))
    assert cal.business_seconds_between(a, b) + cal.business_seconds_between(
        b, c
    ) == cal.business_seconds_between(a, c)
    assert cal.business_seconds_between(a, cal.add_business_time(a, 10 * 86_400)) == 10 * 86_400


@property_settings
@given(spec=specs(), at=seconds_near_anchors)
def test_next_open_is_the_first_open_second(spec, at):
    cal = BusinessCalendar.from_spec(spec)
    opens = cal.next_open(at)
    truncated = at.replace(microsecond=0)
    assert opens >= truncated
    assert cal.is_open(opens)
    assert cal.business_seconds_between(truncated, opens) == 0
    assert (opens == truncated) == cal.is_open(at)


@property_settings
@given(spec=specs())
def test_to_spec_round_trips(spec):
    cal = BusinessCalendar.from_spec(spec)
    assert BusinessCalendar.from_spec(cal.to_spec()) == cal
    assert BusinessCalendar.from_spec(cal.to_spec()).to_spec() == cal.to_spec()


# -- DST ------------------------------------------------------------------------------------------

EU_ZONES = ["Europe/Oslo", "Europe/Warsaw", "Europe/Rome"]


@pytest.mark.parametrize("zone", EU_ZONES)
def test_spring_forward_night_is_one_hour_shorter(zone):
    cal = calendar(zone, hours={"sun": ["01:00-04:00"]})
    saturday, monday = local(zone, 2026, 3, 28), local(zone, 2026, 3, 30)
    assert cal.business_seconds_between(saturday, monday) == 2 * HOUR
    # 01:00 CET + 1 h of business time is 03:00 CEST: 02:00-03:00 never happens.
    assert cal.add_business_time(local(zone, 2026, 3, 29, 1), HOUR) == utc(2026, 3, 29, 1)


@pytest.mark.parametrize("zone", EU_ZONES)
def test_fall_back_night_is_one_hour_longer(zone):
    cal = calendar(zone, hours={"sun": ["01:00-04:00"]})
    saturday, monday = local(zone, 2026, 10, 24), local(zone, 2026, 10, 26)
    assert cal.business_seconds_between(saturday, monday) == 4 * HOUR
    # 01:00 CEST + 2 h lands on the second 02:00 (CET), 01:00 UTC.
    assert cal.add_business_time(local(zone, 2026, 10, 25, 1), 2 * HOUR) == utc(2026, 10, 25, 1)


@pytest.mark.parametrize("zone", EU_ZONES)
@pytest.mark.parametrize(("month", "day", "hours"), [(3, 28, 7), (10, 24, 9)])
def test_overnight_interval_spanning_the_change(zone, month, day, hours):
    cal = calendar(zone, hours={"sat": ["22:00-06:00"]})
    saturday_22 = local(zone, 2026, month, day, 22)
    sunday_06 = local(zone, 2026, month, day + 1, 6)
    assert cal.business_seconds_between(saturday_22 - timedelta(hours=1), sunday_06) == hours * HOUR
    assert cal.add_business_time(saturday_22, hours * HOUR) == sunday_06.astimezone(UTC)


def test_skipped_wall_time_moves_forward_by_the_gap():
    cal = calendar(hours={"sun": ["02:30-05:00"]})
    # 02:30 does not exist on 2026-03-29 in Oslo: it reads as 02:30 CET = 03:30 CEST.
    assert cal.next_open(local("Europe/Oslo", 2026, 3, 29)) == utc(2026, 3, 29, 1, 30)
    assert not cal.is_open(local("Europe/Oslo", 2026, 3, 29, 3, 15))
    assert cal.is_open(local("Europe/Oslo", 2026, 3, 29, 3, 30))
    day = cal.business_seconds_between(local("Europe/Oslo", 2026, 3, 29), utc(2026, 3, 30))
    assert day == 90 * 60
    # 02:30-03:00 reads as 03:30-03:00 CEST that night: nothing is open.
    vanished = calendar(hours={"sun": ["02:30-03:00"]})
    assert vanished.business_seconds_between(utc(2026, 3, 28), utc(2026, 3, 30)) == 0
    assert vanished.business_seconds_between(utc(2026, 4, 4), utc(2026, 4, 6)) == 30 * 60


def test_repeated_wall_time_is_its_first_occurrence():
    cal = calendar(hours={"sun": ["02:30-05:00"]})
    # 02:30 happens twice on 2026-10-25 in Oslo: the first (CEST, 00:30 UTC) opens the interval.
    assert cal.next_open(local("Europe/Oslo", 2026, 10, 25)) == utc(2026, 10, 25, 0, 30)
    day = cal.business_seconds_between(local("Europe/Oslo", 2026, 10, 25), utc(2026, 10, 26))
    assert day == 3 * HOUR + 30 * 60


@pytest.mark.parametrize(("zone", "offset"), [("Europe/Istanbul", 3), ("Asia/Shanghai", 8)])
@pytest.mark.parametrize(
    ("friday", "monday"), [((2026, 1, 9), (2026, 1, 12)), ((2026, 7, 3), (2026, 7, 6))]
)
def test_zones_without_dst_keep_one_offset(zone, offset, friday, monday):
    cal = calendar(zone, hours={day: ["09:00-18:00"] for day in WEEKDAYS[:5]})
    due = cal.add_business_time(local(zone, *friday, 17), 2 * HOUR)
    assert due == utc(*monday, 10 - offset)
    assert cal.next_open(local(zone, *monday, 7)) == utc(*monday, 9 - offset)


# -- holidays, closures, extra openings -----------------------------------------------------------


@pytest.mark.parametrize(
    ("country", "zone", "holiday", "next_open_day"),
    [
        ("NO", "Europe/Oslo", date(2026, 5, 17), date(2026, 5, 18)),  # Constitution Day
        ("TR", "Europe/Istanbul", date(2026, 10, 29), date(2026, 10, 30)),  # Republic Day
        ("IT", "Europe/Rome", date(2026, 4, 25), date(2026, 4, 26)),  # Liberation Day
        ("PL", "Europe/Warsaw", date(2026, 11, 11), date(2026, 11, 12)),  # Independence Day
        ("CN", "Asia/Shanghai", date(2026, 10, 1), date(2026, 10, 4)),  # National Day week
    ],
)
def test_public_holiday_is_skipped(country, zone, holiday, next_open_day):
    with_holidays = calendar(zone, hours=EVERY_DAY_9_TO_5, holidays={"country": country})
    without = calendar(zone, hours=EVERY_DAY_9_TO_5)
    day_start = datetime.combine(holiday, time(), tzinfo=ZoneInfo(zone))
    day_end = day_start + timedelta(days=1)
    assert without.business_seconds_between(day_start, day_end) == 8 * HOUR
    assert with_holidays.business_seconds_between(day_start, day_end) == 0
    eve_16 = day_start - timedelta(hours=8)
    due = with_holidays.add_business_time(eve_16, 2 * HOUR)
    assert due == datetime.combine(next_open_day, time(10), tzinfo=ZoneInfo(zone))


def test_overnight_shift_ends_the_next_morning():
    cal = calendar(hours={"fri": ["22:00-06:00"]})
    assert cal.is_open(local("Europe/Oslo", 2026, 11, 21, 5, 59, 59))
    assert not cal.is_open(local("Europe/Oslo", 2026, 11, 21, 6))
    due = cal.add_business_time(local("Europe/Oslo", 2026, 11, 20, 21), 8 * HOUR)
    assert due == local("Europe/Oslo", 2026, 11, 21, 6)
    week = cal.business_seconds_between(
        local("Europe/Oslo", 2026, 11, 16), local("Europe/Oslo", 2026, 11, 23)
    )
    assert week == 8 * HOUR


def test_overnight_interval_belongs_to_the_day_it_starts():
    cal = calendar(
        hours={day: ["22:00-06:00"] for day in ("wed", "thu")}, holidays={"country": "NO"}
    )
    # Thursday 2026-05-14 is Ascension Day: Wednesday night runs into it, Thursday night is off.
    wednesday = local("Europe/Oslo", 2026, 5, 13)
    assert cal.is_open(local("Europe/Oslo", 2026, 5, 14, 5))
    assert not cal.is_open(local("Europe/Oslo", 2026, 5, 14, 23))
    assert cal.business_seconds_between(wednesday, wednesday + timedelta(days=3)) == 8 * HOUR


def test_local_days_on_either_side_of_the_utc_new_year():
    # New York's 31 December evening is already 2027 in UTC.
    new_york = calendar("America/New_York", hours={day: ["18:00-23:00"] for day in WEEKDAYS})
    assert new_york.business_seconds_between(utc(2027, 1, 1), utc(2027, 1, 1, 12)) == 4 * HOUR
    # Lord Howe's 1 January (UTC+11) begins on 31 December in UTC.
    lord_howe = calendar("Australia/Lord_Howe", hours=EVERY_DAY_9_TO_5)
    assert lord_howe.business_seconds_between(utc(2026, 12, 31, 12), utc(2027, 1, 1)) == 2 * HOUR
    assert lord_howe.next_open(utc(2026, 12, 31, 12)) == utc(2026, 12, 31, 22)


def test_overnight_shift_into_a_new_year_holiday():
    cal = calendar(hours={"thu": ["22:00-06:00"]}, holidays={"country": "NO"})
    # Thursday 31 December runs into 1 January (a holiday): the shift belongs to the 31st.
    new_years_eve = local("Europe/Oslo", 2026, 12, 31)
    assert (
        cal.business_seconds_between(new_years_eve, new_years_eve + timedelta(days=2)) == 8 * HOUR
    )
    due = cal.add_business_time(local("Europe/Oslo", 2026, 12, 31, 23), 2 * HOUR)
    assert due == local("Europe/Oslo", 2027, 1, 1, 1)


def test_always_open_counts_real_seconds():
    cal = BusinessCalendar.always_open()
    start = local("Asia/Kathmandu", 2026, 11, 20, 15, 30)
    assert cal.add_business_time(start, 400 * 86_400) == start + timedelta(days=400)
    assert cal.business_seconds_between(utc(2026, 1, 1), utc(2028, 1, 1)) == 730 * 86_400
    assert cal.is_open(start)
    assert cal.next_open(start) == start
    assert cal.to_spec() == {"timezone": "UTC", "hours": "24/7"}


def test_24_7_hours_still_close_on_holidays_in_local_time():
    cal = calendar(hours="24/7", holidays={"country": "NO"})
    constitution_day = local("Europe/Oslo", 2026, 5, 17)
    assert cal.next_open(constitution_day) == local("Europe/Oslo", 2026, 5, 18)
    assert cal.business_seconds_between(utc(2026, 5, 16), utc(2026, 5, 19)) == 2 * 86_400


def test_custom_closed_dates_and_ranges():
    cal = calendar(
        hours=OFFICE_WEEK,
        holidays={"country": "NO"},
        closed=["2026-12-24", "2026-12-28..2026-12-31"],
    )
    # Open: Mon 21 - Wed 23 Dec and Mon 4 Jan. Christmas Eve and 28-31 Dec closed by the spec,
    # 25 Dec and 1 Jan are public holidays, the rest weekends.
    span = cal.business_seconds_between(
        local("Europe/Oslo", 2026, 12, 21), local("Europe/Oslo", 2027, 1, 5)
    )
    assert span == 4 * 8 * HOUR


def test_extra_open_overrides_holidays_closures_and_hours():
    cal = calendar(
        hours=OFFICE_WEEK,
        holidays={"country": "NO"},
        closed=["2026-12-21"],
        extra_open={
            "2027-05-17": ["10:00-14:00"],  # a Monday public holiday
            "2026-12-21": ["09:00-10:00"],  # a closed Monday
            "2026-12-19": ["10:00-14:00"],  # a Saturday
            "2026-12-22": ["12:00-13:00"],  # a Tuesday: replaces 08:00-16:00
        },
    )

    def day(y, m, d):
        start = local("Europe/Oslo", y, m, d)
        return cal.business_seconds_between(start, start + timedelta(days=1))

    assert day(2027, 5, 17) == 4 * HOUR
    assert day(2026, 12, 21) == HOUR
    assert day(2026, 12, 19) == 4 * HOUR
    assert day(2026, 12, 22) == HOUR
    friday_1530 = local("Europe/Oslo", 2026, 12, 18, 15, 30)
    assert cal.add_business_time(friday_1530, HOUR) == local("Europe/Oslo", 2026, 12, 19, 10, 30)


def test_vip_ticket_story():
    # Oslo office, Mon-Fri 08:00-16:00, Norwegian holidays: a VIP ticket on Friday 15:30 with a
    # one-hour target is due Monday 08:30, and its 75 % warning fires Monday 08:15.
    cal = calendar(hours=OFFICE_WEEK, holidays={"country": "NO", "subdivision": None})
    created = local("Europe/Oslo", 2026, 11, 20, 15, 30)
    due = cal.add_business_time(created, HOUR)
    assert due == local("Europe/Oslo", 2026, 11, 23, 8, 30)
    assert due.tzinfo is UTC
    assert cal.add_business_time(created, HOUR * 3 // 4) == local(
        "Europe/Oslo", 2026, 11, 23, 8, 15
    )
    assert cal.business_seconds_between(created, due) == HOUR


# -- long spans, limits, input handling -----------------------------------------------------------


def test_ticket_paused_for_two_years():
    cal = calendar(hours=OFFICE_WEEK, holidays={"country": "NO"})
    paused = local("Europe/Oslo", 2026, 11, 20, 15, 30)
    resumed = local("Europe/Oslo", 2028, 11, 20, 15, 30)
    elapsed = cal.business_seconds_between(paused, resumed)
    by_month = sum(
        cal.business_seconds_between(
            local("Europe/Oslo", 2026 + (10 + m) // 12, (10 + m) % 12 + 1, 20, 15, 30),
            local("Europe/Oslo", 2026 + (11 + m) // 12, (11 + m) % 12 + 1, 20, 15, 30),
        )
        for m in range(24)
    )
    assert elapsed == by_month
    assert 490 * 8 * HOUR < elapsed < 520 * 8 * HOUR  # about 502 working days
    assert cal.add_business_time(paused, elapsed) <= resumed


def test_adding_more_than_ten_years_of_business_time():
    cal = calendar(hours=OFFICE_WEEK, holidays={"country": "NO"})
    start = local("Europe/Oslo", 2026, 11, 20, 15, 30)
    twelve_working_years = 12 * 250 * 8 * HOUR
    due = cal.add_business_time(start, twelve_working_years)
    assert local("Europe/Oslo", 2038, 1, 1) < due < local("Europe/Oslo", 2039, 1, 1)
    assert cal.business_seconds_between(start, due) == twelve_working_years


def test_far_years_are_supported_until_the_limit():
    cal = calendar(hours=OFFICE_WEEK)
    assert cal.is_open(local("Europe/Oslo", 2300, 1, 2, 9))  # a Tuesday
    with pytest.raises(CalendarError, match="outside the supported years"):
        cal.is_open(utc(9999, 6, 1))


def test_calendar_without_open_time_raises_instead_of_looping():
    closed_for_good = calendar(hours={})
    start = local("Europe/Oslo", 2026, 11, 20)
    assert closed_for_good.business_seconds_between(start, start + timedelta(days=30)) == 0
    with pytest.raises(CalendarError, match="no open time in the 10 years to the end of 2035"):
        closed_for_good.add_business_time(start, 60)
    with pytest.raises(
        CalendarError, match=r"no open time from 2026-11-19T23:00:00\+00:00 to the end of 2035"
    ):
        closed_for_good.next_open(start)


def test_open_time_running_out_raises():
    one_day = calendar(hours={}, extra_open={"2026-12-20": ["10:00-14:00"]})
    start = local("Europe/Oslo", 2026, 12, 1)
    assert one_day.add_business_time(start, 4 * HOUR) == local("Europe/Oslo", 2026, 12, 20, 14)
    with pytest.raises(CalendarError, match="no open time"):
        one_day.add_business_time(start, 4 * HOUR + 1)


def test_microseconds_are_truncated():
    cal = calendar(hours=OFFICE_WEEK)
    just_before_close = local("Europe/Oslo", 2026, 11, 20, 15, 59, 59, 999_999)
    assert cal.is_open(just_before_close)
    assert cal.add_business_time(just_before_close, 0) == local(
        "Europe/Oslo", 2026, 11, 20, 15, 59, 59
    )
    assert cal.add_business_time(just_before_close, 1) == local("Europe/Oslo", 2026, 11, 20, 16)
    assert (
        cal.business_seconds_between(just_before_close, local("Europe/Oslo", 2026, 11, 20, 16)) == 1
    )


def test_zero_seconds_returns_start_even_when_closed():
    cal = calendar(hours=OFFICE_WEEK)
    saturday = local("Europe/Oslo", 2026, 11, 21, 12)
    assert cal.add_business_time(saturday, 0) == saturday
    assert cal.add_business_time(saturday, 0).tzinfo is UTC


def test_rejects_naive_datetimes_negative_and_fractional_seconds():
    cal = calendar(hours=OFFICE_WEEK)
    aware = local("Europe/Oslo", 2026, 11, 20, 12)
    naive = datetime(2026, 11, 20, 12)
    with pytest.raises(ValueError, match="naive"):
        cal.add_business_time(naive, 60)
    with pytest.raises(ValueError, match="naive"):
        cal.business_seconds_between(aware, naive)
    with pytest.raises(ValueError, match="naive"):
        cal.is_open(naive)
    with pytest.raises(ValueError, match="naive"):
        cal.next_open(naive)
    with pytest.raises(ValueError, match=">= 0"):
        cal.add_business_time(aware, -1)
    with pytest.raises(TypeError):
        cal.add_business_time(aware, 2700.0)


# -- spec handling --------------------------------------------------------------------------------

VALID = {"timezone": "Europe/Oslo", "hours": {"mon": ["08:00-16:00"]}}


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"hours": {"mon": ["08:00-12:00", "25:00-26:00"]}},
            "hours.mon[1]: '25:00-26:00' is not HH:MM-HH:MM",
        ),
        ({"hours": {"mon": ["08:00-24:01"]}}, "hours.mon[0]: '08:00-24:01' is not HH:MM-HH:MM"),
        ({"hours": {"mon": ["24:00-01:00"]}}, "hours.mon[0]: '24:00-01:00' is not HH:MM-HH:MM"),
        ({"hours": {"mon": ["8:00-16:00"]}}, "hours.mon[0]: '8:00-16:00' is not HH:MM-HH:MM"),
        ({"hours": {"mon": "08:00-16:00"}}, "hours.mon: expected a list"),
        ({"hours": {"monday": ["08:00-16:00"]}}, "hours.monday: unknown weekday"),
        ({"hours": "9-5"}, "hours: expected '24/7' or a mapping"),
        ({"hours": None}, "hours: expected"),
        ({"timezone": None}, "timezone: required"),
        (
            {"timezone": "Mars/Olympus_Mons"},
            "timezone: 'Mars/Olympus_Mons' is not an IANA time zone",
        ),
        ({"holidays": {"country": "XX"}}, "holidays.country: 'XX' is not supported"),
        (
            {"holidays": {"country": "NO", "subdivision": "99"}},
            "holidays.subdivision: '99' is not a subdivision of NO",
        ),
        ({"holidays": {"country": "NO", "region": "03"}}, "holidays.region: unknown field"),
        ({"holidays": "NO"}, "holidays: expected a mapping"),
        ({"closed": ["2026-02-30"]}, "closed[0]: '2026-02-30' is not a date"),
        (
            {"closed": ["2026-12-24", "2026-12-31..2026-12-27"]},
            "closed[1]: '2026-12-31..2026-12-27' ends before it starts",
        ),
        ({"closed": "2026-12-24"}, "closed: expected a list"),
        (
            {"extra_open": {"2026-12-20": ["10-14"]}},
            "extra_open.2026-12-20[0]: '10-14' is not HH:MM-HH:MM",
        ),
        ({"extra_open": {"2026-12-20": []}}, "extra_open.2026-12-20: list at least one interval"),
        (
            {"extra_open": {"20.12.2026": ["10:00-14:00"]}},
            "extra_open.20.12.2026: '20.12.2026' is not a date",
        ),
        ({"holiday": {"country": "NO"}}, "holiday: unknown field"),
    ],
)
def test_invalid_spec_names_the_field(changes, message):
    with pytest.raises(CalendarError) as raised:
        BusinessCalendar.from_spec({**VALID, **changes})
    assert message in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_spec_must_be_a_mapping():
    with pytest.raises(CalendarError, match="calendar: expected a mapping"):
        BusinessCalendar.from_spec(["Europe/Oslo"])


def test_to_spec_normalises_and_round_trips():
    spec = {
        "timezone": "Europe/Oslo",
        "hours": {
            "tue": ["13:00-17:00", "08:00-12:00"],
            "sat": ["22:00-06:00"],
            "sun": ["00:00-24:00"],
            "mon": [],
        },
        "holidays": {"country": "NO", "subdivision": "03"},
        "closed": ["2026-12-27..2026-12-31", "2026-12-24"],
        "extra_open": {"2026-12-20": ["10:00-14:00"]},
    }
    cal = BusinessCalendar.from_spec(spec)
    assert cal.to_spec() == {
        "timezone": "Europe/Oslo",
        "hours": {
            "tue": ["08:00-12:00", "13:00-17:00"],
            "sat": ["22:00-06:00"],
            "sun": ["00:00-24:00"],
        },
        "holidays": {"country": "NO", "subdivision": "03"},
        "closed": ["2026-12-24", "2026-12-27..2026-12-31"],
        "extra_open": {"2026-12-20": ["10:00-14:00"]},
    }
    assert BusinessCalendar.from_spec(cal.to_spec()) == cal


def test_full_week_of_full_days_is_24_7():
    every_day = calendar(hours={day: ["00:00-24:00"] for day in WEEKDAYS})
    assert every_day == calendar(hours="24/7")
    assert every_day.to_spec()["hours"] == "24/7"


def test_yaml_style_date_objects_are_accepted():
    as_dates = calendar(
        hours=OFFICE_WEEK,
        closed=[date(2026, 12, 24)],
        extra_open={date(2026, 12, 20): ["10:00-14:00"]},
    )
    as_text = calendar(
        hours=OFFICE_WEEK, closed=["2026-12-24"], extra_open={"2026-12-20": ["10:00-14:00"]}
    )
    assert as_dates == as_text


def test_equal_specs_share_one_instance():
    first = BusinessCalendar.from_spec({**VALID, "holidays": {"country": "NO"}})
    second = BusinessCalendar.from_spec(
        {"holidays": {"country": "NO", "subdivision": None}, **VALID}
    )
    assert first is second
    assert hash(first) == hash(second)
    assert {first: "cached"}[second] == "cached"
