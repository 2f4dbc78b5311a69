"""The demo data: an order for every row of tables A–D, return cases in many states."""

from io import StringIO

import pytest
from django.core.management import call_command

from aftersales.eligibility import RULES
from returns.choices import State
from returns.demo import ROWS
from returns.models import ReturnOrder


@pytest.mark.django_db
def test_seed_demo_writes_a_return_for_every_rule_and_many_states():
    err = StringIO()
    call_command("seed_demo", complaints=0, returns=len(ROWS), stdout=StringIO(), stderr=err)
    assert "stopped before" not in err.getvalue()
    assert {row.rule for row in ROWS} == set(RULES)
    returns = list(ReturnOrder.objects.filter(order__number__startswith="RTD"))
    assert len(returns) == len(ROWS)
    states = {ret.state for ret in returns}
    assert states >= {State.REVIEWING, State.INSPECTION, State.AWAIT_SHIPBACK, State.IN_TRANSIT,
                      State.RECEIVED, State.INSPECTED, State.REFUNDING,
                      State.REPLACEMENT_SHIPPED, State.DECLINED, State.COMPLETED}
    assert any(ret.advance_shipped_at for ret in returns)
    assert any(ret.pickup_booked for ret in returns)
