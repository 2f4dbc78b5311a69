"""Reads shared by every kind of case, with the permission scope applied in one place."""

from django.db.models import Q, QuerySet

from . import crypto
from .models import Customer, Order, Ticket


def user_department_id(user) -> int | None:
    profile = getattr(user, "staff_profile", None)
    return profile.department_id if profile else None


def tickets_visible_to(user, queryset: QuerySet | None = None) -> QuerySet:
    """Cases a staff member may see: all with ``view_all_tickets``, else their department's."""
    qs = queryset if queryset is not None else Ticket.objects.all()
    if not user.is_authenticated:
        return qs.none()
    if user.has_perm("aftersales.view_all_tickets"):
        return qs
    department_id = user_department_id(user)
    if department_id is None:
        return qs.none()
    return qs.filter(department_id=department_id)


def ticket_in_scope(user, ticket: Ticket) -> bool:
    """Whether ``tickets_visible_to(user)`` includes ``ticket``, decided without a query."""
    if not user.is_authenticated:
        return False
    if user.has_perm("aftersales.view_all_tickets"):
        return True
    department_id = user_department_id(user)
    return department_id is not None and ticket.department_id == department_id


def is_staff_member(user) -> bool:
    return user.is_authenticated and (
        user.has_perm("aftersales.view_all_tickets") or user_department_id(user) is not None
    )


def customers_matching(query: str) -> tuple[list[Customer], Order | None]:
    """Customers whose phone or e-mail is ``query``, or who placed the order numbered so."""
    phone_hash = crypto.lookup_hash(crypto.normalize_phone(query))
    email_hash = crypto.lookup_hash(crypto.normalize_email(query))
    by_contact = Q(pk__in=[])
    if phone_hash:
        by_contact |= Q(phone_hash=phone_hash)
    if email_hash:
        by_contact |= Q(email_hash=email_hash)
    customers = list(Customer.objects.filter(by_contact).order_by("id")[:10])
    order = Order.objects.select_related("customer").filter(number=query).first()
    if order and order.customer not in customers:
        customers.append(order.customer)
    return customers, order
