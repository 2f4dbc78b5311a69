"""Two people acting on one complaint at once: one wins, the other is told the case changed
(ConcurrentChange) and nothing they did overwrites the winner's work."""

import re
import threading

import pytest
from django.db import close_old_connections, connection, transaction
from django.test import Client
from django.urls import reverse

from aftersales.cases.services import ticket_lock
from aftersales.core.exceptions import ConcurrentChange
from complaints import services as s
from complaints.choices import State
from complaints.models import Complaint
from tests.factories import as_shown
from tests.services import postgres_in_use, require_or_skip

CHECKS = {"check_identity": True, "check_order": True, "check_facts": True, "check_remit": True}


def version_on_page(html: str, action: str) -> int:
    return int(re.search(rf'name="{action}-version" value="(\d+)"', html).group(1))


# --- (a) a stale page, through the views ------------------------------------------------

@pytest.mark.django_db
def test_acting_on_a_stale_page_is_refused_and_overwrites_nothing(client, build, agent,
                                                                  supervisor):
    complaint = build(State.REGISTERED)
    detail = reverse("complaints:detail", args=[complaint.number])
    colleague = Client()
    client.force_login(agent)
    colleague.force_login(supervisor)
    agent_page = client.get(detail, {"action": "accept"}).content.decode()
    supervisor_page = colleague.get(detail, {"action": "reject"}).content.decode()

    accepted = client.post(reverse("complaints:act", args=[complaint.number, "accept"]), {
        "accept-version": version_on_page(agent_page, "accept"),
        **{f"accept-{key}": "on" for key in CHECKS}, "accept-note": "",
    })
    stale = colleague.post(reverse("complaints:act", args=[complaint.number, "reject"]), {
        "reject-version": version_on_page(supervisor_page, "reject"),
        "reject-reason": "OUT_OF_REMIT", "reject-reply": "This is outside our remit.",
    }, follow=True)

    after = Complaint.objects.get(pk=complaint.pk)
    assert accepted.status_code == 302
    assert stale.redirect_chain == [(detail, 302)]
    assert as_shown(ConcurrentChange.default_message) in stale.content.decode()
    assert after.state == State.ACCEPTED
    assert after.not_accepted_reason == ""
    assert after.version == complaint.version + 1
    assert not after.events.filter(action="complaints.complaint.not_accepted").exists()


@pytest.mark.django_db
def test_the_same_action_twice_from_one_page_happens_once(client, build, agent, handler):
    complaint = build(State.CLASSIFIED)
    detail = reverse("complaints:detail", args=[complaint.number])
    colleague = Client()
    client.force_login(agent)
    colleague.force_login(handler)
    opened = {"action": "escalate"}
    version = version_on_page(client.get(detail, opened).content.decode(), "escalate")
    assert version_on_page(colleague.get(detail, opened).content.decode(), "escalate") == version

    url = reverse("complaints:act", args=[complaint.number, "escalate"])
    first = client.post(url, {"escalate-version": version, "escalate-reason": "Overdue."},
                        follow=True)
    second = colleague.post(url, {"escalate-version": version, "escalate-reason": "Blocked."},
                            follow=True)

    after = Complaint.objects.get(pk=complaint.pk)
    assert as_shown(ConcurrentChange.default_message) not in first.content.decode()
    assert as_shown(ConcurrentChange.default_message) in second.content.decode()
    assert after.escalation_level == 1
    assert list(after.events.filter(action="complaints.complaint.escalated")
                .values_list("note", flat=True)) == ["Overdue."]


@pytest.mark.django_db
def test_a_service_given_an_old_version_refuses(build, agent):
    complaint = build(State.CLASSIFIED)
    s.complaint_escalate(complaint_pk=complaint.pk, version=complaint.version, actor=agent,
                         reason="Overdue.")

    with pytest.raises(ConcurrentChange):
        s.complaint_escalate(complaint_pk=complaint.pk, version=complaint.version,
                             actor=agent, reason="Overdue again.")

    assert Complaint.objects.get(pk=complaint.pk).escalation_level == 1


# --- (b) a real race between two threads, on PostgreSQL ---------------------------------

def race(*calls) -> list:
    """Run the calls in threads that start together; what each returned or raised."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            start.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # collected and checked by the test
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not any(thread.is_alive() for thread in threads)
    return results


def require_postgres() -> None:
    require_or_skip(postgres_in_use(),
                    "needs PostgreSQL: SQLite's in-memory test database is not shared between "
                    "threads and has no row locks (set DATABASE_URL=postgres://...)")


@pytest.mark.django_db(transaction=True)
def test_accept_and_reject_at_the_same_moment_one_wins(build, agent, supervisor):
    require_postgres()
    complaint = build(State.REGISTERED)
    version = complaint.version

    accept, reject = race(
        lambda: s.complaint_accept(complaint_pk=complaint.pk, version=version, actor=agent,
                                   checklist=CHECKS),
        lambda: s.complaint_reject(complaint_pk=complaint.pk, version=version,
                                   actor=supervisor, reason="OUT_OF_REMIT",
                                   reply="This is outside our remit."),
    )

    after = Complaint.objects.get(pk=complaint.pk)
    outcomes = [isinstance(result, Complaint) for result in (accept, reject)]
    assert sorted(outcomes) == [False, True]
    loser = reject if outcomes[0] else accept
    assert isinstance(loser, ConcurrentChange)
    assert after.state == (State.ACCEPTED if outcomes[0] else State.NOT_ACCEPTED)
    assert after.version == version + 1
    assert after.events.filter(from_state=State.REGISTERED).count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_escalations_at_the_same_moment_count_once(build, agent, handler):
    require_postgres()
    complaint = build(State.CLASSIFIED)
    version = complaint.version

    results = race(*[
        lambda who=who: s.complaint_escalate(complaint_pk=complaint.pk, version=version,
                                             actor=who, reason="Overdue.")
        for who in (agent, handler)
    ])

    assert sorted(type(result).__name__ for result in results) == ["Complaint",
                                                                  "ConcurrentChange"]
    assert Complaint.objects.get(pk=complaint.pk).escalation_level == 1


@pytest.mark.django_db(transaction=True)
def test_a_writer_waits_for_the_row_lock_and_then_sees_the_change(build, agent, supervisor):
    require_postgres()
    complaint = build(State.REGISTERED)
    version = complaint.version
    result: list = []

    def late_writer():
        close_old_connections()
        try:
            result.append(s.complaint_reject(
                complaint_pk=complaint.pk, version=version, actor=supervisor,
                reason="OUT_OF_REMIT", reply="This is outside our remit."))
        except Exception as error:  # checked below
            result.append(error)
        finally:
            connection.close()

    writer = threading.Thread(target=late_writer)
    with transaction.atomic():
        ticket_lock(Complaint, complaint.pk, version=version)  # we hold the row
        writer.start()
        writer.join(timeout=1)
        blocked_while_locked = writer.is_alive()
        s.complaint_accept(complaint_pk=complaint.pk, version=version, actor=agent,
                           checklist=CHECKS)
    writer.join(timeout=30)

    assert blocked_while_locked
    assert isinstance(result[0], ConcurrentChange)
    assert Complaint.objects.get(pk=complaint.pk).state == State.ACCEPTED
