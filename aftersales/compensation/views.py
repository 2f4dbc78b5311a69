"""Compensation pages: the staff actions any case page posts to, the customer's consent page,
and the ledger totals."""

from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views import View

from aftersales.cases.kinds import find_kind
from aftersales.cases.models import Ticket
from aftersales.cases.selectors import is_staff_member, tickets_visible_to
from aftersales.core.exceptions import DomainError
from aftersales.core.http import PrivateNoStoreMixin, client_ip
from aftersales.web.ratelimit import over_limit

from . import services
from .choices import STATE_COLOUR, ConsentVia, LineState, LineType, Reason
from .forms import (
    ChangeForm,
    CustomerAnswerForm,
    NoteForm,
    PhoneAnswerForm,
    ProposeForm,
    RejectForm,
    TotalsForm,
)
from .models import CompensationLine
from .selectors import compensation_totals


class StaffOnlyMixin(LoginRequiredMixin):
    permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_staff_member(request.user):
            raise PermissionDenied
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def case_page(request, ticket: Ticket) -> HttpResponseRedirect:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()},
                                                  request.is_secure()):
        return HttpResponseRedirect(target)
    kind = find_kind(ticket.kind)
    path = kind.case_path(ticket.number) if kind else ""
    return HttpResponseRedirect(path or reverse("aftersales:inbox"))


def _form_errors(form) -> str:
    return " ".join(str(e) for errors in form.errors.values() for e in errors)


class ProposeView(StaffOnlyMixin, View):
    permission = "compensation.propose_compensation"

    def post(self, request, ticket_pk: int):
        ticket = get_object_or_404(tickets_visible_to(request.user), pk=ticket_pk)
        form = ProposeForm(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return case_page(request, ticket)
        data = form.cleaned_data
        try:
            services.compensation_propose(
                ticket=ticket, type=data["type"], value=data["value"], points=data["points"],
                reason=data["reason"], note=data["note"], actor=request.user)
            messages.success(request, _("Compensation proposed; it now needs approval."))
        except DomainError as error:
            messages.error(request, str(error.message))
        return case_page(request, ticket)


LINE_ACTIONS = {
    "approve": (NoteForm, _("Compensation approved; the customer is asked to agree.")),
    "reject": (RejectForm, _("Compensation rejected.")),
    "change": (ChangeForm, _("Offer changed; it needs approval and the customer's consent "
                             "again.")),
    "withdraw": (NoteForm, _("Offer withdrawn.")),
    "phone": (PhoneAnswerForm, _("The customer's answer was recorded.")),
    "execute": (NoteForm, _("Compensation executed.")),
}


class LineActionView(StaffOnlyMixin, View):
    def post(self, request, line_pk: int, action: str):
        if action not in LINE_ACTIONS:
            raise Http404
        line = get_object_or_404(
            CompensationLine.objects.select_related("ticket")
            .filter(ticket__in=tickets_visible_to(request.user)), pk=line_pk)
        form_class, done = LINE_ACTIONS[action]
        form = form_class(request.POST)
        if not form.is_valid():
            messages.error(request, _form_errors(form))
            return case_page(request, line.ticket)
        data, user = form.cleaned_data, request.user
        try:
            if action == "approve":
                services.compensation_approve(line_pk=line.pk, actor=user, note=data["note"])
            elif action == "reject":
                services.compensation_reject(line_pk=line.pk, actor=user, note=data["note"])
            elif action == "change":
                services.compensation_change(line_pk=line.pk, actor=user, value=data["value"],
                                             points=data["points"], note=data["note"])
            elif action == "withdraw":
                services.compensation_withdraw(line_pk=line.pk, actor=user, note=data["note"])
            elif action == "phone":
                answer = (services.compensation_consent if data["answer"] == "agree"
                          else services.compensation_decline)
                answer(line_pk=line.pk, version=data["version"], via=ConsentVia.PHONE,
                       actor=user, note=data["note"])
            else:
                services.compensation_execute(line_pk=line.pk, actor=user)
            messages.success(request, str(done))
        except DomainError as error:
            messages.error(request, str(error.message))
        return case_page(request, line.ticket)


def _line_for_token(token: str, line_pk: int) -> CompensationLine:
    line = (CompensationLine.objects.select_related("ticket")
            .filter(pk=line_pk, ticket__tracking_token=token).first())
    if line is None or line.state in (LineState.PROPOSED, LineState.REJECTED):
        raise Http404
    return line


class ConsentView(PrivateNoStoreMixin, View):
    """The customer sees exactly what will be given, and agrees or declines."""

    template_name = "compensation/consent_page.html"

    def _render(self, request, line, form=None, status=200):
        kind = find_kind(line.ticket.kind)
        return render(request, self.template_name, {
            "line": line, "ticket": line.ticket, "colour": STATE_COLOUR.get(line.state),
            "form": form or (CustomerAnswerForm(initial={"version": line.version})
                             if line.state == LineState.APPROVED else None),
            "tracking_path": kind.tracking_path(line.ticket.tracking_token) if kind else "",
        }, status=status)

    def get(self, request, token: str, line_pk: int):
        return self._render(request, _line_for_token(token, line_pk))

    def post(self, request, token: str, line_pk: int):
        line = _line_for_token(token, line_pk)
        if over_limit("compensation-consent", client_ip(request),
                      limit=settings.PUBLIC_FORM_RATE_LIMIT * 4, window=3600):
            messages.error(request, _("Too many attempts; please try again later."))
            return self._render(request, line, status=429)
        form = CustomerAnswerForm(request.POST)
        if not form.is_valid():
            return self._render(request, line, form, status=400)
        data = form.cleaned_data
        answer = (services.compensation_consent if data["answer"] == "agree"
                  else services.compensation_decline)
        try:
            answer(line_pk=line.pk, version=data["version"], via=ConsentVia.PORTAL,
                   note=data["comment"])
        except DomainError as error:
            messages.error(request, str(error.message))
            return self._render(request, _line_for_token(token, line_pk), status=409)
        messages.success(request, _("Thank you, your answer was recorded."))
        return HttpResponseRedirect(request.path)


class LedgerView(StaffOnlyMixin, View):
    permission = "compensation.view_compensation_ledger"

    def get(self, request):
        form = TotalsForm(request.GET or None)
        today = timezone.localdate()
        start, end, by = today.replace(day=1) - timedelta(days=365), today + timedelta(days=1), \
            "month"
        if form.is_valid():
            start = form.cleaned_data["start"] or start
            end = form.cleaned_data["end"] or end
            by = form.cleaned_data["by"] or by
        zone = timezone.get_current_timezone()
        rows = compensation_totals(datetime.combine(start, time.min, zone),
                                   datetime.combine(end, time.min, zone), by=by)
        labels = {"reason": dict(Reason.choices), "type": dict(LineType.choices)}.get(by, {})
        for row in rows:
            row["label"] = labels.get(row["key"], row["key"]) or "—"
        return render(request, "compensation/ledger.html", {
            "form": form if form.is_bound else TotalsForm(
                initial={"start": start, "end": end, "by": by}),
            "rows": rows, "by": by, "start": start, "end": end,
            "total_value": sum(r["value"] for r in rows),
            "total_lines": sum(r["lines"] for r in rows),
        })
