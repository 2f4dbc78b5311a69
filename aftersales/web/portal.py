"""The customer portal's front door: one page offering every kind of request, and
"find my case", which sends the private tracking link to the contact on file."""

from django import forms
from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views import View

from aftersales.cases.kinds import portal_entries
from aftersales.core.http import client_ip
from aftersales.notifications.services import tracking_link_send
from aftersales.web.ratelimit import over_limit


class FindCaseForm(forms.Form):
    number = forms.CharField(
        label=_("Case number"), max_length=24,
        help_text=_("As in our acknowledgement, e.g. CP-20261201-0001."),
    )
    contact = forms.CharField(
        label=_("Phone or e-mail you gave us"), max_length=254,
        help_text=_("We send the link for your case to this contact, if it is the one on file."),
    )


def _entries():
    return portal_entries()


class PortalView(View):
    template_name = "portal/home.html"

    def get(self, request):
        return render(request, self.template_name,
                      {"entries": _entries(), "form": FindCaseForm()})


class FindCaseView(View):
    """Matched or not, the answer is the same, so the page reveals nothing about cases."""

    template_name = "portal/home.html"

    def post(self, request):
        form = FindCaseForm(request.POST)
        context = {"entries": _entries(), "form": form}
        if not form.is_valid():
            return render(request, self.template_name, context, status=400)
        number = form.cleaned_data["number"].strip().upper()
        limited = over_limit("find-case-ip", client_ip(request),
                             limit=settings.FIND_CASE_RATE_LIMIT,
                             window=settings.FIND_CASE_RATE_WINDOW_SECONDS)
        limited = over_limit("find-case-number", number, limit=settings.FIND_CASE_RATE_LIMIT,
                             window=settings.FIND_CASE_RATE_WINDOW_SECONDS) or limited
        if limited:
            context["limited"] = True
            return render(request, self.template_name, context, status=429)
        tracking_link_send(number=number, contact=form.cleaned_data["contact"])
        context.update({"sent": True, "form": FindCaseForm()})
        return render(request, self.template_name, context)
