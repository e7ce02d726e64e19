"""Opening hours: is a person available now, and when next, said the way a caller hears it.

A spec maps days to windows of local wall-clock time in one IANA time zone::

    {"mon-fri": "08:00-12:00,13:00-17:00", "sat": "09:00-13:00", "sun": "closed"}

Keys are days ("mon" or "monday"), ranges ("mon-fri", "fri-mon" wraps) or lists ("sat,
sun"); a day may be named once; unnamed days are closed. Values are "closed" or windows
"HH:MM-HH:MM" separated by commas; "24:00" may end a window. A window ends on the day it
starts: "22:00-02:00" is rejected (write "22:00-24:00" and "00:00-02:00" on the next day).
Holidays are ISO dates, closed all day. Times are wall-clock times, so a window keeps its
local hours across daylight-saving changes; a window opening in the hour skipped in spring
opens the moment the clocks go forward.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

SEARCH_DAYS: Final = 14
DAYS: Final = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL_DAYS: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WINDOW: Final = re.compile(r"^(\d{1,2}):(\d{2})-(\d{1,2}):(\d{2})$")

Window = tuple[int, int]  # minutes since local midnight, start inclusive, end exclusive


@dataclass(frozen=True)
class OpeningHours:
    """Weekly windows (Monday first) in ``zone``, minus ``holidays``."""

    zone: ZoneInfo
    week: tuple[tuple[Window, ...], ...]  # seven entries
    holidays: frozenset[date] = frozenset()

    @classmethod
    def parse(
        cls, spec: Mapping[str, str], timezone: str, *, holidays: Sequence[str] = ()
    ) -> OpeningHours:
        """Build from a spec (see the module docstring); ValueError names the bad part."""
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown time zone {timezone!r} (use an IANA name)") from exc
        week: list[tuple[Window, ...] | None] = [None] * 7
        for key, value in spec.items():
            windows = _parse_windows(key, value)
            for day in _parse_days(key):
                if week[day] is not None:
                    raise ValueError(f"opening hours: {DAYS[day]} is given twice (in {key!r})")
                week[day] = windows
        days: set[date] = set()
        for text in holidays:
            try:
                days.add(date.fromisoformat(str(text)))
            except ValueError as exc:
                raise ValueError(f"holiday {text!r} is not an ISO date (YYYY-MM-DD)") from exc
        return cls(zone, tuple(w or () for w in week), frozenset(days))

    def is_open(self, at: datetime) -> bool:
        """Whether ``at`` (timezone-aware) falls in an opening window."""
        local = self._local(at)
        if local.date() in self.holidays:
            return False
        minute = local.hour * 60 + local.minute + local.second / 60
        return any(start <= minute < end for start, end in self.week[local.weekday()])

    def next_opening(self, at: datetime) -> datetime | None:
        """``at`` itself (in the zone) when open, else the next opening within 14 days."""
        local = self._local(at)
        if self.is_open(local):
            return local
        for offset in range(SEARCH_DAYS + 1):
            day = local.date() + timedelta(days=offset)
            if day in self.holidays:
                continue
            for start, _ in self.week[day.weekday()]:
                opening = self._at(day, start)
                if opening > local and opening - local <= timedelta(days=SEARCH_DAYS):
                    return opening
        return None

    def describe_next_opening(self, at: datetime) -> str:
        """The next opening for speech: "now", "at 1 PM today", "tomorrow at 8 AM",
        "on Monday at 9:30 AM", "on Monday the 14th at 9 AM" (7 days or more ahead), or
        "when we reopen" if there is none within 14 days."""
        opening = self.next_opening(at)
        if opening is None:
            return "when we reopen"
        local = self._local(at)
        if opening == local:
            return "now"
        clock = _spoken_time(opening.time())
        days = (opening.date() - local.date()).days
        if days == 0:
            return f"{clock} today"
        if days == 1:
            return f"tomorrow {clock}"
        weekday = _FULL_DAYS[opening.weekday()].capitalize()
        if days < 7:
            return f"on {weekday} {clock}"
        return f"on {weekday} the {_ordinal(opening.day)} {clock}"

    def _local(self, at: datetime) -> datetime:
        if at.tzinfo is None or at.utcoffset() is None:
            raise ValueError("opening hours need a timezone-aware datetime")
        return at.astimezone(self.zone)

    def _at(self, day: date, minute: int) -> datetime:
        """The instant of local wall time ``minute`` on ``day``. A time skipped when the clocks
        go forward (whole-hour changes) becomes the moment they do: the next full hour."""
        naive = datetime.combine(day, time()) + timedelta(minutes=minute)
        instant = naive.replace(tzinfo=self.zone).astimezone(UTC).astimezone(self.zone)
        if instant.replace(tzinfo=None) != naive:
            naive = naive.replace(minute=0) + timedelta(hours=1)
            instant = naive.replace(tzinfo=self.zone).astimezone(UTC).astimezone(self.zone)
        return instant


def _parse_days(key: str) -> list[int]:
    days: list[int] = []
    for part in key.lower().replace(" ", "").split(","):
        ends = [_day_index(key, name) for name in part.split("-")]
        if len(ends) == 1:
            days.append(ends[0])
        elif len(ends) == 2:
            first, last = ends
            days.extend((first + i) % 7 for i in range((last - first) % 7 + 1))
        else:
            raise ValueError(f"opening hours: bad day range {key!r} (use e.g. 'mon-fri')")
    return days


def _day_index(key: str, name: str) -> int:
    if name in DAYS:
        return DAYS.index(name)
    if name in _FULL_DAYS:
        return _FULL_DAYS.index(name)
    raise ValueError(f"opening hours: unknown day {name!r} in {key!r} (use mon..sun)")


def _parse_windows(key: str, value: object) -> tuple[Window, ...]:
    if not isinstance(value, str):
        raise ValueError(f"opening hours for {key!r}: {value!r} is not text like '08:00-17:00'")
    text = value.strip().lower()
    if text == "closed":
        return ()
    windows: list[Window] = []
    for part in text.replace(" ", "").split(","):
        match = _WINDOW.match(part)
        if match is None:
            raise ValueError(
                f"opening hours for {key!r}: {part!r} is not 'HH:MM-HH:MM' or 'closed'"
            )
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2):
            raise ValueError(f"opening hours for {key!r}: {part!r} is not a valid time")
        start, end = h1 * 60 + m1, h2 * 60 + m2
        if end <= start:
            raise ValueError(
                f"opening hours for {key!r}: {part!r} ends before it starts; overnight windows"
                " are not supported, split them at midnight ('22:00-24:00' and '00:00-02:00')"
            )
        windows.append((start, end))
    windows.sort()
    for (_, end), (start, _) in pairwise(windows):
        if start < end:
            raise ValueError(f"opening hours for {key!r}: windows in {value!r} overlap")
    return tuple(windows)


def _spoken_time(clock: time) -> str:
    if clock.minute == 0 and clock.hour == 12:
        return "at noon"
    hour = clock.hour % 12 or 12
    suffix = "AM" if clock.hour < 12 else "PM"
    minutes = f":{clock.minute:02d}" if clock.minute else ""
    return f"at {hour}{minutes} {suffix}"


def _ordinal(day: int) -> str:
    suffix = "th" if 11 <= day % 100 <= 13 else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"
