"""Return reads: case page, tracking page, lookups, and the return/exchange rate (§9)."""

from __future__ import annotations

from datetime import datetime

from django.db import connection
from django.db.models import QuerySet

from aftersales.cases.selectors import ticket_for_page, tickets_visible_to
from aftersales.models import Order, OrderLine, Ticket
from aftersales.people import crypto

from .choices import RequestType
from .models import ReturnLine, ReturnOrder


def returns_visible_to(user) -> QuerySet[ReturnOrder]:
    return tickets_visible_to(user, ReturnOrder.objects.all())


def return_for_page(*, user, number: str) -> ReturnOrder:
    """One return with what its page shows, or ``DoesNotExist`` when out of scope."""
    return ticket_for_page(
        returns_visible_to(user).select_related(
            "customer", "order", "product", "department", "assignee", "origin",
            "reviewed_by", "refund_lowered_approved_by"),
        number=number)


def return_for_token(token: str) -> ReturnOrder:
    return ReturnOrder.objects.select_related("customer", "order", "product").get(
        tracking_token=token)


def return_lines(ret: ReturnOrder) -> list[ReturnLine]:
    return list(ret.lines.select_related("order_line__product"))


def order_for_customer(*, number: str, contact: str) -> Order | None:
    """The order numbered so whose customer has this phone or e-mail on file, else None."""
    number = number.strip()
    phone_hash = crypto.lookup_hash(crypto.normalize_phone(contact))
    email_hash = crypto.lookup_hash(crypto.normalize_email(contact))
    order = Order.objects.select_related("customer").filter(number=number).first()
    if order is None:
        return None
    customer = order.customer
    if (phone_hash and customer.phone_hash == phone_hash) or (
            email_hash and customer.email_hash == email_hash):
        return order
    return None


def order_lines_for(order: Order) -> list[OrderLine]:
    return list(order.lines.select_related("product", "order").order_by("pk"))


def return_exchange_rate(start: datetime, end: datetime) -> dict[str, list[dict]]:
    """退换货率 (domain.md §9): return and exchange cases created in [start, end) over the
    orders delivered (signed for) in the same period, per SKU and per product category.

    Two set-based queries; a SKU or category with returns but no deliveries in the period
    has a rate of ``None``. Cases of every request type count, refund-only included, as
    work orders of the return kind.
    """
    ret = connection.ops.quote_name(ReturnOrder._meta.db_table)
    ticket = connection.ops.quote_name(Ticket._meta.db_table)
    line = connection.ops.quote_name(OrderLine._meta.db_table)
    order = connection.ops.quote_name(Order._meta.db_table)
    product = connection.ops.quote_name(OrderLine._meta.get_field("product")
                                        .related_model._meta.db_table)
    params = [connection.ops.adapt_datetimefield_value(start),
              connection.ops.adapt_datetimefield_value(end)]
    results: dict[str, list[dict]] = {}
    for key, column in (("sku", "p.sku"), ("category", "p.category")):
        sql = (
            f"WITH cases AS ("  # nosec B608: table names from model metadata; values bound
            f" SELECT {column} AS k, COUNT(*) AS n,"
            f" SUM(CASE WHEN r.request_type = %s THEN 1 ELSE 0 END) AS exchanges"
            f" FROM {ret} r JOIN {ticket} t ON t.id = r.ticket_ptr_id"
            f" JOIN {product} p ON p.id = t.product_id"
            f" WHERE t.received_at >= %s AND t.received_at < %s GROUP BY {column}),"
            f" delivered AS ("
            f" SELECT {column} AS k, COUNT(DISTINCT o.id) AS n"
            f" FROM {order} o JOIN {line} l ON l.order_id = o.id"
            f" JOIN {product} p ON p.id = l.product_id"
            f" WHERE o.signed_at >= %s AND o.signed_at < %s GROUP BY {column})"
            f" SELECT COALESCE(c.k, d.k), COALESCE(c.n, 0), COALESCE(c.exchanges, 0),"
            f" COALESCE(d.n, 0)"
            f" FROM cases c FULL OUTER JOIN delivered d ON d.k = c.k ORDER BY 1"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [RequestType.EXCHANGE, *params, *params])
            rows = cursor.fetchall()
        results[key] = [
            {key: k, "cases": int(cases), "exchanges": int(exchanges),
             "returns": int(cases) - int(exchanges), "delivered": int(delivered),
             "rate": (int(cases) / int(delivered)) if delivered else None}
            for k, cases, exchanges, delivered in rows
        ]
    return results
