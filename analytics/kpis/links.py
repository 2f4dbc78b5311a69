"""Drill-down: from a number on the dashboard to the ledger rows behind it.

The ledger (``analytics:ledger``) reads its filters from the query string: ``kind``,
``period`` (received | replied | closed) with ``date_from`` / ``date_to``, ``channel``,
``category``, ``department``, ``severity``, ``handler``, ``outcome``, ``satisfaction``
(satisfied | neutral | dissatisfied | unrated), ``repeat`` and ``overdue`` (yes | no).

The ledger lists cases by when they were received, replied or archived; a KPI anchored
on another date (a due date, the acceptance) links to the nearest of those, so the list
can differ from the count at the edges of the period. The link title says which.
"""

from __future__ import annotations

from datetime import date
from functools import lru_cache
from urllib.parse import quote_plus

from django.urls import get_script_prefix, reverse

from .selectors import Filters

# For each KPI: the ledger filters of its denominator and of its numerator.
KPI_LEDGER: dict[str, tuple[dict, dict]] = {
    "timeliness": ({"period": "replied"}, {"period": "replied", "overdue": "no"}),
    "first_response": ({"period": "received"}, {"period": "received", "overdue": "no"}),
    "resolution": ({"period": "closed"}, {"period": "closed", "outcome": "SOLVED"}),
    "satisfaction": ({"period": "closed"}, {"period": "closed", "satisfaction": "satisfied"}),
    "survey_response": ({"period": "closed"}, {"period": "closed"}),
    "repeat": ({"period": "received"}, {"period": "received", "repeat": "yes"}),
    "received": ({"period": "received"}, {"period": "received"}),
    "response_time": ({"period": "received"}, {"period": "received"}),
    "cycle_time": ({"period": "replied"}, {"period": "replied"}),
    "reopen_rate": ({"period": "replied"}, {"period": "replied"}),
    "unit_rate": ({"period": "closed"}, {"period": "closed"}),
}


_ledger_paths: dict[str, str] = {}


def _ledger_path() -> str:
    # Reversed once per URL prefix: the dashboard builds hundreds of links per page.
    prefix = get_script_prefix()
    if prefix not in _ledger_paths:
        _ledger_paths[prefix] = reverse("analytics:ledger")
    return _ledger_paths[prefix]


@lru_cache(maxsize=256)
def _base_query(filters: Filters, date_from: date, date_to: date) -> tuple[tuple[str, str], ...]:
    """The period and filters as encoded query pairs, shared by every link of a page."""
    params = {
        "kind": filters.kind, "channel": filters.channel, "category": filters.category,
        "severity": filters.severity,
        "department": "" if filters.department is None else str(filters.department),
        "date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
    }
    return tuple((k, quote_plus(v)) for k, v in params.items() if v)


def ledger_url(filters: Filters, date_from: date, date_to: date, **extra) -> str:
    added = {k: quote_plus(str(v)) for k, v in extra.items() if v not in ("", None)}
    pairs = [(k, v) for k, v in _base_query(filters, date_from, date_to) if k not in added]
    pairs += added.items()
    return _ledger_path() + "?" + "&".join(f"{k}={v}" for k, v in pairs)


def kpi_links(key: str, filters: Filters, date_from: date, date_to: date,
              **extra) -> tuple[str, str]:
    """(numerator URL, denominator URL) of one KPI."""
    denominator, numerator = KPI_LEDGER.get(key, ({"period": "received"},) * 2)
    return (ledger_url(filters, date_from, date_to, **{**numerator, **extra}),
            ledger_url(filters, date_from, date_to, **{**denominator, **extra}))
