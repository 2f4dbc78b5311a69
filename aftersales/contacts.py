"""Where a case's customer messages go.

Every customer e-mail and SMS about a case asks here for its recipient, so the rule of
which contact data may receive a case's messages lives in one place.
"""

from .models import Ticket


def ticket_customer_email(ticket: Ticket) -> str:
    """The e-mail address that may receive messages about this case ("" for none)."""
    return ticket.customer.email


def ticket_customer_phone(ticket: Ticket) -> str:
    """The phone number that may receive SMS about this case ("" for none)."""
    return ticket.customer.phone
