from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404

from aftersales.cases.models import Attachment
from aftersales.cases.selectors import is_staff_member, tickets_visible_to
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
