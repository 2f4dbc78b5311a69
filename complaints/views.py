import logging

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from aftersales.cases.contacts import customer_from_choice, sign_customer_choice
from aftersales.cases.selectors import (
    TIMELINE_PAGE,
    customer_timeline,
    is_staff_member,
    timeline_page,
)
from aftersales.cases.services import ticket_add_note, ticket_customer_add_info
from aftersales.cases.views import CaseActionMixin
from aftersales.catalog.selectors import customers_matching
from aftersales.core.choices import SEVERITY_COLOUR, SLA_STATUS_COLOUR, Channel
from aftersales.core.exceptions import DomainError
from aftersales.core.http import PrivateNoStoreMixin, client_ip
from aftersales.web.ratelimit import over_limit

from . import services
from .actions import ALL_ACTIONS, action_form, available_actions, blocked_actions
from .choices import STATE_COLOUR, CustomerDecision, State
from .forms import (
    CustomerDecisionForm,
    CustomerFeedbackForm,
    CustomerInfoForm,
    CustomerLookupForm,
    NoteForm,
    PublicComplaintForm,
    StaffRegisterForm,
)
from .models import Complaint
from .selectors import (
    complaint_for_page,
    complaint_for_token,
    dispute_view,
)

PALETTE = {"state": STATE_COLOUR, "severity": SEVERITY_COLOUR, "sla": SLA_STATUS_COLOUR}


class StaffRequiredMixin(LoginRequiredMixin):
    """Signed-in staff only; a customer account or a user without a role gets 403."""

    permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_staff_member(request.user):
            raise PermissionDenied
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


# --- public -------------------------------------------------------------------------

logger = logging.getLogger(__name__)



def _rate_limited(request: HttpRequest, bucket: str) -> bool:
    """True past ``PUBLIC_FORM_RATE_LIMIT`` submissions from one address in the window."""
    return over_limit(bucket, client_ip(request), limit=settings.PUBLIC_FORM_RATE_LIMIT,
                      window=settings.PUBLIC_FORM_RATE_WINDOW_SECONDS)


class PublicComplaintCreateView(View):
    template_name = "complaints/public_form.html"

    def get(self, request):
        return render(request, self.template_name, {"form": PublicComplaintForm()})

    def post(self, request):
        form = PublicComplaintForm(request.POST, request.FILES)
        if _rate_limited(request, "public-complaint"):
            messages.error(request, _("Too many submissions from your network. "
                                      "Please try again in an hour or call our hotline."))
            return render(request, self.template_name, {"form": form}, status=429)
        if form.is_valid() and form.is_bot():
            # Pretend success so the bot learns nothing; store nothing.
            return redirect("complaints:public_new")
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = form.cleaned_data
        try:
            complaint = services.complaint_register(
                intake=services.ComplaintIntake(
                    name=data["name"], phone=data["phone"], email=data["email"],
                    order_number=data["order_number"], product_text=data["product"],
                    category_hint=data["category_hint"], description=data["description"],
                    customer_request=data["customer_request"], channel=Channel.WEBFORM,
                    language=get_language() or settings.LANGUAGE_CODE,
                ),
                actor=None,
                uploads=data["files"],
                form_token=data["form_token"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
            return render(request, self.template_name, {"form": form}, status=409)
        return redirect("complaints:public_submitted", token=complaint.tracking_token)


class PublicSubmittedView(PrivateNoStoreMixin, View):
    def get(self, request, token):
        complaint = _complaint_by_token(token)
        return render(request, "complaints/public_submitted.html", {
            "complaint": complaint,
            "tracking_url": request.build_absolute_uri(
                reverse("complaints:track", args=[token])),
        })


def _complaint_by_token(token: str) -> Complaint:
    try:
        return complaint_for_token(token)
    except Complaint.DoesNotExist as missing:
        raise Http404 from missing


class TrackingView(PrivateNoStoreMixin, View):
    """The customer's private page: customer-visible history, and what they can do now."""

    template_name = "complaints/track.html"

    def _forms(self, complaint: Complaint, bound: dict | None = None) -> dict:
        bound = bound or {}
        forms = {}
        if not complaint.is_read_only:
            forms["info"] = bound.get("info") or CustomerInfoForm(prefix="info")
        plan = complaint.current_plan
        if (complaint.state == State.AWAIT_CUSTOMER and plan
                and plan.customer_decision == CustomerDecision.PENDING):
            forms["decision"] = bound.get("decision") or CustomerDecisionForm(
                prefix="decision", initial={"plan": plan.pk, "plan_version": plan.version})
        if complaint.state == State.RESOLVED:
            forms["feedback"] = bound.get("feedback") or CustomerFeedbackForm(prefix="feedback")
        return forms

    def _render(self, request, complaint, bound=None, status=200):
        return render(request, self.template_name, {
            "complaint": complaint,
            "events": customer_timeline(complaint),
            "forms": self._forms(complaint, bound),
            "token": complaint.tracking_token,
            "dispute": dispute_view(complaint),
            "palette": PALETTE,
        }, status=status)

    def get(self, request, token):
        return self._render(request, _complaint_by_token(token))

    def post(self, request, token):
        complaint = _complaint_by_token(token)
        which = request.POST.get("form")
        forms = self._forms(complaint)
        if which not in forms:
            messages.error(request, _("This is no longer possible; the page shows the "
                                      "current state of your complaint."))
            return redirect("complaints:track", token=token)
        form_class = type(forms[which])
        form = form_class(request.POST, request.FILES, prefix=which)
        if not form.is_valid():
            return self._render(request, complaint, {which: form}, status=400)
        data = form.cleaned_data
        try:
            if which == "info":
                ticket_customer_add_info(ticket_model=Complaint, ticket_pk=complaint.pk,
                                         text=data["text"], uploads=data["files"])
                messages.success(request, _("Thank you, your information was added."))
            elif which == "decision":
                services.complaint_customer_decide(
                    complaint_pk=complaint.pk, plan_pk=data["plan"],
                    plan_version=data["plan_version"], agree=data["agree"] == "yes",
                    comment=data["comment"])
                messages.success(request, _("Thank you, your answer was recorded."))
            else:
                services.complaint_record_feedback(
                    complaint_pk=complaint.pk, actor=None, satisfied=data["satisfied"] == "yes",
                    rating=data["rating"], comment=data["comment"], method="ONLINE")
                messages.success(request, _("Thank you for your feedback."))
        except DomainError as error:
            # The case may have moved on while the customer was reading: show it as it is.
            complaint = _complaint_by_token(token)
            stale = isinstance(error, services.ProposalChanged | services.AlreadyAnswered)
            if stale or which not in self._forms(complaint):
                messages.error(request, str(error.message))
                return self._render(request, complaint, status=409)
            form.add_error(None, str(error.message))
            return self._render(request, complaint, {which: form}, status=409)
        return redirect("complaints:track", token=token)


# --- staff --------------------------------------------------------------------------

class StaffRegisterView(StaffRequiredMixin, View):
    """Register a complaint taken by phone or in person.

    Looking a customer up is a POST (no phone number or e-mail in a URL or an access log);
    results show masked contacts, and the chosen customer travels as a signed reference.
    """

    permission = "complaints.register_complaint"
    template_name = "complaints/register.html"

    def _render(self, request, *, form=None, lookup_form=None, status=200, **context):
        return render(request, self.template_name, {
            "form": form or StaffRegisterForm(user=request.user),
            "lookup_form": lookup_form or CustomerLookupForm(),
            **context,
        }, status=status)

    def get(self, request):
        return self._render(request)

    def post(self, request):
        intent = request.POST.get("intent")
        if intent == "lookup":
            return self._lookup(request)
        if intent == "use":
            return self._use(request)
        return self._register(request)

    def _lookup(self, request):
        lookup_form = CustomerLookupForm(request.POST)
        if not lookup_form.is_valid():
            return self._render(request, lookup_form=lookup_form, status=400)
        customers, order = customers_matching(lookup_form.cleaned_data["lookup"].strip())
        found = [(customer, sign_customer_choice(customer, request.user))
                 for customer in customers]
        return self._render(request, lookup_form=lookup_form, looked_up=True,
                            found_customers=found, found_order=order)

    def _use(self, request):
        customer = customer_from_choice(request.POST.get("customer", ""), request.user)
        if customer is None:
            messages.error(request, _("The customer chosen from the search has expired; "
                                      "search again."))
            return self._render(request, status=400)
        order_number = request.POST.get("order", "")[:64]
        form = StaffRegisterForm(user=request.user, initial={
            "customer": sign_customer_choice(customer, request.user),
            "name": customer.name, "order_number": order_number,
        })
        return self._render(request, form=form, chosen_customer=customer)

    def _register(self, request):
        form = StaffRegisterForm(request.POST, request.FILES, user=request.user)
        if not form.is_valid():
            return self._render(request, form=form, status=400,
                                chosen_customer=form.cleaned_data.get("customer"))
        data = form.cleaned_data
        try:
            complaint = services.complaint_register(
                intake=services.ComplaintIntake(
                    name=data["name"], phone=data["phone"], email=data["email"],
                    order_number=data["order_number"], product=data["product"],
                    product_text=data["product_text"], category_hint=data["category_hint"],
                    request_type=data["request_type"], description=data["description"],
                    customer_request=data["customer_request"],
                    purchase_date=data["purchase_date"], channel=data["channel"],
                    received_at=data["received_at"], customer=data["customer"],
                    regulator_case_number=data["regulator_case_number"],
                ),
                actor=request.user,
                uploads=data["files"],
                form_token=data["form_token"],
            )
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self._render(request, form=form, status=409,
                                chosen_customer=data.get("customer"))
        messages.success(request, _("Complaint %(number)s registered.")
                         % {"number": complaint.number})
        if complaint.repeat_of_id:
            messages.warning(request, _("Repeat complaint: the customer complained about the "
                                        "same order or category recently (%(number)s).")
                             % {"number": complaint.repeat_of.number})
        return redirect("complaints:detail", number=complaint.number)


class ComplaintPageMixin(StaffRequiredMixin):
    def get_complaint(self, number: str) -> Complaint:
        try:
            return complaint_for_page(user=self.request.user, number=number)
        except Complaint.DoesNotExist as missing:
            raise Http404 from missing

    def render_page(self, complaint: Complaint, *, bound_action: str | None = None,
                    bound_form=None, note_form=None, status: int = 200) -> HttpResponse:
        user = self.request.user
        offered = available_actions(complaint, user)
        # Only the action being opened renders its form; the others are links that open it.
        opened = bound_action or self.request.GET.get("action")
        if len(offered) == 1:
            opened = offered[0].name
        actions = []
        for action in offered:
            form = None
            if action.name == opened:
                form = (bound_form if action.name == bound_action
                        else action_form(action, complaint, user=user))
            actions.append((action, form))
        can_note = not complaint.is_read_only and user.has_perm("aftersales.add_note")
        all_events = self.request.GET.get("events") == "all"
        events, has_older = timeline_page(complaint, limit=None if all_events else TIMELINE_PAGE)
        return render(self.request, "complaints/detail.html", {
            "complaint": complaint,
            "events": events,
            "has_older_events": has_older,
            "actions": actions,
            "blocked": blocked_actions(complaint, user, offered),
            "dispute": dispute_view(complaint),
            "open_action": opened,
            "note_form": note_form or (NoteForm() if can_note else None),
            "palette": PALETTE,
        }, status=status)


class ComplaintDetailView(ComplaintPageMixin, View):
    def get(self, request, number):
        return self.render_page(self.get_complaint(number))


class ComplaintActionView(CaseActionMixin, ComplaintPageMixin, View):
    detail_url_name = "complaints:detail"

    def get_case(self, number):
        return self.get_complaint(number)

    def action_spec(self, name):
        return ALL_ACTIONS.get(name)

    def bound_form(self, spec, complaint):
        return action_form(spec, complaint, data=self.request.POST, files=self.request.FILES,
                           user=self.request.user)


class ComplaintNoteView(ComplaintPageMixin, View):
    def post(self, request, number):
        complaint = self.get_complaint(number)
        form = NoteForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_page(complaint, note_form=form, status=400)
        try:
            ticket_add_note(ticket_model=Complaint, ticket_pk=complaint.pk, actor=request.user,
                            text=form.cleaned_data["text"],
                            customer_visible=form.cleaned_data["customer_visible"],
                            uploads=form.cleaned_data["files"])
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self.render_page(complaint, note_form=form, status=409)
        messages.success(request, _("Added to the timeline."))
        return HttpResponseRedirect(reverse("complaints:detail", args=[number]))
