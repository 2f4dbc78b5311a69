from django import template
from django.utils import timezone

from ..timeline import action_label as _action_label

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
def age(value) -> str:
    """Compact age: 3d 4h, 5h 10m, 12m."""
    if not value:
        return ""
    seconds = max(0, int((timezone.now() - value).total_seconds()))
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"
