from django.urls import path
from django.views.generic import RedirectView

from aftersales.cases.contact_views import ContactConfirmView, ContactRevealView
from aftersales.core import converters  # noqa: F401  (registers the path converters)

from . import views
from .models import Complaint

app_name = "complaints"

urlpatterns = [
    path("new/", views.PublicComplaintCreateView.as_view(), name="public_new"),
    path("submitted/<token:token>/", views.PublicSubmittedView.as_view(), name="public_submitted"),
    path("track/<token:token>/", views.TrackingView.as_view(), name="track"),
    path("inbox/", RedirectView.as_view(pattern_name="aftersales:inbox", query_string=True),
         name="inbox"),
    path("register/", views.StaffRegisterView.as_view(), name="register"),
    path("<case_number:number>/", views.ComplaintDetailView.as_view(), name="detail"),
    path("<case_number:number>/act/<slug:action>/", views.ComplaintActionView.as_view(),
         name="act"),
    path("<case_number:number>/note/", views.ComplaintNoteView.as_view(), name="note"),
    path("<case_number:number>/contact/confirm/",
         ContactConfirmView.as_view(ticket_model=Complaint, case_url="complaints:detail"),
         name="contact_confirm"),
    path("<case_number:number>/contact/reveal/",
         ContactRevealView.as_view(ticket_model=Complaint, case_url="complaints:detail"),
         name="contact_reveal"),
]
