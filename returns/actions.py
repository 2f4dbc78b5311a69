"""The staff actions on a return order: which transition each offers, its form, its service."""

from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext_lazy as _

from aftersales.cases.services import transition_allowed

from . import forms as f
from . import services as s
from .choices import State
from .models import ReturnOrder


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    transitions: tuple[str, ...]
    form_class: type[forms.Form]
    run: Callable[[ReturnOrder, dict, object], ReturnOrder]
    style: str = "primary"
    initial: Callable[[ReturnOrder], dict] = lambda ret: {}
    multipart: bool = False
    # Beyond the transition's own check: what the service will also insist on.
    allowed: Callable[[ReturnOrder, object], bool] = lambda ret, user: True


def _common(ret: ReturnOrder, data: dict, user) -> dict:
    return {"return_pk": ret.pk, "version": data["version"], "actor": user}


def _yes(value: str) -> bool:
    return value == "yes"


ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("accept", _("Accept"), ("accept",), f.AcceptForm,
           lambda r, d, u: s.return_accept(**_common(r, d, u), rule=d["rule"], note=d["note"])),
    Action("decline", _("Decline"), ("decline",), f.DeclineForm,
           lambda r, d, u: s.return_decline(**_common(r, d, u), reason=d["reason"],
                                            message=d["message"]), style="outline-danger",
           allowed=lambda r, u: (not s.engine_grants(r)
                                 or u.has_perm("returns.decide_against_customer"))),
    Action("quality_report", _("Record inspection report"), ("record_quality_report",),
           f.QualityReportForm,
           lambda r, d, u: s.return_quality_report(**_common(r, d, u),
                                                   confirmed=_yes(d["confirmed"]),
                                                   report=d["report"], uploads=d["files"]),
           multipart=True),
    Action("ship_back", _("Record the customer's shipment"), ("ship_back",), f.ShipForm,
           lambda r, d, u: s.return_customer_ship(**_common(r, d, u), carrier=d["carrier"],
                                                  tracking_number=d["tracking_number"]),
           style="outline-primary"),
    Action("receive", _("Goods received"), ("receive",), f.VersionForm,
           lambda r, d, u: s.return_receive(**_common(r, d, u))),
    Action("inspect", _("Record inspection"), ("inspect",), f.InspectForm,
           lambda r, d, u: s.return_inspect(**_common(r, d, u), complete=_yes(d["complete"]),
                                            original=_yes(d["original"]),
                                            quality_problem=_yes(d["quality_problem"]),
                                            note=d["note"], uploads=d["files"]),
           multipart=True),
    Action("start_refund", _("Start the refund"), ("start_refund",), f.VersionForm,
           lambda r, d, u: s.return_start_refund(**_common(r, d, u))),
    Action("refund", _("Pay the refund"), ("refund",), f.RefundForm,
           lambda r, d, u: s.return_refund(**_common(r, d, u), amount=d["amount"],
                                           lowered_reason=d["lowered_reason"]),
           style="success", initial=lambda r: {"amount": r.refund_amount_due}),
    Action("reject_goods", _("Do not accept the returned goods"), ("reject_goods",),
           f.MessageForm,
           lambda r, d, u: s.return_reject_goods(**_common(r, d, u), message=d["message"]),
           style="outline-danger"),
    Action("ship_replacement", _("Ship the replacement"), ("ship_replacement",), f.ShipForm,
           lambda r, d, u: s.return_ship_replacement(**_common(r, d, u), carrier=d["carrier"],
                                                     tracking_number=d["tracking_number"])),
    Action("ship_advance", _("Ship the replacement in advance (先发后退)"), ("ship_advance",),
           f.ShipForm,
           lambda r, d, u: s.return_ship_advance(**_common(r, d, u), carrier=d["carrier"],
                                                 tracking_number=d["tracking_number"]),
           style="outline-primary",
           allowed=lambda r, u: s.advance_replacement_check(r).allowed),
    Action("replacement_delivered", _("Replacement delivered"), ("replacement_delivered",),
           f.VersionForm, lambda r, d, u: s.return_replacement_delivered(**_common(r, d, u)),
           style="success"),
    Action("close_exchange", _("Complete the exchange"), ("close_exchange",), f.VersionForm,
           lambda r, d, u: s.return_close_exchange(**_common(r, d, u)), style="success"),
    Action("charge_unreturned", _("Charge for the unit not returned"), ("charge_unreturned",),
           f.NoteForm,
           lambda r, d, u: s.return_charge_unreturned(**_common(r, d, u), note=d["note"]),
           style="outline-danger"),
]}


def available_actions(ret: ReturnOrder, user) -> list[Action]:
    return [action for action in ACTIONS.values()
            if any(transition_allowed(ret, name, user) for name in action.transitions)
            and action.allowed(ret, user)]


def action_form(action: Action, ret: ReturnOrder, data=None, files=None) -> forms.Form:
    if data is not None:
        return action.form_class(data, files, prefix=action.name)
    return action.form_class(prefix=action.name,
                             initial={"version": ret.version, **action.initial(ret)})


def blocked_actions(ret: ReturnOrder, user, offered: list[Action]) -> list[dict]:
    """Why a step the case is waiting for is not offered to this user."""
    names = {action.name for action in offered}
    reasons: list[dict] = []

    def add(name: str, reason) -> None:
        if name not in names:
            reasons.append({"action": name, "label": ACTIONS[name].label, "reason": reason})

    if ret.state == State.REVIEWING:
        if not user.has_perm("returns.review_return"):
            add("accept", _("Customer service or the after-sales department reviews requests."))
        else:
            add("decline", _("The rules give the customer this (rule %(rule)s): only a "
                             "supervisor may decline it.") % {"rule": ret.decision_rule})
    elif ret.state == State.INSPECTION:
        add("quality_report", _("The quality department records the inspection report."))
    elif ret.state in (State.AWAIT_SHIPBACK, State.IN_TRANSIT):
        add("receive", _("The warehouse records when the goods arrive."))
        if (ret.request_type == "EXCHANGE" and ret.advance_shipped_at is None
                and user.has_perm("returns.ship_replacement")):
            check = s.advance_replacement_check(ret)
            if not check.allowed:
                add("ship_advance", check.reason)
        if ret.advance_shipped_at is not None and "charge_unreturned" not in names:
            reasons.append({"action": "charge_unreturned",
                            "label": ACTIONS["charge_unreturned"].label,
                            "reason": _("Possible after %(due)s, if the old unit has not come "
                                        "back, by a supervisor.")
                            % {"due": ret.old_unit_due_on}})
    elif ret.state == State.RECEIVED:
        add("inspect", _("The warehouse inspects the goods."))
    elif ret.state == State.REFUNDING:
        add("refund", _("Customer service or the after-sales department pays refunds."))
    elif ret.state == State.INSPECTED and ret.inspection_passed is False:
        add("reject_goods", _("Only a supervisor may refuse the returned goods; a complaint "
                              "was opened to settle it with the customer."))
    if ret.is_read_only:
        reasons.append({"action": "", "label": "", "reason": _("This case is closed.")})
    return reasons
