"""What the KPIs need to know about each kind of case, kept in one registry.

The kernel's ``Ticket`` has the clocks every kind shares; whether a case was accepted,
its category, outcome and responsible unit live in the kind's own app. A domain app that
adds a kind (returns, repair, installation) registers a ``KindFacts`` here; a kind without
one counts as accepted when received and has no category, outcome or unit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db.models import Min

from aftersales.models import TimelineEvent


@dataclass(frozen=True)
class KindExtras:
    """Per-case facts that only the kind's own app knows."""

    category: str = ""
    outcome: str = ""
    unit_id: int | None = None
    liability: str = ""
    merged_duplicate: bool = False


@dataclass
class KindFacts:
    """How one kind of case answers the KPI questions."""

    kind: str
    accepted_action: str = ""
    reply_action: str = ""
    reopen_action: str = ""
    solved_outcomes: frozenset[str] = field(default_factory=frozenset)
    not_liable_outcome: str = ""

    def extras(self, ticket_ids: list[int]) -> dict[int, KindExtras]:
        return {}

    def accepted_at(self, ticket_ids: list[int], received: dict[int, object]) -> dict:
        """When each case was accepted (受理); absent when it never was."""
        if not self.accepted_action:
            return dict(received)
        rows = (
            TimelineEvent.objects.filter(ticket_id__in=ticket_ids, action=self.accepted_action)
            .values("ticket_id").annotate(at=Min("created_at")).values_list("ticket_id", "at")
        )
        return dict(rows)

    def reply_and_reopen_events(self, ticket_ids: Iterable[int]) -> dict[int, list]:
        """(time, action) of each reply and reopening, in order, per case."""
        ids = list(ticket_ids)
        if not ids or not self.reopen_action:
            return {}
        out: dict[int, list] = {}
        rows = (
            TimelineEvent.objects.filter(
                ticket_id__in=ids, action__in=[self.reply_action, self.reopen_action])
            .order_by("ticket_id", "created_at", "id")
            .values_list("ticket_id", "created_at", "action")
        )
        for ticket_id, at, action in rows:
            out.setdefault(ticket_id, []).append((at, action == self.reopen_action))
        return out


class ComplaintFacts(KindFacts):
    def extras(self, ticket_ids: list[int]) -> dict[int, KindExtras]:
        from complaints.models import Complaint

        rows = Complaint.objects.filter(pk__in=ticket_ids).values_list(
            "pk", "category", "outcome", "current_plan__responsible_department_id",
            "current_plan__liability", "state", "not_accepted_reason",
        )
        return {
            pk: KindExtras(category=category, outcome=outcome, unit_id=unit_id,
                           liability=liability or "",
                           merged_duplicate=(state == "NOT_ACCEPTED"
                                             and reason == "DUPLICATE"))
            for pk, category, outcome, unit_id, liability, state, reason in rows
        }


KINDS: dict[str, KindFacts] = {
    "COMPLAINT": ComplaintFacts(
        kind="COMPLAINT",
        accepted_action="complaints.complaint.accepted",
        reply_action="complaints.complaint.replied",
        reopen_action="complaints.complaint.reopened",
        solved_outcomes=frozenset({"SOLVED"}),
        not_liable_outcome="NOT_LIABLE",
    ),
}


def register_kind_facts(facts: KindFacts) -> None:
    KINDS[facts.kind] = facts


def kind_facts(kind: str) -> KindFacts:
    return KINDS.get(kind) or KindFacts(kind=kind)
