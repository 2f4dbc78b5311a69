"""Contact data: an anonymous submission never changes the contact on file; the contact
given with a case stays on the case until an agent confirms it; customer messages go only to
contact on file, confirmed, or given with that very case; staff pages show contacts masked
and only the case owner may reveal them, each reveal logged on the case's timeline."""

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.urls import reverse
from django.utils.translation import gettext_lazy

from aftersales.cases.contacts import (
    CONTACT_CONFIRMED,
    CONTACT_REVEALED,
    ticket_customer_email,
    ticket_customer_phone,
)
from aftersales.cases.services import (
    form_token_new,
    ticket_add_note,
    ticket_confirm_contact,
    ticket_reveal_contact,
)
from aftersales.core.choices import Channel
from aftersales.core.exceptions import DomainError, PermissionRefused
from aftersales.models import Customer, TimelineEvent
from aftersales.people.services import customer_for_intake
from complaints import services as s
from complaints.choices import State
from complaints.models import Complaint
from tests.access import LOGIN, assert_outcome, matrix, request_as
from tests.factories import as_shown, complaint_in_state, intake

pytestmark = pytest.mark.django_db

PHONE, EMAIL = "13912345678", "victim@example.com"
ATTACKER_EMAIL, ATTACKER_PHONE = "attacker@example.net", "13600000000"
PUBLIC_FORM = reverse("complaints:public_new")
NOT_CONFIRMED = gettext_lazy("Contact as given — not confirmed")


@pytest.fixture
def victim():
    customer = Customer(name="王芳")
    customer.set_contact(phone=PHONE, email=EMAIL)
    customer.save()
    return customer


@pytest.fixture
def victims_case(victim, agent, handler, supervisor, quality_dept):
    """The victim's own complaint, taken by an agent and handled in the quality department."""
    return complaint_in_state(State.CLASSIFIED, agent=agent, handler=handler,
                              supervisor=supervisor, dept=quality_dept, customer=victim,
                              phone="", email="")


def public_form(**overrides) -> dict:
    values = {"name": "王芳", "phone": PHONE, "email": ATTACKER_EMAIL, "order_number": "",
              "product": "Electric kettle K1", "category_hint": "QUAL",
              "description": "The kettle switches itself off after ten seconds.",
              "customer_request": "", "website": "", "form_token": form_token_new()}
    values.update(overrides)
    return values


def submit(client, **overrides) -> Complaint:
    response = client.post(PUBLIC_FORM, public_form(**overrides))
    assert response.status_code == 302
    return Complaint.objects.order_by("-pk").first()


def on_file(customer: Customer) -> tuple[str, str]:
    fresh = Customer.objects.get(pk=customer.pk)
    return fresh.phone, fresh.email


# --- an anonymous submission never changes the contact on file ------------------------------

def test_a_known_phone_and_a_new_email_do_not_change_the_email_on_file(client, victim):
    complaint = submit(client)

    assert complaint.customer == victim
    assert on_file(victim) == (PHONE, EMAIL)


def test_a_known_phone_does_not_add_an_email_the_customer_never_gave(client):
    phone_only = Customer(name="王芳")
    phone_only.set_contact(phone=PHONE)
    phone_only.save()

    submit(client)

    assert on_file(phone_only) == (PHONE, "")


def test_a_known_email_does_not_add_a_phone_the_customer_never_gave(client):
    email_only = Customer(name="王芳")
    email_only.set_contact(email=EMAIL)
    email_only.save()

    submit(client, phone=ATTACKER_PHONE, email=EMAIL)

    assert on_file(email_only) == ("", EMAIL)


def test_a_new_customer_is_created_with_the_contact_given(client):
    complaint = submit(client, phone="13500001111", email="new@example.com")

    assert on_file(complaint.customer) == ("13500001111", "new@example.com")


def test_the_contact_given_is_kept_on_the_case_encrypted(client, victim):
    complaint = submit(client)

    assert (complaint.contact_phone_given, complaint.contact_email_given) == (
        PHONE, ATTACKER_EMAIL)
    with connection.cursor() as cursor:
        cursor.execute("SELECT contact_email_given, contact_email_given_hash "
                       "FROM aftersales_ticket WHERE id = %s", [complaint.pk])
        stored, stored_hash = cursor.fetchone()
    assert ATTACKER_EMAIL not in stored
    assert stored_hash and ATTACKER_EMAIL not in stored_hash


# --- where customer messages go ---------------------------------------------------------------

def test_messages_about_the_victims_own_case_still_go_to_the_contact_on_file(
        client, victim, victims_case):
    submit(client, phone=PHONE, email=ATTACKER_EMAIL)

    victims_case = Complaint.objects.select_related("customer").get(pk=victims_case.pk)
    assert ticket_customer_email(victims_case) == EMAIL
    assert ticket_customer_phone(victims_case) == PHONE


def test_a_stranger_with_the_phone_of_a_customer_without_email_gets_none_of_their_mail(
        client, victim, victims_case):
    # The takeover: the victim registered by phone has no e-mail on file yet.
    Customer.objects.filter(pk=victim.pk).update(email="", email_hash="")

    submit(client, phone=PHONE, email=ATTACKER_EMAIL)

    victims_case = Complaint.objects.select_related("customer").get(pk=victims_case.pk)
    assert ticket_customer_email(victims_case) == ""
    assert on_file(victim) == (PHONE, "")


def test_sms_about_the_victims_case_never_go_to_a_phone_given_with_another_case(
        client, victim, victims_case):
    submit(client, phone=ATTACKER_PHONE, email=EMAIL)

    victims_case = Complaint.objects.select_related("customer").get(pk=victims_case.pk)
    assert ticket_customer_phone(victims_case) == PHONE


def test_messages_about_a_case_go_to_the_contact_given_with_that_case(client, victim):
    complaint = submit(client)

    assert ticket_customer_email(complaint) == ATTACKER_EMAIL
    assert ticket_customer_phone(complaint) == PHONE


@pytest.mark.parametrize(
    ("given", "on_file_contact", "expected"),
    [
        # (phone, e-mail) given with the case, on file, expected (SMS, e-mail) recipients
        (("", ""), (PHONE, EMAIL), (PHONE, EMAIL)),
        ((PHONE, ""), (PHONE, EMAIL), (PHONE, EMAIL)),
        ((PHONE, ATTACKER_EMAIL), (PHONE, EMAIL), (PHONE, ATTACKER_EMAIL)),
        ((ATTACKER_PHONE, EMAIL), ("", EMAIL), (ATTACKER_PHONE, EMAIL)),
        (("", ""), ("", ""), ("", "")),
    ],
)
def test_the_recipient_rule(given, on_file_contact, expected):
    customer = Customer(name="王芳")
    customer.set_contact(phone=on_file_contact[0], email=on_file_contact[1])
    customer.save()
    complaint = Complaint(customer=customer)
    complaint.set_contact_given(phone=given[0], email=given[1])

    assert (ticket_customer_phone(complaint), ticket_customer_email(complaint)) == expected


def test_the_acknowledgement_goes_to_the_address_given_not_the_one_on_file(
        client, victim, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        submit(client)

    assert [m.to for m in mailoutbox] == [[ATTACKER_EMAIL]]


def test_no_message_on_a_phone_only_customers_case_is_mailed_to_a_stranger(
        client, victim, victims_case, agent, mailoutbox, django_capture_on_commit_callbacks):
    Customer.objects.filter(pk=victim.pk).update(email="", email_hash="")
    submit(client)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_note(ticket_model=Complaint, ticket_pk=victims_case.pk, actor=agent,
                        text="We will call you tomorrow.", customer_visible=True)

    assert mailoutbox == []


def test_a_message_on_the_victims_case_is_mailed_to_the_address_on_file(
        client, victim, victims_case, agent, mailoutbox, django_capture_on_commit_callbacks):
    submit(client)
    mailoutbox.clear()

    with django_capture_on_commit_callbacks(execute=True):
        ticket_add_note(ticket_model=Complaint, ticket_pk=victims_case.pk, actor=agent,
                          text="We will call you tomorrow.", customer_visible=True)

    assert [m.to for m in mailoutbox] == [[EMAIL]]


# --- staff intake -------------------------------------------------------------------------------

def test_staff_intake_fills_in_a_contact_missing_on_file(agent):
    phone_only = Customer(name="王芳")
    phone_only.set_contact(phone=PHONE)
    phone_only.save()

    s.complaint_register(intake=intake(phone=PHONE, email="new@example.com",
                                       channel=Channel.HOTLINE), actor=agent)

    assert on_file(phone_only) == (PHONE, "new@example.com")


def test_staff_intake_never_overwrites_a_contact_on_file(agent, victim):
    complaint = s.complaint_register(
        intake=intake(phone=PHONE, email="other@example.com", channel=Channel.HOTLINE),
        actor=agent)

    assert on_file(victim) == (PHONE, EMAIL)
    assert complaint.contact_email_given == "other@example.com"


def test_an_intake_for_a_chosen_customer_fills_in_only_for_staff(victim):
    victim.set_contact(phone=PHONE)
    victim.save()

    customer_for_intake(name="x", phone="", email="someone@example.com", actor=None,
                        customer=victim)

    assert on_file(victim) == (PHONE, "")


# --- confirming the contact given -----------------------------------------------------------

@pytest.fixture
def attackers_case(client, victim):
    return submit(client)


def case_page(complaint: Complaint) -> str:
    return reverse("complaints:detail", args=[complaint.number])


def test_the_case_page_shows_the_contact_given_masked_and_not_confirmed(
        client, agent, attackers_case):
    client.force_login(agent)

    page = client.get(case_page(attackers_case)).content.decode()

    assert as_shown(NOT_CONFIRMED) in page
    assert "a***@example.net" in page
    assert ATTACKER_EMAIL not in page and EMAIL not in page and PHONE not in page
    assert reverse("complaints:contact_confirm", args=[attackers_case.number]) in page


def test_a_contact_given_that_matches_the_file_is_not_flagged(client, agent, victim):
    complaint = submit(client, email=EMAIL)
    client.force_login(agent)

    page = client.get(case_page(complaint)).content.decode()

    assert as_shown(NOT_CONFIRMED) not in page


def test_an_agent_confirms_the_contact_given_and_it_is_recorded(
        client, agent, victim, victims_case, attackers_case):
    client.force_login(agent)

    response = client.post(reverse("complaints:contact_confirm",
                                   args=[attackers_case.number]))

    assert response.status_code == 302
    assert on_file(victim) == (PHONE, ATTACKER_EMAIL)
    event = TimelineEvent.objects.get(ticket=attackers_case, action=CONTACT_CONFIRMED)
    assert event.actor == agent
    assert event.data == {"contact_email": "a***@example.net"}
    assert not event.customer_visible
    # confirmed by an agent: the customer's other cases are mailed there from now on
    victims_case = Complaint.objects.select_related("customer").get(pk=victims_case.pk)
    assert ticket_customer_email(victims_case) == ATTACKER_EMAIL


def test_there_is_nothing_to_confirm_when_the_contact_is_on_file(agent, victims_case):
    with pytest.raises(DomainError):
        ticket_confirm_contact(ticket_model=Complaint, ticket_pk=victims_case.pk, actor=agent)


def test_a_handler_may_not_confirm(handler, attackers_case, quality_dept):
    Complaint.objects.filter(pk=attackers_case.pk).update(department=quality_dept)

    with pytest.raises(PermissionRefused):
        ticket_confirm_contact(ticket_model=Complaint, ticket_pk=attackers_case.pk,
                               actor=handler)


# --- revealing --------------------------------------------------------------------------------

def reveal_url(complaint: Complaint) -> str:
    return reverse("complaints:contact_reveal", args=[complaint.number])


def test_the_case_owner_sees_the_full_contact_once_and_the_reveal_is_logged(
        client, handler, victims_case):
    client.force_login(handler)

    response = client.post(reveal_url(victims_case))

    page = response.content.decode()
    assert response.status_code == 200
    assert PHONE in page and EMAIL in page
    assert "no-store" in response["Cache-Control"]
    event = TimelineEvent.objects.get(ticket=victims_case, action=CONTACT_REVEALED)
    assert event.actor == handler
    assert event.data == {"contact_phone": "139****5678", "contact_email": "v***@example.com"}
    assert PHONE not in str(event.data) and EMAIL not in str(event.data) + event.note


def test_each_reveal_is_logged(handler, victims_case):
    for _ in range(2):
        ticket_reveal_contact(ticket_model=Complaint, ticket_pk=victims_case.pk, actor=handler)

    assert TimelineEvent.objects.filter(ticket=victims_case, action=CONTACT_REVEALED).count() == 2


def test_the_reveal_button_is_shown_to_the_owner_only(client, handler, agent, victims_case):
    client.force_login(handler)
    assert reveal_url(victims_case) in client.get(case_page(victims_case)).content.decode()
    client.force_login(agent)
    assert reveal_url(victims_case) not in client.get(case_page(victims_case)).content.decode()


def test_the_case_page_shows_the_owner_no_full_contact_before_a_reveal(
        client, handler, victims_case):
    client.force_login(handler)

    page = client.get(case_page(victims_case)).content.decode()

    assert PHONE not in page and EMAIL not in page
    assert "139****5678" in page


def test_a_reveal_cannot_be_a_link(client, handler, victims_case):
    client.force_login(handler)

    assert client.get(reveal_url(victims_case)).status_code == 405
    assert not TimelineEvent.objects.filter(action=CONTACT_REVEALED).exists()


@pytest.fixture
def unassigned_web_case(client, victim):
    return submit(client, email=EMAIL)


def test_nobody_owns_an_unassigned_web_case(users, unassigned_web_case):
    for who in ("agent", "supervisor", "admin_user", "handler"):
        with pytest.raises(PermissionRefused):
            ticket_reveal_contact(ticket_model=Complaint, ticket_pk=unassigned_web_case.pk,
                                  actor=users[who])


def test_the_agent_who_registered_an_unassigned_case_owns_it(agent):
    complaint = s.complaint_register(intake=intake(channel=Channel.HOTLINE), actor=agent)

    revealed = ticket_reveal_contact(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent)

    assert revealed.phone == "13812345678"


# --- who may, what it costs ------------------------------------------------------------------

CONTACT_VIEWS = {
    "confirm": lambda c: reverse("complaints:contact_confirm", args=[c.number]),
    "reveal": lambda c: reverse("complaints:contact_reveal", args=[c.number]),
}
#            anonymous no_role other_handler handler agent supervisor admin
EXPECTED = {
    "confirm": (LOGIN, 403, 404, 403, 302, 302, 302),
    "reveal":  (LOGIN, 403, 404, 200, 403, 403, 403),
}


@pytest.fixture
def case_with_given_contact(client, victim, agent, handler, supervisor, quality_dept):
    """A case of the quality department, its handler the owner, filed with a new e-mail."""
    complaint = complaint_in_state(State.CLASSIFIED, agent=agent, handler=handler,
                                   supervisor=supervisor, dept=quality_dept,
                                   channel=Channel.WEBFORM, phone=PHONE, email=ATTACKER_EMAIL)
    return Complaint.objects.get(pk=complaint.pk)


@pytest.mark.parametrize(("view", "who", "expected"), matrix(EXPECTED))
def test_contact_view_access(client, users, case_with_given_contact, view, who, expected):
    path = CONTACT_VIEWS[view](case_with_given_contact)

    response = request_as(client, users[who], "post", path)

    assert_outcome(response, path, expected)


# Measured on SQLite: confirming 13 queries (session, user, two permission reads, the case,
# its lock, the customer, the update, the timeline event, the version bump and re-read, two
# savepoint statements); revealing 12 (the same sign-in reads and staff profile, the case
# twice, the timeline event, two savepoint statements, and the page's roles and notification
# count). One query of room.
CONFIRM_BUDGET = 14
REVEAL_BUDGET = 13


def test_confirming_has_a_query_budget(client, agent, attackers_case,
                                       django_assert_max_num_queries):
    client.force_login(agent)
    client.get(case_page(attackers_case))
    with django_assert_max_num_queries(CONFIRM_BUDGET):
        response = client.post(reverse("complaints:contact_confirm",
                                       args=[attackers_case.number]))
    assert response.status_code == 302


def test_revealing_has_a_query_budget(client, handler, victims_case,
                                      django_assert_max_num_queries):
    client.force_login(handler)
    client.post(reveal_url(victims_case))
    with django_assert_max_num_queries(REVEAL_BUDGET):
        response = client.post(reveal_url(victims_case))
    assert response.status_code == 200


# --- no staff page shows a full contact ---------------------------------------------------------

def staff_pages(case: Complaint) -> list[tuple[str, str]]:
    """(who, url) for every staff page that shows a customer, each as someone who sees it."""
    return [
        ("supervisor", reverse("aftersales:inbox")),
        ("handler", reverse("aftersales:inbox") + "?tab=mine"),
        ("agent", reverse("complaints:detail", args=[case.number])),
        ("handler", reverse("complaints:detail", args=[case.number])),
        ("supervisor", reverse("complaints:detail", args=[case.number])),
        ("agent", reverse("complaints:register")),
        ("supervisor", reverse("aftersales:followups_due")),
        ("handler", reverse("aftersales:notifications")),
        ("admin_user", reverse("admin:aftersales_customer_changelist")),
        ("admin_user", reverse("admin:aftersales_customer_change", args=[case.customer_id])),
        ("superuser", reverse("admin:complaints_complaint_changelist")),
        ("superuser", reverse("admin:complaints_complaint_change", args=[case.pk])),
    ]


def test_no_staff_page_shows_a_full_phone_or_email(client, users, case_with_given_contact):
    users = {**users, "superuser": get_user_model().objects.create_superuser(
        "root", "root@staff.example", "x")}
    for who, url in staff_pages(case_with_given_contact):
        client.force_login(users[who])

        response = client.get(url)

        page = response.content.decode()
        assert response.status_code == 200, url
        for secret in (PHONE, EMAIL, ATTACKER_EMAIL):
            assert secret not in page, f"{secret} shown on {url} to {who}"
