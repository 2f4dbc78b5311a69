from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View

from aftersales.cases.views import StaffOnlyMixin
from aftersales.core.exceptions import DomainError
from aftersales.core.http import PrivateNoStoreMixin
from aftersales.followups.forms import SurveyForm
from aftersales.followups.models import FollowUp
from aftersales.followups.services import (
    follow_up_answer,
    follow_up_for_token,
    follow_up_is_open,
    follow_ups_due,
)
from aftersales.notifications.services import (
    case_path,
)

PAGE_SIZE = 25


class SurveyView(PrivateNoStoreMixin, View):
    """The customer's survey, reached only through the follow-up's own random token."""

    template_name = "aftersales/survey.html"

    def _follow_up(self, token: str) -> FollowUp:
        try:
            return follow_up_for_token(token)
        except FollowUp.DoesNotExist as missing:
            raise Http404 from missing

    def _render(self, request, follow_up, form=None, status=200, done=False) -> HttpResponse:
        response = render(request, self.template_name, {
            "follow_up": follow_up,
            "number": follow_up.ticket.number, "form": form, "done": done,
            "open": follow_up_is_open(follow_up),
        }, status=status)
        response["Referrer-Policy"] = "no-referrer"
        return response

    def get(self, request: HttpRequest, token: str) -> HttpResponse:
        follow_up = self._follow_up(token)
        done = request.GET.get("done") == "1"
        form = SurveyForm() if follow_up_is_open(follow_up) else None
        return self._render(request, follow_up, form, done=done)

    def post(self, request: HttpRequest, token: str) -> HttpResponse:
        follow_up = self._follow_up(token)
        if not follow_up_is_open(follow_up):
            return self._render(request, follow_up, status=409)
        form = SurveyForm(request.POST)
        if not form.is_valid():
            return self._render(request, follow_up, form, status=400)
        try:
            follow_up_answer(token=token, answer=form.answer())
        except DomainError as error:
            form.add_error(None, str(error.message))
            return self._render(request, self._follow_up(token), form, status=409)
        return redirect(reverse("aftersales:survey", args=[token]) + "?done=1")


class FollowUpsDueView(StaffOnlyMixin, View):
    """Return visits that are due and unanswered: call the customer or wait for the survey."""

    def get(self, request: HttpRequest) -> HttpResponse:
        now = timezone.now()
        paginator = Paginator(follow_ups_due(request.user, now=now), PAGE_SIZE)
        page = paginator.get_page(request.GET.get("page"))
        rows = [(fu, case_path(fu.ticket)) for fu in page.object_list]
        return render(request, "aftersales/followups_due.html", {
            "page": page, "rows": rows, "now": now,
        })
