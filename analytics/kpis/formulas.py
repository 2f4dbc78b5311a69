"""The KPIs of domain.md §9, each as numerator / denominator / value, read from the rollups.

Every function here takes the summed counters of some rollup cells (``Sums``), so the
same formula serves a month, a custom range, a department row or a trend point. Values
are ``Decimal`` rounded to 4 places, ``None`` when the denominator is 0.

Readings of §9 (the facts module says how each counter is anchored):

=====================  =========================================  ==========================
KPI                    numerator                                  denominator
=====================  =========================================  ==========================
timeliness 处理及时率    accepted, resolution due in period,         accepted, resolution due
                       replied by the due time                     in period
first_response         accepted, first response due in period,     accepted, first response
                       answered by the due time                    due in period
resolution 解决率        archived in period, outcome SOLVED, not      archived in period
                       "not solved" at the visit, no reopening     (NOT_LIABLE included)
                       within 15 days of a reply
satisfaction 满意度      return visits in period rated 4–5           visits in period rated
                                                                   (response rate: rated /
                                                                   attempted)
repeat 重复投诉率         accepted in period that repeat an earlier   accepted in period
                       counted case (T21)
complaint rate 客户投诉率 archived in month, responsibility confirmed  volume(U, month) / 1000
                       to unit U, not NOT_LIABLE
=====================  =========================================  ==========================

Response time is received → first response (first responses made in the period); cycle
time is received → reply (replies made in the period). Both are reported as mean and
P90 in hours; P90 comes from the duration histogram (see ``buckets``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from ..models import COUNTER_FIELDS
from ..models.kpis import CYCLE_BUCKETS, RESPONSE_BUCKETS
from .buckets import quantile_seconds

FOUR_PLACES = Decimal("0.0001")

Sums = dict[str, int]


def empty_sums() -> Sums:
    return dict.fromkeys(COUNTER_FIELDS, 0)


def add_sums(total: Sums, other: Sums) -> Sums:
    for name in COUNTER_FIELDS:
        total[name] = (total.get(name) or 0) + (other.get(name) or 0)
    return total


def rounded(value: Decimal | float | None) -> Decimal | None:
    if value is None:
        return None
    return Decimal(value).quantize(FOUR_PLACES, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class KpiValue:
    """One ratio: ``value = numerator × scale / denominator``, ``None`` when the denominator
    is 0."""

    numerator: int
    denominator: int
    scale: int = 1

    @property
    def value(self) -> Decimal | None:
        if not self.denominator:
            return None
        return rounded(Decimal(self.numerator) * self.scale / Decimal(self.denominator))

    @property
    def percent(self) -> Decimal | None:
        value = self.value
        return None if value is None or self.scale != 1 else (value * 100).quantize(
            Decimal("0.1"), rounding=ROUND_HALF_UP)

    def as_json(self) -> dict:
        value = self.value
        return {"numerator": self.numerator, "denominator": self.denominator,
                "value": None if value is None else float(value)}


@dataclass(frozen=True)
class DurationStat:
    """Mean and P90 of a duration, in hours."""

    count: int
    total_seconds: int
    histogram: tuple[int, ...]

    @property
    def mean_hours(self) -> Decimal | None:
        if not self.count:
            return None
        return rounded(Decimal(self.total_seconds) / self.count / 3600)

    @property
    def p90_hours(self) -> Decimal | None:
        seconds = quantile_seconds(self.histogram, 0.9)
        return None if seconds is None else rounded(Decimal(seconds) / 3600)

    def as_json(self) -> dict:
        mean, p90 = self.mean_hours, self.p90_hours
        return {"count": self.count,
                "mean_hours": None if mean is None else float(mean),
                "p90_hours": None if p90 is None else float(p90)}


def timeliness(s: Sums) -> KpiValue:
    return KpiValue(s["res_on_time"], s["res_due"])


def first_response(s: Sums) -> KpiValue:
    return KpiValue(s["fr_on_time"], s["fr_due"])


def resolution(s: Sums) -> KpiValue:
    return KpiValue(s["closed_solved"], s["closed"])


def satisfaction(s: Sums) -> KpiValue:
    return KpiValue(s["visits_satisfied"], s["visits_rated"])


def survey_response_rate(s: Sums) -> KpiValue:
    return KpiValue(s["visits_rated"], s["visits_attempted"])


def repeat_rate(s: Sums) -> KpiValue:
    return KpiValue(s["repeat"], s["accepted"])


def reopen_rate(s: Sums) -> KpiValue:
    """Replied cases that had been reopened at least once, among the cases replied."""
    return KpiValue(s["resolved_reopened"], s["resolved"])


def response_time(s: Sums) -> DurationStat:
    return DurationStat(s["responded"], s["response_seconds"],
                        tuple(s[name] for name in RESPONSE_BUCKETS))


def cycle_time(s: Sums) -> DurationStat:
    return DurationStat(s["resolved"], s["cycle_seconds"],
                        tuple(s[name] for name in CYCLE_BUCKETS))


def unit_rate(complaints: int, volume: int) -> KpiValue:
    """Complaints per 1,000 of the unit's volume (客户投诉率)."""
    return KpiValue(complaints, volume, scale=1000)


# The ratio KPIs in display order: key, formula.
RATIO_KPIS: list[tuple[str, Callable[[Sums], KpiValue]]] = [
    ("timeliness", timeliness),
    ("first_response", first_response),
    ("resolution", resolution),
    ("satisfaction", satisfaction),
    ("survey_response", survey_response_rate),
    ("repeat", repeat_rate),
]
DURATION_KPIS: list[tuple[str, Callable[[Sums], DurationStat]]] = [
    ("response_time", response_time),
    ("cycle_time", cycle_time),
]


# --- extra KPIs that appear once the kind of case they need exists ---------------------

@dataclass
class ExtraKpi:
    """A KPI another app adds (e.g. the return/exchange rate once returns exist).

    ``available()`` says whether it applies in this installation; ``compute(filters,
    date_from, date_to, using)`` returns its ``KpiValue``.
    """

    key: str
    label: object
    available: Callable[[], bool]
    compute: Callable[..., KpiValue]
    ledger_params: dict = field(default_factory=dict)


EXTRA_KPIS: dict[str, ExtraKpi] = {}


def register_extra_kpi(kpi: ExtraKpi) -> None:
    EXTRA_KPIS[kpi.key] = kpi


def extra_kpis() -> list[ExtraKpi]:
    return [kpi for kpi in EXTRA_KPIS.values() if kpi.available()]


def _returns_kind_exists() -> bool:
    """True once the returns app defines its models (and so its kind of case)."""
    from django.apps import apps

    try:
        config = apps.get_app_config("returns")
    except LookupError:
        return False
    return config.models_module is not None and any(True for _ in config.get_models())


def _return_exchange_rate(filters, date_from: date, date_to: date, using: str) -> KpiValue:
    """RETURN / EXCHANGE work orders created in the period ÷ orders delivered in the period
    (domain.md §9, P3 一(2)). Until the returns app records which requests are returns and
    exchanges (rather than refunds only), every RETURN-kind case received counts."""
    from dataclasses import replace

    from .selectors import orders_delivered, period_sums

    sums = period_sums(replace(filters, kind="RETURN"), date_from, date_to, using=using)
    return KpiValue(sums["received"], orders_delivered(date_from, date_to, using=using))


def _register_builtin_extras() -> None:
    from django.utils.translation import gettext_lazy as _

    register_extra_kpi(ExtraKpi(
        key="return_exchange_rate", label=_("Return/exchange rate"),
        available=_returns_kind_exists, compute=_return_exchange_rate,
        ledger_params={"kind": "RETURN", "period_field": "received"},
    ))


_register_builtin_extras()
