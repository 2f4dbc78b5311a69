"""Everything the dashboard shows, as plain rows: each number with its ledger link.

A fixed number of queries whatever the number of cases, departments or agents: the
period's totals, the 12-month trend, one grouped read per breakdown, the owners, the
unit volumes.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.utils.html import conditional_escape, format_html
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import Channel, TicketKind
from aftersales.models import Department
from complaints.choices import Category

from . import formulas as f
from .links import kpi_links, ledger_url
from .selectors import (
    Filters,
    grouped_sums,
    kpi_summary,
    month_range,
    monthly_trend,
    owner_sums,
)

KPI_LABELS = {
    "timeliness": _("Handling timeliness"),
    "first_response": _("First response on time"),
    "resolution": _("Resolution rate"),
    "satisfaction": _("Satisfaction"),
    "survey_response": _("Survey response rate"),
    "repeat": _("Repeat complaint rate"),
    "response_time": _("Response time (hours)"),
    "cycle_time": _("Cycle time (hours)"),
}
TREND_KPIS = ["timeliness", "first_response", "resolution", "satisfaction", "repeat"]


@dataclass(frozen=True)
class Num:
    """A number as shown: its text, the ledger link behind it, and a raw value for charts."""

    text: str
    url: str = ""
    raw: float | None = None

    def __html__(self) -> str:
        # Rendered as ``{{ num }}``: hundreds per page, cheaper than an include each.
        if self.url:
            return format_html('<a href="{}">{}</a>', self.url, self.text)
        return conditional_escape(self.text)

    def __str__(self) -> str:
        return self.__html__()


# Plain formatting: both languages write 81.8% alike, and the locale-aware formatter
# costs a translation lookup per number, hundreds per page.
def _pct(value: f.KpiValue) -> str:
    percent = value.percent
    return "—" if percent is None else f"{percent:.1f}%"


def _dec(value: Decimal | None, places: int = 1) -> str:
    return "—" if value is None else f"{value:.{places}f}"


def _raw(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


@dataclass
class RatioRow:
    key: str
    label: object
    numerator: Num
    denominator: Num
    value: Num


def ratio_row(key: str, value: f.KpiValue, filters: Filters, date_from: date, date_to: date,
              label=None, **extra) -> RatioRow:
    num_url, den_url = kpi_links(key, filters, date_from, date_to, **extra)
    shown = _pct(value) if value.scale == 1 else _dec(value.value, 2)
    return RatioRow(key, label or KPI_LABELS.get(key, key),
                    Num(str(value.numerator), num_url), Num(str(value.denominator), den_url),
                    Num(shown, num_url, _raw(value.value)))


@dataclass
class DurationRow:
    key: str
    label: object
    count: Num
    mean: Num
    p90: Num


@dataclass
class BreakdownRow:
    code: object
    label: str
    received: Num
    cells: list[Num] = field(default_factory=list)


@dataclass
class DashboardData:
    filters: Filters
    date_from: date
    date_to: date
    kpis: list[RatioRow]
    durations: list[DurationRow]
    extras: list[RatioRow]
    trend_months: list[str]
    trend: list[tuple[object, list[Num]]]
    by_category: list[BreakdownRow]
    by_channel: list[BreakdownRow]
    by_department: list[BreakdownRow]
    agents: list[BreakdownRow]
    units: list[RatioRow]
    received: Num
    satisfaction_by_kind: list[RatioRow] = field(default_factory=list)

    def chart_data(self) -> dict:
        """What the charts draw; the tables beside them show the same numbers."""
        def series(rows: list[BreakdownRow]) -> dict:
            return {"labels": [r.label for r in rows],
                    "values": [int(r.received.text) for r in rows]}

        return {
            "trend": {"months": self.trend_months,
                      "series": [{"name": str(label), "values": [n.raw for n in nums]}
                                 for label, nums in self.trend]},
            "category": series(self.by_category),
            "channel": series(self.by_channel),
            "department": series(self.by_department),
        }


BREAKDOWN_HEADERS = [_("Received"), _("Handling timeliness"), _("Resolution rate"),
                     _("Satisfaction"), _("Repeat complaint rate")]
AGENT_HEADERS = [_("Cases received"), _("Handling timeliness"), _("Satisfaction"),
                 _("Reopen rate")]
DEPARTMENT_HEADERS = [_("Received"), _("Handling timeliness"), _("Repeat complaint rate"),
                      _("Complaints per 1,000 (unit)")]


def _breakdown(groups: dict, labels: dict, filters: Filters, date_from: date, date_to: date,
               param: str) -> list[BreakdownRow]:
    rows = []
    for code, sums in sorted(groups.items(), key=lambda item: -item[1]["received"]):
        if not any(sums.values()):
            continue
        extra = {param: code}
        cells = []
        for key, formula in (("timeliness", f.timeliness), ("resolution", f.resolution),
                             ("satisfaction", f.satisfaction), ("repeat", f.repeat_rate)):
            value = formula(sums)
            cells.append(Num(_pct(value), kpi_links(key, filters, date_from, date_to,
                                                    **extra)[0], _raw(value.value)))
        rows.append(BreakdownRow(
            code, str(labels.get(code) or code or _("(none)")),
            Num(str(sums["received"]), ledger_url(filters, date_from, date_to,
                                                  period="received", **extra)),
            cells))
    return rows


def dashboard_data(filters: Filters, date_from: date, date_to: date, *,
                   units: list[int] | None, using: str) -> DashboardData:
    summary = kpi_summary(filters, date_from, date_to, units=units, using=using)
    kpis = [ratio_row(key, summary[key], filters, date_from, date_to)
            for key, _formula in f.RATIO_KPIS]
    durations = []
    for key, _formula in f.DURATION_KPIS:
        stat = summary[key]
        link = kpi_links(key, filters, date_from, date_to)[1]
        durations.append(DurationRow(key, KPI_LABELS[key], Num(str(stat.count), link),
                                     Num(_dec(stat.mean_hours), link, _raw(stat.mean_hours)),
                                     Num(_dec(stat.p90_hours), link, _raw(stat.p90_hours))))
    extras = [ratio_row(extra.key, summary[extra.key], filters, date_from, date_to,
                        label=extra.label, **extra.ledger_params)
              for extra in f.extra_kpis()]

    trend_rows = monthly_trend(filters, date_to, using=using)
    months = [month.strftime("%Y-%m") for month, _sums in trend_rows]
    trend = []
    for key in TREND_KPIS:
        formula = dict(f.RATIO_KPIS)[key]
        nums = []
        for month, sums in trend_rows:
            value = formula(sums)
            last = month_range(month)[1]
            nums.append(Num(_pct(value), kpi_links(key, filters, month, last)[0],
                            _raw(value.value)))
        trend.append((KPI_LABELS[key], nums))

    by_category = _breakdown(grouped_sums(filters, date_from, date_to, "category", using=using),
                             dict(Category.choices), filters, date_from, date_to, "category")
    by_channel = _breakdown(grouped_sums(filters, date_from, date_to, "channel", using=using),
                            dict(Channel.choices), filters, date_from, date_to, "channel")

    department_sums = grouped_sums(filters, date_from, date_to, "department_id", using=using)
    unit_rates = {rate.department.pk: rate for rate in summary["complaint_rate_by_unit"]}
    names = dict(Department.objects.using(using).filter(
        pk__in=[pk for pk in department_sums if pk is not None]).values_list("pk", "name"))
    by_department = []
    for pk, sums in sorted(department_sums.items(), key=lambda item: -item[1]["received"]):
        dept_filters = replace(filters, department=pk)
        timely, repeat = f.timeliness(sums), f.repeat_rate(sums)
        rate = unit_rates.get(pk)
        by_department.append(BreakdownRow(
            pk, names.get(pk) or str(_("(none)")),
            Num(str(sums["received"]), ledger_url(dept_filters, date_from, date_to,
                                                  period="received")),
            [Num(_pct(timely), kpi_links("timeliness", dept_filters, date_from, date_to)[0],
                 _raw(timely.value)),
             Num(_pct(repeat), kpi_links("repeat", dept_filters, date_from, date_to)[0],
                 _raw(repeat.value)),
             Num(_dec(rate.rate.value, 2) if rate else "—",
                 kpi_links("unit_rate", dept_filters, date_from, date_to)[0],
                 _raw(rate.rate.value) if rate else None)]))

    owners = owner_sums(filters, date_from, date_to, using=using)
    people = {user.pk: user for user in get_user_model().objects.using(using).filter(
        pk__in=[pk for pk in owners if pk is not None])}
    agents = []
    for pk, sums in sorted(owners.items(), key=lambda item: -item[1]["received"]):
        person = people.get(pk)
        name = (person.get_full_name() or person.get_username()) if person else str(
            _("Unassigned"))
        cells = []
        for key, value in (("timeliness", f.timeliness(sums)),
                           ("satisfaction", f.satisfaction(sums)),
                           ("reopen_rate", f.reopen_rate(sums))):
            cells.append(Num(_pct(value), kpi_links(key, filters, date_from, date_to,
                                                    handler=pk)[0], _raw(value.value)))
        agents.append(BreakdownRow(pk, name, Num(str(sums["received"]), ledger_url(
            filters, date_from, date_to, period="received", handler=pk)), cells))

    units = [ratio_row("unit_rate", rate.rate, filters, date_from, date_to,
                       label=f"{rate.department.name} ({rate.department.code})",
                       department=rate.department.pk)
             for rate in summary["complaint_rate_by_unit"]]
    received = Num(str(summary["sums"]["received"]),
                   ledger_url(filters, date_from, date_to, period="received"))
    # §9: satisfaction is reported separately for complaints, repairs and installations.
    kinds = dict(TicketKind.choices)
    satisfaction_by_kind = [
        ratio_row("satisfaction", f.satisfaction(sums), replace(filters, kind=kind), date_from,
                  date_to, label=kinds.get(kind, kind))
        for kind, sums in grouped_sums(filters, date_from, date_to, "kind", using=using).items()
        if sums["visits_attempted"]]
    return DashboardData(filters, date_from, date_to, kpis, durations, extras, months, trend,
                         by_category, by_channel, by_department, agents, units, received,
                         satisfaction_by_kind)


