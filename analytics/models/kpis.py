"""KPI rollups and monthly reports.

The KPIs of domain.md §9 are read from ``KpiCell`` rows: additive counters per calendar
day (and per month) and per combination of the dimensions the dashboard filters on.
They are derived in two steps, both kept current by the ``analytics.kpi_refresh`` task
from the timeline events written since the last run:

1. ``KpiCaseFact`` / ``KpiVisitFact``: one compact row per case (per return visit) with
   the dates each KPI is anchored on and the yes/no facts it counts (on time, repeat,
   solved, ...). Only the cases touched by new events are recomputed.
2. ``KpiCell`` / ``KpiOwnerDay``: the days those facts fall on are summed again in one
   set-based ``INSERT ... SELECT ... GROUP BY`` per batch of days, and their months from
   the day rows.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from analytics.kpis.buckets import BUCKET_COUNT

__all__ = [
    "COUNTER_FIELDS",
    "KpiCaseFact",
    "KpiCell",
    "KpiDirtyTicket",
    "KpiExclusion",
    "KpiOwnerDay",
    "KpiVisitFact",
    "KpiWatermark",
    "MonthlyReport",
]

RESPONSE_BUCKETS = [f"rb_{i:02d}" for i in range(BUCKET_COUNT)]
CYCLE_BUCKETS = [f"cb_{i:02d}" for i in range(BUCKET_COUNT)]


class KpiCounters(models.Model):
    """The additive counters of one rollup cell; each is anchored on its own date.

    received (received day); accepted, repeat (acceptance day); fr_due, fr_on_time (first
    response due day); res_due, res_on_time (resolution due day); responded,
    response_seconds, rb_* (first response day); resolved, cycle_seconds, cb_*,
    resolved_reopened (reply day); closed, closed_solved, closed_liable (archive day);
    visits_* (return visit day).
    """

    received = models.PositiveIntegerField(default=0)
    accepted = models.PositiveIntegerField(default=0)
    repeat = models.PositiveIntegerField(default=0)
    fr_due = models.PositiveIntegerField(default=0)
    fr_on_time = models.PositiveIntegerField(default=0)
    res_due = models.PositiveIntegerField(default=0)
    res_on_time = models.PositiveIntegerField(default=0)
    responded = models.PositiveIntegerField(default=0)
    response_seconds = models.BigIntegerField(default=0)
    resolved = models.PositiveIntegerField(default=0)
    cycle_seconds = models.BigIntegerField(default=0)
    resolved_reopened = models.PositiveIntegerField(default=0)
    closed = models.PositiveIntegerField(default=0)
    closed_solved = models.PositiveIntegerField(default=0)
    closed_liable = models.PositiveIntegerField(default=0)
    visits_attempted = models.PositiveIntegerField(default=0)
    visits_rated = models.PositiveIntegerField(default=0)
    visits_satisfied = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


for _name in RESPONSE_BUCKETS + CYCLE_BUCKETS:
    KpiCounters.add_to_class(_name, models.PositiveIntegerField(default=0))

COUNTER_FIELDS: list[str] = [f.name for f in KpiCounters._meta.local_fields]


class KpiCell(KpiCounters):
    """Counters for one day or month and one combination of kept dimensions.

    ``grain`` is ``D:`` (a day) or ``M:`` (a month) followed by the dimensions kept
    besides the kind, e.g. ``D:department_id+channel`` or ``M:`` (kind only); the other
    dimension columns are blank. Days keep the handling department with one more
    dimension; months also every single dimension and none, so the dashboard reads a few
    dozen rows per month. Dimensions: kind, category, channel, handling department,
    severity and responsible unit.
    """

    grain = models.CharField(max_length=40)
    start = models.DateField()
    kind = models.CharField(max_length=10)
    category = models.CharField(max_length=10, blank=True)
    channel = models.CharField(max_length=12, blank=True)
    department_id = models.BigIntegerField(null=True)
    severity = models.CharField(max_length=2, blank=True)
    unit_id = models.BigIntegerField(null=True)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["grain", "start", "kind"], name="kpicell_period")]

    def __str__(self) -> str:
        return f"{self.grain} {self.start} {self.kind}"


class KpiOwnerDay(KpiCounters):
    """Counters per day, kind, handling department and case owner (the agent scorecard)."""

    day = models.DateField()
    kind = models.CharField(max_length=10)
    department_id = models.BigIntegerField(null=True)
    owner_id = models.BigIntegerField(null=True)

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=["day", "kind"], name="kpiownerday_period")]

    def __str__(self) -> str:
        return f"{self.day} {self.kind} {self.owner_id}"


FACT_ANCHORS = ("received_day", "accepted_day", "fr_due_day", "res_due_day", "responded_day",
                "resolved_day", "closed_day")


class KpiCaseFact(models.Model):
    """What one case contributes to the KPIs: its dimensions, anchor days and yes/no facts.

    A case left out of the KPIs (test data, a merged duplicate, withdrawn before
    acceptance) has no row. Days are local (``TIME_ZONE``) calendar days.
    """

    ticket_id = models.BigIntegerField(primary_key=True)
    kind = models.CharField(max_length=10)
    category = models.CharField(max_length=10, blank=True)
    channel = models.CharField(max_length=12, blank=True)
    department_id = models.BigIntegerField(null=True)
    severity = models.CharField(max_length=2, blank=True)
    unit_id = models.BigIntegerField(null=True)
    owner_id = models.BigIntegerField(null=True)
    received_day = models.DateField()
    accepted_day = models.DateField(null=True)
    repeat = models.BooleanField(default=False)
    fr_due_day = models.DateField(null=True)
    fr_on_time = models.BooleanField(default=False)
    res_due_day = models.DateField(null=True)
    res_on_time = models.BooleanField(default=False)
    responded_day = models.DateField(null=True)
    response_seconds = models.BigIntegerField(null=True)
    response_bucket = models.SmallIntegerField(null=True)
    resolved_day = models.DateField(null=True)
    cycle_seconds = models.BigIntegerField(null=True)
    cycle_bucket = models.SmallIntegerField(null=True)
    reopened = models.BooleanField(default=False)
    closed_day = models.DateField(null=True)
    closed_solved = models.BooleanField(default=False)
    closed_liable = models.BooleanField(default=False)

    ANCHORS = FACT_ANCHORS

    class Meta:
        default_permissions = ()
        indexes = [models.Index(fields=[name], name=f"kpifact_{name}") for name in FACT_ANCHORS]

    def __str__(self) -> str:
        return f"fact {self.ticket_id}"


class KpiVisitFact(models.Model):
    """One attempted return visit (survey sent or call made): its day, rated, satisfied."""

    follow_up_id = models.BigIntegerField(primary_key=True)
    ticket_id = models.BigIntegerField(db_index=True)
    day = models.DateField(db_index=True)
    rated = models.BooleanField(default=False)
    satisfied = models.BooleanField(default=False)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"visit {self.follow_up_id}"


class KpiWatermark(models.Model):
    """How far the rollup refresh has read the timeline.

    ``gaps`` holds event ids below ``last_event_id`` that were not visible yet (a
    transaction still open when the refresh ran), with the time they were first missed;
    they are looked for again for a while, so a late commit is never skipped.
    """

    name = models.CharField(max_length=32, primary_key=True)
    last_event_id = models.BigIntegerField(default=0)
    gaps = models.JSONField(default=dict, blank=True)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"


class KpiDirtyTicket(models.Model):
    """A case whose KPI facts must be recomputed although no timeline event says so
    (e.g. it was just excluded from the KPIs)."""

    ticket_id = models.BigIntegerField(unique=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return str(self.ticket_id)


class KpiExclusion(models.Model):
    """A case left out of every KPI (domain.md §9): test data, a duplicate merged into
    another case, or a case withdrawn before it was accepted."""

    class Reason(models.TextChoices):
        TEST = "TEST", _("Test data")
        DUPLICATE = "DUPLICATE", _("Duplicate merged into another case")
        WITHDRAWN = "WITHDRAWN", _("Withdrawn before acceptance")

    ticket = models.OneToOneField(
        "aftersales.Ticket", on_delete=models.CASCADE, related_name="kpi_exclusion",
        verbose_name=_("case"),
    )
    reason = models.CharField(_("reason"), max_length=10, choices=Reason.choices)
    note = models.TextField(_("note"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("excluded by"),
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("KPI exclusion")
        verbose_name_plural = _("KPI exclusions")

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.reason}"


class MonthlyReport(models.Model):
    """The monthly complaint report (T20): an Excel workbook and a printable page.

    Files are kept in a private directory and served only through a permission-checked
    view; reports older than ``KPI_REPORT_KEEP_MONTHS`` are deleted with their files.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting")
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")

    month = models.DateField(_("month"))
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.PENDING
    )
    language = models.CharField(_("language"), max_length=10, default="zh-hans")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("requested by"),
    )
    automatic = models.BooleanField(_("generated on schedule"), default=False)
    xlsx_name = models.CharField(max_length=255, blank=True)
    html_name = models.CharField(max_length=255, blank=True)
    xlsx_size = models.PositiveBigIntegerField(null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-month", "-created_at", "-id"]
        verbose_name = _("monthly report")
        verbose_name_plural = _("monthly reports")
        default_permissions = ()
        permissions = [
            ("view_dashboard", _("Can see the KPI dashboard and scorecards")),
        ]
        indexes = [models.Index(fields=["-month", "-created_at"], name="monthlyreport_recent")]

    def __str__(self) -> str:
        return f"{self.month:%Y-%m} {self.status}"
