from aftersales.cases.models import (
    Attachment,
    CannedResponse,
    Ticket,
    TicketSequence,
    TimelineEvent,
)
from aftersales.catalog.models import (
    Order,
    OrderDeal,
    OrderLine,
    OrderPayment,
    Product,
    ProductPrice,
)
from aftersales.core.models import OutboxMessage
from aftersales.followups.models import FollowUp
from aftersales.notifications.models import Notification
from aftersales.people.models import Customer, Department, StaffProfile
from aftersales.sla.models import CalendarDay, CalendarYear, SlaPolicy, TimeBasis, WorkingPeriod

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
    "OrderDeal",
    "OrderLine",
    "OrderPayment",
    "OutboxMessage",
    "Product",
    "ProductPrice",
    "SlaPolicy",
    "StaffProfile",
    "Ticket",
    "TicketSequence",
    "TimeBasis",
    "TimelineEvent",
    "WorkingPeriod",
]
