"""Template helpers for SLA urgency and staff notifications.

``{% load sla %}`` then ``{% sla_state ticket as s %}`` (used by partials/sla_badge.html)
or ``{% notifications_nav %}`` for the bell with the unread count in the nav bar.
"""

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _

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


@register.simple_tag
def sla_badge(ticket, now=None):
    """The SLA badge inline, for long lists where an included template per row costs."""
    view = sla_view(ticket, now=now)
    icon = {"breached": "⚠ ", "at_risk": "⏱ "}.get(view.status, "")
    title = ""
    if view.due_at:
        due = timezone.localtime(view.due_at).strftime("%Y-%m-%d %H:%M")
        title = str(_("Due %(due)s")) % {"due": due}
    label = f"{view.clock_label}: " if view.clock_label else ""
    return format_html(
        '<span class="badge text-bg-{} sla-badge sla-{}" role="status" title="{}">'
        '<span aria-hidden="true">{}</span>{}{}</span>',
        view.colour, view.status, title, icon, label, view.words,
    )
