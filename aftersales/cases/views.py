from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views import View

from aftersales.cases.forms import BulkReassignForm, InboxFilterForm, InboxSearchForm
from aftersales.cases.inbox import TABS as INBOX_TABS
from aftersales.cases.inbox import InboxQuery, capped, inbox_read
from aftersales.cases.kinds import registered_kinds
from aftersales.cases.models import Attachment, Ticket
from aftersales.cases.selectors import is_staff_member, tickets_visible_to
from aftersales.cases.services import ticket_reassign
from aftersales.core.exceptions import ConcurrentChange, DomainError
from aftersales.core.http import private_no_store
from aftersales.people import crypto
from aftersales.people.models import Department
from aftersales.people.selectors import department_choices, staff_choices


@private_no_store
def attachment_download(request: HttpRequest, pk: int) -> FileResponse:
    """Evidence files are private: staff who may see the case, or the customer's token."""
    attachment = get_object_or_404(Attachment.objects.select_related("ticket"), pk=pk)
    token = request.GET.get("t", "")
    if token:
        allowed = attachment.customer_visible and token == attachment.ticket.tracking_token
    else:
        allowed = tickets_visible_to(request.user).filter(pk=attachment.ticket_id).exists()
    if not allowed:
        raise Http404
    response = FileResponse(
        attachment.file.open("rb"), content_type=attachment.content_type,
        as_attachment=not attachment.content_type.startswith("image/"),
        filename=attachment.original_name,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


class CaseActionMixin:
    """The POST of one action on a case page: the bound form, the kind's service, and the
    page again, with the form as typed, when the form or the service refuses.

    A kind's page view provides ``get_case(number)``, ``action_spec(name)`` (None: no such
    action), ``bound_form(spec, case)`` and ``render_page(case, bound_action=, bound_form=,
    status=)``, and names its page in ``detail_url_name``.
    """

    detail_url_name = ""

    def post(self, request, number, action):
        case = self.get_case(number)
        spec = self.action_spec(action)
        if spec is None:
            raise Http404
        form = self.bound_form(spec, case)
        if not form.is_valid():
            return self.render_page(case, bound_action=action, bound_form=form, status=400)
        page = reverse(self.detail_url_name, args=[number])
        try:
            spec.run(case, form.cleaned_data, request.user)
        except ConcurrentChange as error:
            messages.error(request, str(error.message))
            return redirect(page)
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self.render_page(self.get_case(number), bound_action=action,
                                    bound_form=form, status=409)
        messages.success(request, _("%(action)s: done.") % {"action": spec.label})
        return redirect(page)


class StaffOnlyMixin(LoginRequiredMixin):
    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_staff_member(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)


def inbox_tabs() -> list[tuple[str, str]]:
    return [
        ("needs_owner", _("Needs an owner")), ("mine", _("Mine")),
        ("department", _("My department")), ("approval", _("Waiting for approval")),
        ("customer", _("Waiting on the customer")), ("emergency", _("Emergencies")),
        ("all_open", _("All open")),
    ]


INBOX_COLUMNS = {
    "number": _("Number"), "subject": _("Subject"), "customer": _("Customer"),
    "severity": _("Severity"), "state": _("State"), "handler": _("Handler"), "age": _("Age"),
    "deadline": _("Deadline"),
}


def _search_token(text: str) -> str:
    return crypto.encrypt(text) if text else ""


def _search_text(token: str) -> str:
    """The search behind an opaque URL value: phone numbers never appear in a URL or log."""
    if not token:
        return ""
    try:
        return crypto.decrypt(token)[:100]
    except Exception:  # a tampered or outdated link searches for nothing
        return ""


class InboxView(StaffOnlyMixin, View):
    """One inbox over every kind of case: tabs with counts, filters, search, sort, pages."""

    template_name = "aftersales/inbox.html"

    def _context(self, request, bulk_form=None) -> dict:
        tab = request.GET.get("tab", "all_open")
        if tab not in INBOX_TABS:
            tab = "all_open"
        departments = department_choices()
        handlers = staff_choices()
        form = InboxFilterForm(request.GET or None, kinds=registered_kinds(),
                               departments=departments, handlers=handlers)
        data = form.cleaned_data if form.is_valid() else {}
        search = _search_text(request.GET.get("find", ""))
        query = InboxQuery(
            tab=tab, kind=data.get("kind", ""), state=data.get("state", ""),
            stage=data.get("stage", ""), severity=data.get("severity", ""),
            channel=data.get("channel", ""), department=data.get("department"),
            handler=data.get("handler"), sla=data.get("sla", ""),
            repeat=bool(data.get("repeat")), regulator=bool(data.get("regulator")),
            search=search, sort=data.get("sort") or "due",
        )
        try:
            number = int(request.GET.get("page", 1))
        except ValueError:
            number = 1
        page, counts = inbox_read(request.user, query, page=number)
        keep = request.GET.copy()
        keep.pop("page", None)
        keep.pop("tab", None)
        may_reassign = request.user.has_perm("aftersales.reassign_ticket")
        return {
            "page": page, "tab": tab, "form": form, "query": query,
            "tabs": [(key, label, capped(counts[key])) for key, label in inbox_tabs()],
            "search_form": InboxSearchForm(initial={"search": search}),
            "filters": keep.urlencode(), "page_query": _page_query(keep, tab),
            "bulk_form": bulk_form or (BulkReassignForm(departments=departments,
                                                        handlers=handlers)
                                       if may_reassign else None),
            # Column names repeated on every row for the phone layout, translated once.
            "cols": {key: str(label) for key, label in INBOX_COLUMNS.items()},
        }

    def get(self, request):
        return render(request, self.template_name, self._context(request))

    def post(self, request):
        """A search: the text goes into the URL only as an opaque token."""
        form = InboxSearchForm(request.POST)
        params = request.GET.copy()
        params.pop("page", None)
        params.pop("find", None)
        if form.is_valid() and form.cleaned_data["search"].strip():
            params["find"] = _search_token(form.cleaned_data["search"].strip())
        return redirect(f"{reverse('aftersales:inbox')}?{params.urlencode()}")


def _page_query(params, tab: str) -> str:
    query = params.copy()
    query["tab"] = tab
    return query.urlencode()


class InboxBulkView(StaffOnlyMixin, View):
    """Supervisors move several cases at once; each case is one service call, audited."""

    def post(self, request):
        if not request.user.has_perm("aftersales.reassign_ticket"):
            raise PermissionDenied
        back = request.POST.get("next", "")
        if not back.startswith(reverse("aftersales:inbox")):
            back = reverse("aftersales:inbox")
        ids = [int(pk) for pk in request.POST.getlist("cases")[:100] if pk.isdigit()]
        # Checked against the people and departments as they are now, not the cached lists.
        form = BulkReassignForm(request.POST, departments=department_choices(fresh=True),
                                handlers=staff_choices(fresh=True))
        if not ids:
            messages.error(request, _("Choose at least one case."))
            return redirect(back)
        if not form.is_valid():
            for error in form.non_field_errors() or [_("Choose a department or a handler.")]:
                messages.error(request, error)
            return redirect(back)
        department = (Department.objects.get(pk=form.cleaned_data["department"])
                      if form.cleaned_data["department"] else None)
        assignee = None
        if form.cleaned_data["assignee"]:
            assignee = get_user_model().objects.select_related("staff_profile").get(
                pk=form.cleaned_data["assignee"])
        moved, refused = 0, []
        for pk in ids:
            try:
                ticket_reassign(ticket_pk=pk, actor=request.user, department=department,
                                assignee=assignee)
                moved += 1
            except (DomainError, Ticket.DoesNotExist) as error:
                refused.append(str(getattr(error, "message", "")) or str(pk))
        if moved:
            messages.success(request, ngettext("%(n)d case moved.", "%(n)d cases moved.",
                                               moved) % {"n": moved})
        if refused:
            messages.error(request, _("%(n)d case(s) could not be moved: %(why)s") % {
                "n": len(refused), "why": "; ".join(sorted(set(refused)))})
        return redirect(back)
