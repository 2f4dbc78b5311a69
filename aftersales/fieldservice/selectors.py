"""Field-service reads: the job page, the board, the technician's day, the scorecard.

Each reads a fixed number of queries whatever the number of jobs or visits.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db.models import Avg, Count, Q, QuerySet
from django.utils import timezone

from aftersales.cases.models import Ticket, TimelineEvent
from aftersales.cases.selectors import (
    customer_timeline,
    ticket_for_page,
    tickets_visible_to,
    timeline_page,
)
from aftersales.core.choices import TicketKind

from .choices import JobState
from .models import FieldJob, InstallationJob, RepairJob, Technician, Visit

S = JobState
PREFIX_KIND = {"RP": TicketKind.REPAIR, "IN": TicketKind.INSTALL}
MODEL_OF_KIND = {TicketKind.REPAIR: RepairJob, TicketKind.INSTALL: InstallationJob}
AWAITING_DISPATCH = (S.TRIAGED, S.PREPARED, S.SCHEDULED)


def kind_of_number(number: str) -> str:
    return PREFIX_KIND.get(number[:2], "")


def job_for_page(*, user, number: str) -> FieldJob:
    """One job with what its page shows, or ``DoesNotExist`` when out of the user's scope."""
    kind = kind_of_number(number)
    model = MODEL_OF_KIND.get(kind, RepairJob)
    related = ["customer", "order", "order_line", "product", "department", "assignee",
               "registered_by", "current_quote", "origin"]
    if model is RepairJob:
        related.append("previous_job")
    return ticket_for_page(
        tickets_visible_to(user, model.objects.all()).select_related(*related), number=number)


def job_for_token(token: str) -> FieldJob:
    kind = Ticket.objects.values_list("kind", flat=True).get(tracking_token=token)
    model = MODEL_OF_KIND.get(kind)
    if model is None:
        raise Ticket.DoesNotExist
    return model.objects.select_related("customer", "product", "current_quote").get(
        tracking_token=token)


TIMELINE_LIMIT = 50


def job_timeline(job: Ticket, *, customer_view: bool = False) -> list[TimelineEvent]:
    """The customer's view (oldest first, what they may see), or staff's newest 50."""
    if customer_view:
        return customer_timeline(job)
    return timeline_page(job, limit=TIMELINE_LIMIT)[0]


def job_visits(job: Ticket) -> list[Visit]:
    return list(Visit.objects.filter(job=job).select_related("technician__user")
                .order_by("start"))


def job_parts(job: Ticket) -> list:
    return list(job.parts_used.select_related("part").order_by("created_at", "id"))


def job_signatures(job: Ticket) -> list:
    return list(job.signatures.order_by("created_at", "id"))


# --- dispatch board ---------------------------------------------------------------------

@dataclass
class BoardJob:
    job: FieldJob
    visit: Visit | None = None


@dataclass
class BoardRow:
    technician: Technician
    days: list[list[Visit]] = field(default_factory=list)


@dataclass
class Board:
    days: list[date]
    rows: list[BoardRow]
    waiting: list[FieldJob]
    regions: list[str]


def _day_bounds(first: date, count: int) -> tuple[datetime, datetime]:
    start = timezone.make_aware(datetime.combine(first, time.min))
    return start, start + timedelta(days=count)


def board(*, first: date, days: int = 7, region: str = "") -> Board:
    """Technicians × days with their visits as blocks, and the jobs waiting for dispatch.

    Four queries whatever the number of technicians, jobs or visits: technicians, visits
    of the week with their jobs, and the waiting jobs of each kind.
    """
    start, end = _day_bounds(first, days)
    technicians = Technician.objects.filter(active=True).select_related("user")
    if region:
        technicians = technicians.filter(region=region)
    technicians = list(technicians)
    by_id = {t.pk: BoardRow(t, [[] for _ in range(days)]) for t in technicians}
    visits = (Visit.objects.filter(cancelled=False, start__gte=start, start__lt=end,
                                   technician__in=list(by_id))
              .select_related("job").order_by("start"))
    for visit in visits:
        index = (timezone.localdate(visit.start) - first).days
        if 0 <= index < days:
            by_id[visit.technician_id].days[index].append(visit)
    waiting: list[FieldJob] = []
    for model in (RepairJob, InstallationJob):
        jobs = model.objects.filter(state__in=AWAITING_DISPATCH).select_related("product")
        if region:
            jobs = jobs.filter(region=region)
        waiting += list(jobs.order_by("agreed_start", "received_at")[:200])
    waiting = [job for job in waiting if job.free_of_charge or job.quote_accepted]
    waiting.sort(key=lambda j: (j.agreed_start is None, j.agreed_start or j.received_at))
    regions = sorted({t.region for t in technicians})
    return Board([first + timedelta(days=i) for i in range(days)],
                 list(by_id.values()), waiting, regions)


def board_regions() -> list[str]:
    return list(Technician.objects.filter(active=True).order_by("region")
                .values_list("region", flat=True).distinct())


# --- technician's day -------------------------------------------------------------------

@dataclass
class DayStop:
    visit: Visit
    job: FieldJob


def technician_day(*, technician: Technician, day: date) -> list[DayStop]:
    """Today's visits in order, each with its job (three queries)."""
    start, end = _day_bounds(day, 1)
    visits = list(Visit.objects.filter(technician=technician, cancelled=False,
                                       start__gte=start, start__lt=end).order_by("start"))
    ids = [v.job_id for v in visits]
    jobs: dict[int, FieldJob] = {}
    for model in (RepairJob, InstallationJob):
        for job in model.objects.filter(pk__in=ids).select_related("customer", "product"):
            jobs[job.pk] = job
    return [DayStop(v, jobs[v.job_id]) for v in visits if v.job_id in jobs]


# --- scorecard ----------------------------------------------------------------------------

@dataclass
class Score:
    technician: Technician
    visits: int = 0
    on_time: int = 0
    jobs_done: int = 0
    first_time_fixes: int = 0
    repeat_repairs: int = 0
    satisfaction: Decimal | None = None
    working_days: int = 0

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.visits if self.visits else None

    @property
    def first_time_fix_rate(self) -> float | None:
        return self.first_time_fixes / self.jobs_done if self.jobs_done else None

    @property
    def jobs_per_day(self) -> float | None:
        return self.jobs_done / self.working_days if self.working_days else None


def scorecard(*, since: datetime, until: datetime) -> list[Score]:
    """Per technician over a period: on-time arrival rate, first-time fix rate, repeat
    repairs within 30 days (T16), average satisfaction and jobs per working day.

    A job belongs to the technician it was last dispatched to (its assignee).
    """
    technicians = list(Technician.objects.select_related("user").order_by("region", "user_id"))
    scores = {t.user_id: Score(t) for t in technicians}
    arrived = (Visit.objects.filter(arrived_at__gte=since, arrived_at__lt=until)
               .values("technician__user_id")
               .annotate(visits=Count("id"), on_time=Count("id", filter=Q(late_minutes=0))))
    for row in arrived:
        score = scores.get(row["technician__user_id"])
        if score:
            score.visits, score.on_time = row["visits"], row["on_time"]
    days: dict[int, set] = defaultdict(set)
    for user_id, moment in (Visit.objects.filter(arrived_at__gte=since, arrived_at__lt=until)
                            .values_list("technician__user_id", "arrived_at")):
        days[user_id].add(timezone.localdate(moment))
    for user_id, seen in days.items():
        if user_id in scores:
            scores[user_id].working_days = len(seen)
    ratings: dict[int, list] = defaultdict(list)
    for model in (RepairJob, InstallationJob):
        done = (model.objects.filter(completed_at__gte=since, completed_at__lt=until,
                                     assignee__isnull=False)
                .annotate(visit_count=Count("visits", filter=Q(visits__cancelled=False)))
                .values("assignee_id", "visit_count", "repeat_visits", "satisfaction"))
        for row in done:
            score = scores.get(row["assignee_id"])
            if score is None:
                continue
            score.jobs_done += 1
            if row["visit_count"] <= 1 and row["repeat_visits"] == 0:
                score.first_time_fixes += 1
            if row["satisfaction"] is not None:
                ratings[row["assignee_id"]].append(row["satisfaction"])
    for user_id, values in ratings.items():
        scores[user_id].satisfaction = (Decimal(sum(values)) / len(values)).quantize(
            Decimal("0.01"))
    repeats = (RepairJob.objects.filter(failed_repair=True, received_at__gte=since,
                                        received_at__lt=until,
                                        previous_job__assignee__isnull=False)
               .values("previous_job__assignee_id").annotate(n=Count("pk")))
    for row in repeats:
        score = scores.get(row["previous_job__assignee_id"])
        if score:
            score.repeat_repairs = row["n"]
    return list(scores.values())


def satisfaction_by_kind(*, since: datetime, until: datetime) -> dict[str, Decimal | None]:
    """Average return-visit rating per kind of job (domain.md §9, satisfaction per kind)."""
    result = {}
    for kind, model in MODEL_OF_KIND.items():
        value = model.objects.filter(completed_at__gte=since, completed_at__lt=until,
                                     satisfaction__isnull=False).aggregate(
            avg=Avg("satisfaction"))["avg"]
        result[kind] = Decimal(value).quantize(Decimal("0.01")) if value is not None else None
    return result


def jobs_visible_to(user, model: type[FieldJob]) -> QuerySet:
    return tickets_visible_to(user, model.objects.all())
