"""Return visits (回访): the customer survey, its answers, and what a kind of case does with them.

The kernel runs the survey for every kind of case. What an answer means for the case
(e.g. a dissatisfied customer reopens a complaint) belongs to the domain app, which
gives its handlers in its kind's registration (``aftersales.cases.kinds.CaseKind``:
``on_feedback`` and ``on_no_response``).

A feedback handler receives the keyword arguments ``ticket_pk``, ``actor`` (``None`` for
the customer), ``satisfied``, ``problem_solved``, ``rating``, ``ratings`` (the other
dimensions by field name), ``comment``, ``method`` and ``follow_up`` (the ``FollowUp`` the
answer is for, read without a lock). The handler locks the case, then the follow-up, checks
again that it is still open (``SurveyClosed`` if not) and saves it as answered. Without a
handler the kernel does the same itself and alerts the staff when the customer is not
satisfied.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.kinds import find_kind
from aftersales.cases.models import Ticket, TimelineEvent
from aftersales.cases.selectors import tickets_visible_to
from aftersales.cases.services import ticket_lock, timeline_record
from aftersales.core import outbox
from aftersales.core.choices import FollowUpMethod, FollowUpStatus
from aftersales.core.exceptions import DomainError
from aftersales.followups.models import FollowUp

logger = logging.getLogger(__name__)

OPEN_STATUSES = (FollowUpStatus.SCHEDULED, FollowUpStatus.SENT, FollowUpStatus.REMINDED)
RATING_FIELDS = ("rating_attitude", "rating_timeliness", "rating_result")

ACTION_SENT = "aftersales.followup.sent"
ACTION_REMINDED = "aftersales.followup.reminded"
ACTION_NO_RESPONSE = "aftersales.followup.no_response"
ACTION_ANSWERED = "aftersales.followup.answered"

FeedbackHandler = Callable[..., object]


def feedback_handler_for(kind: str) -> FeedbackHandler | None:
    case_kind = find_kind(kind)
    return case_kind.on_feedback if case_kind else None


def no_response_handler_for(kind: str) -> FeedbackHandler | None:
    case_kind = find_kind(kind)
    return case_kind.on_no_response if case_kind else None


class SurveyClosed(DomainError):
    default_message = _("This survey is closed. Thank you for your time.")


@dataclass(frozen=True)
class SurveyAnswer:
    """What the customer said: 1–5 on each dimension, resolved yes/no, a comment."""

    rating: int
    rating_attitude: int | None
    rating_timeliness: int | None
    rating_result: int | None
    problem_solved: bool
    comment: str = ""

    @property
    def satisfied(self) -> bool:
        """Satisfied unless the problem is not solved or the overall rating is too low."""
        return self.problem_solved and self.rating > settings.FOLLOW_UP_DISSATISFIED_MAX_RATING

    @property
    def ratings(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in RATING_FIELDS
                if getattr(self, name) is not None}


def follow_up_for_token(token: str) -> FollowUp:
    """The follow-up a survey link points at; ``DoesNotExist`` for any other token."""
    if not token:
        raise FollowUp.DoesNotExist
    return FollowUp.objects.select_related("ticket").get(token=token)


def follow_up_is_open(follow_up: FollowUp) -> bool:
    return follow_up.status in OPEN_STATUSES


def follow_up_answer(*, token: str, answer: SurveyAnswer) -> FollowUp:
    """Record the customer's survey answer; a dissatisfied answer goes to the case's kind.

    One transaction that locks the case, then the follow-up (the order every writer of a
    case uses), and checks again under the lock that the survey is still open: two
    answers sent at once record one, the other is told the survey is closed.
    """
    with transaction.atomic():
        follow_up = FollowUp.objects.select_related("ticket").get(token=token)
        ticket = follow_up.ticket
        handler = feedback_handler_for(ticket.kind)
        if handler is not None:
            handler(
                ticket_pk=ticket.pk, actor=None, satisfied=answer.satisfied,
                problem_solved=answer.problem_solved, rating=answer.rating,
                ratings=answer.ratings, comment=answer.comment,
                method=FollowUpMethod.ONLINE, follow_up=follow_up,
            )
        else:
            ticket_lock(Ticket, ticket.pk)
            locked = (FollowUp.objects.select_for_update().select_related("ticket")
                      .get(pk=follow_up.pk))
            if not follow_up_is_open(locked):
                raise SurveyClosed()
            _record_answer(locked, answer)
    follow_up.refresh_from_db()
    return follow_up


def follow_up_take_open(ticket_pk: int, follow_up: FollowUp | None = None) -> FollowUp | None:
    """Under lock, the open follow-up an answer belongs to: the one given (closed: refused),
    else the case's latest due, else none. Call inside the transaction that locks the case."""
    open_follow_ups = FollowUp.objects.select_for_update().filter(
        ticket_id=ticket_pk, status__in=OPEN_STATUSES)
    if follow_up is None:
        return open_follow_ups.order_by("-due_at").first()
    taken = open_follow_ups.filter(pk=follow_up.pk).first()
    if taken is None:
        raise SurveyClosed()
    return taken


def follow_up_record(ticket: Ticket, follow_up: FollowUp | None, *, method: str,
                     rating: int | None, ratings: dict | None, problem_solved: bool | None,
                     comment: str, recorded_by=None) -> FollowUp:
    """Write a return visit's answer onto its follow-up (a new one when none was due)."""
    follow_up = follow_up or FollowUp(ticket=ticket, due_at=timezone.now())
    follow_up.status = FollowUpStatus.ANSWERED
    follow_up.method = method
    follow_up.rating = rating
    for name, value in (ratings or {}).items():
        setattr(follow_up, name, value)
    follow_up.problem_solved = problem_solved
    follow_up.comment = comment
    follow_up.answered_at = timezone.now()
    follow_up.recorded_by = recorded_by
    follow_up.save()
    return follow_up


def _record_answer(follow_up: FollowUp, answer: SurveyAnswer) -> None:
    follow_up_record(follow_up.ticket, follow_up, method=FollowUpMethod.ONLINE,
                     rating=answer.rating, ratings=answer.ratings,
                     problem_solved=answer.problem_solved, comment=answer.comment)
    timeline_record(
        ticket=follow_up.ticket, action=ACTION_ANSWERED,
        actor_kind=TimelineEvent.ActorKind.CUSTOMER, note=answer.comment,
        data={"follow_up": follow_up.pk, "satisfied": answer.satisfied,
              "rating": answer.rating, "problem_solved": answer.problem_solved},
        customer_visible=True,
    )
    if not answer.satisfied:
        outbox.enqueue("aftersales.notify_staff",
                       [follow_up.ticket_id, "survey_dissatisfied", "assignee_and_supervisors"],
                       key=f"aftersales.notify_staff:survey_dissatisfied:{follow_up.pk}")


def follow_up_no_response(follow_up: FollowUp) -> None:
    """Tell the case's kind that the customer did not answer, even after the reminder.

    Runs in the sweep's transaction under a savepoint: a kind that refuses (e.g. the case
    was reopened meanwhile) is logged and skipped, never failing the sweep.
    """
    handler = no_response_handler_for(follow_up.ticket.kind)
    if handler is None:
        return
    try:
        with transaction.atomic():
            handler(ticket_pk=follow_up.ticket_id, follow_up=follow_up)
    except DomainError as error:
        logger.info("No-response handler skipped follow-up %s: %s", follow_up.pk, error)


def follow_ups_due(user, *, now: datetime | None = None) -> QuerySet[FollowUp]:
    """Return visits that are due and not answered, for the cases the user may see."""
    now = now or timezone.now()
    tickets = tickets_visible_to(user)
    return (
        FollowUp.objects.filter(ticket__in=tickets.values("pk"))
        .filter(
            Q(status=FollowUpStatus.SCHEDULED, due_at__lte=now)
            | Q(status__in=[FollowUpStatus.SENT, FollowUpStatus.REMINDED])
        )
        .select_related("ticket", "ticket__customer", "ticket__assignee")
        .order_by("due_at", "id")
    )
