"""Compensation on any case page: ``{% load compensation_tags %}``, then
``{% compensation_lines ticket %}`` on a staff page or ``{% compensation_offers ticket %}`` on
a customer's tracking page."""

from django import template

from ..choices import STATE_COLOUR, LineState
from ..forms import ChangeForm, PhoneAnswerForm, ProposeForm, RejectForm
from ..models import CompensationPolicy
from ..selectors import lines_for_case, open_offers_for_customer

register = template.Library()


@register.inclusion_tag("compensation/lines.html", takes_context=True)
def compensation_lines(context, ticket, next_url: str = ""):
    """The case's ledger lines with the actions the signed-in person may take on each."""
    request = context.get("request")
    user = request.user if request is not None else None
    lines = list(lines_for_case(ticket.pk))
    may_propose = user is not None and user.has_perm("compensation.propose_compensation")
    # The proposal form is rendered when opened, like a case page's actions.
    opened = may_propose and request is not None and request.GET.get("compensation") == "propose"
    policy = CompensationPolicy.current() if lines or opened else None
    rows = []
    for line in lines:
        limit = policy.limit_for(user, line.type, line.min_approver) if user is not None else None
        others = user is not None and line.proposed_by_id != user.pk
        rows.append({
            "line": line,
            "colour": STATE_COLOUR.get(line.state, "secondary"),
            "may_decide": (line.state == LineState.PROPOSED and others and limit is not None
                           and line.approval_amount(policy) <= limit),
            "above_limit": (line.state == LineState.PROPOSED and limit is not None
                            and line.approval_amount(policy) > limit),
            "may_change": (line.state in (LineState.PROPOSED, LineState.APPROVED,
                                          LineState.DECLINED)
                           and user is not None
                           and user.has_perm("compensation.propose_compensation")),
            "may_record_answer": (line.state == LineState.APPROVED and user is not None
                                  and user.has_perm("compensation.record_consent")),
            "may_execute": (line.state == LineState.CONSENTED and user is not None
                            and user.has_perm("compensation.execute_compensation")),
            "phone_form": PhoneAnswerForm(initial={"version": line.version},
                                          auto_id=f"id_phone{line.pk}_%s"),
            "change_form": ChangeForm(initial={"value": line.value, "points": line.points},
                                      auto_id=f"id_change{line.pk}_%s"),
            "reject_form": RejectForm(auto_id=f"id_reject{line.pk}_%s"),
        })
    return {
        "ticket": ticket, "rows": rows, "next_url": next_url or (
            request.get_full_path() if request is not None else ""),
        "may_propose": may_propose,
        "propose_form": ProposeForm(auto_id="id_propose_%s") if opened else None,
        "policy": policy, "request": request,
    }


@register.inclusion_tag("compensation/consent.html")
def compensation_offers(ticket):
    """What the customer is offered, and a link to answer each offer on its own page."""
    return {"ticket": ticket, "lines": list(open_offers_for_customer(ticket.pk)),
            "palette": STATE_COLOUR, "waiting": LineState.APPROVED}
