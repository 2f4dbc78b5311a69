"""A case's contact data: confirm the contact given with it, or reveal it in full once.

Each kind of case mounts these views under its own case URL with its model, e.g.
``ContactRevealView.as_view(ticket_model=Complaint, case_url="complaints:detail")``.
"""

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views import View

from aftersales.cases.models import Ticket
from aftersales.cases.selectors import is_staff_member, tickets_visible_to
from aftersales.cases.services import ticket_confirm_contact, ticket_reveal_contact
from aftersales.core.exceptions import DomainError, PermissionRefused
from aftersales.core.http import PrivateNoStoreMixin


class CaseContactView(LoginRequiredMixin, View):
    """POST only; the case is looked up in the person's scope (404 outside it)."""

    ticket_model: type[Ticket] = Ticket
    case_url: str = ""
    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return self.handle_no_permission()
        if not is_staff_member(request.user):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_ticket(self, number: str) -> Ticket:
        queryset = tickets_visible_to(self.request.user, self.ticket_model.objects.all())
        ticket = queryset.select_related("customer").filter(number=number).first()
        if ticket is None:
            raise Http404
        return ticket

    def case_page(self, ticket: Ticket) -> str:
        return reverse(self.case_url, args=[ticket.number])


class ContactConfirmView(CaseContactView):
    """An agent or supervisor writes the contact given with the case onto the customer."""

    def post(self, request, number):
        ticket = self.get_ticket(number)
        try:
            ticket_confirm_contact(ticket_model=self.ticket_model, ticket_pk=ticket.pk,
                                   actor=request.user)
        except PermissionRefused as refused:
            raise PermissionDenied from refused
        except DomainError as error:
            messages.error(request, str(error.message))
        else:
            messages.success(request, _("The contact given with this case is now on file."))
        return HttpResponseRedirect(self.case_page(ticket))


class ContactRevealView(PrivateNoStoreMixin, CaseContactView):
    """The case owner sees the contact in full, on this response only; the reveal is logged."""

    def post(self, request, number):
        ticket = self.get_ticket(number)
        try:
            revealed = ticket_reveal_contact(ticket_model=self.ticket_model, ticket_pk=ticket.pk,
                                             actor=request.user)
        except PermissionRefused as refused:
            raise PermissionDenied from refused
        return render(request, "aftersales/contact_reveal.html", {
            "ticket": ticket, "revealed": revealed, "case_page": self.case_page(ticket),
        })
