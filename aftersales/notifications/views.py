from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from aftersales.cases.views import StaffOnlyMixin
from aftersales.notifications.forms import NotificationPreferenceForm
from aftersales.notifications.models import Notification
from aftersales.notifications.services import (
    case_path,
    event_label,
    notifications_for,
    notifications_mark_read,
    preferences_for,
    preferences_save,
    unread_count,
)

PAGE_SIZE = 25


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


class NotificationPreferencesView(StaffOnlyMixin, View):
    """Which e-mail copies the staff member wants; in-app notifications always stay."""

    template_name = "aftersales/notification_preferences.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = NotificationPreferenceForm(instance=preferences_for(request.user))
        return render(request, self.template_name, {"form": form})

    def post(self, request: HttpRequest) -> HttpResponse:
        form = NotificationPreferenceForm(request.POST, instance=preferences_for(request.user))
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        preferences_save(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your notification preferences were saved."))
        return redirect("aftersales:notification_preferences")
