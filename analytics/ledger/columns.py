"""The fixed columns of the complaint ledger (台账), shared by the page and the exports.

A column turns a ledger row into one value: text, a moment (aware datetime), an amount
(Decimal yuan) or a whole number. The page and the CSV show it as text in the user's
language and in Asia/Shanghai time; the Excel file keeps dates and numbers as such.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from aftersales.core.choices import Channel, Severity, Stage

TEXT, MOMENT, MONEY, NUMBER = "text", "moment", "money", "number"
DATE_FORMAT = "%Y-%m-%d %H:%M"

SLA_MET = pgettext_lazy("SLA clock result", "Met")
SLA_BREACHED = pgettext_lazy("SLA clock result", "Breached")
SLA_RUNNING = pgettext_lazy("SLA clock result", "Running")
YES = _("Yes")
NO = _("No")


@dataclass(frozen=True)
class RowContext:
    """What a column needs besides the row: whether to mask personal data, and now.

    ``labels`` remembers each code's translated label: looking labels up row by row
    (``get_FOO_display``) translates every choice of the field each time, which made
    exports crawl.
    """

    masked: bool
    now: datetime
    labels: dict = field(default_factory=dict, compare=False)

    def label(self, key: tuple, make: Callable[[], Any]) -> str:
        text = self.labels.get(key)
        if text is None:
            text = self.labels[key] = str(make())
        return text


@dataclass(frozen=True)
class Column:
    key: str
    header: Promise
    value: Callable[[Any, RowContext], Any]
    type: str = TEXT


def mask_name(name: str) -> str:
    """Keep the first character: 张三 → 张*, 欧阳娜娜 → 欧***."""
    name = (name or "").strip()
    if len(name) <= 1:
        return name
    return name[0] + "*" * min(len(name) - 1, 3)


def _label(choices, value: str, ctx: RowContext) -> str:
    if not value:
        return ""

    def make() -> str:
        try:
            return choices(value).label
        except ValueError:
            return value
    return ctx.label((choices, value), make)


def _customer(row, ctx: RowContext) -> str:
    customer = row.customer
    if ctx.masked:
        parts = [mask_name(customer.name), customer.masked_phone]
    else:
        parts = [customer.name, customer.phone]
    return " ".join(part for part in parts if part)


def _order(row, ctx: RowContext) -> str:
    return row.order.number if row.order_id else row.order_number_given


def _product(row, ctx: RowContext) -> str:
    if row.product_id:
        return f"{row.product.name} ({row.product.sku})"
    return row.product_given


def _choice_label(obj, attr: str, ctx: RowContext) -> str:
    code = getattr(obj, attr, "")
    if not code:
        return ""
    model = type(obj)
    return ctx.label((model, attr, code), lambda: dict(
        model._meta.get_field(attr).flatchoices).get(code, code))


def _choice_attr(attr: str) -> Callable[[Any, RowContext], str]:
    return lambda row, ctx: _choice_label(row, attr, ctx)


def _person(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.get_username()


def _plan(row):
    return getattr(row, "current_plan", None)


def _responsible_department(row, ctx: RowContext) -> str:
    plan = _plan(row)
    if plan is not None:
        return plan.responsible_department.name
    return row.department.name if row.department_id else ""


def _responsible_person(row, ctx: RowContext) -> str:
    plan = _plan(row)
    return _person(plan.responsible_person) if plan is not None else ""


def _handler(row, ctx: RowContext) -> str:
    return _person(row.assignee) if row.assignee_id else ""


def _state(row, ctx: RowContext) -> str:
    return ctx.label((type(row), "state", row.state), row.get_state_display)


def _solution(row, ctx: RowContext) -> str:
    plan = _plan(row)
    return _choice_label(plan, "solution_type", ctx) if plan is not None else ""


def _compensation(row, ctx: RowContext) -> Decimal | None:
    plan = _plan(row)
    return plan.compensation_amount if plan is not None else None


def _attr(name: str) -> Callable[[Any, RowContext], Any]:
    return lambda row, ctx: getattr(row, name, None)


def clock_result(due: datetime | None, done: datetime | None, *, is_open: bool,
                 now: datetime) -> str:
    """``met``, ``breached``, ``running`` or "" (no such clock) for one SLA clock."""
    if due is None:
        return ""
    if done is not None:
        return "met" if done <= due else "breached"
    if not is_open:
        return ""
    return "breached" if due < now else "running"


CLOCK_TEXT = {"met": SLA_MET, "breached": SLA_BREACHED, "running": SLA_RUNNING}


def _clock(due: str, done: str) -> Callable[[Any, RowContext], str]:
    def value(row, ctx: RowContext) -> str:
        result = clock_result(getattr(row, due), getattr(row, done), is_open=row.is_open,
                              now=ctx.now)
        return ctx.label(("sla", result), lambda: CLOCK_TEXT[result]) if result else ""
    return value


def _repeat(row, ctx: RowContext) -> str:
    if not row.repeat_of_id:
        return ctx.label(("bool", False), lambda: NO)
    yes = ctx.label(("bool", True), lambda: YES)
    parent = row.repeat_of
    return f"{yes} ({parent.number})" if parent is not None else yes


COLUMNS: list[Column] = [
    Column("number", _("Number"), _attr("number")),
    Column("channel", _("Channel"), lambda row, ctx: _label(Channel, row.channel, ctx)),
    Column("received_at", _("Received"), _attr("received_at"), MOMENT),
    Column("customer", _("Customer"), _customer),
    Column("order", _("Order"), _order),
    Column("product", _("Product"), _product),
    Column("category", _("Category"), _choice_attr("category")),
    Column("subcategory", _("Sub-category"), _choice_attr("subcategory")),
    Column("severity", _("Severity"), lambda row, ctx: _label(Severity, row.severity, ctx)),
    Column("responsible_department", _("Responsible department"), _responsible_department),
    Column("responsible_person", _("Responsible person"), _responsible_person),
    Column("handler", _("Handler"), _handler),
    Column("stage", _("Stage"), lambda row, ctx: _label(Stage, row.stage, ctx)),
    Column("state", _("State"), _state),
    Column("solution", _("Solution"), _solution),
    Column("compensation", _("Compensation (yuan)"), _compensation, MONEY),
    Column("replied_at", _("Replied"), _attr("replied_at"), MOMENT),
    Column("outcome", _("Outcome"), _choice_attr("outcome")),
    Column("return_visit_result", _("Return visit"), _choice_attr("return_visit_result")),
    Column("rating", _("Rating (1–5)"), _attr("ledger_rating"), NUMBER),
    Column("closed_at", _("Closed"), _attr("closed_at"), MOMENT),
    Column("sla_first_response", _("SLA: first response"),
           _clock("first_response_due_at", "first_response_at")),
    Column("sla_resolution", _("SLA: resolution reply"),
           _clock("resolution_due_at", "resolved_at")),
    Column("sla_close", _("SLA: close"), _clock("close_due_at", "closed_at")),
    Column("repeat", _("Repeat"), _repeat),
]


@cache
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local(moment: datetime) -> datetime:
    """The moment in the ledger's time zone (Asia/Shanghai), whoever reads it."""
    return moment.astimezone(_zone(settings.TIME_ZONE))


def as_text(column: Column, value: Any) -> str:
    """A cell as the page and the CSV show it."""
    if value is None or value == "":
        return ""
    if column.type == MOMENT:
        return local(value).strftime(DATE_FORMAT)
    if column.type == MONEY:
        return f"{value:.2f}"
    return str(value)


def row_values(row, ctx: RowContext) -> list[Any]:
    return [column.value(row, ctx) for column in COLUMNS]


def row_texts(row, ctx: RowContext) -> list[str]:
    return [as_text(column, column.value(row, ctx)) for column in COLUMNS]


def headers() -> list[str]:
    return [str(column.header) for column in COLUMNS]
