"""Offered = accepted: in every state, for every role, the case page offers exactly the
actions the services then carry out, and refuses the others."""

from decimal import Decimal

import pytest
from django.db import transaction

from aftersales.core.exceptions import PermissionRefused, TransitionRefused
from returns import services as s
from returns.actions import ACTIONS, available_actions
from returns.choices import Reason, RequestType, State
from tests.returns.conftest import make_order, walk

CASES = [
    ("reviewing", State.REVIEWING, {}),
    ("reviewing, late", State.REVIEWING, {"late": True}),
    ("quality inspection", State.INSPECTION, {"reason": Reason.QUALITY}),
    ("awaiting goods", State.AWAIT_SHIPBACK, {}),
    ("exchange awaiting goods", State.AWAIT_SHIPBACK,
     {"request_type": RequestType.EXCHANGE, "reason": Reason.NOT_AS_DESCRIBED}),
    ("in transit", State.IN_TRANSIT, {}),
    ("received", State.RECEIVED, {}),
    ("inspection failed", State.INSPECTED, {"passed": False}),
    ("exchange inspected", State.INSPECTED,
     {"request_type": RequestType.EXCHANGE, "reason": Reason.NOT_AS_DESCRIBED}),
    ("refunding", State.REFUNDING, {}),
    ("replacement shipped", State.REPLACEMENT_SHIPPED,
     {"request_type": RequestType.EXCHANGE, "reason": Reason.NOT_AS_DESCRIBED}),
    ("declined", State.DECLINED, {}),
    ("completed", State.COMPLETED, {}),
]
ROLES = ["agent", "supervisor", "warehouse", "quality", "admin"]

DATA = {
    "accept": {"rule": "", "note": "Accepted for the test."},
    "decline": {"reason": "OTHER", "message": "Declined for the test."},
    "quality_report": {"confirmed": "yes", "report": "Confirmed.", "files": []},
    "ship_back": {"carrier": "SF", "tracking_number": "SF1"},
    "receive": {},
    "inspect": {"complete": "yes", "original": "yes", "quality_problem": "no", "note": "",
                "files": []},
    "start_refund": {},
    "refund": {"amount": None, "lowered_reason": ""},
    "reject_goods": {"message": "Not ours."},
    "ship_replacement": {"carrier": "SF", "tracking_number": "SF2"},
    "ship_advance": {"carrier": "SF", "tracking_number": "SF3"},
    "replacement_delivered": {},
    "close_exchange": {},
    "charge_unreturned": {"note": ""},
}


class Rollback(Exception):
    pass


def accepted(action, ret, user) -> bool:
    try:
        with transaction.atomic():
            action.run(ret, {"version": ret.version, **DATA[action.name]}, user)
            raise Rollback
    except Rollback:
        return True
    except (TransitionRefused, PermissionRefused):
        return False


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "state", "options"), CASES, ids=[c[0] for c in CASES])
def test_offered_equals_accepted(staff, name, state, options):
    options = dict(options)
    late = options.pop("late", False)
    order = make_order(signed_days_ago=20 if late else 3)
    ret = walk(order, state, staff, **options)
    assert ret.state == state
    for role in ROLES:
        user = staff[role]
        offered = {action.name for action in available_actions(ret, user)}
        done = {action.name for action in ACTIONS.values() if accepted(action, ret, user)}
        assert offered == done, (role, offered, done)


@pytest.mark.django_db
def test_the_reviewing_state_offers_by_role(staff, order):
    ret = walk(order, State.REVIEWING, staff)
    offered = {role: sorted(a.name for a in available_actions(ret, staff[role]))
               for role in ROLES}
    assert offered == {"agent": ["accept"], "supervisor": ["accept", "decline"],
                       "warehouse": [], "quality": [], "admin": ["accept", "decline"]}


@pytest.mark.django_db
def test_a_lower_refund_is_offered_to_agents_but_needs_a_supervisor(staff, order):
    ret = walk(order, State.REFUNDING, staff)
    with pytest.raises(PermissionRefused):
        s.return_refund(return_pk=ret.pk, version=ret.version, actor=staff["agent"],
                        amount=Decimal("1.00"), lowered_reason="Damaged")
