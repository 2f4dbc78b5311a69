from django.urls import path

from aftersales.cases.contact_views import ContactConfirmView, ContactRevealView
from aftersales.core import converters  # noqa: F401  (registers the path converters)

from . import views
from .models import ReturnOrder

app_name = "returns"

urlpatterns = [
    path("new/", views.PortalFindView.as_view(), name="portal"),
    path("new/<str:ticket>/", views.PortalRequestView.as_view(), name="portal_request"),
    path("new/<str:ticket>/answer/", views.PortalAnswerView.as_view(), name="portal_answer"),
    path("t/<token:token>/", views.TrackingView.as_view(), name="track"),
    path("register/", views.StaffRegisterView.as_view(), name="register"),
    path("<case_number:number>/", views.ReturnDetailView.as_view(), name="detail"),
    path("<case_number:number>/act/<slug:action>/", views.ReturnActionView.as_view(),
         name="act"),
    path("<case_number:number>/note/", views.ReturnNoteView.as_view(), name="note"),
    path("<case_number:number>/contact/confirm/",
         ContactConfirmView.as_view(ticket_model=ReturnOrder, case_url="returns:detail"),
         name="contact_confirm"),
    path("<case_number:number>/contact/reveal/",
         ContactRevealView.as_view(ticket_model=ReturnOrder, case_url="returns:detail"),
         name="contact_reveal"),
]
