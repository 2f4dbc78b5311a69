"""Return visits (回访) and their satisfaction surveys."""

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from aftersales.cases.models import Ticket, new_tracking_token
from aftersales.core.choices import FollowUpMethod, FollowUpStatus


class FollowUp(models.Model):
    """A return visit (回访): the customer's rating of how a case was handled."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follow_ups")
    status = models.CharField(
        _("status"), max_length=12, choices=FollowUpStatus.choices, default=FollowUpStatus.SCHEDULED
    )
    method = models.CharField(_("method"), max_length=8, choices=FollowUpMethod.choices, blank=True)
    due_at = models.DateTimeField(_("due at"))
    token = models.CharField(max_length=64, unique=True, default=new_tracking_token, editable=False)
    sent_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    rating = models.PositiveSmallIntegerField(
        _("overall satisfaction"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_attitude = models.PositiveSmallIntegerField(
        _("service attitude"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_timeliness = models.PositiveSmallIntegerField(
        _("timeliness"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    rating_result = models.PositiveSmallIntegerField(
        _("handling result"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(5)],
    )
    problem_solved = models.BooleanField(_("problem solved"), null=True, blank=True)
    comment = models.TextField(_("comment"), blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-due_at"]
        indexes = [
            models.Index(
                fields=["due_at"], name="followup_pending_due",
                condition=Q(status__in=["SCHEDULED", "SENT", "REMINDED"]),
            ),
            models.Index(fields=["ticket", "-due_at"], name="followup_ticket"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5),
                name="followup_rating_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} {self.status}"
