"""Opening hours with fixed datetimes (no wall clock): open/closed, next opening, speech."""

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from voice.handoff.hours import OpeningHours

NY = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
SPEC = {"mon-fri": "08:00-12:00,13:00-20:00", "sat": "09:00-13:00", "sun": "closed"}
HOURS = OpeningHours.parse(SPEC, "America/New_York", holidays=["2025-07-04"])


def ny(day: int, hour: int, minute: int = 0, month: int = 7) -> datetime:
    """A New York time in July 2025 (1 July 2025 is a Tuesday)."""
    return datetime(2025, month, day, hour, minute, tzinfo=NY)


@pytest.mark.parametrize(
    ("at", "is_open"),
    [
        (ny(1, 8), True),  # Tuesday, opening minute
        (ny(1, 7, 59), False),
        (ny(1, 11, 59), True),
        (ny(1, 12), False),  # lunch break
        (ny(1, 12, 30), False),
        (ny(1, 13), True),
        (ny(1, 19, 59), True),
        (ny(1, 20), False),  # closing minute is closed
        (ny(4, 10), False),  # Friday 4 July: holiday
        (ny(5, 10), True),  # Saturday
        (ny(5, 13), False),
        (ny(6, 10), False),  # Sunday
        (datetime(2025, 7, 1, 12, 30, tzinfo=UTC), True),  # 08:30 in New York
        (datetime(2025, 7, 1, 8, 0, tzinfo=timezone(timedelta(hours=-4))), True),
    ],
)
def test_is_open(at: datetime, is_open: bool) -> None:
    assert HOURS.is_open(at) is is_open


@pytest.mark.parametrize(
    ("at", "expected", "spoken"),
    [
        (ny(1, 10), ny(1, 10), "now"),
        (ny(1, 12, 15), ny(1, 13), "at 1 PM today"),
        (ny(1, 6), ny(1, 8), "at 8 AM today"),
        (ny(1, 21), ny(2, 8), "tomorrow at 8 AM"),
        (ny(3, 21), ny(5, 9), "on Saturday at 9 AM"),  # Friday 4 July is a holiday
        (ny(5, 14), ny(7, 8), "on Monday at 8 AM"),
        (ny(6, 23, 59), ny(7, 8), "tomorrow at 8 AM"),
    ],
)
def test_next_opening(at: datetime, expected: datetime, spoken: str) -> None:
    assert HOURS.next_opening(at) == expected
    assert HOURS.describe_next_opening(at) == spoken


@pytest.mark.parametrize(
    ("spec", "at", "spoken"),
    [
        ({"mon": "09:30-17:00"}, ny(1, 18), "on Monday at 9:30 AM"),
        ({"tue": "09:00-10:00"}, ny(1, 18), "on Tuesday the 8th at 9 AM"),
        ({"tue": "10:00-11:00"}, ny(1, 8), "at 10 AM today"),
        ({"wed": "12:00-13:00"}, ny(1, 18), "tomorrow at noon"),
        ({"tue": "15:45-16:00"}, ny(1, 15), "at 3:45 PM today"),
        ({"thu": "closed"}, ny(1, 18), "when we reopen"),
    ],
)
def test_spoken_forms(spec: dict[str, str], at: datetime, spoken: str) -> None:
    hours = OpeningHours.parse(spec, "America/New_York")
    assert hours.describe_next_opening(at) == spoken


def test_next_opening_is_within_fourteen_days() -> None:
    holidays = [f"2025-07-{day:02d}" for day in range(2, 16)]
    hours = OpeningHours.parse({"mon-sun": "09:00-17:00"}, "America/New_York", holidays=holidays)
    assert hours.next_opening(ny(1, 18)) is None
    hours = OpeningHours.parse(
        {"mon-sun": "09:00-17:00"}, "America/New_York", holidays=holidays[:-1]
    )
    assert hours.next_opening(ny(1, 18)) == ny(15, 9)


def test_result_is_in_the_configured_zone() -> None:
    opening = HOURS.next_opening(datetime(2025, 7, 2, 3, 0, tzinfo=UTC))  # Tue 23:00 in NY
    assert opening == ny(2, 8)
    assert opening is not None and opening.tzinfo == NY


class TestDaylightSaving:
    """Europe/London: clocks go forward 2024-03-31 01:00 GMT, back 2024-10-27 01:00 GMT."""

    hours = OpeningHours.parse({"mon-sun": "08:00-20:00"}, "Europe/London")

    @pytest.mark.parametrize(
        ("utc", "is_open"),
        [
            (datetime(2024, 3, 30, 7, 30, tzinfo=UTC), False),  # 07:30 GMT
            (datetime(2024, 3, 31, 7, 30, tzinfo=UTC), True),  # 08:30 BST
            (datetime(2024, 3, 31, 18, 30, tzinfo=UTC), True),  # 19:30 BST
            (datetime(2024, 3, 31, 19, 0, tzinfo=UTC), False),  # 20:00 BST
            (datetime(2024, 10, 26, 7, 30, tzinfo=UTC), True),  # 08:30 BST
            (datetime(2024, 10, 27, 7, 30, tzinfo=UTC), False),  # 07:30 GMT
            (datetime(2024, 10, 27, 19, 30, tzinfo=UTC), True),  # 19:30 GMT
        ],
    )
    def test_is_open_keeps_local_hours(self, utc: datetime, is_open: bool) -> None:
        assert self.hours.is_open(utc) is is_open

    def test_next_opening_across_spring_forward(self) -> None:
        opening = self.hours.next_opening(datetime(2024, 3, 30, 21, 0, tzinfo=UTC))
        assert opening == datetime(2024, 3, 31, 7, 0, tzinfo=UTC)  # 08:00 BST
        assert self.hours.describe_next_opening(datetime(2024, 3, 30, 21, 0, tzinfo=UTC)) == (
            "tomorrow at 8 AM"
        )

    def test_next_opening_across_fall_back(self) -> None:
        opening = self.hours.next_opening(datetime(2024, 10, 26, 21, 0, tzinfo=UTC))
        assert opening == datetime(2024, 10, 27, 8, 0, tzinfo=UTC)  # 08:00 GMT

    def test_opening_in_the_skipped_hour_is_when_clocks_go_forward(self) -> None:
        hours = OpeningHours.parse({"sun": "01:30-05:00"}, "Europe/London")
        at = datetime(2024, 3, 31, 0, 0, tzinfo=UTC)  # 00:00 GMT
        assert hours.next_opening(at) == datetime(2024, 3, 31, 1, 0, tzinfo=UTC)  # 02:00 BST
        assert hours.is_open(datetime(2024, 3, 31, 1, 0, tzinfo=UTC))


@pytest.mark.parametrize(
    ("spec", "accepted"),
    [
        ({"monday": "08:00-17:00"}, {0}),
        ({"Sat,Sun": "10:00-12:00"}, {5, 6}),
        ({"fri-mon": "10:00-12:00"}, {4, 5, 6, 0}),
        ({"mon-sun": "00:00-24:00"}, {0, 1, 2, 3, 4, 5, 6}),
        ({"tue": " 9:00-11:00 , 12:00-13:00 "}, {1}),
        ({}, set()),
    ],
)
def test_spec_forms(spec: dict[str, str], accepted: set[int]) -> None:
    hours = OpeningHours.parse(spec, "Europe/London")
    assert {day for day, windows in enumerate(hours.week) if windows} == accepted


@pytest.mark.parametrize(
    ("spec", "timezone", "holidays", "message"),
    [
        ({"mon": "22:00-02:00"}, "UTC", [], "'mon'.*overnight.*split them at midnight"),
        ({"mon": "09:00-09:00"}, "UTC", [], "ends before it starts"),
        ({"mon": "9am-5pm"}, "UTC", [], "'mon'.*'9am-5pm' is not 'HH:MM-HH:MM'"),
        ({"mon": "25:00-26:00"}, "UTC", [], "not a valid time"),
        ({"mon": "08:60-09:00"}, "UTC", [], "not a valid time"),
        ({"mon": "24:30-24:45"}, "UTC", [], "not a valid time"),
        ({"mon": "08:00-12:00,11:00-13:00"}, "UTC", [], "overlap"),
        ({"funday": "08:00-12:00"}, "UTC", [], "unknown day 'funday'"),
        ({"mon-wed-fri": "08:00-12:00"}, "UTC", [], "bad day range 'mon-wed-fri'"),
        ({"mon-fri": "08:00-12:00", "fri": "closed"}, "UTC", [], "fri is given twice"),
        ({"mon": False}, "UTC", [], "'mon'.*False is not text"),
        ({"mon": "closed"}, "Mars/Olympus", [], "unknown time zone 'Mars/Olympus'"),
        ({"mon": "closed"}, "UTC", ["25/12/2025"], "holiday '25/12/2025'"),
    ],
)
def test_invalid_specs(
    spec: dict[str, str], timezone: str, holidays: list[str], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        OpeningHours.parse(spec, timezone, holidays=holidays)


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        HOURS.is_open(datetime(2025, 7, 1, 10, 0))
