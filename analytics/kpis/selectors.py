"""Reads for the KPIs, the dashboard and the monthly report: all from the rollup tables.

A date range is split into whole calendar months, read from the month cells, and the
days at its edges, read from the day cells, so a month costs one indexed read of at most
a few thousand rows whatever the number of cases. Reads go to ``analytics_db()`` (the
replica when one is configured).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.models import Q

from aftersales.models import Department, Order
from aftersales.people.selectors import user_department_id

from ..models import COUNTER_FIELDS, KpiCell, KpiOwnerDay
from ..routers import analytics_db
from . import formulas as f
from .rollups import _day_param, _union_sql, grain_for, month_start, next_month

# Units whose volume is the orders they deliver; the others are measured against the
# orders sold. Installation and repair teams work on delivered goods too.
DELIVERY_UNIT_KINDS = frozenset({"WH", "LOGI", "FIELD"})


@dataclass(frozen=True)
class Filters:
    """What the KPIs are narrowed to; empty means all."""

    kind: str = ""
    channel: str = ""
    category: str = ""
    department: int | None = None
    severity: str = ""

    def q(self, *, department: bool = True) -> Q:
        q = Q()
        if self.kind:
            q &= Q(kind=self.kind)
        if self.channel:
            q &= Q(channel=self.channel)
        if self.category:
            q &= Q(category=self.category)
        if self.severity:
            q &= Q(severity=self.severity)
        if department and self.department is not None:
            q &= Q(department_id=self.department)
        return q

    def dims(self, *, department: bool = True) -> set[str]:
        """The cell dimensions this filter narrows on."""
        used = {name for name in ("channel", "category", "severity") if getattr(self, name)}
        if department and self.department is not None:
            used.add("department_id")
        return used

    def owner_q(self) -> Q:
        q = Q()
        if self.kind:
            q &= Q(kind=self.kind)
        if self.department is not None:
            q &= Q(department_id=self.department)
        return q


def month_range(month: date) -> tuple[date, date]:
    start = month_start(month)
    return start, next_month(start) - timedelta(days=1)


def _segments(date_from: date, date_to: date) -> tuple[list[date], list[tuple[date, date]]]:
    """The whole months inside the range, and the day ranges left at its edges."""
    months, ranges = [], []
    month = month_start(date_from)
    while month <= date_to:
        first, last = month_range(month)
        if first >= date_from and last <= date_to:
            months.append(first)
        else:
            ranges.append((max(first, date_from), min(last, date_to)))
        month = next_month(month)
    return months, ranges


SUMS_SQL = ", ".join(f'SUM("{name}")' for name in COUNTER_FIELDS)


def _filter_sql(filters: Filters, department: bool, alias: str = "") -> tuple[str, list]:
    prefix = f"{alias}." if alias else ""
    clauses, params = [], []
    for name in ("kind", "channel", "category", "severity"):
        value = getattr(filters, name)
        if value:
            clauses.append(f'{prefix}"{name}" = %s')
            params.append(value)
    if department and filters.department is not None:
        clauses.append(f'{prefix}"department_id" = %s')
        params.append(filters.department)
    return " AND ".join(clauses), params


def _rows(using: str, sql: str, params: list, keys: int) -> dict:
    with connections[using].cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = {}
    for row in rows:
        key = row[:keys] if keys > 1 else (row[0] if keys else None)
        out[key] = {name: int(value or 0) for name, value in zip(COUNTER_FIELDS, row[keys:],
                                                                 strict=True)}
    return out


def _fact_sums(filters: Filters, date_from: date, date_to: date, by: str | None, *,
               using: str, department: bool) -> dict:
    """Sums straight from the facts: for a combination of dimensions no cell keeps."""
    conditions, params = _filter_sql(filters, department, "f")
    dims = (by,) if by else ("kind",)
    union, union_params = _union_sql(dims, date_range=(date_from, date_to),
                                     conditions=conditions, condition_params=params)
    select = f'u."{by}", ' if by else ""
    group = f' GROUP BY u."{by}"' if by else ""
    sums = ", ".join(f'SUM(u."{name}")' for name in COUNTER_FIELDS)
    return _rows(using, f"SELECT {select}{sums} FROM ({union}) u{group}", union_params,  # nosec B608: identifiers from code; values are bound
                 1 if by else 0)


def _cell_sums(filters: Filters, date_from: date, date_to: date, by: str | None, *,
               using: str | None, department: bool = True) -> dict:
    """Counters summed over the period, per value of ``by`` (or one total under ``None``).

    Whole months come from the smallest month grain that keeps the dimensions filtered
    and grouped on, the edges from day cells; a combination no grain keeps is summed
    from the facts.
    """
    db = using or analytics_db()
    dims = filters.dims(department=department) | ({by} if by else set())
    months, ranges = _segments(date_from, date_to)
    month_grain, day_grain = grain_for(dims), grain_for(dims, day=True)
    if (months and month_grain is None) or (ranges and day_grain is None):
        return _fact_sums(filters, date_from, date_to, by, using=db, department=department)
    periods, params = [], []
    if months:
        periods.append(f'("grain" = %s AND "start" IN ({", ".join(["%s"] * len(months))}))')
        params += [month_grain, *(_day_param(m) for m in months)]
    for first, last in ranges:
        periods.append('("grain" = %s AND "start" BETWEEN %s AND %s)')
        params += [day_grain, _day_param(first), _day_param(last)]
    where = "(" + " OR ".join(periods) + ")"
    conditions, condition_params = _filter_sql(filters, department)
    if conditions:
        where += " AND " + conditions
        params += condition_params
    select = f'"{by}", ' if by else ""
    group = f' GROUP BY "{by}"' if by else ""
    sql = f'SELECT {select}{SUMS_SQL} FROM "{KpiCell._meta.db_table}" WHERE {where}{group}'  # nosec B608: identifiers from code; values are bound
    return _rows(db, sql, params, 1 if by else 0)


def period_sums(filters: Filters, date_from: date, date_to: date, *,
                using: str | None = None, department: bool = True) -> f.Sums:
    found = _cell_sums(filters, date_from, date_to, None, using=using, department=department)
    return found.get(None) or f.empty_sums()


def grouped_sums(filters: Filters, date_from: date, date_to: date, by: str, *,
                 using: str | None = None, department: bool = True) -> dict:
    """Summed counters per value of one dimension (``category``, ``channel``, ...)."""
    found = _cell_sums(filters, date_from, date_to, by, using=using, department=department)
    return dict(sorted(found.items(), key=lambda item: (item[0] is None, item[0] or "")))


def monthly_trend(filters: Filters, last_month: date, months: int = 12, *,
                  using: str | None = None) -> list[tuple[date, f.Sums]]:
    """Summed counters for each of the ``months`` months ending with ``last_month``."""
    db = using or analytics_db()
    wanted = [month_start(last_month)]
    while len(wanted) < months:
        wanted.insert(0, month_start(wanted[0] - timedelta(days=1)))
    grain = grain_for(filters.dims())
    if grain is None:
        return [(month, period_sums(filters, *month_range(month), using=db))
                for month in wanted]
    conditions, params = _filter_sql(filters, True)
    sql = (f'SELECT "start", {SUMS_SQL} FROM "{KpiCell._meta.db_table}" WHERE "grain" = %s '  # nosec B608: identifiers from code; values are bound
           f'AND "start" IN ({", ".join(["%s"] * len(wanted))})'
           + (f" AND {conditions}" if conditions else "") + ' GROUP BY "start"')
    found = _rows(db, sql, [grain, *(_day_param(m) for m in wanted), *params], 1)
    found = {(date.fromisoformat(k) if isinstance(k, str) else k): v for k, v in found.items()}
    return [(month, found.get(month, f.empty_sums())) for month in wanted]


def owner_sums(filters: Filters, date_from: date, date_to: date, *,
               using: str | None = None) -> dict:
    conditions, params = _filter_sql(Filters(kind=filters.kind, department=filters.department),
                                     True)
    sql = (f'SELECT "owner_id", {SUMS_SQL} FROM "{KpiOwnerDay._meta.db_table}" '  # nosec B608: identifiers from code; values are bound
           f'WHERE "day" BETWEEN %s AND %s' + (f" AND {conditions}" if conditions else "")
           + ' GROUP BY "owner_id"')
    return _rows(using or analytics_db(), sql,
                 [_day_param(date_from), _day_param(date_to), *params], 1)


# --- volumes -------------------------------------------------------------------------

def _bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    zone = ZoneInfo(settings.TIME_ZONE)
    return (datetime.combine(date_from, time.min, zone),
            datetime.combine(date_to + timedelta(days=1), time.min, zone))


def _order_count(field: str, date_from: date, date_to: date, using: str | None) -> int:
    """Orders with ``field`` in the period, kept in the cache for a while: a count over the
    order table is the one read here that grows with the business, not with the rollups."""
    db = using or analytics_db()
    key = f"kpi:orders:{db}:{field}:{date_from.isoformat()}:{date_to.isoformat()}"
    found = cache.get(key)
    if found is not None:
        return found
    low, high = _bounds(date_from, date_to)
    value = Order.objects.using(db).filter(**{f"{field}__gte": low,
                                              f"{field}__lt": high}).count()
    cache.set(key, value, getattr(settings, "KPI_VOLUME_CACHE_SECONDS", 600))
    return value


def orders_placed(date_from: date, date_to: date, *, using: str | None = None) -> int:
    return _order_count("placed_at", date_from, date_to, using)


def orders_delivered(date_from: date, date_to: date, *, using: str | None = None) -> int:
    """Orders signed for (sign-for = delivery, ECL Art. 51) in the period."""
    return _order_count("signed_at", date_from, date_to, using)


def volume_basis(department_kind: str) -> str:
    return "orders_delivered" if department_kind in DELIVERY_UNIT_KINDS else "orders_placed"


@dataclass(frozen=True)
class UnitRate:
    department: Department
    basis: str
    rate: f.KpiValue

    def as_json(self) -> dict:
        return {**self.rate.as_json(), "per": 1000, "volume_basis": self.basis}


def complaint_rate_by_unit(filters: Filters, date_from: date, date_to: date, *,
                           units: list[int] | None = None,
                           using: str | None = None) -> list[UnitRate]:
    """客户投诉率 per responsible unit: liable archived complaints per 1,000 of the unit's
    volume. The unit is the plan's responsible department, whoever handled the case, so
    the handling-department filter does not apply here."""
    db = using or analytics_db()
    unit_filters = replace(filters, department=None)
    counts = grouped_sums(unit_filters, date_from, date_to, "unit_id", using=db)
    departments = Department.objects.using(db).filter(
        Q(active=True) | Q(pk__in=[pk for pk in counts if pk is not None])).order_by("code")
    if units is not None:
        departments = departments.filter(pk__in=units)
    departments = list(departments)
    volumes: dict[str, int] = {}
    if any(volume_basis(d.kind) == "orders_placed" for d in departments):
        volumes["orders_placed"] = orders_placed(date_from, date_to, using=db)
    if any(volume_basis(d.kind) == "orders_delivered" for d in departments):
        volumes["orders_delivered"] = orders_delivered(date_from, date_to, using=db)
    rates = []
    for department in departments:
        basis = volume_basis(department.kind)
        liable = counts.get(department.pk, {}).get("closed_liable", 0)
        rates.append(UnitRate(department, basis, f.unit_rate(liable, volumes[basis])))
    return rates


# --- scope ---------------------------------------------------------------------------

def sees_everything(user) -> bool:
    return user.has_perm("aftersales.view_all_tickets")


def scoped_filters(user, filters: Filters) -> Filters:
    """A user without ``view_all_tickets`` sees only their own department's numbers."""
    if sees_everything(user):
        return filters
    return replace(filters, department=user_department_id(user) or -1)


def scoped_units(user) -> list[int] | None:
    if sees_everything(user):
        return None
    department_id = user_department_id(user)
    return [department_id] if department_id else []


# --- the KPI set of a period ----------------------------------------------------------

def kpi_summary(filters: Filters, date_from: date, date_to: date, *,
                units: list[int] | None = None, using: str | None = None) -> dict:
    """Every KPI of the period: the ratios, the durations, the unit rates and the extras."""
    db = using or analytics_db()
    sums = period_sums(filters, date_from, date_to, using=db)
    summary = {key: formula(sums) for key, formula in f.RATIO_KPIS}
    summary.update({key: formula(sums) for key, formula in f.DURATION_KPIS})
    summary["complaint_rate_by_unit"] = complaint_rate_by_unit(
        filters, date_from, date_to, units=units, using=db)
    for extra in f.extra_kpis():
        summary[extra.key] = extra.compute(filters, date_from, date_to, db)
    summary["sums"] = sums
    return summary


def kpi_json(summary: dict, *, details: bool = False) -> dict:
    """The ``kpis --json`` shape: each KPI an object with numerator, denominator and value
    (null when the denominator is 0); ``details`` adds the survey response rate, the
    volume basis of each unit and the response and cycle times."""
    out = {key: summary[key].as_json()
           for key in ("timeliness", "first_response", "resolution", "satisfaction", "repeat")}
    out["complaint_rate_by_unit"] = {
        rate.department.code: rate.as_json() if details else rate.rate.as_json()
        for rate in summary["complaint_rate_by_unit"]
    }
    for extra in f.extra_kpis():
        out[extra.key] = summary[extra.key].as_json()
    if details:
        out["satisfaction"]["response_rate"] = summary["survey_response"].as_json()
        out["response_time"] = summary["response_time"].as_json()
        out["cycle_time"] = summary["cycle_time"].as_json()
    return out
