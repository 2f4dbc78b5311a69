"""Analytics reads go to the read replica when one is configured; writes stay on the primary.

In tests the replica is the same database under a second alias (``TEST: MIRROR``), reached
through its own connection, so which connection ran a query shows where it was routed.
"""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from analytics.ledger.filters import LedgerFilters
from analytics.ledger.selectors import ledger_count, ledger_page
from analytics.models import ExportJob
from analytics.routers import REPLICA, PrimaryWritesRouter, analytics_db
from tests.analytics.ledger_support import make_complaint

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module", autouse=True)
def replica_alias():
    """A ``replica`` alias mirroring the test database, as DATABASE_REPLICA_URL would add.

    Added before the tests' database fixtures run, so they know the alias and allow it.
    """
    primary = connections["default"].settings_dict
    mirrored = copy.deepcopy(primary)
    mirrored["TEST"] = {**mirrored.get("TEST", {}), "MIRROR": "default"}
    connections.settings[REPLICA] = mirrored
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


# Rows written by a test must be committed to be seen through the replica's connection.
both = pytest.mark.django_db(transaction=True, databases=["default", REPLICA])


@pytest.fixture
def replica():
    return connections[REPLICA]


def ledger_sql(captured) -> list[str]:
    return [q["sql"] for q in captured.captured_queries if "complaints_complaint" in q["sql"]]


def test_without_a_replica_analytics_reads_the_primary(monkeypatch):
    monkeypatch.delitem(connections.settings, REPLICA)
    assert analytics_db() == "default"


@both
def test_with_a_replica_the_ledger_reads_it(replica, supervisor):
    complaint = make_complaint()
    assert analytics_db() == REPLICA
    with CaptureQueriesContext(replica) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        page = ledger_page(user=supervisor, filters=LedgerFilters())
        count = ledger_count(user=supervisor, filters=LedgerFilters())
    assert [row.number for row in page.rows] == [complaint.number] and count == 1
    assert len(ledger_sql(on_replica)) == 2
    assert ledger_sql(on_primary) == []
    assert page.rows[0]._state.db == REPLICA


@both
def test_the_page_reads_rows_from_the_replica_and_own_data_from_the_primary(
        replica, client, supervisor):
    make_complaint()
    client.force_login(supervisor)
    with CaptureQueriesContext(replica) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        response = client.get("/ledger/")
    assert response.status_code == 200 and len(response.context["rows"]) == 1
    assert ledger_sql(on_replica) and not ledger_sql(on_primary)
    # Saved views and exports must show a write made a moment ago: they read the primary.
    assert any("analytics_savedledgerview" in q["sql"] for q in on_primary.captured_queries)
    assert not any("analytics_" in q["sql"] for q in on_replica.captured_queries)


@both
def test_an_object_read_from_the_replica_is_written_to_the_primary(replica, supervisor):
    job = ExportJob.objects.create(owner=supervisor, owner_name="super1", format="csv",
                                   language="en")
    copy_read = ExportJob.objects.using(REPLICA).get(pk=job.pk)
    copy_read.row_count = 7
    with CaptureQueriesContext(replica) as on_replica, \
            CaptureQueriesContext(connections["default"]) as on_primary:
        copy_read.save()
    assert any(q["sql"].startswith("UPDATE") for q in on_primary.captured_queries)
    assert not on_replica.captured_queries


def test_the_router_rules():
    router = PrimaryWritesRouter()
    assert router.db_for_write(ExportJob) == "default"
    assert router.db_for_read(ExportJob) is None
    assert router.allow_migrate(REPLICA, "analytics") is False
    assert router.allow_migrate("default", "analytics") is None


@pytest.mark.parametrize("url,expected", [
    ("", None),
    ("postgres://reader@replica-host:5432/aftersales",
     {"ENGINE": "django.db.backends.postgresql", "HOST": "replica-host",
      "MIRROR": "default"}),
])
def test_settings_add_the_replica_only_when_configured(url, expected):
    script = (
        "import json; from django.conf import settings; "
        "r = settings.DATABASES.get('replica'); "
        "print(json.dumps([r and {'ENGINE': r['ENGINE'], 'HOST': r['HOST'], "
        "'MIRROR': r['TEST']['MIRROR']}, settings.DATABASE_ROUTERS]))"
    )
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "aftersales.settings",
           "DATABASE_REPLICA_URL": url}
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, check=True,
                         capture_output=True, text=True, timeout=60).stdout
    replica_settings, routers = json.loads(out.strip().splitlines()[-1])
    assert replica_settings == expected
    assert routers == ["analytics.routers.PrimaryWritesRouter"]
