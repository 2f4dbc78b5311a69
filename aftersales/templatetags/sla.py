"""Template helpers for SLA urgency and staff notifications.

``{% load sla %}`` then ``{% sla_state ticket as s %}`` (used by partials/sla_badge.html)
or ``{% notifications_nav %}`` for the bell with the unread count in the nav bar.
"""

from django import template

from aftersales.notifications.services import event_label, unread_count
from aftersales.sla.clocks import sla_view

register = template.Library()


@register.simple_tag
def sla_state(ticket):
    """Time left, at risk or breached for a case, with colour and words."""
    return sla_view(ticket)


@register.inclusion_tag("aftersales/notifications_nav.html", takes_context=True)
def notifications_nav(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    return {"count": unread_count(user) if user is not None else 0,
            "show": bool(user and user.is_authenticated)}


@register.filter
def notification_label(code: str) -> str:
    return event_label(code)
