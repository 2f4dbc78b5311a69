import ipaddress

from django.conf import settings
from django.contrib.auth.views import LoginView, PasswordResetView
from django.http import FileResponse, Http404, HttpRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404

from .http import private_no_store
from .models import Attachment
from .selectors import tickets_visible_to
from .signin import ThrottledAuthenticationForm, password_reset_allowed


def _address(value: str) -> str:
    """``value`` as a canonical IP address ("" if it is none), ports and brackets removed."""
    value = value.strip()
    candidates = [value]
    if value.startswith("[") and "]" in value:  # [2001:db8::1]:443
        candidates.append(value[1:value.index("]")])
    elif value.count(":") == 1:  # 203.0.113.7:51234
        candidates.append(value.split(":", 1)[0])
    for candidate in candidates:
        try:
            address = ipaddress.ip_address(candidate)
        except ValueError:
            continue
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return str(address)
    return ""


def client_ip(request: HttpRequest) -> str:
    """The client's address: the one place rate limits and the sign-in throttle take it from.

    With ``TRUSTED_PROXY_COUNT`` = 0 the connecting address (``REMOTE_ADDR``) is the client and
    ``X-Forwarded-For`` is ignored: anyone can send that header. With N trusted proxies in
    front, each appending the address it saw, the N-th entry from the right of
    ``X-Forwarded-For`` is the address the outermost trusted proxy saw; entries further left
    came from the client and are not trusted. A shorter header means fewer proxies were
    passed: its leftmost entry is then the farthest trusted one. An unusable entry falls back
    to the connecting address.
    """
    remote = _address(request.META.get("REMOTE_ADDR", ""))
    hops = settings.TRUSTED_PROXY_COUNT
    if hops <= 0:
        return remote
    forwarded = [entry for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
                 if entry.strip()]
    if not forwarded:
        return remote
    return _address(forwarded[max(len(forwarded) - hops, 0)]) or remote


class ThrottledLoginView(LoginView):
    authentication_form = ThrottledAuthenticationForm
    redirect_authenticated_user = True


class ThrottledPasswordResetView(PasswordResetView):
    """Django's password reset, sending at most PASSWORD_RESET_LIMIT e-mails per address and
    per target an hour; the answer is the same "check your e-mail" page either way."""

    def form_valid(self, form):
        if not password_reset_allowed(self.request, form.cleaned_data["email"]):
            return HttpResponseRedirect(self.get_success_url())
        self.extra_email_context = {"site_url": settings.SITE_URL.rstrip("/")}
        return super().form_valid(form)


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
