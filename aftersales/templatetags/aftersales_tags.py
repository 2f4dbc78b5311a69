from django import template
from django.utils import timezone
from django.utils.translation import gettext as _

from aftersales.cases.timeline import action_label as _action_label
from aftersales.cases.timeline import event_details as _event_details
from aftersales.people.roles import ROLE_LABELS

register = template.Library()


@register.filter
def lookup(mapping, key):
    """``{{ palette.state|lookup:complaint.state }}``."""
    try:
        return mapping.get(key, "")
    except AttributeError:
        return ""


@register.filter
def action_label(code: str) -> str:
    return _action_label(code)


@register.filter
def event_details(event) -> list[tuple[str, str]]:
    return _event_details(event.data, event.action)


@register.filter
def role_label(role: str) -> str:
    return str(ROLE_LABELS.get(role, role))


@register.filter
def age(value) -> str:
    """Compact age since a moment: 3 d 4 h, 5 h 10 min, 12 min."""
    if not value:
        return ""
    seconds = max(0, int((timezone.now() - value).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return _("%(days)d d %(hours)d h") % {"days": days, "hours": hours}
    if hours:
        return _("%(hours)d h %(minutes)d min") % {"hours": hours, "minutes": minutes}
    return _("%(minutes)d min") % {"minutes": minutes}


@register.filter
def add_class(field, css: str):
    """Render a form field's widget with extra CSS classes."""
    classes = f"{field.field.widget.attrs.get('class', '')} {css}".strip()
    return field.as_widget(attrs={"class": classes})
