from .catalog import Order, OrderLine, Product
from .notifications import Notification
from .outbox import OutboxMessage
from .people import Customer, Department, StaffProfile
from .sla import CalendarDay, CalendarYear, SlaPolicy, TimeBasis, WorkingPeriod
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
    "CalendarDay",
    "CalendarYear",
    "CannedResponse",
    "Customer",
    "Department",
    "FollowUp",
    "Notification",
    "Order",
    "OrderLine",
    "OutboxMessage",
    "Product",
    "SlaPolicy",
    "StaffProfile",
    "Ticket",
    "TicketSequence",
    "TimeBasis",
    "TimelineEvent",
    "WorkingPeriod",
]
