"""Scorecards: the grouped queries give the same figures as counting shipment by shipment."""

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from delivery import services as s
from delivery.models import CarrierClaim, Courier, DeliveryIncident, DeliverySettings
from delivery.selectors import month_bounds, scorecards
from tests.delivery.conftest import local

pytestmark = pytest.mark.django_db
MONTH = date(2026, 10, 1)


@pytest.fixture
def month_of_shipments(settings_rows, make_shipment, carrier, courier, register, agent):
    from delivery.models import Carrier

    other = Carrier.objects.create(code="ZTO", name="ZTO")
    other_courier = Courier.objects.create(carrier=other, code="Z1", name="Zhou")
    rng = random.Random(7)
    shipments = []
    for n in range(60):
        shipped = local(2026, 10, 1, 0) + timedelta(hours=rng.uniform(0, 30 * 24))
        if n == 0:
            shipped = local(2026, 10, 1, 0)  # the first moment of the month counts
        promised = shipped + timedelta(days=2)
        delivered = promised + timedelta(hours=rng.choice([-5, -1, 3, 30, 80]))
        pair = (carrier, courier) if n % 3 else (other, other_courier)
        shipments.append(make_shipment(shipped=shipped, promised=promised, delivered=delivered,
                                       carrier_=pair[0], courier_=pair[1]))
    # Outside the month: shipped at midnight of 1 November (local), and the day before October.
    make_shipment(shipped=local(2026, 11, 1, 0), carrier_=carrier)
    make_shipment(shipped=local(2026, 9, 30, 23), carrier_=carrier)
    for n, shipment in enumerate(shipments[:18]):
        kind = ["DAMAGE", "LOSS", "ATTITUDE"][n % 3]
        incident = register(shipment, kind)
        if kind == "DAMAGE":
            s.incident_arrange_pickup(incident_pk=incident.pk, version=None, actor=agent,
                                      pickup_at=local(2026, 10, 20))
            claim = s.incident_file_claim(incident_pk=incident.pk, actor=agent,
                                          amount=Decimal("100.00") + n)
            s.claim_settle(claim_pk=claim.pk, actor=agent, recovered=Decimal("50.00") + n)
        elif kind == "ATTITUDE" and n % 2:
            s.incident_investigate(incident_pk=incident.pk, version=None, actor=agent)
            s.incident_record_finding(incident_pk=incident.pk, version=None, actor=agent,
                                      finding="NOT_SUBSTANTIATED", note="Nothing found")
    cancelled = register(shipments[20], "LOSS")
    s.incident_cancel(incident_pk=cancelled.pk, version=None, actor=agent, note="Duplicate")
    register(shipments[1], "DAMAGE")  # a second damage report on one parcel counts once
    return shipments


def direct(shipments, key) -> dict:
    start, end = month_bounds(MONTH)
    figures = {}
    for shipment in shipments:
        if not (start <= shipment.shipped_at < end):
            continue
        row = figures.setdefault(getattr(shipment, key + "_id"), {
            "shipments": 0, "late": 0, "delays": [], "damaged": set(), "lost": set(),
            "attitude": 0, "claims": 0, "recovered": Decimal("0")})
        row["shipments"] += 1
        if shipment.delivered_at > shipment.promised_at:
            row["late"] += 1
            row["delays"].append((shipment.delivered_at - shipment.promised_at).total_seconds())
        for incident in DeliveryIncident.objects.filter(shipment=shipment).exclude(
                state="CANCELLED"):
            if incident.incident_type == "DAMAGE":
                row["damaged"].add(shipment.pk)
            if incident.incident_type == "LOSS":
                row["lost"].add(shipment.pk)
            if incident.incident_type == "ATTITUDE" and incident.finding != "NOT_SUBSTANTIATED":
                row["attitude"] += 1
            for claim in CarrierClaim.objects.filter(incident=incident):
                row["claims"] += 1
                row["recovered"] += claim.recovered_amount
    return figures


@pytest.mark.parametrize("by", ["carrier", "courier"])
def test_scorecard_figures_equal_a_direct_count(month_of_shipments, by):
    expected = direct(month_of_shipments, by)
    cards = {card.key: card for card in scorecards(MONTH, by=by)}
    assert set(cards) == set(expected)
    for key, row in expected.items():
        card = cards[key]
        assert card.shipments == row["shipments"]
        assert card.late == row["late"]
        assert card.delay_rate == round(row["late"] * 100 / row["shipments"], 2)
        assert card.damaged == len(row["damaged"]) and card.lost == len(row["lost"])
        assert card.attitude == row["attitude"]
        assert card.attitude_per_mille == round(row["attitude"] * 1000 / row["shipments"], 2)
        assert card.claims_filed == row["claims"] and card.recovered == row["recovered"]
        average = sum(row["delays"]) / len(row["delays"]) / 3600
        assert card.average_delay_hours == round(average, 1)


def test_score_and_grade_follow_the_weights(month_of_shipments):
    cfg = DeliverySettings.current()
    for card in scorecards(MONTH):
        lost = (cfg.weight_delay * min(1, card.delay_rate / float(cfg.tolerance_delay_percent))
                + cfg.weight_damage * min(1, card.damage_rate
                                          / float(cfg.tolerance_damage_percent))
                + cfg.weight_loss * min(1, card.loss_rate / float(cfg.tolerance_loss_percent))
                + cfg.weight_attitude * min(1, card.attitude_per_mille
                                            / float(cfg.tolerance_attitude_per_mille)))
        assert card.score == round(100 - lost, 1)
        assert card.grade == ("A" if card.score >= 90 else "B" if card.score >= 75
                              else "C" if card.score >= 60 else "D")


def test_a_month_without_shipments_has_no_cards(month_of_shipments):
    assert scorecards(date(2025, 1, 1)) == []


@pytest.mark.parametrize(("weights", "valid"), [
    ((40, 25, 20, 15), True), ((40, 25, 20, 16), False), ((100, 0, 0, 0), True),
    ((30, 30, 30, 0), False)])
def test_weights_must_sum_to_100(weights, valid):
    cfg = DeliverySettings(weight_delay=weights[0], weight_damage=weights[1],
                           weight_loss=weights[2], weight_attitude=weights[3])
    if valid:
        cfg.clean()
    else:
        with pytest.raises(ValidationError):
            cfg.clean()
