"""Kernel pages shared by every kind of case."""

from django.urls import path

from aftersales.cases.views import InboxBulkView, InboxView
from aftersales.core import converters  # noqa: F401  (registers the path converters)
from aftersales.followups import views as followups
from aftersales.notifications import views as notifications

app_name = "aftersales"

urlpatterns = [
    path("inbox/", InboxView.as_view(), name="inbox"),
    path("inbox/move/", InboxBulkView.as_view(), name="inbox_bulk"),
    path("s/<token:token>/", followups.SurveyView.as_view(), name="survey"),
    path("notifications/", notifications.NotificationListView.as_view(), name="notifications"),
    path("notifications/read/", notifications.NotificationReadView.as_view(),
         name="notifications_read"),
    path("notifications/<int:pk>/open/", notifications.NotificationReadView.as_view(),
         name="notification_open"),
    path("notifications/preferences/", notifications.NotificationPreferencesView.as_view(),
         name="notification_preferences"),
    path("followups/", followups.FollowUpsDueView.as_view(), name="followups_due"),
]
