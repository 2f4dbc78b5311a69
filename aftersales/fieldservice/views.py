from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import FileResponse, Http404, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views import View

from aftersales.cases.models import Ticket
from aftersales.cases.selectors import is_staff_member, ticket_in_scope
from aftersales.cases.services import ticket_add_note, ticket_customer_add_info
from aftersales.core.choices import SEVERITY_COLOUR, SLA_STATUS_COLOUR, Channel, TicketKind
from aftersales.core.exceptions import ConcurrentChange, DomainError
from aftersales.core.http import PrivateNoStoreMixin, client_ip
from aftersales.web.ratelimit import over_limit

from . import selectors as q
from . import services as s
from .actions import ACTIONS, action_form, available_actions, cleaned_for_run
from .choices import STATE_COLOUR, JobState, ServiceMode
from .forms import (
    AcceptanceForm,
    ConfirmReceiptForm,
    DispatchForm,
    JobIntakeForm,
    QuoteDecisionForm,
    RejectForm,
    SlotPickForm,
    StaffIntakeForm,
    WorkForm,
)
from .models import FieldJob, Signature, Technician

S = JobState
PALETTE = {"state": STATE_COLOUR, "severity": SEVERITY_COLOUR, "sla": SLA_STATUS_COLOUR}


class StaffMixin(LoginRequiredMixin):
    """Signed-in staff with the view's permission; others get 403."""

    permission: str | None = None

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_staff_member(request.user) and not hasattr(request.user, "technician"):
            raise PermissionDenied
        if self.permission and not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def _local_label(start: datetime, end: datetime) -> str:
    a, b = timezone.localtime(start), timezone.localtime(end)
    return f"{a:%Y-%m-%d %H:%M}–{b:%H:%M}"


# --- public ---------------------------------------------------------------------------

class PublicIntakeView(View):
    """The portal's "Report a fault" and "Book an installation"."""

    installation = False
    template_name = "fieldservice/public_form.html"

    def _render(self, request, form, status=200):
        return render(request, self.template_name,
                      {"form": form, "installation": self.installation}, status=status)

    def get(self, request):
        # A delivered order's tracking page links here with ``?order=<number>``.
        initial = {"order_number": request.GET.get("order", "")[:64]}
        return self._render(request, JobIntakeForm(installation=self.installation,
                                                   initial=initial))

    def post(self, request):
        form = JobIntakeForm(request.POST, request.FILES, installation=self.installation)
        if over_limit("public-job", client_ip(request), limit=settings.PUBLIC_FORM_RATE_LIMIT,
                      window=settings.PUBLIC_FORM_RATE_WINDOW_SECONDS):
            messages.error(request, _("Too many submissions from your network. "
                                      "Please try again in an hour or call our hotline."))
            return self._render(request, form, status=429)
        if not form.is_valid():
            return self._render(request, form, status=400)
        if form.is_bot():
            return redirect(request.path)
        data = form.cleaned_data
        intake = s.JobIntake(
            name=data["name"], phone=data["phone"], email=data["email"],
            order_number=data["order_number"], serial_number=data["serial_number"],
            description=data["description"], address=data["address"],
            address_area=data["address_area"], region=data["region"],
            preferred_windows=form.windows(),
            service_mode=data.get("service_mode") or ServiceMode.ON_SITE,
            channel=Channel.WEBFORM, language=get_language() or settings.LANGUAGE_CODE)
        create = s.installation_book if self.installation else s.job_report
        try:
            job = create(intake=intake, actor=None, uploads=data["files"],
                         form_token=data["form_token"])
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self._render(request, form, status=409)
        messages.success(request, _("Thank you. Your request %(number)s was received; keep "
                                    "this page's address to follow it.")
                         % {"number": job.number})
        return redirect("fieldservice:track", token=job.tracking_token)


def _job_by_token(token: str) -> FieldJob:
    try:
        return q.job_for_token(token)
    except ObjectDoesNotExist as missing:
        raise Http404 from missing


class TrackingView(PrivateNoStoreMixin, View):
    """The customer's page: progress, the quote to accept, slots to pick, receipt to confirm."""

    template_name = "fieldservice/track.html"

    def _forms(self, job: FieldJob, bound=None) -> dict:
        bound = bound or {}
        forms = {}
        if job.state == S.AWAIT_QUOTE and job.current_quote_id:
            forms["quote"] = bound.get("quote") or QuoteDecisionForm(
                prefix="quote", initial={"quote": job.current_quote_id})
        if job.state in (S.TRIAGED, S.PREPARED) and job.offered_slots:
            labels = [_local_label(datetime.fromisoformat(x["start"]),
                                   datetime.fromisoformat(x["end"])) for x in job.offered_slots]
            forms["slot"] = bound.get("slot") or SlotPickForm(prefix="slot", slots=labels)
        if job.state == S.SHIPPED_BACK:
            forms["receipt"] = bound.get("receipt") or ConfirmReceiptForm(prefix="receipt")
        return forms

    def _render(self, request, job, bound=None, status=200):
        events = q.job_timeline(job, customer_view=True)
        return render(request, self.template_name, {
            "job": job, "events": events, "forms": self._forms(job, bound),
            "token": job.tracking_token, "palette": PALETTE,
        }, status=status)

    def get(self, request, token):
        return self._render(request, _job_by_token(token))

    def post(self, request, token):
        job = _job_by_token(token)
        which = request.POST.get("form")
        forms = self._forms(job)
        if which not in forms:
            messages.error(request, _("This is no longer possible; the page shows the "
                                      "current state of your request."))
            return redirect("fieldservice:track", token=token)
        template = forms[which]
        if which == "slot":
            form = SlotPickForm(request.POST, prefix="slot",
                                slots=[c[1] for c in template.fields["slot"].choices])
        else:
            form = type(template)(request.POST, prefix=which)
        if not form.is_valid():
            return self._render(request, job, {which: form}, status=400)
        data = form.cleaned_data
        try:
            if which == "quote":
                s.job_customer_decide_quote(job_pk=job.pk, quote_pk=data["quote"],
                                            accept=data["accept"] == "yes",
                                            comment=data["comment"])
            elif which == "slot":
                s.job_customer_pick_slot(job_pk=job.pk, kind=job.kind, slot=data["slot"])
            else:
                s.job_customer_confirm_receipt(job_pk=job.pk)
        except DomainError as error:
            messages.error(request, str(error.message))
            return self._render(request, _job_by_token(token), status=409)
        messages.success(request, _("Thank you, your answer was recorded."))
        return redirect("fieldservice:track", token=token)


class TrackingInfoView(PrivateNoStoreMixin, View):
    def post(self, request, token):
        job = _job_by_token(token)
        text = (request.POST.get("text") or "").strip()[:5000]
        if text and not job.is_read_only:
            ticket_customer_add_info(ticket_model=type(job), ticket_pk=job.pk, text=text)
            messages.success(request, _("Thank you, your information was added."))
        return redirect("fieldservice:track", token=token)


# --- staff: intake and the job page ------------------------------------------------------

class StaffIntakeView(StaffMixin, View):
    """An agent takes a fault report or an installation booking by phone."""

    permission = "fieldservice.register_job"
    template_name = "fieldservice/staff_new.html"

    def get(self, request):
        return render(request, self.template_name, {"form": StaffIntakeForm()})

    def post(self, request):
        form = StaffIntakeForm(request.POST, request.FILES)
        if not form.is_valid():
            return render(request, self.template_name, {"form": form}, status=400)
        data = form.cleaned_data
        intake = s.JobIntake(
            name=data["name"], phone=data["phone"], email=data["email"],
            order_number=data["order_number"], serial_number=data["serial_number"],
            description=data["description"], address=data["address"],
            address_area=data["address_area"], region=data["region"],
            preferred_windows=form.windows(),
            service_mode=data.get("service_mode") or ServiceMode.ON_SITE,
            channel=data["channel"])
        create = s.installation_book if data["kind"] == TicketKind.INSTALL else s.job_report
        try:
            job = create(intake=intake, actor=request.user, uploads=data["files"],
                         form_token=data["form_token"])
        except DomainError as error:
            form.add_error(None, str(error.message))
            return render(request, self.template_name, {"form": form}, status=409)
        messages.success(request, _("Job %(number)s registered.") % {"number": job.number})
        return redirect("fieldservice:detail", number=job.number)


class JobPageMixin(StaffMixin):
    def get_job(self, number: str) -> FieldJob:
        try:
            return q.job_for_page(user=self.request.user, number=number)
        except ObjectDoesNotExist as missing:
            raise Http404 from missing

    def render_page(self, job: FieldJob, *, bound_action=None, bound_form=None, status=200):
        user = self.request.user
        actions = [(a, bound_form if a.name == bound_action else action_form(a, job))
                   for a in available_actions(job, user)]
        events = q.job_timeline(job)
        warranty = s.job_warranty(job) if job.kind == TicketKind.REPAIR else None
        return render(self.request, "fieldservice/detail.html", {
            "job": job, "events": events, "actions": actions, "open_action": bound_action,
            "warranty": warranty, "visits": q.job_visits(job), "parts": q.job_parts(job),
            "signatures": q.job_signatures(job), "palette": PALETTE,
            "can_note": not job.is_read_only and user.has_perm("aftersales.add_note"),
        }, status=status)


class JobDetailView(JobPageMixin, View):
    def get(self, request, number):
        return self.render_page(self.get_job(number))


class JobActionView(JobPageMixin, View):
    def post(self, request, number, action):
        job = self.get_job(number)
        spec = ACTIONS.get(action)
        if spec is None or job.kind not in spec.kinds:
            raise Http404
        form = action_form(spec, job, data=request.POST, files=request.FILES)
        if not form.is_valid():
            return self.render_page(job, bound_action=action, bound_form=form, status=400)
        try:
            spec.run(job, cleaned_for_run(spec, form), request.user)
        except ConcurrentChange as error:
            messages.error(request, str(error.message))
            return HttpResponseRedirect(reverse("fieldservice:detail", args=[number]))
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self.render_page(self.get_job(number), bound_action=action,
                                    bound_form=form, status=409)
        messages.success(request, _("%(action)s: done.") % {"action": spec.label})
        return HttpResponseRedirect(reverse("fieldservice:detail", args=[number]))


class JobNoteView(JobPageMixin, View):
    def post(self, request, number):
        job = self.get_job(number)
        text = (request.POST.get("text") or "").strip()[:5000]
        if not text:
            messages.error(request, _("Write something first."))
        else:
            try:
                ticket_add_note(ticket_model=type(job), ticket_pk=job.pk, actor=request.user,
                                text=text, customer_visible=request.POST.get("customer") == "on")
                messages.success(request, _("Added to the timeline."))
            except DomainError as error:
                messages.error(request, str(error.message))
        return HttpResponseRedirect(reverse("fieldservice:detail", args=[number]))


class ServiceRecordView(JobPageMixin, View):
    """The service record (售后服务记录表), printable, with the signatures."""

    def get(self, request, number):
        job = self.get_job(number)
        parts = q.job_parts(job)
        return render(request, "fieldservice/record.html", {
            "job": job, "visits": q.job_visits(job), "parts": parts,
            "parts_total": sum((p.amount for p in parts), start=Decimal("0.00")),
            "signatures": q.job_signatures(job),
        })


class SignatureImageView(StaffMixin, View):
    def get(self, request, pk):
        signature = Signature.objects.select_related("job").filter(pk=pk).first()
        if signature is None or not (ticket_in_scope(request.user, signature.job)
                                     or signature.job.assignee_id == request.user.pk):
            raise Http404
        response = FileResponse(signature.image.open("rb"), content_type="image/png")
        response["Cache-Control"] = "private, no-store"
        return response


# --- dispatch board ----------------------------------------------------------------------

def _week_start(value: str | None) -> date:
    try:
        day = date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        day = timezone.localdate()
    return day - timedelta(days=day.weekday())


class BoardView(StaffMixin, View):
    permission = "fieldservice.view_board"

    def _render(self, request, *, form=None, status=200):
        first = _week_start(request.GET.get("week") or request.POST.get("week"))
        region = (request.GET.get("region") or request.POST.get("region") or "")[:50]
        data = q.board(first=first, region=region)
        can_dispatch = request.user.has_perm("fieldservice.dispatch_job")
        technicians = [row.technician for row in data.rows]
        return render(request, "fieldservice/board.html", {
            "board": data, "first": first, "region": region,
            "previous": first - timedelta(days=7), "next": first + timedelta(days=7),
            "form": form or (DispatchForm(technicians=Technician.objects.filter(
                pk__in=[t.pk for t in technicians]).select_related("user"))
                if can_dispatch else None),
            "can_dispatch": can_dispatch, "palette": PALETTE,
            # Thousands of blocks link to their jobs: the path is built once, not per block.
            "jobs_path": reverse("fieldservice:board").removesuffix("board/"),
        }, status=status)

    def get(self, request):
        return self._render(request)

    def post(self, request):
        if not request.user.has_perm("fieldservice.dispatch_job"):
            raise PermissionDenied
        form = DispatchForm(request.POST)
        if not form.is_valid():
            return self._render(request, form=form, status=400)
        data = form.cleaned_data
        ticket = Ticket.objects.filter(pk=data["job"]).only("kind", "number").first()
        if ticket is None or ticket.kind not in (TicketKind.REPAIR, TicketKind.INSTALL):
            raise Http404
        try:
            visit = s.job_dispatch(job_pk=ticket.pk, kind=ticket.kind, actor=request.user,
                                   technician_pk=data["technician"].pk, start=data["start"],
                                   end=form.end(), travel_buffer=form.buffer())
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self._render(request, form=form, status=409)
        messages.success(request, _("%(number)s dispatched to %(technician)s.")
                         % {"number": ticket.number, "technician": visit.technician.name})
        week = timezone.localdate(visit.start).isoformat()
        return HttpResponseRedirect(f"{reverse('fieldservice:board')}?week={week}")


# --- technician's phone -------------------------------------------------------------------

class TechnicianMixin(StaffMixin):
    permission = "fieldservice.work_job"

    def technician(self) -> Technician:
        technician = getattr(self.request.user, "technician", None)
        if technician is None:
            raise PermissionDenied
        return technician

    def assigned_job(self, number: str) -> FieldJob:
        kind = q.kind_of_number(number)
        model = q.MODEL_OF_KIND.get(kind)
        if model is None:
            raise Http404
        job = (model.objects.select_related("customer", "product", "current_quote")
               .filter(number=number, assignee=self.request.user).first())
        if job is None:
            raise Http404
        return job


class MyDayView(TechnicianMixin, View):
    def get(self, request):
        technician = self.technician()
        try:
            day = date.fromisoformat(request.GET.get("day", ""))
        except ValueError:
            day = timezone.localdate()
        return render(request, "fieldservice/my_day.html", {
            "technician": technician, "day": day, "stops": q.technician_day(
                technician=technician, day=day),
            "previous": day - timedelta(days=1), "next": day + timedelta(days=1),
            "palette": PALETTE,
        })


class MyJobView(TechnicianMixin, View):
    template_name = "fieldservice/my_job.html"

    def _render(self, request, job, *, work_form=None, accept_form=None, reject_form=None,
                address=None, status=200):
        joint = job.kind == TicketKind.INSTALL
        visits = [v for v in q.job_visits(job) if not v.cancelled]
        return render(request, self.template_name, {
            "job": job, "joint": joint, "address": address,
            "visit": visits[-1] if visits else None,
            "parts": q.job_parts(job),
            "work_form": work_form or WorkForm(),
            "accept_form": accept_form or AcceptanceForm(joint=joint),
            "reject_form": reject_form or RejectForm(),
            "palette": PALETTE,
        }, status=status)

    def get(self, request, number):
        self.technician()
        return self._render(request, self.assigned_job(number))

    def post(self, request, number):
        self.technician()
        job = self.assigned_job(number)
        step = request.POST.get("step")
        kind = job.kind
        try:
            if step == "check_in":
                visit = s.job_check_in(job_pk=job.pk, kind=kind, actor=request.user)
                if visit.late_minutes:
                    messages.warning(request, _("Arrival recorded, %(minutes)d minutes late.")
                                     % {"minutes": visit.late_minutes})
                else:
                    messages.success(request, _("Arrival recorded, on time."))
            elif step == "work":
                form = WorkForm(request.POST, request.FILES)
                if not form.is_valid():
                    return self._render(request, job, work_form=form, status=400)
                s.job_record_work(job_pk=job.pk, kind=kind, actor=request.user,
                                  cause=form.cleaned_data["cause"], parts=form.part_lines(),
                                  uploads=form.cleaned_data["files"])
                messages.success(request, _("Work recorded."))
            elif step == "complete":
                s.job_complete(job_pk=job.pk, kind=kind, actor=request.user)
                messages.success(request, _("Hand the phone to the customer to sign."))
            elif step == "accept":
                form = AcceptanceForm(request.POST, joint=kind == TicketKind.INSTALL)
                if not form.is_valid():
                    return self._render(request, job, accept_form=form, status=400)
                data = form.cleaned_data
                s.job_accept(job_pk=job.pk, kind=kind, actor=request.user,
                             customer_name=data["signer_name"],
                             customer_signature=data["customer_signature"],
                             technician_signature=data.get("technician_signature"))
                messages.success(request, _("Accepted and signed. Thank you!"))
                return redirect("fieldservice:record", number=number)
            elif step == "reject":
                form = RejectForm(request.POST)
                if not form.is_valid():
                    return self._render(request, job, reject_form=form, status=400)
                s.job_reject(job_pk=job.pk, kind=kind, actor=request.user,
                             reason=form.cleaned_data["reason"])
                messages.warning(request, _("Not accepted: the job is back in service."))
            elif step == "address":
                address = s.job_reveal_address(job_pk=job.pk, actor=request.user)
                return self._render(request, self.assigned_job(number), address=address)
            else:
                raise Http404
        except DomainError as error:
            messages.error(request, str(error.message))
            return self._render(request, self.assigned_job(number), status=409)
        return redirect("fieldservice:my_job", number=number)


# --- scorecard ------------------------------------------------------------------------------

class ScorecardView(StaffMixin, View):
    permission = "fieldservice.view_scorecard"

    def get(self, request):
        try:
            days = max(1, min(366, int(request.GET.get("days", "30"))))
        except ValueError:
            days = 30
        until = timezone.now()
        since = until - timedelta(days=days)
        return render(request, "fieldservice/scorecard.html", {
            "scores": q.scorecard(since=since, until=until), "days": days,
            "by_kind": q.satisfaction_by_kind(since=since, until=until),
        })
