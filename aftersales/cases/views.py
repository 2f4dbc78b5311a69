from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from aftersales.cases.models import Attachment
from aftersales.cases.selectors import (
    INBOX_TABS,
    inbox_page,
    is_staff_member,
    tickets_visible_to,
)
from aftersales.core.choices import SEVERITY_COLOUR, SLA_STATUS_COLOUR
from aftersales.core.http import private_no_store


@private_no_store
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence files are private: staff who may see the case, or the customer's token."""
    attachment = get_object_or_404(Attachment.objects.select_related("ticket"), pk=pk)
    token = request.GET.get("t", "")
    if token:
        allowed = attachment.customer_visible and token == attachment.ticket.tracking_token
    else:
        allowed = tickets_visible_to(request.user).filter(pk=attachment.ticket_id).exists()
    if not allowed:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"), content_type=attachment.content_type,
        as_attachment=not attachment.content_type.startswith("image/"),
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class StaffOnlyMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_staff_member(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def inbox_tabs() -> list[tuple[str, str]]:
    return [
        ("all_open", _("All open")), ("unassigned", _("Unassigned")), ("mine", _("Mine")),
        ("department", _("My department")), ("approval", _("Waiting for approval")),
        ("emergency", _("Emergencies")),
    ]


class InboxView(StaffOnlyMixin, View):
    """One inbox over every kind of case, most urgent first."""

    def get(self, request):
        tab = request.GET.get("tab", "all_open")
        if tab not in INBOX_TABS:
            tab = "all_open"
        try:
            page_number = int(request.GET.get("page", 1))
        except ValueError:
            page_number = 1
        page = inbox_page(user=request.user, tab=tab, page=page_number)
        return render(request, "aftersales/inbox.html", {
            "page": page, "tab": tab, "tabs": inbox_tabs(),
            "palette": {"severity": SEVERITY_COLOUR, "sla": SLA_STATUS_COLOUR},
        })
