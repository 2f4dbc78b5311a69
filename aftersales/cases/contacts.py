"""Where a case's customer messages go, and who may see a case's contact data in full.

Every customer e-mail and SMS about a case asks here for its recipient, so the rule of
which contact data may receive a case's messages lives in one place:

- the contact given with that very case (whoever filed it gave it for this case), else
- the customer's contact on file, which only staff change: at registration by phone, when
  nothing was on file, or by confirming a contact given with a case (recorded on the
  timeline). An anonymous submission never changes the contact on file, so a stranger who
  knows a customer's phone number cannot redirect the messages about the customer's other
  cases.

Full contact data is shown only to the case owner (domain.md §10.3) and every reveal is
logged on the case's timeline.
"""

from django.core import signing

from aftersales.cases.models import Ticket
from aftersales.cases.selectors import ticket_in_scope
from aftersales.people.models import Customer

CONTACT_CONFIRMED = "aftersales.ticket.contact_confirmed"
CONTACT_REVEALED = "aftersales.ticket.contact_revealed"


def ticket_customer_email(ticket: Ticket) -> str:
    """The e-mail address that may receive messages about this case ("" for none)."""
    return str(ticket.contact_email_given or ticket.customer.email or "")


def ticket_customer_phone(ticket: Ticket) -> str:
    """The phone number that may receive SMS about this case ("" for none)."""
    return str(ticket.contact_phone_given or ticket.customer.phone or "")


def case_owner_id(ticket: Ticket) -> int | None:
    """Who owns a case for §10.3: its handler, or while it has none, who registered it.

    Field and logistics staff see a customer's contact when the job is theirs, i.e. when
    they are the case's handler.
    """
    return ticket.assignee_id or ticket.registered_by_id


def contact_reveal_allowed(user, ticket: Ticket) -> bool:
    """Whether ``user`` may see this case's contact data in full (and have it logged)."""
    return (
        user.is_authenticated
        and user.is_active
        and case_owner_id(ticket) == user.pk
        and ticket_in_scope(user, ticket)
    )


def contact_confirm_allowed(user, ticket: Ticket) -> bool:
    """Whether ``user`` may write the contact given with this case onto the customer."""
    return user.has_perm("aftersales.confirm_contact") and ticket_in_scope(user, ticket)


# A customer chosen from a staff lookup travels in forms as a signed, short-lived reference
# bound to the person who looked them up: never as an id that can be counted through.
CUSTOMER_CHOICE_SALT = "aftersales.contacts.customer-choice"
CUSTOMER_CHOICE_MAX_AGE = 30 * 60  # long enough to take a complaint on the phone


def sign_customer_choice(customer: Customer, user) -> str:
    return signing.dumps({"c": customer.pk, "u": user.pk}, salt=CUSTOMER_CHOICE_SALT)


def customer_from_choice(value: str, user) -> Customer | None:
    """The customer a signed choice names, or None when forged, expired or someone else's."""
    if user is None or not value:
        return None
    try:
        payload = signing.loads(value, salt=CUSTOMER_CHOICE_SALT, max_age=CUSTOMER_CHOICE_MAX_AGE)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or payload.get("u") != user.pk:
        return None
    return Customer.objects.filter(pk=payload.get("c")).first()
