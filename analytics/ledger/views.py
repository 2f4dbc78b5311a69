"""The ledger page, its phone search, saved views and exports. Thin: parse, call, render."""

from __future__ import annotations

import tempfile

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    JsonResponse,
    QueryDict,
    StreamingHttpResponse,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views import View

from aftersales.core.exceptions import DomainError
from aftersales.notifications.services import case_path
from aftersales.people.crypto import normalize_phone
from analytics.models import ExportJob

from . import services
from .columns import COLUMNS, RowContext, row_texts
from .filters import (
    PHONE_KEY,
    clean_query,
    filter_form,
    has_phone_search,
    phone_search_token,
)
from .html import filter_fields, rows_html
from .selectors import COUNT_CAP, ledger_count_cached, ledger_page

SORTABLE = {"received_at": "received", "replied_at": "replied", "closed_at": "closed"}


class LedgerAccessMixin(LoginRequiredMixin):
    """Signed in and holding ``analytics.view_ledger``; which rows is the scope's business."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not request.user.has_perm("analytics.view_ledger"):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _ledger_url(query: str) -> str:
    base = reverse("analytics:ledger")
    return f"{base}?{query}" if query else base


def _query_from_post(request: HttpRequest) -> QueryDict:
    return QueryDict(request.POST.get("query", "")[:4000])


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response


class LedgerView(LedgerAccessMixin, View):
    """Every case the user may see, with the ledger's columns, filtered and keyset-paged."""

    template_name = "analytics/ledger.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        form = filter_form(request.GET)
        filters = form.filters()
        now = timezone.now()
        page = ledger_page(user=request.user, filters=filters, now=now,
                           after=request.GET.get("after"), before=request.GET.get("before"))
        count = ledger_count_cached(user=request.user, filters=filters, now=now)
        ctx = RowContext(masked=not services.may_see_personal_data(request.user), now=now)
        query = clean_query(request.GET)
        rows = [(row, case_path(row), row_texts(row, ctx)) for row in page.rows]
        return _private(render(request, self.template_name, {
            "form": form,
            "filter_fields": filter_fields(form),
            "rows_html": rows_html(rows),
            "filters": filters,
            "page": page,
            "rows": rows,
            "columns": [(column, self._sort_link(request, column.key, filters))
                        for column in COLUMNS],
            "count": min(count, COUNT_CAP),
            "count_capped": count > COUNT_CAP,
            "query": query,
            "query_without_phone": clean_query(request.GET, keep_phone=False),
            "phone_search": has_phone_search(request.GET),
            "masked": ctx.masked,
            "saved_views": services.saved_views_for(request.user),
            "exports": services.exports_for(request.user),
            "sync_max": settings.LEDGER_EXPORT_SYNC_MAX_ROWS,
        }))

    @staticmethod
    def _sort_link(request: HttpRequest, key: str, filters) -> dict | None:
        sort = SORTABLE.get(key)
        if sort is None:
            return None
        params = request.GET.copy()
        for name in ("after", "before"):
            params.pop(name, None)
        current = filters.sort == sort
        descending = not filters.descending if current else True
        params["sort"] = sort
        params["dir"] = "desc" if descending else "asc"
        return {"url": "?" + clean_query(params), "current": current,
                "descending": filters.descending}


class LedgerPhoneSearchView(LedgerAccessMixin, View):
    """Posting a phone number; the ledger URL then carries an opaque, expiring token."""

    def post(self, request: HttpRequest) -> HttpResponse:
        params = _query_from_post(request).copy()
        for name in ("after", "before", PHONE_KEY):
            params.pop(name, None)
        phone = request.POST.get("phone", "").strip()
        if phone and not normalize_phone(phone):
            messages.error(request, _("Enter a phone number to search for."))
        elif phone:
            params[PHONE_KEY] = phone_search_token(phone)
        return redirect(_ledger_url(clean_query(params)))


class SavedViewCreateView(LedgerAccessMixin, View):
    def post(self, request: HttpRequest) -> HttpResponse:
        params = _query_from_post(request)
        try:
            view = services.saved_view_save(owner=request.user, name=request.POST.get("name", ""),
                                            params=params)
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(_ledger_url(clean_query(params)))
        messages.success(request, _("View “%(name)s” saved.") % {"name": view.name})
        if has_phone_search(params):
            messages.info(request, _("The phone number search is not kept in a saved view."))
        return redirect(_ledger_url(view.query))


class SavedViewDeleteView(LedgerAccessMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        if not services.saved_view_delete(owner=request.user, pk=pk):
            raise Http404
        messages.success(request, _("Saved view deleted."))
        return redirect(_ledger_url(clean_query(_query_from_post(request))))


class LedgerExportView(LedgerAccessMixin, View):
    """Export exactly what the filters show: at once when small, else by the worker."""

    def post(self, request: HttpRequest) -> HttpResponse:
        params = _query_from_post(request)
        try:
            start = services.export_start(user=request.user, params=params,
                                          file_format=request.POST.get("format", ""))
        except DomainError as error:
            messages.error(request, str(error.message))
            return redirect(_ledger_url(clean_query(params)))
        job = start.job
        if not start.in_request:
            messages.info(request, _("The export is being prepared; you will be notified "
                                     "when it can be downloaded."))
            return redirect(_ledger_url(clean_query(params)) + f"#export-{job.pk}")
        filename = f"ledger-{timezone.localtime(job.created_at):%Y%m%d-%H%M%S}.{job.format}"
        if job.format == ExportJob.Format.CSV:
            response = StreamingHttpResponse(
                services.export_stream_csv(job=job, user=request.user, filters=start.filters),
                content_type="text/csv; charset=utf-8",
            )
            response["Content-Disposition"] = f'attachment; filename="{filename}"'
            return _private(response)
        # XlsxWriter needs a seekable file; an unnamed temporary file is gone once closed.
        handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - FileResponse closes it
        try:
            services.export_write_xlsx(job=job, user=request.user, filters=start.filters,
                                       target=handle)
        except BaseException:
            handle.close()
            raise
        handle.seek(0)
        return _private(FileResponse(
            handle, as_attachment=True, filename=filename,
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        ))


def _own_export(request: HttpRequest, pk: int) -> ExportJob:
    try:
        return services.export_for_owner(user=request.user, pk=pk)
    except ExportJob.DoesNotExist as missing:
        raise Http404 from missing


class ExportStatusView(LedgerAccessMixin, View):
    """A small JSON document the page polls while the worker writes an export."""

    def get(self, request: HttpRequest, pk: int) -> JsonResponse:
        job = _own_export(request, pk)
        download = ""
        if job.status == ExportJob.Status.DONE and job.file_name:
            download = reverse("analytics:ledger_export_download", args=[job.pk])
        response = JsonResponse({
            "id": job.pk, "status": job.status, "status_label": str(job.get_status_display()),
            "rows": job.row_count, "total": job.total_rows, "percent": job.percent,
            "finished": job.is_finished, "download_url": download,
        })
        return _private(response)


class ExportDownloadView(LedgerAccessMixin, View):
    """The file of one's own finished export; anyone else's is not found."""

    def get(self, request: HttpRequest, pk: int) -> FileResponse:
        job = _own_export(request, pk)
        path = services.export_path(job)
        if job.status != ExportJob.Status.DONE or path is None or not path.is_file():
            raise Http404
        content_type = ("text/csv; charset=utf-8" if job.format == ExportJob.Format.CSV else
                        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        filename = f"ledger-{timezone.localtime(job.created_at):%Y%m%d-%H%M%S}.{job.format}"
        response = FileResponse(path.open("rb"), as_attachment=True, filename=filename,
                                content_type=content_type)
        response["X-Content-Type-Options"] = "nosniff"
        return _private(response)
