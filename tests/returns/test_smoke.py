from returns.choices import Reason, RequestType, State
from tests.returns.conftest import walk


def test_no_reason_return_walks_to_completed(order, staff):
    ret = walk(order, State.COMPLETED, staff)
    assert ret.state == State.COMPLETED
    assert ret.refund_amount == ret.refund_amount_due


def test_exchange_walks_to_completed(order, staff):
    ret = walk(order, State.COMPLETED, staff, request_type=RequestType.EXCHANGE,
               reason=Reason.QUALITY)
    assert ret.state == State.COMPLETED
