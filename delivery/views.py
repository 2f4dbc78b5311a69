"""Delivery pages: the agent's register form, the staff incident page and its actions, the
customer's portal form and tracking page, and the scorecards."""

from datetime import date

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from aftersales.cases.selectors import (
    TIMELINE_PAGE,
    customer_timeline,
    is_staff_member,
    timeline_page,
)
from aftersales.cases.services import ticket_add_note
from aftersales.cases.views import CaseActionMixin
from aftersales.compensation.selectors import lines_for_case
from aftersales.core.choices import SEVERITY_COLOUR, SLA_STATUS_COLOUR, Channel
from aftersales.core.exceptions import DomainError
from aftersales.core.http import PrivateNoStoreMixin, client_ip
from aftersales.web.ratelimit import over_limit

from . import services
from .actions import ACTIONS, action_form, available_actions, page_facts
from .choices import STATE_COLOUR
from .forms import RegisterForm, ReportForm, ScorecardForm
from .models import DeliveryIncident
from .selectors import claims_for, incident_for_page, incident_for_token, scorecards

PALETTE = {"state": STATE_COLOUR, "severity": SEVERITY_COLOUR, "sla": SLA_STATUS_COLOUR}


class StaffRequiredMixin(LoginRequiredMixin):
    permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_staff_member(request.user):
            raise PermissionDenied
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


class RegisterView(StaffRequiredMixin, View):
    permission = "delivery.register_incident"

    def get(self, request):
        return render(request, "delivery/register.html", {"form": RegisterForm()})

    def post(self, request):
        form = RegisterForm(request.POST)
        if not form.is_valid():
            return render(request, "delivery/register.html", {"form": form}, status=400)
        data = form.cleaned_data
        try:
            shipment = services.shipment_for(order_number=data["order_number"],
                                             tracking_number=data["tracking_number"])
            incident = services.incident_register(
                intake=services.IncidentIntake(
                    shipment=shipment, incident_type=data["incident_type"],
                    description=data["description"], channel=Channel.HOTLINE),
                actor=request.user, form_token=data["form_token"])
        except DomainError as error:
            form.add_error(None, str(error.message))
            return render(request, "delivery/register.html", {"form": form}, status=409)
        messages.success(request, _("Incident %(number)s registered.")
                         % {"number": incident.number})
        return HttpResponseRedirect(reverse("delivery:detail", args=[incident.number]))


class IncidentPageMixin(StaffRequiredMixin):
    def get_incident(self, number: str) -> DeliveryIncident:
        try:
            return incident_for_page(self.request.user, number)
        except DeliveryIncident.DoesNotExist as missing:
            raise Http404 from missing

    def render_page(self, incident, *, bound_action=None, bound_form=None, status=200):
        user = self.request.user
        lines = list(lines_for_case(incident.pk))
        claims = list(claims_for(incident.pk))
        facts = page_facts(incident, lines, claims)
        actions = [(a, bound_form if a.name == bound_action else action_form(a, incident,
                                                                              facts=facts))
                   for a in available_actions(incident, user, facts)]
        all_events = self.request.GET.get("events") == "all"
        events, has_older = timeline_page(incident, limit=None if all_events else TIMELINE_PAGE)
        return render(self.request, "delivery/detail.html", {
            "incident": incident, "shipment": incident.shipment, "claims": claims,
            "events": events, "has_older_events": has_older,
            "actions": actions, "open_action": bound_action, "palette": PALETTE,
            "can_note": (not incident.is_read_only
                         and user.has_perm("aftersales.add_note")),
        }, status=status)


class IncidentDetailView(IncidentPageMixin, View):
    def get(self, request, number):
        return self.render_page(self.get_incident(number))


class IncidentActionView(CaseActionMixin, IncidentPageMixin, View):
    detail_url_name = "delivery:detail"

    def get_case(self, number):
        return self.get_incident(number)

    def action_spec(self, name):
        return ACTIONS.get(name)

    def bound_form(self, spec, incident):
        return action_form(spec, incident, data=self.request.POST)


class IncidentNoteView(IncidentPageMixin, View):
    def post(self, request, number):
        incident = self.get_incident(number)
        text = (request.POST.get("text") or "").strip()
        if not text:
            messages.error(request, _("Write the note first."))
        else:
            try:
                ticket_add_note(ticket_model=DeliveryIncident, ticket_pk=incident.pk,
                                actor=request.user, text=text[:5000],
                                customer_visible=request.POST.get("customer_visible") == "on")
                messages.success(request, _("Added to the timeline."))
            except DomainError as error:
                messages.error(request, str(error.message))
        return HttpResponseRedirect(reverse("delivery:detail", args=[number]))


class ReportView(View):
    """The customer's front door for a late, damaged or lost parcel or a rude courier."""

    template_name = "delivery/report.html"

    def get(self, request):
        return render(request, self.template_name, {"form": ReportForm()})

    def post(self, request):
        form = ReportForm(request.POST)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        if form.is_bot():
            return HttpResponseRedirect(reverse("delivery:report"))
        if over_limit("delivery-report", client_ip(request),
                      limit=settings.PUBLIC_FORM_RATE_LIMIT, window=3600):
            form.add_error(None, _("Too many reports from here; please try again later."))
            return render(request, self.template_name, {"form": form}, status=429)
        data = form.cleaned_data
        try:
            shipment = services.shipment_for(order_number=data["order_number"],
                                             tracking_number=data["tracking_number"])
            incident = services.incident_register(
                intake=services.IncidentIntake(
                    shipment=shipment, incident_type=data["incident_type"],
                    description=data["description"], channel=Channel.WEBFORM,
                    name=data["name"], phone=data["phone"], email=data["email"],
                    language=get_language() or "zh-hans"),
                actor=None, form_token=data["form_token"])
        except DomainError as error:
            form.add_error(None, str(error.message))
            return render(request, self.template_name, {"form": form}, status=409)
        return HttpResponseRedirect(reverse("delivery:track", args=[incident.tracking_token]))


class TrackingView(PrivateNoStoreMixin, View):
    def get(self, request, token):
        try:
            incident = incident_for_token(token)
        except DeliveryIncident.DoesNotExist as missing:
            raise Http404 from missing
        return render(request, "delivery/track.html", {
            "incident": incident, "events": customer_timeline(incident), "token": token,
            "palette": PALETTE,
        })


class ScorecardView(StaffRequiredMixin, View):
    permission = "delivery.view_scorecards"

    def get(self, request):
        form = ScorecardForm(request.GET or None)
        today = timezone.localdate()
        month, by = date(today.year, today.month, 1), "carrier"
        if form.is_bound and form.is_valid():
            month = (form.cleaned_data["month"] or month).replace(day=1)
            by = form.cleaned_data["by"] or by
        return render(request, "delivery/scorecards.html", {
            "form": form if form.is_bound else ScorecardForm(initial={"month": month,
                                                                     "by": by}),
            "cards": scorecards(month, by=by), "month": month, "by": by,
        })
