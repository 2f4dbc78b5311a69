"""Celery finds an app's tasks in ``<app>.tasks``; the analytics tasks live in subpackages."""

from importlib.util import find_spec

from analytics.ledger.tasks import *  # noqa: F403

# The KPI tasks join when their module exists; an error inside it is not hidden.
if find_spec("analytics.kpis.tasks") is not None:
    from analytics.kpis.tasks import *  # noqa: F403
