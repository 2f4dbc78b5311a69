"""Test data built through the same models and services the product uses."""

from datetime import timedelta
from decimal import Decimal

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from aftersales.choices import Channel, DepartmentKind
from aftersales.models import Customer, Department, Order, OrderLine, Product, StaffProfile

PASSWORD = "test-pass-123!"


class DepartmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Department
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"dept{n}")
    name = factory.Sequence(lambda n: f"Department {n}")
    kind = DepartmentKind.QUALITY


class CustomerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Customer

    name = factory.Sequence(lambda n: f"Customer {n}")

    @factory.post_generation
    def contact(obj, create, extracted, **kwargs):
        phone = kwargs.get("phone", f"138{obj.pk or 0:08d}"[-11:])
        obj.set_contact(phone=phone, email=kwargs.get("email", f"c{obj.pk}@example.com"))
        if create:
            obj.save()


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    sku = factory.Sequence(lambda n: f"SKU-{n:05d}")
    name = factory.Sequence(lambda n: f"Product {n}")
    category = "Small appliances"


class OrderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Order

    number = factory.Sequence(lambda n: f"SO{n:08d}")
    customer = factory.SubFactory(CustomerFactory)
    placed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=10))
    signed_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=7))


class OrderLineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OrderLine

    order = factory.SubFactory(OrderFactory)
    product = factory.SubFactory(ProductFactory)
    unit_price = Decimal("299.00")


def make_staff(username: str, role: str, department: Department | None = None, **extra):
    """A staff login in one role group, optionally in a department."""
    user = get_user_model().objects.create_user(
        username=username, password=PASSWORD, email=f"{username}@staff.example", **extra
    )
    user.groups.add(Group.objects.get(name=role))
    StaffProfile.objects.create(user=user, department=department)
    return user


def intake(**overrides):
    from complaints.services import ComplaintIntake

    values = {
        "name": "张三", "phone": "13812345678", "email": "zhangsan@example.com",
        "product_text": "Kettle K1", "description": "The kettle stopped heating after 3 days.",
        "channel": Channel.WEBFORM,
    }
    values.update(overrides)
    return ComplaintIntake(**values)
