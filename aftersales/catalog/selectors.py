from django.db.models import Q

from aftersales.catalog.models import Order
from aftersales.people import crypto
from aftersales.people.models import Customer


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
