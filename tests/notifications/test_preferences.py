"""E-mail preferences: the page, and the e-mail copies that respect them."""

import pytest
from django.core import mail
from django.urls import reverse

from aftersales.models import Notification
from aftersales.notifications.models import NotificationPreference
from aftersales.notifications.services import (
    notifications_build,
    notifications_upsert,
    preferences_save,
)
from aftersales.notifications.tasks import deliver_notifications
from aftersales.sla.clocks import ACTION_BREACHED
from tests.access import LOGIN, assert_outcome, matrix, request_as
from tests.queries import queries

pytestmark = pytest.mark.django_db

URL = "/notifications/preferences/"
OFF = {"email_on_assignment": "on"}  # the two others unticked
#               anonymous no_role other_handler handler agent supervisor admin
EXPECTED = {"get": (LOGIN, 403, 200, 200, 200, 200, 200),
            "post": (LOGIN, 403, 302, 302, 302, 302, 302)}


def test_the_page_has_its_name():
    assert reverse("aftersales:notification_preferences") == URL


@pytest.mark.parametrize(("method", "who", "expected"), matrix(EXPECTED))
def test_who_may_open_and_save_preferences(client, users, method, who, expected):
    response = request_as(client, users[who], method, URL, OFF if method == "post" else None)
    assert_outcome(response, URL, expected)
    saved = NotificationPreference.objects.exists()
    assert saved == (method == "post" and expected == 302)


def test_a_user_without_saved_preferences_sees_every_box_ticked(client, handler):
    client.force_login(handler)
    page = client.get(URL).content.decode()
    assert page.count("checked") == 3
    assert 'action="/notifications/read/"' not in page  # its own page in the site layout
    assert "<nav" in page


def test_saving_changes_only_my_preferences(client, handler, agent):
    client.force_login(handler)
    response = client.post(URL, OFF)
    assert response.status_code == 302 and response.url == URL
    mine = NotificationPreference.objects.get(user=handler)
    assert (mine.email_on_assignment, mine.email_on_sla, mine.email_digest) == (
        True, False, False)
    assert not NotificationPreference.objects.filter(user=agent).exists()
    client.post(URL, {"email_on_sla": "on"})
    assert NotificationPreference.objects.count() == 1


def test_the_notifications_page_links_to_the_preferences(client, handler):
    client.force_login(handler)
    assert f'href="{URL}"' in client.get(reverse("aftersales:notifications")).content.decode()


@pytest.mark.parametrize("saved", [False, True])
def test_the_page_has_a_query_budget(client, handler, saved):
    if saved:
        preferences_save(user=handler, email_on_assignment=False, email_on_sla=True,
                         email_digest=True)
    client.force_login(handler)
    count, _response = queries(client, URL)
    # session, user, permissions (user, groups), staff profile, preferences; the layout's
    # role groups and unread count
    assert count == 8


def deliver(user, event: str, ticket_id=None) -> int:
    notes = notifications_upsert(notifications_build(event=event, ticket_id=ticket_id,
                                                     recipient_ids=[user.pk]))
    return deliver_notifications.delay([n.pk for n in notes]).get()


@pytest.mark.parametrize(("preference", "event"), [
    ("email_on_sla", ACTION_BREACHED),
    ("email_on_sla", "aftersales.sla.at_risk"),
    ("email_on_assignment", "aftersales.notify.assigned"),
])
def test_a_kind_of_email_turned_off_is_not_sent_but_stays_in_app(handler, preference, event):
    values = {"email_on_assignment": True, "email_on_sla": True, "email_digest": True}
    assert deliver(handler, event) == 1  # the default: every e-mail
    preferences_save(user=handler, **{**values, preference: False})
    mail.outbox.clear()

    assert deliver(handler, event) == 0

    assert not mail.outbox
    assert Notification.objects.filter(recipient=handler, event=event).count() == 2


def test_turning_sla_mail_off_keeps_other_mail(handler):
    preferences_save(user=handler, email_on_assignment=True, email_on_sla=False,
                     email_digest=False)
    mail.outbox.clear()
    assert deliver(handler, "aftersales.notify.assigned") == 1
    assert deliver(handler, "aftersales.notify.reopened") == 1
    assert len(mail.outbox) == 2


def test_delivery_reads_the_preferences_of_a_batch_in_one_query(
        handler, agent, supervisor, django_assert_max_num_queries):
    preferences_save(user=agent, email_on_assignment=True, email_on_sla=False,
                     email_digest=True)
    notes = notifications_upsert(notifications_build(
        event=ACTION_BREACHED, ticket_id=None, recipient_ids=[handler.pk, agent.pk, supervisor.pk]))
    mail.outbox.clear()
    sent = deliver_notifications.delay([n.pk for n in notes]).get()
    assert sent == 2 and sorted(m.to[0] for m in mail.outbox) == sorted(
        [handler.email, supervisor.email])
