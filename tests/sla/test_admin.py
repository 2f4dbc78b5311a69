"""Admins edit SLA policies and the calendar, and are warned about estimated years."""

import pytest
import time_machine
from django.urls import reverse

from aftersales.models import CalendarYear, Customer, Notification
from aftersales.sla.tasks import calendar_check
from tests.factories import PASSWORD

from .conftest import local

pytestmark = pytest.mark.django_db

NOVEMBER_2026 = local(2026, 11, 23, 10, 0)


@pytest.fixture
def admin_client(client, admin_user):
    client.login(username="admin1", password=PASSWORD)
    return client


@pytest.mark.parametrize("model", [
    "slapolicy", "workingperiod", "calendarday", "calendaryear", "department", "staffprofile",
    "product", "order", "cannedresponse", "customer", "notification",
])
def test_admin_pages_open(admin_client, model):
    assert admin_client.get(reverse(f"admin:aftersales_{model}_changelist")).status_code == 200


def test_admin_role_may_edit_policies(admin_user):
    assert admin_user.has_perm("aftersales.change_slapolicy")
    assert admin_user.has_perm("aftersales.add_calendarday")


def test_estimated_next_year_is_flagged_until_confirmed(admin_client, admin_user):
    with time_machine.travel(NOVEMBER_2026, tick=False):
        page = admin_client.get(reverse("admin:aftersales_calendarday_changelist"))
        assert "2027" in page.content.decode() and "confirm the year" in page.content.decode()
        form = admin_client.get(reverse("admin:aftersales_calendaryear_add"))
        assert form.status_code == 200
        response = admin_client.post(reverse("admin:aftersales_calendaryear_add"),
                                     {"year": 2027, "note": "Checked the State Council notice"})
        assert response.status_code == 302
        assert CalendarYear.objects.get(year=2027).confirmed_by == admin_user
        page = admin_client.get(reverse("admin:aftersales_calendarday_changelist"))
        assert "confirm the year" not in page.content.decode()


def test_calendar_check_reminds_admins_once_a_month(admin_user):
    with time_machine.travel(NOVEMBER_2026, tick=False):
        assert calendar_check.delay().get() == 1
        assert calendar_check.delay().get() == 0
    notification = Notification.objects.get()
    assert notification.recipient == admin_user and notification.data["year"] == 2027


def test_customer_admin_shows_contact_data_masked_only(admin_client):
    customer = Customer(name="王五")
    customer.set_contact(phone="13812345678", email="wangwu@example.com")
    customer.save()
    listing = admin_client.get(reverse("admin:aftersales_customer_changelist")).content.decode()
    change = admin_client.get(
        reverse("admin:aftersales_customer_change", args=[customer.pk])).content.decode()
    for page in (listing, change):
        assert "138****5678" in page
        assert "13812345678" not in page and "wangwu@example.com" not in page
