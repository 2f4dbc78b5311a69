"""SLA policies and the business calendar they count in (domain.md §6).

Admins edit these in the Django admin. Every change bumps a cache version so web
processes and workers pick up the new configuration without a restart.
"""

from datetime import time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.core.choices import Severity, TicketKind


class TimeBasis(models.TextChoices):
    """How a target is counted: wall-clock time, or only the calendar's working time."""

    CALENDAR = "calendar", _("Calendar hours")
    BUSINESS = "business", _("Business hours")


# The longest a seller may let an owed remedy wait before it counts as deliberate delay
# (domain.md §6 T10); an internal resolution target may not be longer.
STATUTORY_RESOLUTION_CAP = timedelta(days=15)


def _minutes_field(verbose_name, help_text, **extra):
    return models.PositiveIntegerField(
        verbose_name, null=True, blank=True, help_text=help_text,
        validators=[MinValueValidator(1)], **extra,
    )


class SlaPolicy(models.Model):
    """Targets for one kind of case and severity: first response, resolution reply, close.

    A blank kind applies to every kind, a blank severity to every severity (general). The
    most specific active row wins: kind+severity, kind, severity, then the general row.
    A blank target means that clock does not run for the cases the row covers.
    """

    kind = models.CharField(
        _("case kind"), max_length=10, choices=TicketKind.choices, blank=True,
        help_text=_("Leave blank for every kind of case."),
    )
    severity = models.CharField(
        _("severity"), max_length=2, choices=Severity.choices, blank=True,
        help_text=_("Leave blank for cases without a severity (general)."),
    )
    name = models.CharField(_("name"), max_length=100)
    first_response_minutes = _minutes_field(
        _("first response (minutes)"),
        _("From registration until the case is acknowledged or accepted."),
    )
    first_response_basis = models.CharField(
        _("first response counted in"), max_length=10, choices=TimeBasis.choices,
        default=TimeBasis.CALENDAR,
    )
    resolution_minutes = _minutes_field(
        _("resolution reply (minutes)"),
        _("From classification until the result is replied to the customer."),
    )
    resolution_basis = models.CharField(
        _("resolution counted in"), max_length=10, choices=TimeBasis.choices,
        default=TimeBasis.CALENDAR,
    )
    close_minutes = _minutes_field(
        _("close (minutes)"), _("From the reply until the case is archived."),
    )
    close_basis = models.CharField(
        _("close counted in"), max_length=10, choices=TimeBasis.choices,
        default=TimeBasis.CALENDAR,
    )
    follow_up_delay_minutes = _minutes_field(
        _("return visit after (minutes)"),
        _("How long after the reply the return visit (回访) is due. Blank: no return visit."),
    )
    follow_up_basis = models.CharField(
        _("return visit counted in"), max_length=10, choices=TimeBasis.choices,
        default=TimeBasis.CALENDAR,
    )
    roll_to_working_day = models.BooleanField(
        _("roll calendar-time due times to a working day"), default=True,
        help_text=_("A due time counted in calendar hours that falls on a day off moves to "
                    "the same time on the next working day."),
    )
    at_risk_percent = models.PositiveSmallIntegerField(
        _("at risk after this percentage of the target is used"), default=80,
        validators=[MinValueValidator(1), MaxValueValidator(99)],
    )
    escalate_on_breach = models.BooleanField(
        _("escalate on breach"), default=False,
        help_text=_("A breach raises the escalation level and alerts supervisors and "
                    "administrators, beyond the usual alert to the supervisor."),
    )
    active = models.BooleanField(_("active"), default=True)
    notes = models.TextField(_("notes"), blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["kind", "severity"]
        verbose_name = _("SLA policy")
        verbose_name_plural = _("SLA policies")
        constraints = [
            models.UniqueConstraint(fields=["kind", "severity"], name="slapolicy_kind_severity"),
            models.CheckConstraint(
                condition=Q(at_risk_percent__gte=1, at_risk_percent__lte=99),
                name="slapolicy_at_risk_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        cap_minutes = int(STATUTORY_RESOLUTION_CAP.total_seconds() // 60)
        if (
            self.resolution_minutes
            and self.resolution_basis == TimeBasis.CALENDAR
            and self.resolution_minutes > cap_minutes
        ):
            raise ValidationError({"resolution_minutes": _(
                "The resolution target may not exceed 15 days: a longer delay of an owed "
                "remedy counts as deliberate (domain.md T10)."
            )})


class WorkingPeriod(models.Model):
    """One stretch of working time on a weekday, e.g. Monday 09:00–12:00.

    A weekday without periods is a day off. Adjusted working days (调休) that fall on a
    weekend use the hours of the first weekday that has any.
    """

    class Weekday(models.IntegerChoices):
        MONDAY = 0, _("Monday")
        TUESDAY = 1, _("Tuesday")
        WEDNESDAY = 2, _("Wednesday")
        THURSDAY = 3, _("Thursday")
        FRIDAY = 4, _("Friday")
        SATURDAY = 5, _("Saturday")
        SUNDAY = 6, _("Sunday")

    weekday = models.PositiveSmallIntegerField(_("weekday"), choices=Weekday.choices)
    start = models.TimeField(_("from"), default=time(9, 0))
    end = models.TimeField(_("until"), default=time(18, 0))

    class Meta:
        ordering = ["weekday", "start"]
        verbose_name = _("working hours")
        verbose_name_plural = _("working hours")
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=models.F("start")),
                                   name="workingperiod_end_after_start"),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start:%H:%M}–{self.end:%H:%M}"

    def clean(self) -> None:
        if self.start is not None and self.end is not None and self.end <= self.start:
            raise ValidationError(_("The end must be after the start."))


class CalendarDay(models.Model):
    """An admin's decision about one date, which wins over the holiday packages.

    Company days off, or the State Council's holidays and adjusted working days (调休) for a
    year the packages do not know yet.
    """

    class Kind(models.TextChoices):
        DAY_OFF = "off", _("Day off")
        WORKING_DAY = "work", _("Working day")

    date = models.DateField(_("date"), unique=True)
    kind = models.CharField(_("kind"), max_length=4, choices=Kind.choices)
    name = models.CharField(_("reason"), max_length=100, blank=True)
    start = models.TimeField(
        _("from"), null=True, blank=True,
        help_text=_("Working days only; blank uses the usual working hours."),
    )
    end = models.TimeField(_("until"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date"]
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()}"

    def clean(self) -> None:
        if (self.start is None) != (self.end is None):
            raise ValidationError(_("Give both the start and the end, or neither."))
        if self.start is not None and self.end <= self.start:
            raise ValidationError(_("The end must be after the start."))
        if self.kind == self.Kind.DAY_OFF and self.start is not None:
            raise ValidationError(_("A day off has no working hours."))


class CalendarYear(models.Model):
    """An admin's confirmation that a year's holidays and adjusted working days are right.

    Until a year is confirmed, and when no package has the official schedule for it, the
    admin pages warn that the calendar is estimated.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
        related_name="+", verbose_name=_("confirmed by"),
    )
    confirmed_at = models.DateTimeField(_("confirmed at"), auto_now_add=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("confirmed calendar year")
        verbose_name_plural = _("confirmed calendar years")

    def __str__(self) -> str:
        return str(self.year)
