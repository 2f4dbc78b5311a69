from django.urls import path

from . import views

app_name = "complaints"

urlpatterns = [
    path("new/", views.PublicComplaintCreateView.as_view(), name="public_new"),
    path("submitted/<str:token>/", views.PublicSubmittedView.as_view(), name="public_submitted"),
    path("track/<str:token>/", views.TrackingView.as_view(), name="track"),
    path("inbox/", views.InboxView.as_view(), name="inbox"),
    path("register/", views.StaffRegisterView.as_view(), name="register"),
    path("<str:number>/", views.ComplaintDetailView.as_view(), name="detail"),
    path("<str:number>/act/<str:action>/", views.ComplaintActionView.as_view(), name="act"),
    path("<str:number>/note/", views.ComplaintNoteView.as_view(), name="note"),
]
