from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db import connection

from aftersales.core.rows import instance_from_row
from aftersales.people import crypto
from aftersales.people.models import Customer

Actor = AbstractBaseUser | AnonymousUser | None


def customer_find_or_create(
    *, name: str, phone: str = "", email: str = "", fill_missing_contact: bool = True
) -> Customer:
    """The customer with this phone (or else e-mail), created when unknown.

    A contact on file is never overwritten. ``fill_missing_contact`` adds a phone or e-mail
    the customer has none of yet; only staff intake and imports may do that. Anonymous
    submissions go through ``customer_for_intake``, which never changes contact on file.
    """
    return _customer_find_or_create(name=name, phone=phone, email=email,
                                    fill_missing_contact=fill_missing_contact)[0]


def _customer_find_or_create(
    *, name: str, phone: str, email: str, fill_missing_contact: bool
) -> tuple[Customer, bool]:
    phone_hash = crypto.lookup_hash(crypto.normalize_phone(phone))
    email_hash = crypto.lookup_hash(crypto.normalize_email(email))
    # The first customer with this phone, else the first with this e-mail.
    existing = None
    if phone_hash:
        existing = _customer_first_with("phone_hash", phone_hash)
    if existing is None and email_hash:
        existing = _customer_first_with("email_hash", email_hash)
    if existing is not None:
        if fill_missing_contact:
            _customer_fill_missing_contact(existing, phone=phone, email=email)
        return existing, False
    customer = Customer(name=name)
    customer.set_contact(phone=phone, email=email)
    customer.save()
    return customer, True


# What a case's intake reads of a customer found by contact; the name and address load when
# used. Every public post asks this, so it is plain SQL (the ORM took 0.6 ms to build it).
_INTAKE_COLUMNS = ("id", "phone", "email", "phone_hash", "email_hash")


def _customer_first_with(hash_column: str, value: str) -> Customer | None:
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {', '.join(map(quote, _INTAKE_COLUMNS))} "  # nosec B608: names from code, value bound
            f"FROM {quote(Customer._meta.db_table)} WHERE {quote(hash_column)} = %s "
            f"ORDER BY id LIMIT 1", [value])
        row = cursor.fetchone()
    return None if row is None else instance_from_row(Customer, _INTAKE_COLUMNS, row)


def _customer_fill_missing_contact(customer: Customer, *, phone: str, email: str) -> None:
    # Fill in a contact the customer gives for the first time; never overwrite one.
    if (phone and not customer.phone) or (email and not customer.email):
        customer.set_contact(phone=customer.phone or phone, email=customer.email or email)
        customer.save(update_fields=["phone", "phone_hash", "email", "email_hash"])


def customer_for_intake(
    *, name: str, phone: str, email: str, actor: Actor, customer: Customer | None = None
) -> Customer:
    """The customer a new case is filed for.

    Anyone may create a new customer or file a case for an existing one, but only staff
    (who register a case for the customer in person or on the phone) may add a missing
    contact to the customer's file. Whatever contact was given stays on the case
    (``Ticket.set_contact_given``), where an agent can confirm it onto the customer.
    """
    return customer_for_intake_created(name=name, phone=phone, email=email, actor=actor,
                                       customer=customer)[0]


def customer_for_intake_created(
    *, name: str, phone: str, email: str, actor: Actor, customer: Customer | None = None
) -> tuple[Customer, bool]:
    """``customer_for_intake``, and whether the customer was created just now (a new
    customer has no earlier case, which spares the intake looking for one)."""
    staff = bool(getattr(actor, "is_authenticated", False))
    if customer is None:
        return _customer_find_or_create(
            name=name, phone=phone, email=email, fill_missing_contact=staff
        )
    if staff:
        _customer_fill_missing_contact(customer, phone=phone, email=email)
    return customer, False

