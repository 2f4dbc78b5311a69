"""Kernel pages: the customer's satisfaction survey, staff notifications, return visits due."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View

from .exceptions import DomainError
from .followups import (
    follow_up_answer,
    follow_up_for_token,
    follow_up_is_open,
    follow_ups_due,
)
from .forms import SurveyForm
from .http import PrivateNoStoreMixin
from .models import FollowUp, Notification
from .notifications import (
    case_path,
    event_label,
    notifications_for,
    notifications_mark_read,
    unread_count,
)
from .selectors import is_staff_member

PAGE_SIZE = 25


class SurveyView(PrivateNoStoreMixin, View):
    """The customer's survey, reached only through the follow-up's own random token."""

    template_name = "aftersales/survey.html"

    def _follow_up(self, token: str) -> FollowUp:
        try:
            return follow_up_for_token(token)
        except FollowUp.DoesNotExist as missing:
            raise Http404 from missing

    def _render(self, request, follow_up, form=None, status=200, done=False) -> HttpResponse:
        response = render(request, self.template_name, {
            "follow_up": follow_up,
            "number": follow_up.ticket.number, "form": form, "done": done,
            "open": follow_up_is_open(follow_up),
        }, status=status)
        response["Referrer-Policy"] = "no-referrer"
        return response

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        follow_up = self._follow_up(token)
        done = request.GET.get("done") == "1"
        form = SurveyForm() if follow_up_is_open(follow_up) else None
        return self._render(request, follow_up, form, done=done)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        follow_up = self._follow_up(token)
        if not follow_up_is_open(follow_up):
            return self._render(request, follow_up, status=409)
        form = SurveyForm(request.POST)
        if not form.is_valid():
            return self._render(request, follow_up, form, status=400)
        try:
            follow_up_answer(token=token, answer=form.answer())
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self._render(request, self._follow_up(token), form, status=409)
        return redirect(reverse("aftersales:survey", args=[token]) + "?done=1")


class StaffOnlyMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_staff_member(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _data_path(notification: Notification) -> str:
    """A page of this site named by a notification without a case (e.g. a finished export)."""
    path = str(notification.data.get("path", ""))
    local = path.startswith("/") and url_has_allowed_host_and_scheme(path, allowed_hosts=set())
    return path if local else ""


class NotificationListView(StaffOnlyMixin, View):
    """A staff member's notifications, newest first, unread ones highlighted."""

    def get(self, request: HttpRequest) -> HttpResponse:
        paginator = Paginator(notifications_for(request.user), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = [(n, event_label(n.event), case_path(n.ticket) if n.ticket else _data_path(n))
                for n in page.object_list]
        return render(request, "aftersales/notifications.html", {
            "page": page, "rows": rows,
            "unread": unread_count(request.user),
        })


class NotificationReadView(StaffOnlyMixin, View):
    """Mark one notification read and open its case, or mark them all read."""

    def post(self, request: HttpRequest, pk: int | None = None) -> HttpResponseRedirect:
        target = reverse("aftersales:notifications")
        if pk is not None:
            notification = get_object_or_404(
                Notification.objects.select_related("ticket"), pk=pk, recipient=request.user
            )
            notifications_mark_read(user=request.user, pk=notification.pk)
            if notification.ticket is not None:
                target = case_path(notification.ticket) or target
            else:
                target = _data_path(notification) or target
        else:
            notifications_mark_read(user=request.user)
            nxt = request.POST.get("next", "")
            if nxt and url_has_allowed_host_and_scheme(nxt, {request.get_host()}):
                target = nxt
        return redirect(target)


class FollowUpsDueView(StaffOnlyMixin, View):
    """Return visits that are due and unanswered: call the customer or wait for the survey."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        paginator = Paginator(follow_ups_due(request.user, now=now), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = [(fu, case_path(fu.ticket)) for fu in page.object_list]
        return render(request, "aftersales/followups_due.html", {
            "page": page, "rows": rows, "now": now,
        })
