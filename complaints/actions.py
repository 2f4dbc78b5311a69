"""The staff actions on a complaint: which transition each offers, its form and its service."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from aftersales.cases.services import transition_allowed
from aftersales.core.choices import Stage

from . import forms as f
from . import services as s
from .choices import CustomerDecision, State
from .models import Complaint, is_responsible_person


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    transitions: tuple[str, ...]
    form_class: type[forms.Form]
    run: Callable[[Complaint, dict, object], Complaint]
    style: str = "primary"
    initial: Callable[[Complaint], dict] = lambda complaint: {}
    # Whether the form needs the case and the user (e.g. to fill in canned responses).
    contextual: bool = False


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
                                             outcome=d["outcome"]), contextual=True),
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


def action_form(action: Action, complaint: Complaint, data=None, user=None) -> forms.Form:
    extra = {"complaint": complaint, "user": user} if action.contextual else {}
    if data is not None:
        return action.form_class(data, prefix=action.name, **extra)
    return action.form_class(
        initial={"version": complaint.version, **action.initial(complaint)}, prefix=action.name,
        **extra,
    )


# --- why an action is not offered ---------------------------------------------------

@dataclass(frozen=True)
class Blocked:
    """An action the page does not offer, and why; shown where the action would be."""

    action: str
    label: str
    reason: str


REASONS = {
    "await_customer": _("The customer has not yet confirmed the proposal. The reply can be "
                        "sent once they agree on their tracking page."),
    "await_approval": _("The handling plan is awaiting a supervisor's approval; the plan "
                        "cannot be changed and no reply can be sent until then."),
    "own_plan": _("You are the responsible person of this plan, so another supervisor must "
                  "approve it."),
    "await_return_visit": _("The return visit has not been recorded yet; the case can be "
                            "archived after it."),
    "closed": _("This case is archived: nothing more can be done on it."),
    "closed_reopen": _("This case is archived: nothing more can be done on it unless a "
                       "supervisor reopens it."),
    "not_accepted": _("This complaint was not accepted: nothing more can be done on it."),
    "other_stage": _("This case is in the %(stage)s stage; department handlers act on a case "
                     "in the classification and handling stages."),
}


def _awaits_customer(complaint: Complaint) -> bool:
    plan = complaint.current_plan
    return complaint.state == State.AWAIT_CUSTOMER or (
        complaint.state == State.IN_PROGRESS and plan is not None
        and plan.customer_decision == CustomerDecision.PENDING
    )


def blocked_actions(complaint: Complaint, user, offered: list[Action]) -> list[Blocked]:
    """The main actions this user would expect here but is not offered, with the reason."""
    names = {action.name for action in offered}
    state = complaint.state
    blocked: list[Blocked] = []

    def block(action: str, reason: str, **values) -> None:
        label = ACTIONS[action].label if action in ACTIONS else ""
        text = REASONS[reason] % values if values else REASONS[reason]
        blocked.append(Blocked(action, str(label), str(text)))

    if state == State.CLOSED:
        block("reopen", "closed" if "reopen" in names else "closed_reopen")
        return [] if "reopen" in names else blocked
    if state == State.NOT_ACCEPTED:
        block("", "not_accepted")
        return blocked
    handler_only = (user.has_perm("complaints.handle_complaint")
                    and not user.has_perm("complaints.reply_complaint"))
    stage = Complaint.STAGE_OF_STATE.get(state)
    if handler_only and not names and stage not in (Stage.CLASSIFY, Stage.HANDLE):
        block("", "other_stage", stage=Stage(stage).label if stage else state)
        return blocked
    if "reply" not in names and _awaits_customer(complaint) and (
            user.has_perm("complaints.reply_complaint")):
        block("reply", "await_customer")
    if state == State.PLAN_APPROVAL and "decide_plan" not in names:
        if user.has_perm("complaints.approve_plan") and is_responsible_person(complaint, user):
            block("decide_plan", "own_plan")
        else:
            block("plan" if user.has_perm("complaints.handle_complaint") else "reply",
                  "await_approval")
    if ("archive" not in names and state in (State.RESOLVED, State.RETURN_VISIT)
            and user.has_perm("complaints.archive_complaint")):
        block("archive", "await_return_visit")
    return blocked
