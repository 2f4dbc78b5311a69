"""The delivery demo shows every capability: each incident type in each step, compensation
lines in every state, claims, and shipments the scorecards count."""

import random

import pytest
from django.utils import timezone

from aftersales.compensation.choices import LineState
from aftersales.compensation.models import CompensationLine
from aftersales.management.demo import DemoWorld, TaskLog, quiet_side_effects
from delivery.choices import State
from delivery.demo import seed
from delivery.models import CarrierClaim, DeliveryIncident, Shipment
from delivery.selectors import scorecards

pytestmark = pytest.mark.django_db


def test_demo_covers_every_type_state_and_line_state():
    real_now = timezone.now
    world = DemoWorld(rng=random.Random(3), now=timezone.now())  # nosec B311
    world.reference_data()
    world.make_customers(8)
    with quiet_side_effects(TaskLog()):
        seed(world, 20)
    assert timezone.now is real_now
    assert world.stopped_early == []
    incidents = DeliveryIncident.objects.all()
    assert incidents.count() == 20
    assert set(incidents.values_list("incident_type", flat=True)) == {
        "DELAY", "DAMAGE", "LOSS", "ATTITUDE"}
    assert set(incidents.values_list("state", flat=True)) == set(State.values) - {"RECEIVED"}
    line_states = set(CompensationLine.objects.values_list("state", flat=True))
    assert line_states == set(LineState.values)
    assert CarrierClaim.objects.filter(status="SETTLED").exists()
    assert incidents.filter(finding="NOT_SUBSTANTIATED").exists()
    now = timezone.now()
    for incident in incidents.prefetch_related("events"):
        events = list(incident.events.all())
        assert events[0].action == "delivery.incident.received"
        assert all(incident.received_at <= e.created_at <= now for e in events)
    month = timezone.localdate(Shipment.objects.order_by("-shipped_at").first().shipped_at)
    assert scorecards(month)
