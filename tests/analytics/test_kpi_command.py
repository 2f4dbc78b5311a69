"""``manage.py kpis --from --to [--kind] --json``: one JSON object, one entry per KPI, each with
numerator, denominator and value (null when the denominator is 0), values rounded to 4."""

import json
from datetime import datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
from django.core.management import CommandError, call_command

from aftersales.models import Order, Ticket, TimelineEvent
from analytics.kpis import formulas as f
from analytics.kpis.rollups import refresh_rollups
from tests.factories import CustomerFactory

SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("kpi_own_cache")]

# The return/exchange rate is there because the returns app is installed.
KEYS = {"timeliness", "first_response", "resolution", "satisfaction", "repeat",
        "complaint_rate_by_unit", "return_exchange_rate"}


def run(*args) -> dict:
    out = StringIO()
    call_command("kpis", *args, stdout=out)
    return json.loads(out.getvalue())


def test_the_json_has_one_object_per_kpi_and_one_per_department_code(build, at, quality_dept,
                                                                     other_dept):
    with at(2026, 3, 2, 10):
        build("CLOSED")
        build("IN_PROGRESS")
    with at(2026, 3, 20, 10):
        refresh_rollups()
    data = run("--from", "2026-03-01", "--to", "2026-03-31", "--kind", "complaint", "--json")
    assert set(data) == KEYS
    for key in KEYS - {"complaint_rate_by_unit"}:
        assert set(data[key]) == {"numerator", "denominator", "value"}
    assert data["timeliness"] == {"numerator": 1, "denominator": 2, "value": 0.5}
    assert set(data["complaint_rate_by_unit"]) == {quality_dept.code, other_dept.code}
    for rate in data["complaint_rate_by_unit"].values():
        assert set(rate) == {"numerator", "denominator", "value"}
    # No orders yet: the complaint rate has no volume to divide by.
    assert data["complaint_rate_by_unit"][quality_dept.code] == {
        "numerator": 1, "denominator": 0, "value": None}


def test_values_are_numbers_rounded_to_four_places():
    value = f.KpiValue(2, 3).as_json()
    assert value == {"numerator": 2, "denominator": 3, "value": 0.6667}
    assert json.dumps(value) == '{"numerator": 2, "denominator": 3, "value": 0.6667}'


def test_an_empty_period_gives_null_values():
    data = run("--from", "2026-01-01", "--to", "2026-01-31", "--json")
    assert data["resolution"] == {"numerator": 0, "denominator": 0, "value": None}
    assert data["return_exchange_rate"] == {"numerator": 0, "denominator": 0, "value": None}


def test_the_return_exchange_rate_is_return_cases_over_orders_delivered(at):
    customer = CustomerFactory()
    day = datetime(2026, 1, 10, 10, tzinfo=SHANGHAI)
    ticket = Ticket.objects.create(number="RT-20260110-0001", kind="RETURN", channel="WEBFORM",
                                   customer=customer, received_at=day, state="REQUESTED")
    TimelineEvent.objects.create(ticket=ticket, action="returns.return.received",
                                 actor_kind="customer", created_at=day)
    for number, signed in (("SO-1", day), ("SO-2", day), ("SO-3", day + timedelta(days=40))):
        Order.objects.create(number=number, customer=customer, placed_at=day - timedelta(days=3),
                             signed_at=signed)
    with at(2026, 1, 20, 10):
        refresh_rollups()
    data = run("--from", "2026-01-01", "--to", "2026-01-31", "--json")
    assert data["return_exchange_rate"] == {"numerator": 1, "denominator": 2, "value": 0.5}


def test_the_return_exchange_rate_is_left_out_without_a_returns_kind(monkeypatch):
    monkeypatch.setattr(f.EXTRA_KPIS["return_exchange_rate"], "available", lambda: False)
    data = run("--from", "2026-01-01", "--to", "2026-01-31", "--json")
    assert "return_exchange_rate" not in data


def test_details_add_durations_and_volume_bases(quality_dept):
    data = run("--from", "2026-01-01", "--to", "2026-01-31", "--json", "--details")
    assert data["response_time"] == {"count": 0, "mean_hours": None, "p90_hours": None}
    assert data["complaint_rate_by_unit"][quality_dept.code]["volume_basis"] == "orders_placed"


@pytest.mark.parametrize("args", [("--from", "2026-13-01", "--to", "2026-01-31"),
                                  ("--from", "2026-02-01", "--to", "2026-01-31")])
def test_bad_dates_are_refused(args):
    with pytest.raises(CommandError):
        call_command("kpis", *args, "--json", stdout=StringIO())
