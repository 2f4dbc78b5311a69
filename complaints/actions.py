"""The staff actions on a complaint: which transition each offers, its form and its service."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.services import transition_allowed

from . import forms as f
from . import services as s
from .models import Complaint


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    transitions: tuple[str, ...]
    form_class: type[forms.Form]
    run: Callable[[Complaint, dict, object], Complaint]
    style: str = "primary"
    initial: Callable[[Complaint], dict] = lambda complaint: {}


def _common(complaint: Complaint, data: dict, user) -> dict:
    return {"complaint_pk": complaint.pk, "version": data["version"], "actor": user}


def _plan(complaint: Complaint, data: dict, user) -> Complaint:
    keys = ("cause", "nature", "liability", "responsible_department", "responsible_person",
            "solution_type", "measures", "compensation_amount", "deadline")
    return s.complaint_submit_plan(**_common(complaint, data, user),
                                   plan=s.PlanInput(**{k: data[k] for k in keys}))


def _plan_initial(complaint: Complaint) -> dict:
    deadline = complaint.resolution_due_at or timezone.now() + timedelta(days=3)
    return {"responsible_department": complaint.department_id, "deadline":
            timezone.localtime(deadline).strftime("%Y-%m-%dT%H:%M")}


def _expected_initial(complaint: Complaint) -> dict:
    due = complaint.resolution_due_at or timezone.now() + timedelta(days=7)
    return {"expected_by": timezone.localtime(due).strftime("%Y-%m-%dT%H:%M")}


ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("accept", _("Accept"), ("accept",), f.AcceptForm,
           lambda c, d, u: s.complaint_accept(**_common(c, d, u), checklist={
               k: d[k] for k in ("check_identity", "check_order", "check_facts", "check_remit")
           }, note=d["note"])),
    Action("reject", _("Do not accept"), ("reject",), f.RejectForm,
           lambda c, d, u: s.complaint_reject(**_common(c, d, u), reason=d["reason"],
                                              reply=d["reply"]), style="outline-danger"),
    Action("on_spot", _("Resolve on the spot"), ("resolve_on_spot",), f.OnSpotForm,
           lambda c, d, u: s.complaint_resolve_on_spot(
               **_common(c, d, u), solution=d["solution"],
               customer_confirmed=d["customer_confirmed"]), style="outline-success"),
    Action("classify", _("Classify and assign"), ("classify",), f.ClassifyForm,
           lambda c, d, u: s.complaint_classify(
               **_common(c, d, u), category=d["category"], subcategory=d["subcategory"],
               severity=d["severity"], department=d["department"], assignee=d["assignee"],
               note=d["note"]),
           initial=lambda c: {"category": c.category or c.category_hint,
                              "severity": c.severity or "S4"}),
    Action("start", _("Start handling"), ("start_handling",), f.StartHandlingForm,
           lambda c, d, u: s.complaint_start_handling(
               **_common(c, d, u), acknowledgement=d["acknowledgement"],
               expected_by=d["expected_by"]), initial=_expected_initial),
    Action("plan", _("Record handling plan"), ("submit_plan",), f.PlanForm, _plan,
           initial=_plan_initial),
    Action("decide_plan", _("Approve or send back the plan"), ("approve_plan", "return_plan"),
           f.DecidePlanForm,
           lambda c, d, u: s.complaint_decide_plan(
               **_common(c, d, u), approve=d["decision"] == "approve", comment=d["comment"])),
    Action("request_confirmation", _("Ask the customer to confirm"), ("request_confirmation",),
           f.RequestConfirmationForm,
           lambda c, d, u: s.complaint_request_confirmation(**_common(c, d, u),
                                                            message=d["message"])),
    Action("resume", _("Resume handling"), ("resume",), f.NoteOnlyForm,
           lambda c, d, u: s.complaint_resume(**_common(c, d, u), note=d["note"])),
    Action("reply", _("Reply to the customer"), ("reply", "reply_not_liable"), f.ReplyForm,
           lambda c, d, u: s.complaint_reply(**_common(c, d, u), text=d["text"],
                                             outcome=d["outcome"])),
    Action("return_visit", _("Record return visit"), ("record_return_visit",), f.ReturnVisitForm,
           lambda c, d, u: s.complaint_record_feedback(
               complaint_pk=c.pk, actor=u, satisfied=d["satisfied"] == "yes",
               problem_solved=d["problem_solved"] == "yes", rating=d["rating"],
               comment=d["comment"], method="PHONE"), style="outline-primary"),
    Action("archive", _("Archive"), ("archive",), f.NoteOnlyForm,
           lambda c, d, u: s.complaint_archive(**_common(c, d, u), note=d["note"]),
           style="dark"),
    Action("reopen", _("Reopen"), ("reopen",), f.ReasonForm,
           lambda c, d, u: s.complaint_reopen(**_common(c, d, u), reason=d["reason"]),
           style="outline-danger"),
    Action("escalate", _("Escalate"), ("escalate",), f.ReasonForm,
           lambda c, d, u: s.complaint_escalate(**_common(c, d, u), reason=d["reason"]),
           style="warning"),
]}


def available_actions(complaint: Complaint, user) -> list[Action]:
    return [
        action for action in ACTIONS.values()
        if any(transition_allowed(complaint, name, user) for name in action.transitions)
    ]


def action_form(action: Action, complaint: Complaint, data=None) -> forms.Form:
    if data is not None:
        return action.form_class(data, prefix=action.name)
    return action.form_class(
        initial={"version": complaint.version, **action.initial(complaint)}, prefix=action.name
    )
