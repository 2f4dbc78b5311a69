"""Day counting for statutory periods (domain.md §6).

A period of N days excludes its start day and ends at 24:00 Asia/Shanghai on day N
(CC Art. 201, 203). A customer's window whose last day falls in a statutory holiday ends on
the day after the holiday (CC Art. 203, customer-favourable default); seller deadlines (T6,
T10) are never extended.
"""

from __future__ import annotations

import calendar as _gregorian
from collections.abc import Callable
from datetime import date, timedelta
from functools import lru_cache

HolidayTest = Callable[[date], bool]

# A holiday break in China is at most nine days long; a test answering "holiday" for longer
# than this is broken, and the window then ends where the search stopped.
MAX_HOLIDAY_RUN = 31

# Statutory periods, in days (domain.md §6).
T6_REFUND_DAYS = 7
T7_NO_REASON_DAYS = 7
T8_NONCONFORMING_DAYS = 7
T9_BURDEN_MONTHS = 6
T10_DELIBERATE_DAYS = 15
T11_SANBAO_RETURN_DAYS = 7
T12_SANBAO_EXCHANGE_DAYS = 15


@lru_cache(maxsize=8192)
def statutory_holiday(day: date) -> bool:
    """The default holiday test: the business calendar's package data (no database)."""
    from aftersales.sla.calendar import is_statutory_holiday

    return is_statutory_holiday(day)


def extend_past_holiday(last_day: date, is_holiday: HolidayTest) -> date:
    """``last_day``, or the day after the holiday it falls in (CC Art. 203)."""
    day = last_day
    for _step in range(MAX_HOLIDAY_RUN):
        if not is_holiday(day):
            return day
        day += timedelta(days=1)
    return day


def window_end(start: date, days: int, is_holiday: HolidayTest | None = None) -> date:
    """Last day of a customer's window of ``days`` days counted from the day after ``start``.

    Without a holiday test the window is not extended.
    """
    last_day = start + timedelta(days=days)
    if is_holiday is None:
        return last_day
    return extend_past_holiday(last_day, is_holiday)


def add_months(day: date, months: int) -> date:
    """The corresponding day ``months`` later, or that month's last day (CC Art. 202)."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return date(year, month, min(day.day, _gregorian.monthrange(year, month)[1]))


def burden_of_proof_end(received: date, is_holiday: HolidayTest | None = None) -> date:
    """Last day on which the seller must prove a durable good's defect is not one (T9)."""
    last_day = add_months(received, T9_BURDEN_MONTHS)
    if is_holiday is None:
        return last_day
    return extend_past_holiday(last_day, is_holiday)


def refund_deadline(received: date, refund_days: int = T6_REFUND_DAYS) -> date:
    """Last day to pay a refund for goods received back on ``received`` (T6).

    A seller deadline: a tenant may only shorten it, and holidays do not extend it.
    """
    return received + timedelta(days=min(max(refund_days, 0), T6_REFUND_DAYS))


def delay_deemed_deliberate(owed_since: date, on: date) -> bool:
    """Whether a repair, exchange, return or refund owed since ``owed_since`` and still not
    done on ``on`` counts as deliberately delayed (T10: more than 15 days; PEN Art. 8–9)."""
    return (on - owed_since).days > T10_DELIBERATE_DAYS
