from django.urls import path

from . import views

urlpatterns = [
    path("ledger/", views.LedgerView.as_view(), name="ledger"),
    path("ledger/phone/", views.LedgerPhoneSearchView.as_view(), name="ledger_phone_search"),
    path("ledger/views/", views.SavedViewCreateView.as_view(), name="ledger_view_save"),
    path("ledger/views/<int:pk>/delete/", views.SavedViewDeleteView.as_view(),
         name="ledger_view_delete"),
    path("ledger/export/", views.LedgerExportView.as_view(), name="ledger_export"),
    path("ledger/exports/<int:pk>/status/", views.ExportStatusView.as_view(),
         name="ledger_export_status"),
    path("ledger/exports/<int:pk>/download/", views.ExportDownloadView.as_view(),
         name="ledger_export_download"),
]
