"""The warranty check at triage: day 0, validity, this unit's repairs, and table C.

Reads only; the statutory decision comes from ``aftersales.eligibility``.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Q
from django.utils import timezone

from aftersales.catalog.models import OrderLine
from aftersales.eligibility import Decision, Facts, add_months, evaluate
from aftersales.eligibility import Option as EngineOption

from .choices import ExchangePrompt, FaultType

# T16: a repaired unit failing again within this many days counts as a failed repair.
T16_DAYS = 30
# T14, T15: repair overrun by the repairer, and waiting for parts, from hand-in.
T14_DAYS = 30
T15_DAYS = 90


@dataclass(frozen=True)
class WarrantyView:
    """Everything the triage shows about the unit's warranty, and the engine's answer."""

    day_zero: date | None
    validity_months: int
    validity_ends: date | None
    in_validity: bool | None
    repair_count: int
    decision: Decision | None
    # Table C gives more than a repair (a return or an exchange).
    owed_more_than_repair: bool

    @property
    def return_or_exchange(self) -> list[str]:
        if self.decision is None:
            return []
        return [opt for opt in (EngineOption.RETURN, EngineOption.EXCHANGE)
                if opt in self.decision.options]


def unit_filter(order_line_id: int | None, serial_number: str) -> Q | None:
    """The jobs about the same physical unit: its order line, or its serial number."""
    match = Q()
    if order_line_id:
        match |= Q(order_line_id=order_line_id)
    if serial_number:
        match |= Q(serial_number=serial_number)
    return match or None


def warranty_day_zero(line: OrderLine) -> date | None:
    """CPL-R Art. 18: installation when the seller installs, else sign-for."""
    order = line.order
    if order.signed_at is None:
        return None
    signed = timezone.localdate(order.signed_at)
    if order.seller_installs and line.installed_at is not None:
        return max(signed, timezone.localdate(line.installed_at))
    return signed


def validity_months(line: OrderLine) -> int:
    product = line.product
    return product.sanbao_validity_months if product.in_sanbao_catalogue else (
        product.warranty_months)


def warranty_view(*, line: OrderLine | None, fault_type: str, notice_at: datetime,
                  repair_count: int, exchange_prompt: str = "") -> WarrantyView:
    """The facts of this unit mapped onto the engine (domain.md §7.3)."""
    if line is None or line.order.signed_at is None:
        return WarrantyView(None, 0, None, None, repair_count, None, False)
    day_zero = warranty_day_zero(line)
    months = validity_months(line)
    ends = add_months(day_zero, months)
    notice = timezone.localdate(notice_at)
    in_validity = notice <= ends
    order = line.order
    decision = evaluate(Facts(
        sale_channel=order.sale_channel,
        signed_at=order.signed_at,
        notice_at=notice_at,
        installed_at=line.installed_at,
        seller_installs=order.seller_installs,
        fault_type=fault_type or FaultType.PERFORMANCE,
        quality_confirmed=fault_type == FaultType.QUALITY_NONCONFORM,
        in_sanbao_catalogue=line.product.in_sanbao_catalogue,
        in_validity=in_validity,
        repair_count=repair_count,
        repair_overrun=exchange_prompt in (ExchangePrompt.T14, ExchangePrompt.T15),
        durable=line.product.durable,
        excl_statutory=line.product.no_reason_return_excluded
        and not line.product.exclusion_needs_confirmation,
        excl_confirmed=line.product.exclusion_needs_confirmation
        and order.exclusion_confirmed_at is not None,
    ))
    owed_more = bool({EngineOption.RETURN, EngineOption.EXCHANGE} & set(decision.options))
    return WarrantyView(day_zero, months, ends, in_validity, repair_count, decision, owed_more)


def is_free(view: WarrantyView, *, genuine: bool) -> bool:
    """Free in warranty without human damage (§5.3 step 2); otherwise a written quote."""
    if not genuine or view.decision is None:
        return False
    return bool({EngineOption.REPAIR, EngineOption.EXCHANGE, EngineOption.RETURN}
                & set(view.decision.options))


def t16_window_start(now: datetime) -> datetime:
    return now - timedelta(days=T16_DAYS)
