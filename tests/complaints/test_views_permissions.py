"""Who may open each complaint page (complaints/urls.py): anonymous visitors are sent to sign
in, a login without a role is refused (403), a handler never learns of another department's
complaint (404), the right role gets the page (200) or the redirect after a write (302).
The public pages are open to everyone but guarded against forgery, floods and bots."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy

from aftersales.cases.services import form_token_new, ticket_add_note
from aftersales.models import Customer
from complaints.choices import State
from complaints.models import Complaint
from tests.access import LOGIN, WHO, assert_outcome, matrix, request_as
from tests.factories import as_shown, checked_evidence, complaint_in_state


@pytest.fixture
def case(agent, handler, supervisor, quality_dept):
    """A quality-department complaint its handler works on, with a file on its timeline."""
    complaint = complaint_in_state(State.CLASSIFIED, agent=agent, handler=handler,
                                   supervisor=supervisor, dept=quality_dept)
    ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=agent,
                    text="Photo from the customer", customer_visible=False,
                    uploads=[checked_evidence("kettle.png")])
    return Complaint.objects.get(pk=complaint.pk)


def register_form() -> dict:
    received = timezone.localtime(timezone.now() - timedelta(hours=1))
    return {
        "name": "王五", "phone": "13700001111", "email": "", "channel": "HOTLINE",
        "received_at": received.strftime("%Y-%m-%d %H:%M"), "customer_id": "",
        "order_number": "", "product": "", "product_text": "Rice cooker R2",
        "request_type": "QUALITY", "category_hint": "QUAL",
        "description": "The lid does not close any more.", "customer_request": "",
        "purchase_date": "", "regulator_case_number": "", "form_token": form_token_new(),
    }


# view: (method, url, form data)
STAFF_VIEWS = {
    "inbox": ("get", lambda c: reverse("aftersales:inbox"), None),
    "register": ("get", lambda c: reverse("complaints:register"), None),
    "register (send)": ("post", lambda c: reverse("complaints:register"),
                        lambda c: register_form()),
    "detail": ("get", lambda c: reverse("complaints:detail", args=[c.number]), None),
    "act": ("post", lambda c: reverse("complaints:act", args=[c.number, "escalate"]),
            lambda c: {"escalate-version": c.version, "escalate-reason": "Overdue."}),
    "note": ("post", lambda c: reverse("complaints:note", args=[c.number]),
             lambda c: {"text": "Called the customer back."}),
}
#                   anonymous no_role other_handler handler agent supervisor admin
EXPECTED = {
    "inbox":           (LOGIN, 403, 200, 200, 200, 200, 200),
    "register":        (LOGIN, 403, 403, 403, 200, 200, 200),
    "register (send)": (LOGIN, 403, 403, 403, 302, 302, 302),
    "detail":          (LOGIN, 403, 404, 200, 200, 200, 200),
    "act":             (LOGIN, 403, 404, 302, 302, 302, 302),
    "note":            (LOGIN, 403, 404, 302, 302, 302, 302),
}
MATRIX = matrix(EXPECTED)


def test_the_matrix_covers_every_staff_view():
    assert set(EXPECTED) == set(STAFF_VIEWS)


@pytest.mark.django_db
@pytest.mark.parametrize(("view", "who", "expected"), MATRIX)
def test_staff_view_access(client, users, case, view, who, expected):
    method, url, data = STAFF_VIEWS[view]
    path = url(case)

    response = request_as(client, users[who], method, path, data(case) if data else None)

    assert_outcome(response, path, expected)


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["anonymous", "no_role", "other_handler"])
def test_refused_writes_change_nothing(client, users, case, who):
    if users[who] is not None:
        client.force_login(users[who])
    before = (case.version, case.escalation_level, case.events.count())

    for view in ("act", "note"):
        method, url, data = STAFF_VIEWS[view]
        getattr(client, method)(url(case), data(case))

    after = Complaint.objects.get(pk=case.pk)
    assert (after.version, after.escalation_level, after.events.count()) == before


@pytest.mark.django_db
def test_the_inbox_shows_a_handler_only_their_departments_complaints(client, case, handler,
                                                                      other_handler):
    client.force_login(other_handler)
    elsewhere = client.get(reverse("aftersales:inbox"))
    client.force_login(handler)
    own = client.get(reverse("aftersales:inbox"))

    assert case.number not in elsewhere.content.decode()
    assert case.number in own.content.decode()


@pytest.mark.django_db
def test_my_department_is_empty_for_someone_without_a_department(client, supervisor, agent,
                                                                 handler):
    unclassified = complaint_in_state(State.REGISTERED, agent=agent, handler=handler,
                                      supervisor=supervisor, dept=None)
    client.force_login(supervisor)
    inbox = reverse("aftersales:inbox")

    department = client.get(inbox, {"tab": "department"})
    everything = client.get(inbox, {"tab": "all_open"})

    assert department.context["page"].rows == []
    assert [c.number for c in everything.context["page"].rows] == [unclassified.number]


@pytest.mark.django_db
def test_an_unknown_action_is_not_found(client, case, agent):
    client.force_login(agent)

    response = client.post(reverse("complaints:act", args=[case.number, "delete"]), {})

    assert response.status_code == 404


@pytest.mark.django_db
def test_an_action_outside_the_role_is_refused_with_the_reason(client, case, handler):
    client.force_login(handler)
    path = reverse("complaints:act", args=[case.number, "classify"])

    response = client.post(path, {"classify-version": case.version, "classify-category": "QUAL",
                                  "classify-subcategory": "FUNC", "classify-severity": "S4",
                                  "classify-department": case.department_id})

    assert response.status_code == 409
    assert Complaint.objects.get(pk=case.pk).state == State.CLASSIFIED


@pytest.mark.django_db
def test_a_malformed_customer_link_on_the_register_page_is_ignored(client, agent):
    client.force_login(agent)

    response = client.get(reverse("complaints:register"), {"use": "1 OR 1=1"})

    assert response.status_code == 200
    assert response.context["form"].initial == {}


@pytest.mark.django_db
@pytest.mark.parametrize("who", WHO)
@pytest.mark.parametrize("page", ["public_new", "public_submitted", "track"])
def test_public_pages_are_open_to_everyone(client, users, case, page, who):
    if users[who] is not None:
        client.force_login(users[who])
    args = [] if page == "public_new" else [case.tracking_token]

    response = client.get(reverse(f"complaints:{page}", args=args))

    assert response.status_code == 200


# --- the public form's guards -----------------------------------------------------------

def public_form(**overrides) -> dict:
    values = {"name": "赵六", "phone": "13600002222", "email": "", "order_number": "",
              "product": "Kettle K1", "category_hint": "QUAL",
              "description": "The kettle leaks at the bottom.", "customer_request": "",
              "website": "", "form_token": form_token_new()}
    values.update(overrides)
    return values


RATE_LIMITED = gettext_lazy("Too many submissions from your network. Please try again in an "
                            "hour or call our hotline.")


@pytest.fixture
def private_cache(settings):
    """Counters of this test only, whoever else uses the shared cache at the same time."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
        "LOCATION": f"guards-{id(settings)}",
    }}


@pytest.mark.django_db
def test_the_public_form_needs_the_csrf_token():
    browser = Client(enforce_csrf_checks=True)
    url = reverse("complaints:public_new")

    forged = browser.post(url, public_form())
    browser.get(url)
    genuine = browser.post(url, {**public_form(),
                                 "csrfmiddlewaretoken": browser.cookies["csrftoken"].value})

    assert forged.status_code == 403
    assert genuine.status_code == 302
    assert Complaint.objects.count() == 1


@pytest.mark.django_db
def test_staff_actions_need_the_csrf_token(case, agent):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(agent)

    response = browser.post(reverse("complaints:act", args=[case.number, "escalate"]),
                            {"escalate-version": case.version, "escalate-reason": "Overdue."})

    assert response.status_code == 403
    assert Complaint.objects.get(pk=case.pk).escalation_level == 0


@pytest.mark.django_db
def test_the_public_form_accepts_a_limited_number_of_posts_per_address(settings, private_cache):
    limit = settings.PUBLIC_FORM_RATE_LIMIT
    one_address = Client(REMOTE_ADDR="203.0.113.7")
    another_address = Client(REMOTE_ADDR="203.0.113.8")
    url = reverse("complaints:public_new")

    allowed = [one_address.post(url, public_form()).status_code for _ in range(limit)]
    refused = one_address.post(url, public_form())
    elsewhere = another_address.post(url, public_form())

    assert allowed == [302] * limit
    assert refused.status_code == 429
    assert as_shown(RATE_LIMITED) in refused.content.decode()
    assert elsewhere.status_code == 302
    assert Complaint.objects.count() == limit + 1


@pytest.mark.django_db
def test_invalid_posts_count_towards_the_limit_too(settings, private_cache):
    browser = Client(REMOTE_ADDR="203.0.113.9")
    url = reverse("complaints:public_new")

    for _ in range(settings.PUBLIC_FORM_RATE_LIMIT):
        assert browser.post(url, public_form(description="short")).status_code == 400
    refused = browser.post(url, public_form())

    assert refused.status_code == 429
    assert Complaint.objects.count() == 0


@pytest.mark.django_db
def test_a_filled_honeypot_stores_nothing_and_tells_the_bot_nothing(
        client, mailoutbox, django_capture_on_commit_callbacks, private_cache):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("complaints:public_new"),
                               public_form(email="bot@example.com", website="http://spam.example"))

    assert response.status_code == 302
    assert response.url == reverse("complaints:public_new")
    assert Complaint.objects.count() == 0
    assert Customer.objects.count() == 0
    assert mailoutbox == []
