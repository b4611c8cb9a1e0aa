"""Opening hours: time zones, overnight windows, wrapping day ranges, and clear errors."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from pydantic import ValidationError

from bot.config import Settings
from bot.staff.hours import HoursError, parse_hours

TAIPEI = ZoneInfo("Asia/Taipei")
NEW_YORK = ZoneInfo("America/New_York")


def at(zone: dt.tzinfo, *args: int) -> dt.datetime:
    return dt.datetime(*args, tzinfo=zone)  # type: ignore[misc]


def test_office_hours_in_the_team_zone_not_utc() -> None:
    hours = parse_hours("Mon-Fri 09:00-17:00 Asia/Taipei")
    # Monday 2 March 2026, 09:30 in Taipei is 01:30 UTC.
    assert hours.is_open(at(dt.UTC, 2026, 3, 2, 1, 30))
    assert not hours.is_open(at(dt.UTC, 2026, 3, 2, 0, 59))  # 08:59 in Taipei
    assert not hours.is_open(at(TAIPEI, 2026, 3, 2, 17, 0))  # closing time is exclusive
    assert not hours.is_open(at(TAIPEI, 2026, 3, 7, 12, 0))  # Saturday


def test_next_open_is_the_next_start_in_the_team_zone() -> None:
    hours = parse_hours("Mon-Fri 09:00-17:00 Asia/Taipei")
    friday_evening = at(TAIPEI, 2026, 3, 6, 18, 0)
    back = hours.next_open(friday_evening)
    assert back == at(TAIPEI, 2026, 3, 9, 9, 0) and back.tzinfo == TAIPEI
    assert hours.next_open(at(TAIPEI, 2026, 3, 9, 7, 0)) == at(TAIPEI, 2026, 3, 9, 9, 0)
    assert hours.next_open(at(TAIPEI, 2026, 3, 9, 10, 0)) is None  # open now


def test_overnight_windows_run_into_the_next_morning() -> None:
    hours = parse_hours("Mon-Sun 22:00-06:00 America/New_York")
    assert hours.is_open(at(NEW_YORK, 2026, 3, 2, 23, 0))
    assert hours.is_open(at(NEW_YORK, 2026, 3, 3, 5, 59))
    assert not hours.is_open(at(NEW_YORK, 2026, 3, 3, 6, 0))
    assert hours.next_open(at(NEW_YORK, 2026, 3, 3, 12, 0)) == at(NEW_YORK, 2026, 3, 3, 22, 0)
    friday_night = parse_hours("Fri 22:00-06:00 UTC")
    assert friday_night.is_open(at(dt.UTC, 2026, 3, 7, 3, 0))  # Saturday early morning
    assert not friday_night.is_open(at(dt.UTC, 2026, 3, 6, 3, 0))  # Friday early morning


def test_daylight_saving_time_is_followed() -> None:
    hours = parse_hours("Mon-Fri 09:00-17:00 America/New_York")
    # 13:30 UTC is 08:30 EST in winter (closed) and 09:30 EDT in summer (open).
    assert not hours.is_open(at(dt.UTC, 2026, 1, 12, 13, 30))
    assert hours.is_open(at(dt.UTC, 2026, 7, 13, 13, 30))


def test_several_windows_day_lists_wrapping_ranges_and_full_names() -> None:
    hours = parse_hours("Mon,Wed 09:00-12:00, Saturday-Monday 20:00-24:00; Fri 13:00-14:00 UTC")
    assert hours.is_open(at(dt.UTC, 2026, 3, 4, 10, 0))  # Wednesday
    assert not hours.is_open(at(dt.UTC, 2026, 3, 3, 10, 0))  # Tuesday
    assert hours.is_open(at(dt.UTC, 2026, 3, 8, 23, 59))  # Sunday, inside Sat-Mon
    assert hours.is_open(at(dt.UTC, 2026, 3, 6, 13, 30))


@pytest.mark.parametrize("always", [None, "", "always", "24/7", "  Always "])
def test_unset_or_always_means_always_open(always: str | None) -> None:
    hours = parse_hours(always)
    assert hours.always and hours.is_open(at(dt.UTC, 2026, 3, 8, 3, 0))
    assert hours.next_open(at(dt.UTC, 2026, 3, 8, 3, 0)) is None


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("Mon-Fri 09:00-17:00 Mars/Olympus", "unknown time zone 'Mars/Olympus'"),
        ("Mon-Fri 09:00-17:00", "needs a time zone at the end"),
        ("Mon-Fri 9-5 Asia/Taipei", "cannot read 'Mon-Fri 9-5'"),
        ("Mon-Fry 09:00-17:00 Asia/Taipei", "unknown day 'Fry'"),
        ("Mon-Fri 09:00-25:00 Asia/Taipei", "'25:00' is not a time of day"),
        ("Mon-Fri 09:61-17:00 Asia/Taipei", "'09:61' is not a time of day"),
        ("Mon-Fri 09:00-09:00 Asia/Taipei", "opens and closes at the same time"),
        ("Mon-Fri 09:00-17:00 and more Asia/Taipei", "cannot read 'and more'"),
        ("weekdays Asia/Taipei", "needs days, times and a time zone"),
    ],
)
def test_bad_hours_say_what_to_write(text: str, says: str) -> None:
    with pytest.raises(HoursError, match=says.replace("(", r"\(")):
        parse_hours(text)


def test_bad_hours_are_a_configuration_error_at_startup() -> None:
    with pytest.raises(ValidationError) as caught:
        Settings(_env_file=None, staff_hours="Mon-Fri 09:00-17:00 Mars/Olympus")  # type: ignore[call-arg]
    assert "unknown time zone 'Mars/Olympus'" in str(caught.value)
    assert "Asia/Taipei" in str(caught.value)  # and what to write instead
