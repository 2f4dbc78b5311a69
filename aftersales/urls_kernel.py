"""Kernel pages shared by every kind of case."""

from django.urls import path

from . import converters  # noqa: F401  (registers the path converters)
from . import kernel_views as views

app_name = "aftersales"

urlpatterns = [
    path("s/<token:token>/", views.SurveyView.as_view(), name="survey"),
    path("notifications/", views.NotificationListView.as_view(), name="notifications"),
    path("notifications/read/", views.NotificationReadView.as_view(), name="notifications_read"),
    path("notifications/<int:pk>/open/", views.NotificationReadView.as_view(),
         name="notification_open"),
    path("followups/", views.FollowUpsDueView.as_view(), name="followups_due"),
]
