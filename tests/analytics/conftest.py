"""Fixtures of the KPI, dashboard and report tests."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from analytics.kpis.rollups import refresh_rollups
from analytics.kpis.selectors import Filters, kpi_summary

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args) -> datetime:
    return datetime(*args, tzinfo=SHANGHAI)


MARCH = (date(2026, 3, 1), date(2026, 3, 31))
APRIL = (date(2026, 4, 1), date(2026, 4, 30))


@pytest.fixture
def kpi_own_cache(settings):
    """A cache of this process only: the embedded default is a directory every test run on
    the machine shares, and the order-volume cache must not change between two counts."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": "analytics-tests"}}


def kpis(period=MARCH, **filters) -> dict:
    """The KPIs of ``period`` as the dashboard reads them, after the refresh ran."""
    refresh_rollups()
    return kpi_summary(Filters(**filters), *period, using="default")


def ratio(value) -> tuple:
    return (value.numerator, value.denominator, value.value)


@pytest.fixture
def at():
    """Run the services at a given local time: ``with at(2026, 3, 2, 10): ...``."""
    def travel(*args, **delta):
        moment = local(*args) if args else None
        return time_machine.travel(moment + timedelta(**delta) if delta else moment, tick=False)
    return travel
