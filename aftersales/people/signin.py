"""The sign-in throttle: every way into a staff account goes through here.

Site sign-in, admin sign-in and anything else that calls ``authenticate()`` reach
``SignInBackend``; the password-reset page calls ``password_reset_allowed``. Failures are
kept by django-axes in the database (table ``axes_accessattempt``), so a lock survives a
restart and a cache outage. Each name and each client address gets
``LOGIN_FAILURE_LIMIT`` failures; the lock ends ``LOGIN_FAILURE_WINDOW_SECONDS`` after the
last counted failure.

An attempt is counted *before* its password is checked: the backend reserves one failure
under a lock on the name and the address, and only then runs the slow password hash. A
correct password gives the reservation back. So fifty simultaneous guesses check at most
``LOGIN_FAILURE_LIMIT`` passwords, not as many as arrive before the first failure is written.

Names are counted the way sign-in resolves them (``normalise_username``): ``ｔ_ｎｆｋｃ`` and
``T_NFKC`` count against ``t_nfkc``. Addresses come from ``aftersales.core.http.client_ip``
(``AXES_CLIENT_IP_CALLABLE``), which honours ``TRUSTED_PROXY_COUNT``.
"""

from __future__ import annotations

import hashlib
import logging
import unicodedata
from datetime import timedelta

from axes.attempts import get_cool_off_threshold
from axes.backends import AxesStandaloneBackend
from axes.exceptions import AxesBackendPermissionDenied
from axes.handlers.database import AxesDatabaseHandler
from axes.handlers.proxy import AxesProxyHandler
from axes.helpers import get_client_username, get_credentials, get_failure_limit, get_query_str
from axes.models import AccessAttempt
from axes.signals import user_locked_out
from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.forms import AuthenticationForm
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.db.models import F, Sum
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext

from aftersales.core.cache import counter_hit
from aftersales.people.crypto import lookup_hash

logger = logging.getLogger(__name__)

# AccessAttempt.username is a varchar(255); a longer name must not turn into a database error.
_MAX_NAME = 255


# --- what is counted, and for how long --------------------------------------------------

def normalise_username(raw: str | None) -> str | None:
    """The name an attempt counts against: what sign-in would look up, case-folded.

    The sign-in form strips the name and applies NFKC (``AbstractBaseUser.normalize_username``),
    so full-width ``ｔ_ｎｆｋｃ`` signs in as ``t_nfkc``; case-folding on top makes ``T_NFKC``
    share that count too, even though the lookup itself is case-sensitive.
    """
    if raw is None:
        return None
    name = unicodedata.normalize("NFKC", str(raw).replace("\x00", "")).strip()
    return unicodedata.normalize("NFKC", name.casefold())[:_MAX_NAME]


def attempt_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """``AXES_USERNAME_CALLABLE``: the normalised name of an attempt."""
    field = get_user_model().USERNAME_FIELD
    if credentials and credentials.get(field) is not None:
        return normalise_username(credentials[field])
    data = getattr(request, "POST", None) or {}
    return normalise_username(data.get(field))


def failure_limit(request: HttpRequest | None = None, credentials: dict | None = None) -> int:
    """``AXES_FAILURE_LIMIT``: failures per name and per address before the lock."""
    return settings.LOGIN_FAILURE_LIMIT


def cool_off(request: HttpRequest | None = None) -> timedelta:
    """``AXES_COOLOFF_TIME``: how long failures are remembered after the last one."""
    return timedelta(seconds=settings.LOGIN_FAILURE_WINDOW_SECONDS)


def throttle_message() -> str:
    return gettext(
        "Too many failed sign-in attempts. Wait %(minutes)d minutes and try again."
    ) % {"minutes": settings.LOGIN_FAILURE_WINDOW_SECONDS // 60}


def lockout_response(request: HttpRequest, original_response: HttpResponse | None = None,
                     credentials: dict | None = None) -> HttpResponse:
    """``AXES_LOCKOUT_CALLABLE``: the page asked for, with the form's explanation, as 429."""
    if original_response is not None and original_response.status_code == 200:
        original_response.status_code = 429
        return original_response
    if original_response is not None:
        return original_response
    return HttpResponse(throttle_message(), status=429, content_type="text/plain; charset=utf-8")


# --- the attempt store ------------------------------------------------------------------

def _lock_key(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:8], "big", signed=True)


class SignInAttemptHandler(AxesDatabaseHandler):
    """django-axes' database handler, counting each attempt before its password is checked.

    ``reserve`` and ``release`` run in short transactions that hold a lock per name and per
    address: on PostgreSQL a transaction-scoped advisory lock; on SQLite the write
    transaction itself (the settings begin every transaction with ``BEGIN IMMEDIATE``).
    """

    def _keys(self, request: HttpRequest, credentials: dict | None) -> list[str]:
        username = get_client_username(request, credentials)
        return [f"signin:user:{username}", f"signin:ip:{request.axes_ip_address}"]

    def _serialise(self, keys: list[str]) -> None:
        connection = connections[router.db_for_write(AccessAttempt)]
        if connection.vendor != "postgresql":
            return
        with connection.cursor() as cursor:
            for key in sorted(set(keys)):  # one order everywhere: no deadlock between two keys
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_lock_key(key)])

    def reserve(self, request: HttpRequest, credentials: dict) -> int | bool | None:
        """Count one failure for this attempt now, or refuse it.

        Returns the attempt row to give back on success, ``True`` when the client is
        whitelisted (nothing counted), ``None`` when the name or the address is locked.
        """
        # "" (no address known) would never match a lookup; all such attempts share one count.
        request.axes_ip_address = request.axes_ip_address or None
        if self.is_blacklisted(request, credentials):
            return None
        if self.is_whitelisted(request, credentials):
            return True
        using = router.db_for_write(AccessAttempt)
        with transaction.atomic(using=using):
            self._serialise(self._keys(request, credentials))
            self.clean_expired_user_attempts(request, credentials)
            if self.get_failures(request, credentials) >= get_failure_limit(request, credentials):
                return None
            return self._count_failure(request, credentials)

    def _count_failure(self, request: HttpRequest, credentials: dict) -> int:
        identity = {
            "username": get_client_username(request, credentials),
            "ip_address": request.axes_ip_address,
            "user_agent": request.axes_user_agent,
        }
        latest = {
            "http_accept": request.axes_http_accept,
            "path_info": request.axes_path_info,
            "attempt_time": request.axes_attempt_time,
            "get_data": get_query_str(request.GET).replace("\0", "0x00"),
            "post_data": get_query_str(request.POST).replace("\0", "0x00"),
        }
        attempt = AccessAttempt.objects.filter(**identity).order_by("pk").first()
        if attempt is not None and AccessAttempt.objects.filter(pk=attempt.pk).update(
                failures_since_start=F("failures_since_start") + 1, **latest):
            return attempt.pk
        return AccessAttempt.objects.create(**identity, **latest, failures_since_start=1).pk

    def release(self, request: HttpRequest, credentials: dict, attempt_pk: int) -> None:
        """Give back the failure ``reserve`` counted: the password was right."""
        using = router.db_for_write(AccessAttempt)
        with transaction.atomic(using=using):
            self._serialise(self._keys(request, credentials))
            AccessAttempt.objects.filter(pk=attempt_pk, failures_since_start__gt=0).update(
                failures_since_start=F("failures_since_start") - 1)
            AccessAttempt.objects.filter(pk=attempt_pk, failures_since_start=0).delete()

    def address_locked(self, request: HttpRequest) -> bool:
        """True while the client's address has used up its sign-in failures."""
        failures = AccessAttempt.objects.filter(
            ip_address=request.axes_ip_address or None,
            attempt_time__gte=get_cool_off_threshold(request),
        ).aggregate(total=Sum("failures_since_start"))["total"] or 0
        return failures >= get_failure_limit(request, None)

    def user_login_failed(self, sender, credentials: dict, request=None, **kwargs):
        if request is None:  # SignInBackend counted it on a request of its own
            return
        if getattr(request, "signin_refused", False):
            logger.warning("Sign-in refused: the name or the address is locked (%s)",
                           request.axes_path_info)
            request.axes_locked_out = True
            request.axes_credentials = credentials
            user_locked_out.send("axes", request=request,
                                 username=get_client_username(request, credentials),
                                 ip_address=request.axes_ip_address)
            return
        if getattr(request, "signin_reserved", False):
            logger.info("Sign-in failed (%s); the failure was counted before the check",
                        request.axes_path_info)
            return
        # A backend other than SignInBackend failed: count it the way axes does.
        super().user_login_failed(sender, credentials, request, **kwargs)


def _handler() -> SignInAttemptHandler:
    handler = AxesProxyHandler.get_implementation()
    if not isinstance(handler, SignInAttemptHandler):
        raise TypeError("AXES_HANDLER must be aftersales.people.signin.SignInAttemptHandler")
    return handler


# --- the authentication backend ---------------------------------------------------------

class SignInBackend(AxesStandaloneBackend, ModelBackend):
    """Django's model backend behind the throttle; the only entry in AUTHENTICATION_BACKENDS.

    A call without a request (``Client.login`` in tests, a shell) is still throttled by name;
    its address is unknown.
    """

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not settings.AXES_ENABLED:
            return ModelBackend.authenticate(self, request, username, password, **kwargs)
        if username is None:
            username = kwargs.pop(get_user_model().USERNAME_FIELD, None)
        if username is None or password is None:
            return None
        if request is None:
            request = HttpRequest()
        credentials = get_credentials(username=username, password=password)
        AxesProxyHandler.update_request(request)
        handler = _handler()
        reservation = handler.reserve(request, credentials)
        if reservation is None:
            request.signin_refused = True
            raise AxesBackendPermissionDenied("the name or the address is locked")
        request.signin_reserved = True
        user = ModelBackend.authenticate(self, request, username, password, **kwargs)
        if user is not None and reservation is not True:
            handler.release(request, credentials, reservation)
            request.signin_reserved = False
        return user


# --- the sign-in forms ------------------------------------------------------------------

class ThrottleMessageMixin:
    """Say why a locked-out attempt failed instead of "wrong password"."""

    request: HttpRequest | None

    def get_invalid_login_error(self):
        if self.request is not None and getattr(self.request, "signin_refused", False):
            return ValidationError(throttle_message(), code="throttled")
        return super().get_invalid_login_error()


class ThrottledAuthenticationForm(ThrottleMessageMixin, AuthenticationForm):
    """The staff sign-in form."""


class ThrottledAdminAuthenticationForm(ThrottleMessageMixin, AdminAuthenticationForm):
    """The admin site's sign-in form."""


# --- password reset ---------------------------------------------------------------------

def _hits(keys: list[str], window: int) -> list[int] | None:
    """Add one to each counter; a counter expires ``window`` seconds after its first hit.

    None when the cache cannot be reached: the caller lets the request through.
    """
    try:
        counts = [counter_hit(cache, key, window) for key in keys]
    except Exception:
        logger.warning("Cache unavailable: password reset requests are not throttled",
                       exc_info=True)
        return None
    return counts


def password_reset_allowed(request: HttpRequest, email: str) -> bool:
    """Whether to send a reset e-mail; counts the request per address and per target.

    The page answers the same either way, so a refusal tells nobody whether the address
    has an account. An address locked out of sign-in gets no reset e-mails either.
    """
    AxesProxyHandler.update_request(request)
    if _handler().address_locked(request):
        logger.warning("Password reset refused: the address is locked out of sign-in")
        return False
    address = request.axes_ip_address or ""
    target = lookup_hash(normalise_username(email) or "")
    limit, window = settings.PASSWORD_RESET_LIMIT, settings.PASSWORD_RESET_WINDOW_SECONDS
    counts = _hits([f"signin:reset:ip:{address}", f"signin:reset:email:{target}"], window)
    if counts is not None and max(counts) > limit:
        logger.warning("Password reset refused: more than %d requests in %d seconds",
                       limit, window)
        return False
    return True
