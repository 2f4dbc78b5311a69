from django.urls import path

from . import views

urlpatterns = [
    path("dashboard/", views.DashboardView.as_view(), name="dashboard"),
    path("reports/", views.ReportListView.as_view(), name="reports"),
    path("reports/<int:pk>/<slug:fmt>/", views.ReportDownloadView.as_view(),
         name="report_download"),
]
