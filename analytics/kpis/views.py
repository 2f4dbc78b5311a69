"""The KPI dashboard and the monthly reports: thin views over the selectors and services."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from aftersales.cases.selectors import is_staff_member
from aftersales.people.selectors import user_department_id

from ..models import MonthlyReport
from ..routers import analytics_db
from .dashboard import AGENT_HEADERS, BREAKDOWN_HEADERS, DEPARTMENT_HEADERS, dashboard_data
from .forms import DashboardFilterForm, ReportRequestForm
from .reports import monthly_report_request, report_path
from .selectors import scoped_filters, scoped_units, sees_everything
from .static import echarts_path

DASHBOARD = "analytics.view_dashboard"


class AnalyticsPermissionMixin(LoginRequiredMixin):
    """Signed-in staff with the dashboard permission; reports also need company-wide scope."""

    company_wide = False

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        user = request.user
        if not is_staff_member(user) or not user.has_perm(DASHBOARD):
            raise PermissionDenied
        if self.company_wide and not sees_everything(user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class DashboardView(AnalyticsPermissionMixin, View):
    def get(self, request):
        user = request.user
        scoped = not sees_everything(user)
        form = DashboardFilterForm(request.GET or None, department_id=user_department_id(user),
                                   scoped=scoped)
        date_from, date_to = form.period()
        filters = scoped_filters(user, form.filters())
        data = dashboard_data(filters, date_from, date_to, units=scoped_units(user),
                              using=analytics_db())
        return render(request, "analytics/dashboard.html", {
            "form": form, "data": data, "chart_data": data.chart_data(), "scoped": scoped,
            "breakdown_headers": BREAKDOWN_HEADERS, "agent_headers": AGENT_HEADERS,
            "department_headers": DEPARTMENT_HEADERS, "echarts": echarts_path(),
        })


class ReportListView(AnalyticsPermissionMixin, View):
    company_wide = True

    def _render(self, request, form, status=200):
        reports = MonthlyReport.objects.select_related("requested_by")[:60]
        return render(request, "analytics/reports.html", {"reports": reports, "form": form},
                      status=status)

    def get(self, request):
        return self._render(request, ReportRequestForm())

    def post(self, request):
        form = ReportRequestForm(request.POST)
        if not form.is_valid():
            return self._render(request, form, status=400)
        monthly_report_request(month=form.cleaned_data["month"], actor=request.user,
                               language=get_language())
        messages.success(request, _("The report is being written; it appears below when "
                                    "ready and you will be notified."))
        return redirect("analytics:reports")


CONTENT_TYPES = {
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "html": "text/html; charset=utf-8",
}


class ReportDownloadView(AnalyticsPermissionMixin, View):
    company_wide = True

    def get(self, request, pk: int, fmt: str):
        if fmt not in CONTENT_TYPES:
            raise Http404
        report = get_object_or_404(MonthlyReport, pk=pk, status=MonthlyReport.Status.DONE)
        path = report_path(report.xlsx_name if fmt == "xlsx" else report.html_name)
        if path is None:
            raise Http404
        response = FileResponse(path.open("rb"), content_type=CONTENT_TYPES[fmt],
                                as_attachment=fmt == "xlsx",
                                filename=f"complaint-report-{report.month:%Y-%m}.{fmt}")
        response["Cache-Control"] = "private, no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response
