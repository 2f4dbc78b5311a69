from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


def _feedback(*, ticket_pk: int, **answer):
    """The kernel's survey answer, recorded on the complaint (reopens when not satisfied)."""
    from .services import complaint_record_feedback

    return complaint_record_feedback(complaint_pk=ticket_pk, **answer)


def _no_response(*, ticket_pk: int, follow_up=None):
    from .services import complaint_record_no_response

    return complaint_record_no_response(complaint_pk=ticket_pk, follow_up=follow_up)


def _detail_fields() -> dict:
    from . import choices as c

    return {
        "category": (_("Category"), c.Category),
        "subcategory": (_("Sub-category"), c.SubCategory),
        "department": (_("Responsible department"), None),
        "assignee": (_("Handler"), None),
        "cause": (_("Cause"), c.Cause),
        "nature": (_("Nature"), c.Nature),
        "liability": (_("Liability"), c.Liability),
        "responsible_department": (_("Responsible unit"), None),
        "solution": (_("Solution"), c.SolutionType),
        "compensation": (_("Compensation (yuan)"), None),
        "deadline": (_("Deadline"), None),
        "expected_by": (_("Expected result by"), None),
        "needs_approval": (_("Needs approval"), None),
        "outcome": (_("Outcome"), c.Outcome),
        "reason": (_("Reason"), c.NotAcceptedReason),
    }


class ComplaintsConfig(AppConfig):
    name = "complaints"
    verbose_name = _("Complaints")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from aftersales.cases.timeline import register_detail_fields
        from aftersales.core.choices import TicketKind
        from aftersales.followups.services import (
            register_feedback_handler,
            register_no_response_handler,
        )
        from aftersales.notifications.services import register_case_url

        register_feedback_handler(TicketKind.COMPLAINT, _feedback)
        register_no_response_handler(TicketKind.COMPLAINT, _no_response)
        register_case_url(TicketKind.COMPLAINT, "complaints:detail")
        register_detail_fields(_detail_fields())
