"""Business-calendar math: weekends, holidays, 调休, midnight, year end, fallbacks, overrides."""

from datetime import UTC, date, datetime, time, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from aftersales.models import CalendarDay, WorkingPeriod
from aftersales.sla import calendar as calmod
from aftersales.sla.calendar import BusinessCalendar, DayKind, Source

from .conftest import SHANGHAI, local

H = timedelta(hours=1)
M = timedelta(minutes=1)


@pytest.mark.parametrize(("start", "duration", "due"), [
    # Friday evening to Monday morning: the weekend does not count.
    (local(2026, 3, 6, 17, 30), H, local(2026, 3, 9, 9, 30)),
    # Across midnight: the night does not count.
    (local(2026, 3, 10, 17, 45), 30 * M, local(2026, 3, 11, 9, 15)),
    # Started on a Saturday: counting begins on Monday at 09:00.
    (local(2026, 3, 7, 10, 0), 30 * M, local(2026, 3, 9, 9, 30)),
    # Started before opening: counting begins at 09:00.
    (local(2026, 3, 10, 6, 0), 30 * M, local(2026, 3, 10, 9, 30)),
    # Exactly used up at closing time: due at 18:00, not the next morning.
    (local(2026, 3, 10, 17, 0), H, local(2026, 3, 10, 18, 0)),
    # National Day golden week 2026 (Oct 1–7 off): resumes on Thursday Oct 8.
    (local(2026, 9, 30, 17, 0), 2 * H, local(2026, 10, 8, 10, 0)),
    # Adjusted working Saturday (调休) 2026-10-10 counts.
    (local(2026, 10, 9, 17, 0), 2 * H, local(2026, 10, 10, 10, 0)),
    # Adjusted working Saturday 2026-02-14 before the Spring Festival counts ...
    (local(2026, 2, 13, 17, 0), 2 * H, local(2026, 2, 14, 10, 0)),
    # ... and the festival (Feb 15–23) does not: next working day is Tuesday Feb 24.
    (local(2026, 2, 14, 17, 0), 2 * H, local(2026, 2, 24, 10, 0)),
    # Year end: 2027-01-01 is New Year's Day (from `holidays`: chinesecalendar has no 2027),
    # then the weekend; counting resumes on Monday Jan 4.
    (local(2026, 12, 31, 17, 0), 2 * H, local(2027, 1, 4, 10, 0)),
    # A whole working week is 45 hours.
    (local(2026, 3, 9, 9, 0), 45 * H, local(2026, 3, 13, 18, 0)),
])
def test_add_working_time(cal, start, duration, due):
    assert cal.add(start, duration) == due


def test_zero_duration_is_the_start(cal):
    moment = local(2026, 3, 7, 10, 0)
    assert cal.add(moment, timedelta(0)) == moment


def test_between_counts_only_working_time(cal):
    assert cal.between(local(2026, 3, 6, 17, 0), local(2026, 3, 9, 10, 0)) == 2 * H
    assert cal.between(local(2026, 9, 30, 12, 0), local(2026, 10, 8, 12, 0)) == 9 * H
    assert cal.between(local(2026, 3, 9, 10, 0), local(2026, 3, 9, 9, 0)) == timedelta(0)


def test_day_kinds_and_sources(cal):
    assert cal.day(date(2026, 10, 1)).kind == DayKind.HOLIDAY
    assert cal.day(date(2026, 10, 10)).kind == DayKind.ADJUSTED_WORKDAY
    assert cal.day(date(2026, 10, 11)).kind == DayKind.WEEKEND
    assert cal.day(date(2026, 10, 12)).kind == DayKind.WORKDAY
    assert cal.day(date(2026, 10, 1)).source == Source.CHINESECALENDAR
    assert not cal.day(date(2026, 10, 1)).estimated


def test_year_without_chinesecalendar_data_falls_back_to_holidays(cal):
    import chinese_calendar

    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(2027, 1, 1))
    new_year = cal.day(date(2027, 1, 1))
    assert new_year.kind == DayKind.HOLIDAY
    assert new_year.source == Source.HOLIDAYS
    assert new_year.estimated
    assert cal.day(date(2027, 10, 1)).kind == DayKind.HOLIDAY
    assert calmod.year_status(2027).estimated
    assert not calmod.year_status(2026).estimated


def test_without_any_holiday_source_weekday_rules_apply(monkeypatch):
    def broken(day):
        raise RuntimeError("no data")

    monkeypatch.setattr(calmod, "SOURCES", [broken, broken])
    calmod.official_day.cache_clear()
    try:
        cal = BusinessCalendar()
        info = cal.day(date(2027, 1, 1))
        assert info.kind == DayKind.WORKDAY and info.source == Source.WEEKDAY and info.estimated
        assert cal.add(local(2026, 12, 31, 17, 0), 2 * H) == local(2027, 1, 1, 10, 0)
    finally:
        calmod.official_day.cache_clear()


def test_far_future_year_never_fails(cal):
    # `holidays` stops at 2100 and chinesecalendar long before: still an answer.
    assert cal.add(local(2101, 3, 4, 17, 0), 2 * H).year == 2101


def test_calendar_time_rolls_off_days_to_the_next_working_day(cal):
    # Saturday 15:00 → Monday 15:00; inside golden week → Thursday Oct 8.
    assert cal.due(local(2026, 3, 6, 15, 0), timedelta(days=1), business=False,
                   roll=True) == local(2026, 3, 9, 15, 0)
    assert cal.due(local(2026, 9, 28, 15, 0), timedelta(days=3), business=False,
                   roll=True) == local(2026, 10, 8, 15, 0)
    assert cal.due(local(2026, 3, 6, 15, 0), timedelta(days=1), business=False,
                   roll=False) == local(2026, 3, 7, 15, 0)


@pytest.mark.django_db
def test_admin_overrides_win(cal):
    from aftersales.sla.calendar import get_calendar

    CalendarDay.objects.create(date=date(2026, 3, 11), kind="off", name="Company outing")
    CalendarDay.objects.create(date=date(2026, 3, 15), kind="work", name="Stocktaking",
                               start=time(10, 0), end=time(12, 0))
    configured = get_calendar()
    assert configured.day(date(2026, 3, 11)).kind == DayKind.COMPANY_DAY_OFF
    assert configured.day(date(2026, 3, 15)).kind == DayKind.COMPANY_WORKDAY
    # Tuesday 17:00 + 3 h: 1 h Tuesday, Wednesday off, 2 h Thursday.
    assert configured.add(local(2026, 3, 10, 17, 0), 3 * H) == local(2026, 3, 12, 11, 0)
    # Friday 17:00 + 2 h: 1 h Friday, then the Sunday 10:00–12:00 shift.
    assert configured.add(local(2026, 3, 13, 17, 0), 2 * H) == local(2026, 3, 15, 11, 0)


@pytest.mark.django_db
def test_working_hours_per_weekday_with_a_lunch_break():
    from aftersales.sla.calendar import get_calendar

    WorkingPeriod.objects.all().delete()
    for weekday in range(6):
        WorkingPeriod.objects.create(weekday=weekday, start=time(9, 0), end=time(12, 0))
        if weekday < 5:
            WorkingPeriod.objects.create(weekday=weekday, start=time(13, 0), end=time(18, 0))
    configured = get_calendar()
    assert configured.add(local(2026, 3, 9, 11, 30), H) == local(2026, 3, 9, 13, 30)
    # Saturdays are half days now.
    assert configured.add(local(2026, 3, 13, 17, 0), 2 * H) == local(2026, 3, 14, 10, 0)


# --- properties ------------------------------------------------------------------------

CAL = None


def calendar() -> BusinessCalendar:
    global CAL
    if CAL is None:
        CAL = BusinessCalendar()
    return CAL


moments = st.datetimes(
    min_value=datetime(2025, 1, 1), max_value=datetime(2027, 12, 31),
    timezones=st.just(SHANGHAI),
).map(lambda moment: moment.replace(microsecond=0))
durations = st.integers(min_value=1, max_value=60 * 3600).map(lambda s: timedelta(seconds=s))


def _inside_working_time(cal: BusinessCalendar, moment: datetime) -> bool:
    return any(start < moment <= end for start, end in cal.periods(cal.local_date(moment)))


@settings(max_examples=300, deadline=None)
@given(start=moments, duration=durations)
def test_due_time_is_never_inside_non_working_time(start, duration):
    cal = calendar()
    assert _inside_working_time(cal, cal.add(start, duration))


@settings(max_examples=300, deadline=None)
@given(start=moments, first=durations, second=durations)
def test_adding_two_durations_equals_adding_their_sum(start, first, second):
    cal = calendar()
    assert cal.add(cal.add(start, first), second) == cal.add(start, first + second)


@settings(max_examples=300, deadline=None)
@given(start=moments, duration=durations)
def test_working_time_between_start_and_due_is_the_duration(start, duration):
    cal = calendar()
    assert cal.between(start, cal.add(start, duration)) == duration


@settings(max_examples=200, deadline=None)
@given(start=moments, shorter=durations, extra=durations)
def test_a_longer_duration_is_never_due_earlier(start, shorter, extra):
    cal = calendar()
    assert cal.add(start, shorter) < cal.add(start, shorter + extra)


@settings(max_examples=200, deadline=None)
@given(start=moments, duration=durations)
def test_result_is_the_same_instant_in_any_time_zone(start, duration):
    cal = calendar()
    assert cal.add(start.astimezone(UTC), duration) == cal.add(start, duration)
