from django.urls import path

from aftersales.cases.contact_views import ContactConfirmView, ContactRevealView
from aftersales.core import converters  # noqa: F401  (registers the path converters)

from . import views
from .models import DeliveryIncident

app_name = "delivery"

urlpatterns = [
    path("report/", views.ReportView.as_view(), name="report"),
    path("track/<token:token>/", views.TrackingView.as_view(), name="track"),
    path("new/", views.RegisterView.as_view(), name="register"),
    path("scorecards/", views.ScorecardView.as_view(), name="scorecards"),
    path("<case_number:number>/", views.IncidentDetailView.as_view(), name="detail"),
    path("<case_number:number>/act/<slug:action>/", views.IncidentActionView.as_view(),
         name="act"),
    path("<case_number:number>/note/", views.IncidentNoteView.as_view(), name="note"),
    path("<case_number:number>/contact/confirm/",
         ContactConfirmView.as_view(ticket_model=DeliveryIncident, case_url="delivery:detail"),
         name="contact_confirm"),
    path("<case_number:number>/contact/reveal/",
         ContactRevealView.as_view(ticket_model=DeliveryIncident, case_url="delivery:detail"),
         name="contact_reveal"),
]
