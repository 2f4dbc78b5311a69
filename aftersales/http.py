"""Response headers for pages that carry a customer's private token."""

from collections.abc import Callable
from functools import wraps

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
