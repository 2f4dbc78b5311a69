"""Return pages: the portal request, agent registration, tracking page and the case page."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core import signing
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from aftersales.cases.selectors import is_staff_member, timeline_page
from aftersales.cases.services import ticket_add_note, ticket_customer_add_info
from aftersales.cases.views import CaseActionMixin
from aftersales.core.choices import SEVERITY_COLOUR, SLA_STATUS_COLOUR, Channel
from aftersales.core.exceptions import DomainError
from aftersales.core.http import PrivateNoStoreMixin, client_ip
from aftersales.eligibility import Decision
from aftersales.web.ratelimit import over_limit

from . import rules, services
from .actions import ACTIONS, action_form, available_actions, blocked_actions
from .choices import STATE_COLOUR, Carrier, Reason, RequestType, State
from .forms import (
    CustomerInfoForm,
    CustomerShipForm,
    DisputeForm,
    FindOrderForm,
    RequestForm,
    StaffFindOrderForm,
)
from .models import ReturnOrder
from .selectors import (
    order_for_customer,
    order_lines_for,
    return_for_page,
    return_for_token,
    return_lines,
)

PALETTE = {"state": STATE_COLOUR, "severity": SEVERITY_COLOUR, "sla": SLA_STATUS_COLOUR}
ORDER_SALT = "returns.portal.order"
ORDER_MAX_AGE = 60 * 60


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


def _rate_limited(request, bucket: str) -> bool:
    return over_limit(bucket, client_ip(request), limit=settings.PUBLIC_FORM_RATE_LIMIT,
                      window=settings.PUBLIC_FORM_RATE_WINDOW_SECONDS)


def answers_for(form: RequestForm, order_lines) -> list[tuple[object, Decision | None]]:
    """The engine's answer for each chosen line, for the reason picked (the preview)."""
    reason = form.data.get("reason") or Reason.NO_REASON
    if reason not in Reason.values:
        reason = Reason.NO_REASON
    chosen = []
    for line in order_lines:
        raw = form.data.get(f"qty_{line.pk}") or ("1" if len(order_lines) == 1 else "0")
        if raw.isdigit() and int(raw) > 0:
            chosen.append(line)
    now = timezone.now()
    return [(line, rules.decide(rules.facts_for_line(line, reason=reason, notice_at=now)))
            for line in chosen]


# --- portal ------------------------------------------------------------------------------

class PortalFindView(View):
    """Step 1: the customer finds the order by its number and the phone or e-mail on it."""

    template_name = "returns/portal_find.html"

    def get(self, request):
        return render(request, self.template_name, {"form": FindOrderForm()})

    def post(self, request):
        form = FindOrderForm(request.POST)
        if _rate_limited(request, "return-find-order"):
            messages.error(request, _("Too many attempts from your network. Please try again "
                                      "in an hour or call our hotline."))
            return render(request, self.template_name, {"form": form}, status=429)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        if form.is_bot():
            return redirect("returns:portal")
        order = order_for_customer(number=form.cleaned_data["order_number"],
                                   contact=form.cleaned_data["contact"])
        if order is None:
            form.add_error(None, _("We could not find an order with this number and this "
                                   "phone or e-mail. Check both and try again."))
            return render(request, self.template_name, {"form": form}, status=404)
        # The contact matched the one on file; only which kind it was travels in the URL.
        via = "email" if "@" in form.cleaned_data["contact"] else "phone"
        ticket = signing.dumps({"order": order.pk, "via": via}, salt=ORDER_SALT)
        return redirect("returns:portal_request", ticket=ticket)


def _order_from_ticket(ticket: str) -> tuple:
    try:
        data = signing.loads(ticket, salt=ORDER_SALT, max_age=ORDER_MAX_AGE)
    except signing.BadSignature as bad:
        raise Http404 from bad
    from aftersales.models import Order

    order = Order.objects.select_related("customer").filter(pk=data["order"]).first()
    if order is None:
        raise Http404
    return order, data.get("via", "phone")


def _contact_fields(order, via: str) -> dict:
    """The contact the customer proved, as on file (it matched by its lookup hash)."""
    customer = order.customer
    if via == "email":
        return {"email": str(customer.email or "")}
    return {"phone": str(customer.phone or "")}


class PortalRequestView(PrivateNoStoreMixin, View):
    """Step 2: lines, quantities, request and reason; the engine's answer before sending."""

    template_name = "returns/portal_request.html"

    def _render(self, request, order, form, *, answers=None, status=200):
        return render(request, self.template_name, {
            "order": order, "form": form, "answers": answers,
            "previewed": answers is not None and not form.errors,
        }, status=status)

    def get(self, request, ticket):
        order, _contact = _order_from_ticket(ticket)
        lines = order_lines_for(order)
        return self._render(request, order, RequestForm(order_lines=lines))

    def post(self, request, ticket):
        order, via = _order_from_ticket(ticket)
        lines = order_lines_for(order)
        form = RequestForm(request.POST, request.FILES, order_lines=lines)
        answers = answers_for(form, lines)
        if request.POST.get("intent") != "submit":
            form.is_valid()
            return self._render(request, order, form, answers=answers)
        if _rate_limited(request, "public-return"):
            messages.error(request, _("Too many submissions from your network. "
                                      "Please try again in an hour or call our hotline."))
            return self._render(request, order, form, answers=answers, status=429)
        if not form.is_valid():
            return self._render(request, order, form, answers=answers, status=400)
        data = form.cleaned_data
        try:
            ret = services.return_create(
                intake=services.ReturnIntake(
                    name=order.customer.name, order=order, lines=data["lines"],
                    request_type=data["request_type"], reason=data["reason"],
                    description=data["description"], channel=Channel.WEBFORM,
                    language=get_language() or settings.LANGUAGE_CODE,
                    **_contact_fields(order, via)),
                actor=None, uploads=data["files"], form_token=data["form_token"])
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self._render(request, order, form, answers=answers, status=409)
        return redirect("returns:track", token=ret.tracking_token)


class PortalAnswerView(View):
    """The engine's answer for one line of the found order, as JSON (for the live preview)."""

    def get(self, request, ticket):
        order, _contact = _order_from_ticket(ticket)
        line = next((ln for ln in order_lines_for(order)
                     if str(ln.pk) == request.GET.get("line", "")), None)
        reason = request.GET.get("reason", Reason.NO_REASON)
        if line is None or reason not in Reason.values:
            raise Http404
        decision = rules.decide(rules.facts_for_line(line, reason=reason,
                                                     notice_at=timezone.now()))
        if decision is None:
            return JsonResponse({"rule": None, "options": [], "explanation": _(
                "The order has not been delivered yet; we will review your request.")})
        return JsonResponse({
            "rule": decision.rule, "options": sorted(decision.options),
            "explanation": str(decision.explanation), "basis": decision.basis,
            "window_ends": decision.window_ends.isoformat() if decision.window_ends else None,
            "return_shipping": decision.return_shipping, "pickup": decision.pickup,
        })


# --- tracking page --------------------------------------------------------------------------

def next_step(ret: ReturnOrder) -> dict:
    """What the customer must do next and by when, or what we are doing."""
    state = ret.state
    if state in (State.REQUESTED, State.REVIEWING):
        return {"you": False, "text": _("We are reviewing your request."),
                "by": ret.first_response_due_at}
    if state == State.INSPECTION:
        return {"you": False, "text": _("Our quality department is checking the problem.")}
    if state == State.AWAIT_SHIPBACK:
        if ret.pickup_booked:
            return {"you": False, "text": _("We will collect the goods at your door, free of "
                                            "charge. The courier will call you.")}
        by = ret.old_unit_due_on
        return {"you": True, "by": by, "text": _(
            "Send the goods to the address below with any carrier you like, then enter the "
            "carrier and tracking number here.")}
    if state == State.IN_TRANSIT:
        return {"you": False, "text": _("The goods are on their way back to us.")}
    if state in (State.RECEIVED, State.INSPECTED):
        return {"you": False, "text": _("We have the goods and are checking them."),
                "by": ret.resolution_due_at}
    if state == State.REFUNDING:
        return {"you": False, "text": _("Your refund is being paid."), "by": ret.refund_due_on}
    if state == State.REPLACEMENT_SHIPPED:
        return {"you": False, "text": _("Your replacement is on its way.")}
    if state == State.DECLINED:
        return {"you": not ret.disputed_at, "text": _(
            "If you disagree, tell us below: a complaint will be opened and handled.")
            if not ret.disputed_at else _("Your disagreement is being handled as a complaint.")}
    return {"you": False, "text": _("Your request is complete.")}


class TrackingView(PrivateNoStoreMixin, View):
    template_name = "returns/track.html"

    def _forms(self, ret: ReturnOrder, bound: dict | None = None) -> dict:
        bound = bound or {}
        forms = {}
        if ret.state == State.AWAIT_SHIPBACK and not ret.pickup_booked:
            forms["ship"] = bound.get("ship") or CustomerShipForm(prefix="ship")
        if ret.state == State.DECLINED and ret.disputed_at is None:
            forms["dispute"] = bound.get("dispute") or DisputeForm(prefix="dispute")
        if not ret.is_read_only:
            forms["info"] = bound.get("info") or CustomerInfoForm(prefix="info")
        return forms

    def _render(self, request, ret, bound=None, status=200):
        events, _older = timeline_page(ret, customer_view=True, limit=None)
        return render(request, self.template_name, {
            "ret": ret, "events": events, "forms": self._forms(ret, bound),
            "lines": return_lines(ret), "step": next_step(ret), "palette": PALETTE,
            "decision": services.stored_decision(ret),
        }, status=status)

    def _get(self, token) -> ReturnOrder:
        try:
            return return_for_token(token)
        except ReturnOrder.DoesNotExist as missing:
            raise Http404 from missing

    def get(self, request, token):
        return self._render(request, self._get(token))

    def post(self, request, token):
        ret = self._get(token)
        which = request.POST.get("form")
        forms = self._forms(ret)
        if which not in forms:
            messages.error(request, _("This is no longer possible; the page shows the current "
                                      "state of your request."))
            return redirect("returns:track", token=token)
        form = type(forms[which])(request.POST, request.FILES, prefix=which)
        if not form.is_valid():
            return self._render(request, ret, {which: form}, status=400)
        data = form.cleaned_data
        try:
            if which == "ship":
                services.return_customer_ship(return_pk=ret.pk, carrier=data["carrier"],
                                              tracking_number=data["tracking_number"])
                messages.success(request, _("Thank you, we will look out for the parcel."))
            elif which == "dispute":
                services.return_dispute(return_pk=ret.pk, text=data["text"])
                messages.success(request, _("Thank you; a complaint has been opened."))
            else:
                ticket_customer_add_info(ticket_model=ReturnOrder, ticket_pk=ret.pk,
                                         text=data["text"], uploads=data["files"])
                messages.success(request, _("Thank you, your information was added."))
        except DomainError as error:
            ret = self._get(token)
            form.add_error(None, str(error.message))
            return self._render(request, ret, {which: form}, status=409)
        return redirect("returns:track", token=token)


# --- staff ------------------------------------------------------------------------------------

class StaffRegisterView(StaffRequiredMixin, View):
    """An agent registers a request taken by phone: find the order, then the same form."""

    permission = "returns.register_return"
    template_name = "returns/register.html"

    def _order(self, request):
        number = (request.GET.get("order") or request.POST.get("order") or "").strip()[:64]
        if not number:
            return None
        from aftersales.models import Order

        return Order.objects.select_related("customer").filter(number=number).first()

    def _render(self, request, *, order=None, form=None, answers=None, status=200):
        lines = order_lines_for(order) if order else []
        return render(request, self.template_name, {
            "find_form": StaffFindOrderForm(initial={"order": order.number if order else ""}),
            "order": order, "answers": answers,
            "form": form or (RequestForm(order_lines=lines, staff=True) if order else None),
        }, status=status)

    def get(self, request):
        order = self._order(request)
        if request.GET.get("order") and order is None:
            messages.error(request, _("No order with this number."))
            return self._render(request, status=404)
        return self._render(request, order=order)

    def post(self, request):
        order = self._order(request)
        if order is None:
            raise Http404
        lines = order_lines_for(order)
        form = RequestForm(request.POST, request.FILES, order_lines=lines, staff=True)
        answers = answers_for(form, lines)
        if request.POST.get("intent") != "submit":
            form.is_valid()
            return self._render(request, order=order, form=form, answers=answers)
        if not form.is_valid():
            return self._render(request, order=order, form=form, answers=answers, status=400)
        data = form.cleaned_data
        try:
            ret = services.return_create(
                intake=services.ReturnIntake(
                    name=order.customer.name, order=order, lines=data["lines"],
                    request_type=data["request_type"], reason=data["reason"],
                    description=data["description"], channel=data["channel"],
                    customer=order.customer),
                actor=request.user, uploads=data["files"], form_token=data["form_token"])
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self._render(request, order=order, form=form, answers=answers, status=409)
        messages.success(request, _("Return %(number)s registered.") % {"number": ret.number})
        return redirect("returns:detail", number=ret.number)


class ReturnPageMixin(StaffRequiredMixin):
    def get_return(self, number: str) -> ReturnOrder:
        try:
            return return_for_page(user=self.request.user, number=number)
        except ReturnOrder.DoesNotExist as missing:
            raise Http404 from missing

    def render_page(self, ret: ReturnOrder, *, bound_action=None, bound_form=None,
                    status: int = 200) -> HttpResponse:
        user = self.request.user
        offered = available_actions(ret, user)
        actions = [(action, bound_form if action.name == bound_action
                    else action_form(action, ret)) for action in offered]
        events, has_older = timeline_page(
            ret, limit=None if self.request.GET.get("events") == "all" else 30)
        lines = return_lines(ret)
        decision = services.stored_decision(ret)
        return render(self.request, "returns/detail.html", {
            "ret": ret, "lines": lines, "decision": decision,
            "facts": sorted((ret.decision_facts or {}).items()),
            "grants": services.engine_grants(ret),
            "breakdown": ret.refund_breakdown or None,
            "events": events, "has_older_events": has_older,
            "actions": actions, "open_action": bound_action,
            "blocked": blocked_actions(ret, user, offered),
            "can_note": not ret.is_read_only and user.has_perm("aftersales.add_note"),
            "palette": PALETTE, "request_types": RequestType, "carriers": Carrier,
        }, status=status)


class ReturnDetailView(ReturnPageMixin, View):
    def get(self, request, number):
        return self.render_page(self.get_return(number))


class ReturnActionView(CaseActionMixin, ReturnPageMixin, View):
    detail_url_name = "returns:detail"

    def get_case(self, number):
        return self.get_return(number)

    def action_spec(self, name):
        return ACTIONS.get(name)

    def bound_form(self, spec, ret):
        return action_form(spec, ret, data=self.request.POST, files=self.request.FILES)


class ReturnNoteView(ReturnPageMixin, View):
    def post(self, request, number):
        ret = self.get_return(number)
        text = request.POST.get("text", "").strip()
        if not text:
            messages.error(request, _("Write the note first."))
            return HttpResponseRedirect(reverse("returns:detail", args=[number]))
        try:
            ticket_add_note(ticket_model=ReturnOrder, ticket_pk=ret.pk, actor=request.user,
                            text=text[:5000],
                            customer_visible=request.POST.get("customer_visible") == "on")
        except DomainError as error:
            messages.error(request, str(error.message))
        return HttpResponseRedirect(reverse("returns:detail", args=[number]))
