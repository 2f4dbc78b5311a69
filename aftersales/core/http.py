"""Response headers for pages that carry a customer's private token."""

import ipaddress
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponseBadRequest
from django.utils.cache import patch_cache_control
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _


def private_no_store(view: Callable) -> Callable:
    """``Cache-Control: no-store, private``: no browser, proxy or shared cache keeps a copy.

    For the pages a private link opens (tracking, survey) and the evidence files: what they
    show belongs to one customer, and the link is the only key.
    """

    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        response = view(request, *args, **kwargs)
        patch_cache_control(response, no_store=True, private=True)
        return response

    return wrapped


class PrivateNoStoreMixin:
    """``private_no_store`` for a class-based view."""

    @method_decorator(private_no_store)
    def dispatch(self, request, *args, **kwargs):
        return super().dispatch(request, *args, **kwargs)


class RejectNulMiddleware:
    """400 for a NUL byte in the path or the query string.

    No URL or parameter of the product contains one, and PostgreSQL refuses it in a query,
    so it would otherwise turn a lookup into a server error.
    """

    def __init__(self, get_response: Callable) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest):
        if "\x00" in request.path or any(
            "\x00" in key or any("\x00" in value for value in values)
            for key, values in request.GET.lists()
        ):
            return HttpResponseBadRequest(_("Invalid request."), content_type="text/plain")
        return self.get_response(request)


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
