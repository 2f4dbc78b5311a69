"""Which kinds of case the ledger lists, and where each keeps the ledger's facts.

The ledger works on the kernel ticket's columns (number, channel, customer, severity,
department, assignee, state, SLA clocks). Facts a kind keeps in its own table (category,
outcome, reply time, plan) are named here per kind, so another kind joins the ledger by
registering its model and the paths of the facts it has; a fact a kind lacks shows empty
and a filter on it finds nothing of that kind.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Model, QuerySet

from aftersales.cases.kinds import registered_kinds
from aftersales.core.choices import TicketKind


@dataclass(frozen=True)
class LedgerKind:
    """One kind of case as the ledger sees it."""

    code: str
    model: type[Model]
    # Logical fact -> ORM path on ``model``. Kernel facts are common to all kinds.
    paths: dict[str, str] = field(default_factory=dict)
    # Joined in the main query: only what every row needs. Joining a dozen tables makes
    # PostgreSQL spend far longer planning the query than running it.
    select_related: tuple[str, ...] = ()
    # Loaded afterwards for the whole page: one ``id IN (...)`` query per related model,
    # however many relations point at it (a case's department and its plan's unit).
    attach: tuple[str, ...] = ()
    # Columns left out of the page and export query: long texts the ledger does not show.
    deferred: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return str(TicketKind(self.code).label)

    def path(self, fact: str) -> str | None:
        return self.paths.get(fact)

    def queryset(self) -> QuerySet:
        return self.model._default_manager.all()


KERNEL_JOINED = ("customer",)
KERNEL_DEFERRED = ("customer__email", "customer__address", "customer__username")


KERNEL_ATTACHED = ("order", "product", "department", "assignee", "repeat_of")


_KINDS: dict[str, LedgerKind] = {}


def register_ledger_kind(kind: LedgerKind) -> None:
    _KINDS[kind.code] = kind


def ledger_kinds() -> dict[str, LedgerKind]:
    if not _KINDS:
        _register_builtin()
    # Every other registered kind is listed with the kernel's facts until it names its own.
    for kind in registered_kinds():
        if kind.code not in _KINDS:
            register_ledger_kind(LedgerKind(
                code=kind.code, model=kind.model_class(), select_related=KERNEL_JOINED,
                attach=KERNEL_ATTACHED, deferred=KERNEL_DEFERRED,
            ))
    return _KINDS


def ledger_kind(code: str) -> LedgerKind:
    return ledger_kinds()[code]


def _register_builtin() -> None:
    from complaints.models import Complaint

    register_ledger_kind(LedgerKind(
        code=TicketKind.COMPLAINT,
        model=Complaint,
        paths={
            "category": "category",
            "subcategory": "subcategory",
            "outcome": "outcome",
            "replied_at": "replied_at",
            "return_visit_result": "return_visit_result",
            "regulator_case_number": "regulator_case_number",
            "plan": "current_plan",
            "plan_department": "current_plan__responsible_department",
            "plan_person": "current_plan__responsible_person",
            "plan_solution": "current_plan__solution_type",
            "plan_compensation": "current_plan__compensation_amount",
        },
        select_related=(*KERNEL_JOINED, "current_plan"),
        attach=(
            *KERNEL_ATTACHED, "current_plan__responsible_department",
            "current_plan__responsible_person",
        ),
        deferred=(
            *KERNEL_DEFERRED, "description", "customer_request", "use_environment",
            "current_plan__measures", "current_plan__customer_comment",
            "current_plan__decision_comment",
        ),
    ))
