"""The staff actions on a complaint: which transition each offers, its form and its service."""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import has_transition_perm

from aftersales.cases.kinds import spawnable
from aftersales.cases.selectors import ticket_in_scope
from aftersales.cases.services import transition_allowed
from aftersales.core.choices import Stage, TicketKind

from . import disputes as ds
from . import forms as f
from . import services as s
from .choices import CustomerDecision, DisputeKind, DisputeStep, State
from .models import Complaint, dispute_of, is_responsible_person


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
    # Whose transitions ``transitions`` names: the complaint's, or its dispute's steps.
    on_dispute: bool = False
    # Offered when this says so, for actions that are not one transition.
    available: Callable[[Complaint, object], bool] | None = None


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


def _investigate(complaint: Complaint, data: dict, user) -> Complaint:
    keys = ("cause", "promotion_class", "findings", "charged_price", "correct_price",
            "was_price", "activity", "coupon_code", "points")
    found = ds.Investigation(**{k: data[k] for k in keys if data.get(k) not in (None, "")})
    return ds.dispute_investigate(**_common(complaint, data, user), found=found,
                                  uploads=data["files"])


def _draft(complaint: Complaint, data: dict, user) -> Complaint:
    return ds.dispute_draft(**_common(complaint, data, user), draft=ds.Draft(
        remedy=data["remedy"], measures=data["measures"], deadline=data["deadline"],
        responsible_department=data["responsible_department"],
        responsible_person=data["responsible_person"], liability=data["liability"],
        amount=data.get("amount") or Decimal("0.00"), points=data.get("points")))


def _draft_initial(complaint: Complaint) -> dict:
    return {**_plan_initial(complaint), "liability": "COMPANY"}


def _investigate_initial(complaint: Complaint) -> dict:
    dispute = dispute_of(complaint)
    if dispute is None:
        return {}
    return {name: getattr(dispute, name) for name in (
        "cause", "promotion_class", "findings", "charged_price", "correct_price", "was_price",
        "activity", "coupon_code", "points")}


def _phone_consent(complaint: Complaint, data: dict, user) -> Complaint:
    return s.complaint_record_phone_consent(
        **_common(complaint, data, user), plan_pk=data["plan"],
        plan_version=data["plan_version"], agree=data["agree"] == "yes", note=data["note"])


def _phone_consent_initial(complaint: Complaint) -> dict:
    plan = complaint.current_plan
    return {"plan": plan.pk, "plan_version": plan.version} if plan else {}


def _awaits_answer(complaint: Complaint, user) -> bool:
    """A dispute's consent may also be given by phone, recorded by an agent (§8)."""
    plan = complaint.current_plan
    dispute = dispute_of(complaint)
    return (dispute is not None and dispute.step == DisputeStep.AWAIT_CONSENT
            and complaint.state == State.AWAIT_CUSTOMER and plan is not None
            and plan.customer_decision == CustomerDecision.PENDING
            and user.has_perm("complaints.reply_complaint") and ticket_in_scope(user, complaint))


APPROVE_PERMS = ("compensation.approve_within_cap", "compensation.approve_within_supervisor_limit",
                 "compensation.approve_above_limits")


def _line_awaits_approval(complaint: Complaint) -> bool:
    dispute = dispute_of(complaint)
    return (dispute is not None and dispute.step == DisputeStep.DRAFTED
            and dispute.needs_ledger_line and dispute.compensation_approved_at is None)


def _may_approve_line(complaint: Complaint, user) -> bool:
    dispute = dispute_of(complaint)
    return (_line_awaits_approval(complaint) and dispute.drafted_by_id != user.pk
            and any(user.has_perm(p) for p in APPROVE_PERMS)
            and ticket_in_scope(user, complaint))


def _may_start_return(complaint: Complaint, user) -> bool:
    return (spawnable(TicketKind.RETURN) and complaint.is_open and not complaint.is_read_only
            and complaint.stage == Stage.HANDLE
            and user.has_perm("complaints.handle_complaint") and ticket_in_scope(user, complaint)
            and (complaint.order_id is not None or complaint.order_line_id is not None))


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
    Action("start_return", _("Start a return or exchange"), (), f.StartReturnForm,
           lambda c, d, u: s.complaint_start_return(
               **_common(c, d, u), order_line=d["line"], request_type=d["request_type"],
               quantity=d["quantity"], reason=d["reason"]),
           contextual=True, available=_may_start_return, style="outline-primary"),
    Action("escalate", _("Escalate"), ("escalate",), f.ReasonForm,
           lambda c, d, u: s.complaint_escalate(**_common(c, d, u), reason=d["reason"]),
           style="warning"),
]}

# The steps of price, promotion and coupon complaints (§5.6), offered beside the lifecycle's.
DISPUTE_ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("dispute_investigate", _("Investigate the cause"), ("investigate",),
           f.InvestigateForm, _investigate, contextual=True, on_dispute=True,
           initial=_investigate_initial),
    Action("dispute_stop_activity", _("Record that the promotion was stopped"),
           ("stop_activity",), f.StopActivityForm,
           lambda c, d, u: ds.dispute_stop_activity(**_common(c, d, u), note=d["note"]),
           on_dispute=True, style="warning"),
    Action("dispute_draft", _("Draft the solution"), ("draft",), f.DraftForm, _draft,
           contextual=True, on_dispute=True, initial=_draft_initial),
    Action("dispute_approve", _("Approve the compensation"), (), f.ConfirmForm,
           lambda c, d, u: ds.dispute_approve_compensation(**_common(c, d, u)),
           available=_may_approve_line, style="success"),
    Action("phone_consent", _("Record the customer's answer given by phone"), (),
           f.PhoneConsentForm, _phone_consent, available=_awaits_answer,
           initial=_phone_consent_initial, style="outline-primary"),
    Action("dispute_execute", _("Execute the agreed solution"), ("execute",), f.NoteOnlyForm,
           lambda c, d, u: ds.dispute_execute(**_common(c, d, u), note=d["note"]),
           on_dispute=True, style="success"),
]}
ALL_ACTIONS: dict[str, Action] = {**ACTIONS, **DISPUTE_ACTIONS}


def _offered(action: Action, complaint: Complaint, user) -> bool:
    if action.available is not None:
        return action.available(complaint, user)
    if not action.on_dispute:
        return any(transition_allowed(complaint, name, user) for name in action.transitions)
    dispute = dispute_of(complaint)
    if dispute is None or complaint.is_read_only:
        return False
    dispute.complaint = complaint
    return ticket_in_scope(user, complaint) and any(
        has_transition_perm(getattr(dispute, name), user) for name in action.transitions)


def available_actions(complaint: Complaint, user) -> list[Action]:
    return [action for action in ALL_ACTIONS.values() if _offered(action, complaint, user)]


def action_form(action: Action, complaint: Complaint, data=None, user=None,
                files=None) -> forms.Form:
    extra = {"complaint": complaint, "user": user} if action.contextual else {}
    if data is not None:
        return action.form_class(data, files, prefix=action.name, **extra)
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
    "dispute_consent_first": _("Nothing is executed before the customer consents to the "
                               "solution (on their tracking page, or by phone recorded here)."),
    "dispute_stop_first": _("The promotion must be stopped before the remedy is executed; "
                            "marketing or a supervisor records it."),
    "dispute_approval_first": _("The compensation must be approved before the customer is "
                                "asked to consent."),
    "dispute_own_line": _("You drafted this compensation, so someone else must approve it."),
    "dispute_execute_first": _("The agreed solution must be executed before the reply."),
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
        label = ALL_ACTIONS[action].label if action in ALL_ACTIONS else ""
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
    dispute = dispute_of(complaint)
    if dispute is not None:
        _dispute_blocks(complaint, dispute, user, names, block)
    return blocked


def _dispute_blocks(complaint: Complaint, dispute, user, names: set[str], block) -> None:
    may_execute = user.has_perm("complaints.reply_complaint")
    step = dispute.step
    if may_execute and step in (DisputeStep.DRAFTED, DisputeStep.AWAIT_CONSENT,
                                DisputeStep.DECLINED):
        block("dispute_execute", "dispute_consent_first")
    if (may_execute and step == DisputeStep.CONSENTED and dispute.kind == DisputeKind.PROMO
            and dispute.activity_stopped_at is None):
        block("dispute_execute", "dispute_stop_first")
    if _line_awaits_approval(complaint):
        if dispute.drafted_by_id == user.pk and any(user.has_perm(p) for p in APPROVE_PERMS):
            block("dispute_approve", "dispute_own_line")
        elif complaint.state == State.IN_PROGRESS and user.has_perm(
                "complaints.reply_complaint"):
            block("request_confirmation", "dispute_approval_first")
    if ("reply" not in names and complaint.state == State.IN_PROGRESS
            and step == DisputeStep.CONSENTED and user.has_perm("complaints.reply_complaint")):
        block("reply", "dispute_execute_first")
