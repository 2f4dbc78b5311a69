import pytest
from django.db import connection

from aftersales.models import Customer
from aftersales.people.services import customer_find_or_create


@pytest.mark.django_db
def test_a_known_phone_finds_the_same_customer_and_fills_in_a_new_email():
    first = customer_find_or_create(name="张三", phone="13812345678")

    again = customer_find_or_create(name="张三", phone="138 1234 5678", email="ZS@example.com")

    assert again.pk == first.pk
    assert Customer.objects.get(pk=first.pk).email == "zs@example.com"


@pytest.mark.django_db
def test_a_contact_on_file_is_never_overwritten():
    first = customer_find_or_create(name="张三", phone="13812345678", email="zs@example.com")

    customer_find_or_create(name="张三", phone="13812345678", email="other@example.com")

    assert Customer.objects.get(pk=first.pk).email == "zs@example.com"


@pytest.mark.django_db
def test_an_email_alone_finds_the_customer_and_adds_the_phone():
    first = customer_find_or_create(name="李四", email="ls@example.com")

    again = customer_find_or_create(name="李四", phone="13900001111", email="ls@example.com")

    assert again.pk == first.pk
    assert Customer.objects.get(pk=first.pk).phone == "13900001111"
    assert Customer.objects.count() == 1


def test_contact_is_stored_encrypted(db):
    customer = customer_find_or_create(name="王五", phone="13700002222")

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM aftersales_customer WHERE id = %s", [customer.pk])
        stored = cursor.fetchone()[0]
    assert "13700002222" not in stored
