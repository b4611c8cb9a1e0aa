"""The team's opening hours, from one line an operator writes (HELPLINE_STAFF_HOURS).

    Mon-Fri 09:00-17:00 Asia/Taipei
    Mon-Fri 09:00-17:00, Sat 10:00-14:00 Europe/London
    Mon-Sun 22:00-06:00 America/New_York     (overnight: each night from 22:00 to 06:00)
    Mon,Wed,Fri 09:00-24:00 UTC
    always                                   (or 24/7)

Days are English names or their first three letters; a range may wrap (Fri-Mon). A window
whose end is before its start runs overnight into the next day, so "Sun 22:00-06:00" covers
Sunday night until Monday 06:00. The zone is an IANA name, so daylight saving time is
followed. Anything else is refused with a message saying what to write instead.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_FULL = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_WINDOW = re.compile(
    r"\s*(?P<days>[A-Za-z]+(?:\s*[-,]\s*[A-Za-z]+)*)\s+"
    r"(?P<start>\d{1,2}:\d{2})\s*-\s*(?P<end>\d{1,2}:\d{2})\s*[,;]?"
)
EXAMPLE = "e.g. 'Mon-Fri 09:00-17:00 Asia/Taipei' or 'always'"


class HoursError(ValueError):
    """HELPLINE_STAFF_HOURS cannot be understood; the message says what to write instead."""


@dataclass(frozen=True, slots=True)
class Window:
    days: frozenset[int]  # weekday the window starts on, Monday = 0
    start: int  # minutes after midnight
    end: int  # minutes after midnight, up to 1440; before `start` means overnight

    @property
    def overnight(self) -> bool:
        return self.end <= self.start

    def covers(self, local: dt.datetime) -> bool:
        minute = local.hour * 60 + local.minute
        day = local.weekday()
        if not self.overnight:
            return day in self.days and self.start <= minute < self.end
        return (day in self.days and minute >= self.start) or (
            (day - 1) % 7 in self.days and minute < self.end
        )


@dataclass(frozen=True, slots=True)
class OpeningHours:
    windows: tuple[Window, ...]  # empty: always open
    zone: dt.tzinfo = dt.UTC

    @property
    def always(self) -> bool:
        return not self.windows

    def is_open(self, at: dt.datetime) -> bool:
        if self.always:
            return True
        local = at.astimezone(self.zone)
        return any(w.covers(local) for w in self.windows)

    def next_open(self, at: dt.datetime) -> dt.datetime | None:
        """When the team is next back (in the team's zone); None when open now or always."""
        if self.is_open(at):
            return None
        local = at.astimezone(self.zone)
        best: dt.datetime | None = None
        for ahead in range(8):
            day = local.date() + dt.timedelta(days=ahead)
            for w in self.windows:
                if day.weekday() not in w.days:
                    continue
                start = dt.datetime.combine(day, dt.time(w.start // 60, w.start % 60), self.zone)
                if start > at and (best is None or start < best):
                    best = start
            if best is not None:
                return best
        return best


def parse_hours(text: str | None) -> OpeningHours:
    """Parse HELPLINE_STAFF_HOURS; unset or 'always' means the team is always there."""
    line = " ".join((text or "").split())
    if not line or line.lower() in ("always", "24/7"):
        return OpeningHours(())
    head, _, zone_name = line.rpartition(" ")
    if re.fullmatch(r"[\d:]+-[\d:]+", zone_name):
        raise HoursError(f"'{line}' needs a time zone at the end, such as Asia/Taipei")
    if not head or not re.search(r"\d", head):
        raise HoursError(f"'{line}' needs days, times and a time zone ({EXAMPLE})")
    zone = _zone(zone_name)
    windows: list[Window] = []
    pos = 0
    while pos < len(head):
        m = _WINDOW.match(head, pos)
        if m is None:
            raise HoursError(
                f"cannot read '{head[pos:].strip()}': write days then hours, such as "
                f"'Mon-Fri 09:00-17:00', with a comma between several ({EXAMPLE})"
            )
        start, end = _minutes(m["start"], end=False), _minutes(m["end"], end=True)
        if start == end % 1440 and end != 1440:
            raise HoursError(f"'{m.group(0).strip(' ,;')}' opens and closes at the same time")
        windows.append(Window(_days(m["days"]), start, end))
        pos = m.end()
    return OpeningHours(tuple(windows), zone)


def _zone(name: str) -> dt.tzinfo:
    if name.upper() == "UTC":
        return dt.UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise HoursError(
            f"unknown time zone '{name}': end with an IANA zone name such as Asia/Taipei, "
            f"Europe/London or UTC ({EXAMPLE})"
        ) from None


def _day(name: str) -> int:
    low = name.lower()
    for i, (short, full) in enumerate(zip(DAYS, _FULL, strict=True)):
        if low in (short, full):
            return i
    raise HoursError(f"unknown day '{name}': use Mon, Tue, Wed, Thu, Fri, Sat or Sun")


def _days(spec: str) -> frozenset[int]:
    days: set[int] = set()
    for part in re.split(r"\s*,\s*", spec.strip()):
        first, _, last = (p.strip() for p in part.partition("-"))
        if not last:
            days.add(_day(first))
            continue
        a, b = _day(first), _day(last)
        days.update((a + i) % 7 for i in range((b - a) % 7 + 1))
    return frozenset(days)


def _minutes(value: str, *, end: bool) -> int:
    hours, minutes = (int(x) for x in value.split(":"))
    total = hours * 60 + minutes
    if minutes > 59 or total > 1440 or (total == 1440 and not end):
        raise HoursError(f"'{value}' is not a time of day (00:00 to 24:00)")
    return total
