"""A new case and its first events are written in one plain statement each on PostgreSQL;
what is stored is exactly what the ORM would have stored, and a customer read by plain SQL
reads as the ORM reads it."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from aftersales.cases.services import timeline_event
from aftersales.core.rows import instance_from_row, instance_insert, instances_insert
from aftersales.models import TimelineEvent
from aftersales.people.models import Customer
from complaints.models import Complaint
from tests.factories import CustomerFactory
from tests.services import require_postgres

RECEIVED = timezone.now()


def _new_complaint(customer: Customer, number: str) -> Complaint:
    complaint = Complaint(
        number=number, kind="COMPLAINT", channel="WEBFORM", customer=customer,
        description="水壶三天后不加热了", customer_request="换货", category_hint="QUAL",
        price=Decimal("199.00"), quantity=1, product_given="Kettle K1", language="zh-hans",
        received_at=RECEIVED)
    complaint.set_contact_given(phone="13812345678", email="li@example.com")
    return complaint


def _stored(complaint: Complaint) -> dict:
    fresh = Complaint.objects.get(pk=complaint.pk)
    skip = {"id", "ticket_ptr_id", "number", "tracking_token", "created_at", "updated_at"}
    return {f.attname: getattr(fresh, f.attname) for f in Complaint._meta.concrete_fields
            if f.attname not in skip}


@pytest.mark.django_db
def test_a_case_written_in_one_statement_is_stored_as_the_orm_stores_it():
    customer = CustomerFactory()
    by_orm = _new_complaint(customer, "CP-TEST-0001")
    by_orm.save(force_insert=True)
    in_one = _new_complaint(customer, "CP-TEST-0002")

    instance_insert(in_one)

    assert in_one.pk and in_one.id == in_one.ticket_ptr_id and not in_one._state.adding
    assert _stored(in_one) == _stored(by_orm)
    stored = Complaint.objects.get(pk=in_one.pk)
    assert stored.contact_phone_given == "13812345678"  # encrypted, read back
    assert stored.created_at == in_one.created_at and stored.updated_at is not None


@pytest.mark.django_db
def test_on_postgresql_the_case_and_its_kind_row_are_one_statement():
    require_postgres()
    complaint = _new_complaint(CustomerFactory(), "CP-TEST-0003")

    with CaptureQueriesContext(connection) as captured:
        instance_insert(complaint)

    assert len(captured.captured_queries) == 1
    assert Complaint.objects.filter(pk=complaint.pk, ticket_ptr_id=complaint.pk).exists()


@pytest.mark.django_db
def test_events_written_together_get_their_keys_in_order():
    complaint = _new_complaint(CustomerFactory(), "CP-TEST-0004")
    instance_insert(complaint)
    events = [timeline_event(ticket=complaint, action=f"step-{n}", data={"n": n},
                             customer_visible=bool(n % 2)) for n in range(3)]

    instances_insert(events)

    for event in events:
        stored = TimelineEvent.objects.get(pk=event.pk)
        assert (stored.action, stored.data, stored.customer_visible) == (
            event.action, event.data, event.customer_visible)


@pytest.mark.django_db
def test_a_customer_read_by_plain_sql_is_decrypted_and_loads_the_rest_when_used():
    customer = CustomerFactory(name="李四")
    customer.set_contact(phone="13900001111", email="")
    customer.save()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, phone FROM aftersales_customer WHERE id = %s", [customer.pk])
        row = cursor.fetchone()

    read = instance_from_row(Customer, ("id", "phone"), row)

    assert read.phone == "13900001111"
    assert read.get_deferred_fields() >= {"name", "email"}
    assert read.name == "李四"


@pytest.mark.django_db
@pytest.mark.parametrize("issued_before, suffix", [(0, "0001"), (41, "0042"), (9999, "10000")])
def test_a_case_number_counts_the_day_and_keeps_every_digit(issued_before, suffix):
    from aftersales.cases.models import TicketSequence
    from complaints.services import complaint_register
    from tests.factories import intake

    today = timezone.localdate()
    if issued_before:
        TicketSequence.objects.create(prefix="CP", day=today, last=issued_before)

    complaint = complaint_register(intake=intake(), actor=None)

    assert complaint.number == f"CP-{today:%Y%m%d}-{suffix}"
    stored = Complaint.objects.get(pk=complaint.pk)
    assert stored.number == complaint.number
    registered = stored.events.order_by("id").last()
    assert registered.data["number"] == complaint.number
    assert [e.pk for e in stored.events.order_by("id")] == [
        e.pk for e in TimelineEvent.objects.filter(ticket=complaint).order_by("created_at", "id")]
