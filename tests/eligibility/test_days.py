"""Day counting (domain.md §6): start day excluded, holidays extend customer windows only."""

from datetime import date

import pytest

from aftersales.eligibility import (
    add_months,
    burden_of_proof_end,
    delay_deemed_deliberate,
    refund_deadline,
    window_end,
)
from aftersales.sla.calendar import is_statutory_holiday

from .conftest import no_holidays


def test_period_excludes_the_start_day():
    assert window_end(date(2026, 3, 2), 7) == date(2026, 3, 9)
    assert window_end(date(2026, 2, 25), 7) == date(2026, 3, 4)  # month end, not leap year
    assert window_end(date(2028, 2, 25), 7) == date(2028, 3, 3)  # leap year


def test_a_whole_break_is_skipped():
    assert window_end(date(2026, 9, 24), 7, is_statutory_holiday) == date(2026, 10, 8)
    assert window_end(date(2026, 9, 24), 7, no_holidays) == date(2026, 10, 1)


def test_a_holiday_test_that_never_ends_stops_the_search():
    ends = window_end(date(2026, 1, 1), 7, lambda day: True)
    assert ends > date(2026, 1, 8)


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 3, 31), 6, date(2026, 9, 30)),
    (date(2026, 8, 31), 6, date(2027, 2, 28)),
    (date(2027, 8, 31), 6, date(2028, 2, 29)),
    (date(2026, 7, 15), 6, date(2027, 1, 15)),
])
def test_months_end_on_the_corresponding_day_or_the_months_last(day, months, expected):
    assert add_months(day, months) == expected


def test_burden_of_proof_runs_six_months_from_receipt():
    assert burden_of_proof_end(date(2026, 1, 10)) == date(2026, 7, 10)
    assert burden_of_proof_end(date(2026, 4, 1), is_statutory_holiday) == date(2026, 10, 8)


def test_refund_deadline_is_a_seller_deadline_not_extended_by_holidays():
    assert refund_deadline(date(2026, 9, 24)) == date(2026, 10, 1)
    assert refund_deadline(date(2026, 9, 24), refund_days=3) == date(2026, 9, 27)
    assert refund_deadline(date(2026, 9, 24), refund_days=30) == date(2026, 10, 1)


@pytest.mark.parametrize(("days", "deliberate"), [(14, False), (15, False), (16, True)])
def test_delay_over_fifteen_days_is_deemed_deliberate(days, deliberate):
    owed = date(2026, 9, 20)
    assert delay_deemed_deliberate(owed, date.fromordinal(owed.toordinal() + days)) is deliberate


@pytest.mark.parametrize(("day", "holiday"), [
    (date(2026, 10, 1), True),  # National Day
    (date(2026, 10, 4), True),  # a Sunday inside the break
    (date(2026, 10, 7), True),  # bridged day off
    (date(2026, 10, 8), False),
    (date(2026, 10, 10), False),  # adjusted working Saturday (调休)
    (date(2026, 10, 17), False),  # an ordinary Saturday
    (date(2026, 9, 26), True),  # the weekend of the Mid-Autumn break
    (date(2026, 2, 14), False),  # adjusted working Saturday before Spring Festival
    (date(2026, 2, 15), True),
    (date(2027, 10, 1), True),  # from the holidays package
    (date(2027, 10, 3), True),
    (date(2027, 10, 16), False),
])
def test_statutory_holiday_from_package_data(day, holiday):
    assert is_statutory_holiday(day) is holiday


def test_statutory_holiday_ignores_the_admins_calendar_days(monkeypatch):
    from aftersales.sla import calendar

    def no_database(*args, **kwargs):
        raise AssertionError("the holiday test must not read the database")

    monkeypatch.setattr(calendar, "_load_calendar", no_database)
    monkeypatch.setattr(calendar, "get_calendar", no_database)
    assert is_statutory_holiday(date(2026, 10, 5)) is True
