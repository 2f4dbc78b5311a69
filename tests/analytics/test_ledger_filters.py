"""Each ledger filter keeps the cases it names and drops the others.

Filters are read from a query string, as the page gets them, and applied by the ledger's
selector for a supervisor (who sees every department).
"""

from datetime import datetime, timedelta
from decimal import Decimal
from urllib.parse import urlencode

import pytest
from django.utils import timezone

from aftersales.models import Order
from analytics.ledger.filters import filters_from_query, phone_search_token
from analytics.ledger.selectors import ledger_queryset
from tests.analytics.ledger_support import SHANGHAI, add_plan, add_rating, make_complaint
from tests.factories import CustomerFactory, ProductFactory, make_staff

pytestmark = pytest.mark.django_db


def numbers(user, query: str) -> set[str]:
    filters = filters_from_query(query)
    return set(ledger_queryset(user=user, filters=filters).values_list("number", flat=True))


def at(day: str, clock: str = "12:00") -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}").replace(tzinfo=SHANGHAI)


def test_no_filter_lists_every_complaint(supervisor):
    made = {make_complaint().number for _ in range(3)}
    assert numbers(supervisor, "") == made


@pytest.mark.parametrize("period,field", [
    ("received", "received_at"), ("replied", "replied_at"), ("closed", "closed_at"),
])
def test_period_counts_whole_local_days_of_the_chosen_date(supervisor, period, field):
    first = make_complaint(**{field: at("2026-02-10", "00:00")})
    last = make_complaint(**{field: at("2026-02-11", "23:59")})
    make_complaint(**{field: at("2026-02-09", "23:59")})
    make_complaint(**{field: at("2026-02-12", "00:00")})
    if field != "received_at":
        make_complaint()  # never replied / closed
    query = urlencode({"period": period, "date_from": "2026-02-10", "date_to": "2026-02-11"})
    assert numbers(supervisor, query) == {first.number, last.number}


def test_period_with_only_a_start_or_only_an_end(supervisor):
    old = make_complaint(received_at=at("2026-01-05"))
    new = make_complaint(received_at=at("2026-02-05"))
    assert numbers(supervisor, "date_from=2026-02-01") == {new.number}
    assert numbers(supervisor, "date_to=2026-01-31") == {old.number}


@pytest.mark.parametrize("field,wanted,other", [
    ("channel", "REGULATOR", "HOTLINE"),
    ("category", "QUAL", "LOGI"),
    ("subcategory", "FUNC", "SAFETY"),
    ("severity", "S1", "S4"),
    ("stage", "handle", "register"),
    ("state", "IN_PROGRESS", "REGISTERED"),
    ("outcome", "SOLVED", "PARTIAL"),
])
def test_code_filters(supervisor, field, wanted, other):
    match = make_complaint(**{field: wanted})
    make_complaint(**{field: other})
    make_complaint()
    assert numbers(supervisor, f"{field}={wanted}") == {match.number}


def test_responsible_department_is_the_plans_unit_else_the_assigned_department(
        supervisor, quality_dept, other_dept):
    by_plan = make_complaint(department=other_dept)
    add_plan(by_plan, department=quality_dept)
    assigned_no_plan = make_complaint(department=quality_dept)
    moved_by_plan = make_complaint(department=quality_dept)
    add_plan(moved_by_plan, department=other_dept)
    make_complaint(department=other_dept)
    assert numbers(supervisor, f"department={quality_dept.pk}") == {
        by_plan.number, assigned_no_plan.number}


def test_responsible_person_and_handler(supervisor, handler, other_handler, quality_dept):
    held = make_complaint()
    add_plan(held, department=quality_dept, person=handler)
    other = make_complaint(assignee=handler)
    add_plan(other, department=quality_dept, person=other_handler)
    make_complaint()
    assert numbers(supervisor, f"responsible={handler.pk}") == {held.number}
    assert numbers(supervisor, f"handler={handler.pk}") == {other.number}


@pytest.mark.parametrize("band,ratings_in", [
    ("satisfied", {4, 5}), ("neutral", {3}), ("dissatisfied", {1, 2}),
])
def test_satisfaction_by_the_latest_rating(supervisor, band, ratings_in):
    made = {}
    for rating in range(1, 6):
        complaint = make_complaint()
        add_rating(complaint, rating)
        made[rating] = complaint.number
    unrated = make_complaint()
    assert numbers(supervisor, f"satisfaction={band}") == {made[r] for r in ratings_in}
    assert numbers(supervisor, "satisfaction=unrated") == {unrated.number}


def test_satisfaction_uses_the_latest_answer(supervisor):
    complaint = make_complaint()
    first = add_rating(complaint, 1)
    second = add_rating(complaint, 5)
    type(second).objects.filter(pk=second.pk).update(answered_at=first.answered_at
                                                     + timedelta(days=1))
    assert numbers(supervisor, "satisfaction=satisfied") == {complaint.number}
    assert numbers(supervisor, "satisfaction=dissatisfied") == set()


def test_repeat(supervisor):
    parent = make_complaint()
    repeat = make_complaint(repeat_of=parent)
    assert numbers(supervisor, "repeat=yes") == {repeat.number}
    assert numbers(supervisor, "repeat=no") == {parent.number}


def test_overdue_is_any_clock_missed(supervisor):
    now = timezone.now()
    hour = timedelta(hours=1)
    running_late = make_complaint(first_response_due_at=now - hour)
    answered_late = make_complaint(first_response_due_at=now - 3 * hour,
                                   first_response_at=now - hour, resolution_due_at=now + hour)
    closed_late = make_complaint(is_open=False, state="CLOSED", close_due_at=now - 3 * hour,
                                 closed_at=now - hour)
    on_time = make_complaint(first_response_due_at=now - 3 * hour,
                             first_response_at=now - 4 * hour, resolution_due_at=now + hour)
    closed_unanswered = make_complaint(is_open=False, state="NOT_ACCEPTED",
                                       first_response_due_at=now - hour)
    no_clock = make_complaint()
    assert numbers(supervisor, "overdue=yes") == {
        running_late.number, answered_late.number, closed_late.number}
    assert numbers(supervisor, "overdue=no") == {
        on_time.number, closed_unanswered.number, no_clock.number}


def test_regulator_by_channel_or_case_number(supervisor):
    by_channel = make_complaint(channel="REGULATOR")
    by_number = make_complaint(channel="HOTLINE", regulator_case_number="12315-001")
    plain = make_complaint(channel="HOTLINE")
    assert numbers(supervisor, "regulator=yes") == {by_channel.number, by_number.number}
    assert numbers(supervisor, "regulator=no") == {plain.number}


def test_product_by_sku(supervisor):
    kettle = ProductFactory(sku="KETTLE-1")
    match = make_complaint(product=kettle)
    make_complaint(product=ProductFactory(sku="KETTLE-2"))
    make_complaint(product_given="KETTLE-1")
    assert numbers(supervisor, "product=KETTLE-1") == {match.number}


def test_search_by_case_number_or_order_number(supervisor):
    customer = CustomerFactory()
    order = Order.objects.create(number="SO-777", customer=customer, placed_at=timezone.now())
    by_number = make_complaint()
    by_order = make_complaint(order=order, customer=customer)
    by_order_as_given = make_complaint(order_number_given="SO-888")
    make_complaint(order_number_given="SO-7777")
    assert numbers(supervisor, f"q={by_number.number}") == {by_number.number}
    assert numbers(supervisor, "q=SO-777") == {by_order.number}
    assert numbers(supervisor, "q=SO-888") == {by_order_as_given.number}


def test_phone_search_matches_the_keyed_hash_of_the_number(supervisor):
    customer = CustomerFactory(contact__phone="13900001111")
    mine = make_complaint(customer=customer)
    make_complaint()
    token = phone_search_token("+86 139-0000-1111")
    assert "13900001111" not in token
    assert numbers(supervisor, urlencode({"pt": token})) == {mine.number}


def test_tampered_or_expired_phone_token_finds_nothing(supervisor, settings):
    make_complaint(customer=CustomerFactory(contact__phone="13900001111"))
    token = phone_search_token("13900001111")
    assert numbers(supervisor, urlencode({"pt": token[:-2] + "xx"})) == set()
    settings.LEDGER_PHONE_SEARCH_MAX_AGE_SECONDS = -1
    assert numbers(supervisor, urlencode({"pt": token})) == set()


def test_filters_combine(supervisor):
    both = make_complaint(channel="REGULATOR", severity="S1")
    make_complaint(channel="REGULATOR", severity="S4")
    make_complaint(channel="HOTLINE", severity="S1")
    assert numbers(supervisor, "channel=REGULATOR&severity=S1") == {both.number}


def test_a_wrong_value_is_ignored_not_an_error(supervisor):
    made = {make_complaint().number for _ in range(2)}
    assert numbers(supervisor, "channel=NOPE&department=abc&date_from=yesterday") == made


def test_kind_filter_offers_the_registered_kinds(supervisor):
    complaint = make_complaint()
    assert numbers(supervisor, "kind=COMPLAINT") == {complaint.number}
    # A kind the ledger does not know is ignored, as the form does: complaints.
    assert numbers(supervisor, "kind=NOPE") == {complaint.number}


def test_compensation_amount_and_plan_do_not_multiply_rows(supervisor, quality_dept):
    complaint = make_complaint()
    add_plan(complaint, department=quality_dept, compensation=Decimal("50.00"))
    add_plan(complaint, department=quality_dept, compensation=Decimal("80.00"))
    add_rating(complaint, 4)
    add_rating(complaint, 5)
    assert list(ledger_queryset(user=supervisor, filters=filters_from_query(""))
                .values_list("number", flat=True)) == [complaint.number]


def test_handler_scope_applies_under_every_filter(handler, quality_dept, other_dept):
    make_staff("qa2", "handler", quality_dept)
    mine = make_complaint(department=quality_dept, channel="REGULATOR")
    make_complaint(department=other_dept, channel="REGULATOR")
    make_complaint(channel="REGULATOR")
    assert numbers(handler, "channel=REGULATOR") == {mine.number}
