from django.urls import path

from aftersales.core import converters  # noqa: F401  (registers the path converters)

from . import views

app_name = "fieldservice"

urlpatterns = [
    path("report/", views.PublicIntakeView.as_view(), name="report"),
    path("install/", views.PublicIntakeView.as_view(installation=True), name="install"),
    path("track/<token:token>/", views.TrackingView.as_view(), name="track"),
    path("track/<token:token>/info/", views.TrackingInfoView.as_view(), name="track_info"),
    path("new/", views.StaffIntakeView.as_view(), name="new"),
    path("board/", views.BoardView.as_view(), name="board"),
    path("my/", views.MyDayView.as_view(), name="my"),
    path("my/<case_number:number>/", views.MyJobView.as_view(), name="my_job"),
    path("scorecard/", views.ScorecardView.as_view(), name="scorecard"),
    path("signature/<int:pk>/", views.SignatureImageView.as_view(), name="signature"),
    path("<case_number:number>/", views.JobDetailView.as_view(), name="detail"),
    path("<case_number:number>/act/<slug:action>/", views.JobActionView.as_view(), name="act"),
    path("<case_number:number>/note/", views.JobNoteView.as_view(), name="note"),
    path("<case_number:number>/record/", views.ServiceRecordView.as_view(), name="record"),
]
