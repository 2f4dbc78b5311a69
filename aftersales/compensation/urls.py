from django.urls import path

from . import views

app_name = "compensation"

urlpatterns = [
    path("ledger/", views.LedgerView.as_view(), name="ledger"),
    path("case/<int:ticket_pk>/propose/", views.ProposeView.as_view(), name="propose"),
    path("line/<int:line_pk>/<slug:action>/", views.LineActionView.as_view(), name="line_action"),
    path("consent/<str:token>/<int:line_pk>/", views.ConsentView.as_view(), name="consent"),
]
