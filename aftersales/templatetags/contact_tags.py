"""The customer's contact on a staff case page, masked (domain.md §10.3)."""

from django import template
from django.urls import reverse

from aftersales.cases.contacts import contact_confirm_allowed, contact_reveal_allowed
from aftersales.people import crypto

register = template.Library()


@register.inclusion_tag("partials/contact_panel.html", takes_context=True)
def contact_panel(context, ticket, url_namespace: str) -> dict:
    """Masked contact on file; the contact given with the case when it differs, with
    "confirm" for agents; "show full contact" for the case owner. ``url_namespace`` is the
    kind's URL namespace holding ``contact_confirm`` and ``contact_reveal``."""
    user = context["request"].user
    differs = ticket.unconfirmed_contact
    unconfirmed = {}
    if differs.get("phone"):
        unconfirmed["phone"] = crypto.mask_phone(differs["phone"])
    if differs.get("email"):
        unconfirmed["email"] = crypto.mask_email(differs["email"])
    confirm_url = reveal_url = ""
    if (unconfirmed and not getattr(ticket, "is_read_only", False)
            and contact_confirm_allowed(user, ticket)):
        confirm_url = reverse(f"{url_namespace}:contact_confirm", args=[ticket.number])
    if contact_reveal_allowed(user, ticket):
        reveal_url = reverse(f"{url_namespace}:contact_reveal", args=[ticket.number])
    return {
        "ticket": ticket, "unconfirmed": unconfirmed, "confirm_url": confirm_url,
        "reveal_url": reveal_url, "csrf_token": context.get("csrf_token"),
    }
