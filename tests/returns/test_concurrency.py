"""Two people acting on one return at once, on PostgreSQL: one wins, the other is told."""

import threading

import pytest
from django.db import connection

from aftersales.core.exceptions import ConcurrentChange, DomainError
from returns import services as s
from returns.choices import Reason, RequestType, State
from returns.models import ReturnOrder
from tests.returns.conftest import PHONE, create, make_order
from tests.services import require_postgres


def race(*calls) -> list:
    """Run the calls in threads that start together; what each returned or raised."""
    start = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(index, call):
        try:
            start.wait(timeout=10)
            results[index] = call()
        except Exception as error:  # the outcome under test, whatever it is
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


@pytest.mark.django_db(transaction=True)
def test_two_reviewers_at_the_same_moment_one_wins(agent, supervisor):
    require_postgres()
    ret = create(make_order(signed_days_ago=20))
    version = ret.version
    results = race(
        lambda: s.return_accept(return_pk=ret.pk, version=version, actor=agent,
                                note="Goodwill."),
        lambda: s.return_decline(return_pk=ret.pk, version=version, actor=supervisor,
                                 reason="WINDOW_PASSED", message="Too late."),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ConcurrentChange)
    after = ReturnOrder.objects.get(pk=ret.pk)
    winner = next(r for r in results if isinstance(r, ReturnOrder))
    assert after.state == winner.state
    assert after.state in (State.AWAIT_SHIPBACK, State.DECLINED)
    decided = after.events.filter(action__in=["returns.return.accepted",
                                              "returns.return.declined"])
    assert decided.count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_requests_for_the_last_unit_make_one_return():
    require_postgres()
    order = make_order()
    line = order.lines.select_related("order", "product").get()

    def ask():
        return s.return_create(intake=s.ReturnIntake(
            name="x", order=order, lines=[(line, 1)], request_type=RequestType.RETURN_REFUND,
            reason=Reason.NO_REASON, phone=PHONE), actor=None)

    results = race(ask, ask)
    assert sum(isinstance(r, ReturnOrder) for r in results) == 1
    assert sum(isinstance(r, DomainError) for r in results) == 1
    assert ReturnOrder.objects.count() == 1
