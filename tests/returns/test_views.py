"""Return pages: who may open them, the portal and tracking journeys, and query budgets."""

import pytest
from django.core import mail
from django.urls import reverse

from aftersales.models import OutboxMessage
from returns.choices import Reason, RequestType, State
from returns.models import ReturnOrder
from tests.access import LOGIN, assert_outcome, matrix, request_as
from tests.queries import joins_as_written_statements, queries
from tests.returns.conftest import PHONE, create, make_order, walk

EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


# --- permission matrix ------------------------------------------------------------------

# One column per WHO: anonymous, no_role, other_handler, handler, agent, supervisor, admin.
EXPECTED = {
    "detail": (LOGIN, 403, 404, 404, 200, 200, 200),
    "register": (LOGIN, 403, 403, 403, 200, 200, 200),
    "accept": (LOGIN, 403, 404, 404, 302, 302, 302),
}


@pytest.mark.django_db
@pytest.mark.parametrize(("view", "who", "expected"), matrix(EXPECTED))
def test_permission_matrix(client, users, staff, order, view, who, expected):
    ret = create(order)
    if view == "detail":
        path, method, data = reverse("returns:detail", args=[ret.number]), "get", None
    elif view == "register":
        path, method, data = reverse("returns:register"), "get", None
    else:
        path = reverse("returns:act", args=[ret.number, "accept"])
        method, data = "post", {"accept-version": ret.version, "accept-note": "ok"}
    response = request_as(client, users[who], method, path, data)
    assert_outcome(response, path, expected)
    accepted = ReturnOrder.objects.get(pk=ret.pk).state != State.REVIEWING
    assert accepted == (expected == 302)


@pytest.mark.django_db
def test_the_warehouse_sees_returns_routed_to_it_and_nothing_else(client, staff, order,
                                                                  warehouse):
    waiting = walk(order, State.AWAIT_SHIPBACK, staff)
    other = create(make_order(sku="OTHER-1"))
    client.force_login(warehouse)
    assert client.get(reverse("returns:detail", args=[waiting.number])).status_code == 200
    assert client.get(reverse("returns:detail", args=[other.number])).status_code == 404


@pytest.mark.django_db
def test_a_quality_claim_goes_to_the_quality_department(client, staff, order, quality_handler):
    ret = walk(order, State.INSPECTION, staff, reason=Reason.QUALITY)
    client.force_login(quality_handler)
    response = client.get(reverse("returns:detail", args=[ret.number]), **EN)
    assert response.status_code == 200
    assert [a.name for a, _f in response.context["actions"]] == ["quality_report"]


# --- portal ------------------------------------------------------------------------------

@pytest.mark.django_db
def test_customer_finds_the_order_sees_the_answer_then_submits(client, order):
    response = client.post(reverse("returns:portal"),
                           {"order_number": order.number, "contact": PHONE}, **EN)
    assert response.status_code == 302
    page = response.url
    assert PHONE not in page
    line = order.lines.get()
    form = client.get(page, **EN)
    token = form.context["form"]["form_token"].value()
    data = {"request_type": RequestType.RETURN_REFUND, "reason": Reason.NO_REASON,
            f"qty_{line.pk}": "1", "form_token": token, "intent": "preview"}
    preview = client.post(page, data, **EN)
    assert preview.status_code == 200
    assert preview.context["previewed"]
    text = preview.content.decode()
    assert "You can return this without a reason until" in text
    assert 'data-rule="A6"' in text
    assert not ReturnOrder.objects.exists()

    submitted = client.post(page, {**data, "intent": "submit"}, **EN)
    again = client.post(page, {**data, "intent": "submit"}, **EN)
    ret = ReturnOrder.objects.get()
    assert submitted.url == again.url == reverse("returns:track", args=[ret.tracking_token])
    assert ret.decision_rule == "A6"
    assert ret.channel == "WEBFORM"


@pytest.mark.django_db
def test_a_wrong_contact_finds_no_order(client, order):
    response = client.post(reverse("returns:portal"),
                           {"order_number": order.number, "contact": "13000000000"}, **EN)
    assert response.status_code == 404
    assert "could not find an order" in response.content.decode()


@pytest.mark.django_db
def test_excluded_goods_are_explained_before_submitting(client):
    order = make_order(no_reason_return_excluded=True)
    response = client.post(reverse("returns:portal"),
                           {"order_number": order.number, "contact": PHONE})
    line = order.lines.get()
    preview = client.post(response.url, {"reason": Reason.NO_REASON, f"qty_{line.pk}": "1",
                                         "intent": "preview"}, **EN)
    assert 'data-rule="A3"' in preview.content.decode()


@pytest.mark.django_db
def test_the_answer_endpoint_gives_the_rule_for_a_line(client, order):
    response = client.post(reverse("returns:portal"),
                           {"order_number": order.number, "contact": PHONE})
    line = order.lines.get()
    answer = client.get(response.url + "answer/", {"line": line.pk, "reason": "TRANSPORT_DAMAGE"},
                        **EN).json()
    assert answer["rule"] == "B4"
    assert answer["pickup"] is True


# --- tracking page ------------------------------------------------------------------------

@pytest.mark.django_db
def test_customer_enters_the_tracking_number_on_the_tracking_page(client, staff, order):
    ret = walk(order, State.AWAIT_SHIPBACK, staff)
    url = reverse("returns:track", args=[ret.tracking_token])
    page = client.get(url, **EN)
    text = page.content.decode()
    assert "Return address" in text and ret.shipback_address in text
    assert "What you need to do" in text
    response = client.post(url, {"form": "ship", "ship-carrier": "YTO",
                                 "ship-tracking_number": "YT 1234 5678"})
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.state == State.IN_TRANSIT
    assert ret.return_tracking_number == "YT12345678"


@pytest.mark.django_db
def test_the_return_address_is_sent_at_once_by_mail_and_text(
        staff, order, settings, django_capture_on_commit_callbacks):
    settings.SMS_BACKEND = "aftersales.notifications.sms.LocmemSmsBackend"
    from aftersales.notifications import sms

    sent_before = len(sms.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        ret = walk(order, State.AWAIT_SHIPBACK, staff)
    assert OutboxMessage.objects.filter(task="returns.notify_customer",
                                        args=[ret.pk, "shipback"]).exists()
    assert any(ret.shipback_address in message.body for message in mail.outbox)
    texts = [m for m in sms.outbox[sent_before:] if ret.number in m.text]
    assert len(texts) == 1 and ret.shipback_phone in texts[0].text


@pytest.mark.django_db
def test_a_customer_disputes_a_decline_and_a_complaint_is_opened(client, staff, order,
                                                                 fake_complaint_kind):
    ret = walk(order, State.DECLINED, staff)
    url = reverse("returns:track", args=[ret.tracking_token])
    client.post(url, {"form": "dispute", "dispute-text": "The box was only opened."})
    assert fake_complaint_kind == [{"origin": ret.pk, "reason": "disputed_decline",
                                    "description": "The box was only opened."}]
    assert "dispute" not in client.get(url).context["forms"]


# --- query budgets ------------------------------------------------------------------------

def _add_events(ret, agent, count):
    from aftersales.cases.services import ticket_add_note

    for number in range(count):
        ticket_add_note(ticket_model=ReturnOrder, ticket_pk=ret.pk, actor=agent,
                        text=f"Note {number}", customer_visible=number % 2 == 0)


@pytest.mark.django_db
@pytest.mark.parametrize("state", [State.REVIEWING, State.AWAIT_SHIPBACK, State.REFUNDING])
@pytest.mark.parametrize("who", ["agent", "supervisor"])
def test_the_case_page_costs_the_same_for_n_and_2n_events(client, staff, order, state, who,
                                                          django_assert_num_queries):
    ret = walk(order, state, staff)
    client.force_login(staff[who])
    url = reverse("returns:detail", args=[ret.number]) + "?events=all"
    _add_events(ret, staff["agent"], 5)
    at_n, _response = queries(client, url)
    _add_events(ret, staff["agent"], 5)
    with django_assert_num_queries(at_n):
        client.get(url)
    assert at_n <= DETAIL_BUDGET


@pytest.mark.django_db
def test_the_tracking_page_costs_the_same_for_n_and_2n_events(client, staff, order,
                                                              django_assert_num_queries):
    ret = walk(order, State.AWAIT_SHIPBACK, staff)
    url = reverse("returns:track", args=[ret.tracking_token])
    _add_events(ret, staff["agent"], 5)
    at_n, _response = queries(client, url)
    _add_events(ret, staff["agent"], 5)
    with django_assert_num_queries(at_n):
        client.get(url)
    assert at_n <= TRACKING_BUDGET


@pytest.mark.django_db
def test_the_inbox_costs_the_same_for_n_and_2n_returns(client, staff, django_assert_num_queries):
    for _ in range(4):
        create(make_order())
    client.force_login(staff["agent"])
    url = reverse("aftersales:inbox")
    at_n, response = queries(client, url, {"kind": "RETURN"})
    assert len(response.context["page"].rows) == 4
    for _ in range(4):
        create(make_order())
    with django_assert_num_queries(at_n):
        response = client.get(url, {"kind": "RETURN"})
    assert len(response.context["page"].rows) == 8


# Measured on PostgreSQL: case page 10 (agent, supervisor) or 11 (warehouse: department
# scope), the same at N and 2N events; tracking page 6. One query of room, no more.
DETAIL_BUDGET = 12 + joins_as_written_statements()
TRACKING_BUDGET = 7


@pytest.mark.django_db
def test_the_page_says_why_an_agent_cannot_decline(client, staff, order):
    ret = create(order)
    client.force_login(staff["agent"])
    response = client.get(reverse("returns:detail", args=[ret.number]), **EN)
    blocked = {item["action"]: str(item["reason"]) for item in response.context["blocked"]}
    assert "only a supervisor may decline it" in blocked["decline"]
    assert "decline" not in [a.name for a, _f in response.context["actions"]]


@pytest.mark.django_db
def test_the_warehouse_inspects_with_photos(client, staff, order):
    from tests.factories import evidence_file

    ret = walk(order, State.RECEIVED, staff)
    client.force_login(staff["warehouse"])
    response = client.post(reverse("returns:act", args=[ret.number, "inspect"]), {
        "inspect-version": ret.version, "inspect-complete": "yes", "inspect-original": "yes",
        "inspect-quality_problem": "no", "inspect-note": "Fine.",
        "inspect-files": [evidence_file("photo.png")],
    })
    assert response.status_code == 302
    ret.refresh_from_db()
    assert ret.state == State.REFUNDING
    assert [a.original_name for a in ret.attachments.all()] == ["photo.png"]
