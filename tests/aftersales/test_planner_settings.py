"""A case page's main read follows a dozen foreign keys; PostgreSQL joins them in the order
written instead of weighing every order (about 20 ms of planning at a million cases), and
only for that read."""

import pytest
from django.db import connection

from aftersales.core.sql import joins_as_written
from tests.services import require_postgres


def _join_collapse_limit() -> str:
    with connection.cursor() as cursor:
        cursor.execute("SHOW join_collapse_limit")
        return cursor.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_joins_follow_the_written_order_inside_the_block_and_only_there():
    require_postgres()
    before = _join_collapse_limit()

    with joins_as_written():
        inside = _join_collapse_limit()

    assert inside == "1"
    assert _join_collapse_limit() == before != "1"


@pytest.mark.django_db(transaction=True)
def test_the_setting_goes_with_a_failed_read():
    require_postgres()
    before = _join_collapse_limit()

    with pytest.raises(LookupError), joins_as_written():
        raise LookupError

    assert _join_collapse_limit() == before
