from django.conf import settings
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext_lazy as _

from .crypto import lookup_hash
from .models import Attachment
from .selectors import tickets_visible_to


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


class ThrottledAuthenticationForm(AuthenticationForm):
    """Refuses further attempts for a while after repeated failures for a name or address."""

    def _keys(self) -> list[str]:
        username = (self.data.get("username") or "").strip().lower()
        return [
            f"login-fail:user:{lookup_hash(username)}",
            f"login-fail:ip:{client_ip(self.request) if self.request else ''}",
        ]

    def clean(self):
        keys = self._keys()
        if any(cache.get(key, 0) >= settings.LOGIN_FAILURE_LIMIT for key in keys):
            raise ValidationError(
                _("Too many failed sign-in attempts. Wait %(minutes)d minutes and try again.")
                % {"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60},
                code="throttled",
            )
        try:
            return super().clean()
        except ValidationError:
            for key in keys:
                cache.add(key, 0, settings.LOGIN_FAILURE_WINDOW_SECONDS)
                cache.incr(key)
            raise


class ThrottledLoginView(LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


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
