"""Supervisors' pages: the ledger and its exports, the KPI dashboard and monthly reports."""

from django.urls import include, path

app_name = "analytics"

urlpatterns = [
    path("", include("analytics.ledger.urls")),
    path("", include("analytics.kpis.urls")),
]
