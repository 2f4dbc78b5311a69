"""The pages people use: the portal's fault report, the customer's tracking page (quote,
slot), the technician's phone view from arrival to the customer's signature, the address
shown only to the dispatched technician and logged, the printable service record."""

from datetime import timedelta

import pytest
from django.urls import reverse

from aftersales.cases.kinds import portal_entries
from aftersales.cases.services import form_token_new
from aftersales.fieldservice import services as s
from aftersales.fieldservice.models import PartUsed, RepairJob, Signature
from tests.factories import OrderLineFactory

from .conftest import tomorrow_at
from .helpers import data_url

pytestmark = pytest.mark.django_db
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


def test_the_portal_offers_a_fault_report_and_an_installation():
    names = [entry.url_name for entry in portal_entries()]

    assert "fieldservice:report" in names and "fieldservice:install" in names


def test_a_customer_reports_a_fault_on_the_portal(client, field_dept):
    line = OrderLineFactory(serial_number="SN-77", product__category="Big appliances")
    form = {"name": "王芳", "phone": "13900001111", "email": "", "order_number": "",
            "serial_number": "SN-77", "description": "The washer leaks water.",
            "address": "上海市浦东新区张杨路100弄", "address_area": "浦东新区", "region": "上海",
            "preferred_from": tomorrow_at(9).strftime("%Y-%m-%dT%H:%M"),
            "preferred_until": tomorrow_at(12).strftime("%Y-%m-%dT%H:%M"),
            "service_mode": "ON_SITE", "form_token": form_token_new(), "website": ""}

    response = client.post(reverse("fieldservice:report"), form)
    again = client.post(reverse("fieldservice:report"), form)

    job = RepairJob.objects.get()
    assert response.status_code == 302 and again.status_code == 302
    assert response.url == reverse("fieldservice:track", args=[job.tracking_token])
    assert job.order_line == line and job.department == field_dept
    assert str(job.address) == "上海市浦东新区张杨路100弄"
    assert len(job.preferred_windows) == 1


def test_a_report_without_order_or_serial_keeps_what_was_typed(client):
    response = client.post(reverse("fieldservice:report"), {
        "name": "王芳", "phone": "13900001111", "description": "The washer leaks water.",
        "address": "上海", "address_area": "浦东新区", "region": "上海",
        "service_mode": "ON_SITE", "form_token": form_token_new()}, **EN)

    assert response.status_code == 400
    assert "Give the order number or the serial number." in response.content.decode()
    assert "The washer leaks water." in response.content.decode()
    assert not RepairJob.objects.exists()


def test_the_customer_accepts_the_quote_on_the_tracking_page(client, repair_in, tech):
    job = repair_in("AWAIT_QUOTE", technician=tech, paid=True)
    url = reverse("fieldservice:track", args=[job.tracking_token])
    page = client.get(url, **EN).content.decode()
    assert "¥150.00" in page

    response = client.post(url, {"form": "quote", "quote-quote": job.current_quote_id,
                                 "quote-accept": "yes", "quote-comment": ""})

    assert response.status_code == 302
    job = RepairJob.objects.get(pk=job.pk)
    assert job.quote_accepted and job.state == "TRIAGED"


def test_the_customer_picks_an_offered_slot(client, repair_in, tech, agent):
    job = repair_in("TRIAGED", technician=tech)
    start = tomorrow_at(14, days=2)
    s.job_offer_slots(job_pk=job.pk, kind=job.kind, actor=agent,
                      slots=[(start, start + timedelta(hours=2)),
                             (start + timedelta(days=1), start + timedelta(days=1, hours=2))])
    url = reverse("fieldservice:track", args=[job.tracking_token])

    response = client.post(url, {"form": "slot", "slot-slot": "1"})

    job = RepairJob.objects.get(pk=job.pk)
    assert response.status_code == 302
    assert job.state == "SCHEDULED" and job.agreed_start == start + timedelta(days=1)


def test_the_technician_works_the_job_on_the_phone(client, repair_in, tech, parts):
    job = repair_in("DISPATCHED", technician=tech)
    url = reverse("fieldservice:my_job", args=[job.number])
    client.force_login(tech.user)

    client.post(url, {"step": "check_in"})
    client.post(url, {"step": "work", "cause": "Seal worn, replaced",
                      f"part_{parts[1].pk}": "2"})
    client.post(url, {"step": "complete"})
    blank = client.post(url, {"step": "accept", "signer_name": "王芳",
                              "customer_signature": ""}, **EN)
    signed = client.post(url, {"step": "accept", "signer_name": "王芳",
                               "customer_signature": data_url()})

    job = RepairJob.objects.get(pk=job.pk)
    assert blank.status_code == 400
    assert signed.status_code == 302
    assert signed.url == reverse("fieldservice:record", args=[job.number])
    assert job.state == "ACCEPTED" and job.cause == "Seal worn, replaced"
    assert PartUsed.objects.get(job=job).quantity == 2
    record = client.get(signed.url).content.decode()
    signature = Signature.objects.get(job=job)
    assert reverse("fieldservice:signature", args=[signature.pk]) in record


def test_the_full_address_is_shown_to_the_dispatched_technician_and_logged(client,
                                                                           repair_in, tech,
                                                                           tech2):
    job = repair_in("DISPATCHED", technician=tech)
    url = reverse("fieldservice:my_job", args=[job.number])
    client.force_login(tech.user)
    before = client.get(url).content.decode()

    shown = client.post(url, {"step": "address"}).content.decode()

    assert "张杨路100弄5号" not in before
    assert "张杨路100弄5号" in shown
    assert job.events.filter(action="fieldservice.job.address_revealed",
                             actor=tech.user).count() == 1
    with pytest.raises(s.PermissionRefused):
        s.job_reveal_address(job_pk=job.pk, actor=tech2.user)


def test_lists_and_the_board_show_the_district_only(client, repair_in, tech, dispatcher):
    repair_in("TRIAGED", technician=tech)
    client.force_login(dispatcher)

    page = client.get(reverse("fieldservice:board")).content.decode()

    assert "浦东新区" in page and "张杨路" not in page


def test_the_technicians_day_lists_the_visits_in_time_order(client, repair_in, tech):
    late = repair_in("DISPATCHED", technician=tech, hour=15, days=0)
    early = repair_in("DISPATCHED", technician=tech, hour=9, days=0)
    client.force_login(tech.user)

    page = client.get(reverse("fieldservice:my")).content.decode()

    assert page.index(early.number) < page.index(late.number)


def test_the_tracking_page_shows_the_customer_only_what_is_meant_for_them(client, repair_in,
                                                                          tech):
    job = repair_in("IN_SERVICE", technician=tech)
    s.job_reveal_address(job_pk=job.pk, actor=tech.user)
    s.job_record_work(job_pk=job.pk, kind=job.kind, actor=tech.user, cause="Internal notes")

    page = client.get(reverse("fieldservice:track", args=[job.tracking_token])).content.decode()

    assert 'data-action="fieldservice.job.checked_in"' in page
    assert 'data-action="fieldservice.job.address_revealed"' not in page
    assert "Internal notes" not in page


def test_a_delivered_orders_link_opens_the_installation_booking_with_the_order(client):
    page = client.get(reverse("fieldservice:install"), {"order": "SO20260001"}).content.decode()

    assert 'value="SO20260001"' in page
