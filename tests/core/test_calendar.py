"""Working days follow the State Council's holiday arrangements (国务院办公厅关于节假日安排的通知)."""

import datetime as dt

import pytest

from industrybrain.core import calendar
from industrybrain.core.models import CalendarDay, CalendarYear

pytestmark = pytest.mark.django_db

D = dt.date


@pytest.fixture(autouse=True)
def fresh_calendar():
    calendar.invalidate()
    yield
    calendar.invalidate()


def test_national_day_2025_and_makeup_days():
    # 2025: 10月1日至8日放假调休，共8天；9月28日（周日）、10月11日（周六）上班。
    assert not calendar.is_working_day(D(2025, 10, 1))
    assert not calendar.is_working_day(D(2025, 10, 8))
    assert calendar.is_working_day(D(2025, 9, 28))
    assert calendar.is_working_day(D(2025, 10, 11))
    assert calendar.add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 9)


def test_spring_festival_2024():
    # 2024: 2月10日至17日放假调休；2月4日（周日）、2月18日（周日）上班。
    assert calendar.is_working_day(D(2024, 2, 4))
    assert not calendar.is_working_day(D(2024, 2, 12))
    assert calendar.is_working_day(D(2024, 2, 18))
    assert calendar.working_days_between(D(2024, 2, 9), D(2024, 2, 19)) == 2  # 18th and 19th


def test_plain_weekends():
    assert not calendar.is_working_day(D(2024, 3, 2))
    assert calendar.is_working_day(D(2024, 3, 4))
    assert calendar.add_working_days(D(2024, 3, 1), 5) == D(2024, 3, 8)


def test_sixty_working_days_fast_track_deadline():
    # 快申快享: decision within 60 working days of acceptance. Counted by hand from 2024-09-02 (Mon):
    # September 20 (incl. make-up Sat 14th, Sun 29th; 16–17 off), October 19 (1–7 off, Sat 12th on),
    # November 21 → the 60th is Fri 2024-11-29.
    deadline = calendar.add_working_days(D(2024, 9, 2), 60)
    assert calendar.working_days_between(D(2024, 9, 2), deadline) == 60
    assert deadline == D(2024, 11, 29)


def test_unknown_year_is_refused_not_guessed():
    assert CalendarYear.objects.filter(year=2027).count() == 0
    with pytest.raises(calendar.UnknownCalendarYear, match="2027年"):
        calendar.add_working_days(D(2026, 12, 28), 10)


def test_administrator_extends_calendar_for_a_new_year():
    CalendarYear.objects.create(year=2027, source="国办发明电〔2026〕")
    CalendarDay.objects.create(date=D(2027, 1, 1), is_workday=False, name="元旦")
    assert not calendar.is_working_day(D(2027, 1, 1))
    assert calendar.add_working_days(D(2026, 12, 31), 1) == D(2027, 1, 4)


def test_holiday_names_are_chinese():
    assert CalendarDay.objects.get(date=D(2025, 10, 1)).name == "国庆节"
