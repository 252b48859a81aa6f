"""Chinese working days (工作日): Monday–Friday, minus statutory holidays, plus make-up workdays (调休).

The exceptions live in CalendarDay, seeded from chinese-calendar and extended by administrators each
year. A date in a year that is not in CalendarYear raises UnknownCalendarYear rather than guessing.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from django.utils.translation import gettext as _

from .models import CalendarDay, CalendarYear


class UnknownCalendarYear(LookupError):
    def __init__(self, year: int):
        self.year = year
        super().__init__(_("%(year)s年的法定节假日安排尚未录入工作日历，无法计算工作日期限；请系统管理员先录入该年度安排")
                         % {"year": year})


@lru_cache(maxsize=1)
def _snapshot(version: int) -> tuple[frozenset[int], dict[dt.date, bool]]:
    years = frozenset(CalendarYear.objects.values_list("year", flat=True))
    exceptions = dict(CalendarDay.objects.values_list("date", "is_workday"))
    return years, exceptions


_version = [0]


def invalidate() -> None:
    """Call after the calendar tables change (the admin and loaders do)."""
    _version[0] += 1
    _snapshot.cache_clear()


def _tables() -> tuple[frozenset[int], dict[dt.date, bool]]:
    return _snapshot(_version[0])


def known_years() -> frozenset[int]:
    return _tables()[0]


def is_working_day(day: dt.date) -> bool:
    years, exceptions = _tables()
    if day.year not in years:
        raise UnknownCalendarYear(day.year)
    if day in exceptions:
        return exceptions[day]
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The date `days` working days after `start` (start itself does not count), e.g. a deadline."""
    if days < 0:
        raise ValueError("days must be non-negative")
    current, remaining = start, days
    while remaining:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            remaining -= 1
    return current


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in (start, end]: how many working days have elapsed since `start` by `end`."""
    if end <= start:
        return -working_days_between(end, start) if end < start else 0
    count, current = 0, start
    while current < end:
        current += dt.timedelta(days=1)
        if is_working_day(current):
            count += 1
    return count
