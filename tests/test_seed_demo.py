from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import timezone

from aftersales.management.demo_data import DEMO_USERS
from aftersales.models import CannedResponse, Customer, Department, Order, Product, TimelineEvent
from complaints.choices import State
from complaints.models import Complaint

EVERY_REACHABLE_STATE = {s for s in State.values if s != State.RECEIVED}


def counts() -> dict[str, int]:
    models = [get_user_model(), Department, Product, Customer, Order, CannedResponse, Complaint,
              TimelineEvent]
    counted = {m.__name__: m.objects.count() for m in models}
    # Complaints the complaint demo wrote; other kinds' demos may open linked ones.
    counted["Complaint"] = Complaint.objects.filter(origin__isnull=True).count()
    return counted


@pytest.mark.django_db
def test_seed_demo_fills_every_state_through_the_services():
    real_now = timezone.now
    out, err = StringIO(), StringIO()

    call_command("seed_demo", complaints=30, stdout=out, stderr=err)

    assert timezone.now is real_now
    assert "stopped in" not in err.getvalue()
    assert Complaint.objects.filter(origin__isnull=True).count() == 30
    assert set(Complaint.objects.values_list("state", flat=True)) == EVERY_REACHABLE_STATE
    now = timezone.now()
    for complaint in Complaint.objects.prefetch_related("events"):
        events = list(complaint.events.all())
        assert events[0].action == "complaints.complaint.received"
        transitions = [e for e in events if e.to_state]
        assert transitions[-1].to_state == complaint.state
        assert all(complaint.received_at <= e.created_at <= now for e in events)
        assert complaint.received_at >= now - timedelta(days=61)
    codes = ["CS", "ASD", "QA", "WH", "LOGI", "FIELD"]
    assert Department.objects.filter(code__in=codes).count() == len(codes)
    assert Product.objects.count() >= 12
    assert "agent12345" in out.getvalue()


@pytest.mark.django_db
def test_demo_logins_work(client):
    call_command("seed_demo", complaints=5, stdout=StringIO(), stderr=StringIO())

    for demo in DEMO_USERS:
        assert client.login(username=demo.username, password=demo.password), demo.username
        client.logout()
    users = get_user_model().objects
    assert users.get(username="handler").staff_profile.department.code == "QA"
    assert users.get(username="warehouse").staff_profile.department.code == "WH"
    admin = users.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.groups.filter(name="admin").exists()
    assert users.get(username="supervisor").groups.filter(name="supervisor").exists()


@pytest.mark.django_db
def test_second_run_adds_nothing():
    call_command("seed_demo", complaints=8, stdout=StringIO(), stderr=StringIO())
    before = counts()
    out = StringIO()

    call_command("seed_demo", complaints=8, stdout=out, stderr=StringIO())

    assert counts() == before
    assert "already present" in out.getvalue()


@pytest.mark.django_db
def test_force_adds_a_batch_and_reuses_reference_data():
    call_command("seed_demo", complaints=5, stdout=StringIO(), stderr=StringIO())
    before = counts()

    call_command("seed_demo", complaints=5, force=True, stdout=StringIO(), stderr=StringIO())

    after = counts()
    assert after["Complaint"] == before["Complaint"] + 5
    assert after["User"] == before["User"]
    assert after["Product"] == before["Product"]
    assert after["Department"] == before["Department"]
