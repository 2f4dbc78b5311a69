from .catalog import Order, OrderLine, Product
from .people import Customer, Department, StaffProfile
from .tickets import (
    Attachment,
    CannedResponse,
    FollowUp,
    Ticket,
    TicketSequence,
    TimelineEvent,
)

__all__ = [
    "Attachment",
    "CannedResponse",
    "Customer",
    "Department",
    "FollowUp",
    "Order",
    "OrderLine",
    "Product",
    "StaffProfile",
    "Ticket",
    "TicketSequence",
    "TimelineEvent",
]
