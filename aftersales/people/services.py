


from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

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
        existing = Customer.objects.filter(phone_hash=phone_hash).order_by("id").first()
    if existing is None and email_hash:
        existing = Customer.objects.filter(email_hash=email_hash).order_by("id").first()
    if existing is not None:
        if fill_missing_contact:
            _customer_fill_missing_contact(existing, phone=phone, email=email)
        return existing, False
    customer = Customer(name=name)
    customer.set_contact(phone=phone, email=email)
    customer.save()
    return customer, True


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

