"""Counting the SQL queries of a page, for the query budgets."""

from django.db import connection
from django.test.utils import CaptureQueriesContext


def queries(client, url: str, params: dict | None = None) -> tuple[int, object]:
    """The number of queries of one page view, after a first view filled process caches."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured), response


def joins_as_written_statements() -> int:
    """What ``joins_as_written`` adds around a case page's main read on PostgreSQL: the
    transaction (or savepoint) opened and closed, and the planner setting; none elsewhere."""
    return 3 if connection.vendor == "postgresql" else 0
