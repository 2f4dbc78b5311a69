"""Stable codes shared by every kind of case (domain.md §3). Labels are translated at display."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


class TicketKind(models.TextChoices):
    COMPLAINT = "COMPLAINT", _("Complaint")
    RETURN = "RETURN", _("Return / exchange")
    REPAIR = "REPAIR", _("Repair")
    INSTALL = "INSTALL", _("Installation")
    DELIVERY = "DELIVERY", _("Delivery incident")




class Channel(models.TextChoices):
    HOTLINE = "HOTLINE", _("Service hotline")
    ONLINE = "ONLINE", _("Online chat")
    EMAIL = "EMAIL", _("Complaint mailbox")
    WEBFORM = "WEBFORM", _("Web form")
    MEMBER = "MEMBER", _("Member centre")
    LETTER = "LETTER", _("Letter")
    VISIT = "VISIT", _("Walk-in visit")
    SOCIAL = "SOCIAL", _("Social media")
    STORE = "STORE", _("Offline store")
    THIRDPARTY = "THIRDPARTY", _("Third-party complaint platform")
    FIELD = "FIELD", _("Collected by field staff")
    OFFICE = "OFFICE", _("Regional office")
    REGULATOR = "REGULATOR", _("Regulator transfer (12315)")
    OTHERDEPT = "OTHERDEPT", _("Transferred by another department")


class Severity(models.TextChoices):
    S1 = "S1", _("S1 Critical / emergency")
    S2 = "S2", _("S2 Serious")
    S3 = "S3", _("S3 Urgent")
    S4 = "S4", _("S4 General")
    S5 = "S5", _("S5 Minor")


# Priority 1 is handled first; it follows from severity (domain.md §3.5).
PRIORITY_BY_SEVERITY = {"S1": 1, "S2": 2, "S3": 3, "S4": 4, "S5": 5}
SEVERITY_COLOUR = {"S1": "danger", "S2": "warning", "S3": "info", "S4": "secondary", "S5": "light"}

# Severities whose handling plan needs a superior's approval (domain.md §5.1 step 7).
SEVERITIES_NEEDING_PLAN_APPROVAL = frozenset({"S1", "S2", "S3"})


class Stage(models.TextChoices):
    REGISTER = "register", _("Register")
    CLASSIFY = "classify", _("Classify")
    HANDLE = "handle", _("Handle")
    REPLY = "reply", _("Reply")
    ARCHIVE = "archive", _("Archive")


class SlaStatus(models.TextChoices):
    NONE = "none", _("No clock")
    ON_TRACK = "on_track", _("On track")
    AT_RISK = "at_risk", _("At risk")
    BREACHED = "breached", _("Breached")
    PAUSED = "paused", _("Paused")


SLA_STATUS_COLOUR = {
    "none": "light",
    "on_track": "success",
    "at_risk": "warning",
    "breached": "danger",
    "paused": "secondary",
}


class SaleChannel(models.TextChoices):
    DISTANCE = "DISTANCE", _("Distance sale (web, app, TV, phone, mail)")
    STORE = "STORE", _("In store")


class DepartmentKind(models.TextChoices):
    CUSTOMER_SERVICE = "CS", _("Customer service")
    AFTER_SALES = "ASD", _("After-sales department")
    QUALITY = "QA", _("Quality / technical")
    WAREHOUSE = "WH", _("Warehouse")
    LOGISTICS = "LOGI", _("Logistics")
    SALES = "BIZ", _("Business / sales")
    FIELD_SERVICE = "FIELD", _("Installation and repair")
    OTHER = "OTHER", _("Other")


class FollowUpMethod(models.TextChoices):
    ONLINE = "ONLINE", _("Online questionnaire")
    PHONE = "PHONE", _("Phone call")


class FollowUpStatus(models.TextChoices):
    SCHEDULED = "SCHEDULED", _("Scheduled")
    SENT = "SENT", _("Survey sent")
    REMINDED = "REMINDED", _("Reminder sent")
    ANSWERED = "ANSWERED", _("Answered")
    NO_RESPONSE = "NO_RESPONSE", _("No response")
    CANCELLED = "CANCELLED", _("Cancelled")


CLOCK_LABELS = {
    "first_response": _("First response"),
    "resolution": _("Resolution reply"),
    "close": pgettext_lazy("deadline to archive a case", "Close"),
}
