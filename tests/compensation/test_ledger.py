"""The compensation ledger: approval limits, segregation, consent before money (domain.md §8)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation
from hypothesis import given
from hypothesis import strategies as st

from aftersales.compensation import services as svc
from aftersales.compensation.choices import ConsentVia, LineState, LineType, Reason
from aftersales.compensation.exceptions import (
    AboveLimit,
    ConsentMissing,
    InvalidOffer,
    OfferChanged,
    OwnLine,
)
from aftersales.compensation.models import CompensationLine, fraud_damages_amount
from aftersales.core.exceptions import PermissionRefused, TransitionRefused
from aftersales.core.models import OutboxMessage


@pytest.fixture(autouse=True)
def _english():
    """The messages below are checked in the language they are written in."""
    with translation.override("en"):
        yield


pytestmark = pytest.mark.django_db


def propose(case, actor, value="50.00", type=LineType.GOODWILL, **extra):
    value = None if value is None else Decimal(value)
    return svc.compensation_propose(ticket=case, type=type, value=value,
                                    reason=Reason.GOODWILL, actor=actor, **extra)


@pytest.fixture
def approvers(agent, supervisor, superior, legal):
    return {"agent": agent, "supervisor": supervisor, "superior": superior, "legal": legal}


# Goodwill cap 100 yuan: an agent up to the cap, a supervisor up to 5 × cap, a superior above.
LIMITS = [
    ("agent", "100.00", True),
    ("agent", "100.01", False),
    ("supervisor", "100.01", True),
    ("supervisor", "500.00", True),
    ("supervisor", "500.01", False),
    ("superior", "500.01", True),
    ("superior", "20000.00", True),
    ("legal", "10.00", False),
]


@pytest.mark.parametrize(("role", "value", "may"), LIMITS)
def test_approval_limit_by_role(policy, case, agent2, approvers, role, value, may):
    line = propose(case, agent2, value)
    if may:
        assert svc.compensation_approve(line_pk=line.pk, actor=approvers[role]).state == \
            LineState.APPROVED
    else:
        with pytest.raises((AboveLimit, PermissionRefused)):
            svc.compensation_approve(line_pk=line.pk, actor=approvers[role])
        assert CompensationLine.objects.get(pk=line.pk).state == LineState.PROPOSED


def test_a_line_above_the_agents_limit_names_the_limit(policy, case, agent2, agent):
    line = propose(case, agent2, "100.01")
    with pytest.raises(AboveLimit) as refused:
        svc.compensation_approve(line_pk=line.pk, actor=agent)
    assert "100.00" in str(refused.value.message)


def test_points_count_at_the_point_value_against_the_limit(policy, case, agent2, agent):
    within = propose(case, agent2, type=LineType.POINTS, value=None, points=10000)  # 100 yuan
    above = propose(case, agent2, type=LineType.POINTS, value=None, points=10001)
    assert svc.compensation_approve(line_pk=within.pk, actor=agent).state == LineState.APPROVED
    with pytest.raises(AboveLimit):
        svc.compensation_approve(line_pk=above.pk, actor=agent)


def test_the_cap_is_the_tenants_setting(policy, case, agent2, agent):
    policy.goodwill_cap = Decimal("20.00")
    policy.save()
    line = propose(case, agent2, "20.01")
    with pytest.raises(AboveLimit):
        svc.compensation_approve(line_pk=line.pk, actor=agent)


@pytest.mark.parametrize(("role", "may"), [
    ("agent", False), ("supervisor", False), ("superior", False), ("legal", True)])
def test_fraud_damages_only_by_legal(policy, case, agent2, approvers, role, may):
    line = svc.compensation_propose(ticket=case, type=LineType.FRAUD_DAMAGES, value=None,
                                    reason=Reason.FRAUD, actor=agent2)
    if may:
        svc.compensation_approve(line_pk=line.pk, actor=approvers[role])
    else:
        with pytest.raises(PermissionRefused):
            svc.compensation_approve(line_pk=line.pk, actor=approvers[role])


@pytest.mark.parametrize(("paid", "damages"), [
    ("0.00", "500.00"), ("166.66", "500.00"), ("166.67", "500.01"), ("1000.00", "3000.00")])
def test_fraud_damages_are_three_times_the_price_paid_at_least_500(paid, damages):
    assert fraud_damages_amount(Decimal(paid)) == Decimal(damages)


def test_fraud_damages_proposed_from_the_price_paid(policy, case, agent2):
    line = svc.compensation_propose(ticket=case, type=LineType.FRAUD_DAMAGES, value=None,
                                    reason=Reason.FRAUD, actor=agent2)
    assert line.value == Decimal("500.00")  # 3 × 120 = 360 < 500
    with pytest.raises(InvalidOffer):
        svc.compensation_propose(ticket=case, type=LineType.FRAUD_DAMAGES,
                                 value=Decimal("499.99"), reason=Reason.FRAUD, actor=agent2)


@pytest.mark.parametrize("role", ["agent", "supervisor"])
def test_the_proposer_never_approves_their_own_line(policy, case, approvers, role):
    line = propose(case, approvers[role], "10.00")
    with pytest.raises(OwnLine):
        svc.compensation_approve(line_pk=line.pk, actor=approvers[role])
    with pytest.raises(OwnLine):
        svc.compensation_reject(line_pk=line.pk, actor=approvers[role], note="no")


def test_someone_who_changed_the_offer_may_not_approve_it(policy, case, agent, agent2):
    line = propose(case, agent2, "10.00")
    svc.compensation_change(line_pk=line.pk, actor=agent, value=Decimal("12.00"))
    with pytest.raises(OwnLine):
        svc.compensation_approve(line_pk=line.pk, actor=agent)


def test_a_handler_outside_the_case_department_may_not_propose(policy, case, other_handler):
    with pytest.raises(PermissionRefused):
        propose(case, other_handler)


@pytest.mark.parametrize("state", ["PROPOSED", "APPROVED", "DECLINED"])
def test_nothing_executes_before_consent(policy, case, agent, agent2, supervisor, state):
    line = propose(case, agent2, "30.00")
    if state != "PROPOSED":
        svc.compensation_approve(line_pk=line.pk, actor=agent)
    if state == "DECLINED":
        svc.compensation_decline(line_pk=line.pk, version=1, via=ConsentVia.PORTAL)
    with pytest.raises(ConsentMissing) as refused:
        svc.compensation_execute(line_pk=line.pk, actor=supervisor)
    assert "agreed" in str(refused.value.message)
    assert CompensationLine.objects.get(pk=line.pk).executed_at is None


def test_consented_line_is_executed(policy, case, agent, agent2, supervisor):
    line = propose(case, agent2, "30.00")
    svc.compensation_approve(line_pk=line.pk, actor=agent)
    svc.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PORTAL)
    done = svc.compensation_execute(line_pk=line.pk, actor=supervisor)
    assert done.state == LineState.EXECUTED
    assert done.executed_by == supervisor and done.consent_version == done.version == 1
    actions = list(case.events.values_list("action", flat=True))
    assert actions == [f"compensation.line.{step}" for step in
                       ("proposed", "approved", "offered", "consented", "executed")]


def test_consent_is_for_one_version_a_changed_offer_needs_new_consent(
        policy, case, agent, agent2, supervisor):
    line = propose(case, agent2, "30.00")
    svc.compensation_approve(line_pk=line.pk, actor=agent)
    svc.compensation_change(line_pk=line.pk, actor=agent2, value=Decimal("40.00"))
    with pytest.raises(OfferChanged):
        svc.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PORTAL)
    svc.compensation_approve(line_pk=line.pk, actor=agent)
    changed = svc.compensation_consent(line_pk=line.pk, version=2, via=ConsentVia.PORTAL)
    assert changed.consent_version == 2 and changed.value == Decimal("40.00")


def test_changing_a_declined_offer_clears_the_answer(policy, case, agent, agent2):
    line = propose(case, agent2, "30.00")
    svc.compensation_approve(line_pk=line.pk, actor=agent)
    svc.compensation_decline(line_pk=line.pk, version=1, via=ConsentVia.PORTAL, note="too little")
    changed = svc.compensation_change(line_pk=line.pk, actor=agent2, value=Decimal("60.00"))
    assert changed.state == LineState.PROPOSED and changed.version == 2
    assert changed.declined_at is None and changed.consent_via == "" and changed.approved_by is None


def test_consent_is_per_line(policy, case, agent, agent2, supervisor):
    first, second = propose(case, agent2, "10.00"), propose(case, agent2, "20.00")
    for line in (first, second):
        svc.compensation_approve(line_pk=line.pk, actor=agent)
    svc.compensation_consent(line_pk=first.pk, version=1, via=ConsentVia.PORTAL)
    svc.compensation_execute(line_pk=first.pk, actor=supervisor)
    with pytest.raises(ConsentMissing):
        svc.compensation_execute(line_pk=second.pk, actor=supervisor)


def test_phone_consent_needs_an_agent_and_a_note(policy, case, agent, agent2, handler):
    line = propose(case, agent2, "10.00")
    svc.compensation_approve(line_pk=line.pk, actor=agent)
    with pytest.raises(InvalidOffer):
        svc.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PHONE, actor=agent)
    with pytest.raises(PermissionRefused):
        svc.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PHONE,
                                 actor=handler, note="called 10:05")
    with pytest.raises(PermissionRefused):
        svc.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PORTAL, actor=agent)
    done = svc.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PHONE,
                                    actor=agent, note="Customer agreed by phone at 10:05")
    assert done.consent_by == agent and done.consent_via == ConsentVia.PHONE


def test_consent_only_while_the_offer_waits_for_the_customer(policy, case, agent2):
    line = propose(case, agent2, "10.00")
    with pytest.raises(TransitionRefused):
        svc.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PORTAL)


def test_the_customer_is_told_through_the_outbox(policy, case, agent, agent2, supervisor):
    line = propose(case, agent2, "10.00")
    assert not OutboxMessage.objects.filter(task="compensation.notify_customer").exists()
    svc.compensation_approve(line_pk=line.pk, actor=agent)
    svc.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PORTAL)
    svc.compensation_execute(line_pk=line.pk, actor=supervisor)
    sent = OutboxMessage.objects.filter(task="compensation.notify_customer")
    assert sorted(m.args[1] for m in sent) == ["executed", "offered"]


def test_notification_email_carries_the_consent_link(policy, case, agent, agent2, mailoutbox,
                                                     django_capture_on_commit_callbacks):
    line = propose(case, agent2, "10.00")
    with django_capture_on_commit_callbacks(execute=True):
        svc.compensation_approve(line_pk=line.pk, actor=agent)
    from aftersales.compensation.tasks import notify_customer

    notify_customer.apply(args=[line.pk, "offered"])
    assert any(f"/compensation/consent/{case.tracking_token}/{line.pk}/" in m.body
               for m in mailoutbox)


def test_rejection_needs_a_reason_and_ends_the_line(policy, case, agent, agent2):
    line = propose(case, agent2, "10.00")
    with pytest.raises(InvalidOffer):
        svc.compensation_reject(line_pk=line.pk, actor=agent, note=" ")
    assert svc.compensation_reject(line_pk=line.pk, actor=agent, note="not justified").state == \
        LineState.REJECTED
    with pytest.raises(TransitionRefused):
        svc.compensation_approve(line_pk=line.pk, actor=agent)


def test_totals_equal_a_direct_sum(policy, case, agent, agent2, supervisor, other_dept):
    specs = [(LineType.COUPON, "10.00", "SF"), (LineType.CASH, "25.50", "SF"),
             (LineType.COUPON, "7.25", "ZTO"), (LineType.GOODWILL, "3.00", "")]
    for type_, value, carrier in specs:
        line = propose(case, agent2, value, type=type_, carrier=carrier)
        svc.compensation_approve(line_pk=line.pk, actor=agent)
        svc.compensation_consent(line_pk=line.pk, version=1, via=ConsentVia.PORTAL)
        svc.compensation_execute(line_pk=line.pk, actor=supervisor)
    propose(case, agent2, "99.00", type=LineType.CASH, carrier="SF")  # not executed
    now = timezone.now()
    window = (now - timedelta(days=1), now + timedelta(days=1))
    by_type = {r["key"]: r["value"] for r in svc.compensation_totals(*window, by="type")}
    assert by_type == {"CASH": Decimal("25.50"), "COUPON": Decimal("17.25"),
                       "GOODWILL": Decimal("3.00")}
    by_carrier = {r["key"]: (r["lines"], r["value"])
                  for r in svc.compensation_totals(*window, by="carrier")}
    assert by_carrier == {"": (1, Decimal("3.00")), "SF": (2, Decimal("35.50")),
                          "ZTO": (1, Decimal("7.25"))}
    [month] = svc.compensation_totals(*window, by="month")
    assert month["value"] == Decimal("45.75") and month["lines"] == 4
    [dept] = svc.compensation_totals(*window, by="department")
    assert dept["key"] == case.department.name
    assert svc.compensation_totals(now + timedelta(days=1), now + timedelta(days=2)) == []


@pytest.mark.parametrize(("role", "may"), [
    ("agent", False), ("supervisor", True), ("superior", True), ("legal", False)])
def test_a_line_can_require_at_least_a_supervisor(policy, case, agent2, approvers, role, may):
    line = propose(case, agent2, "10.00", min_approver="SUPERVISOR")
    if may:
        svc.compensation_approve(line_pk=line.pk, actor=approvers[role])
    else:
        with pytest.raises(PermissionRefused):
            svc.compensation_approve(line_pk=line.pk, actor=approvers[role])


def test_ledger_steps_leave_the_cases_state_history_alone(policy, case, agent, agent2):
    line = propose(case, agent2, "10.00")
    svc.compensation_approve(line_pk=line.pk, actor=agent)
    for event in case.events.all():
        assert (event.from_state, event.to_state) == ("", "")
    assert case.events.last().data["line_state"] == LineState.APPROVED


@given(paid=st.decimals(min_value=0, max_value=100000, places=2))
def test_fraud_damages_never_below_500_nor_below_three_times_paid(paid):
    amount = fraud_damages_amount(paid)
    assert amount >= Decimal("500.00") and amount >= paid * 3
    assert amount in (Decimal("500.00"), paid * 3)
