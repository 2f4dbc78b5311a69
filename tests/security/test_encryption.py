"""The field encryption key: a list of keys (the first encrypts, all decrypt); a malformed key
or one that does not fit the stored data refuses to start; a value no key decrypts is never
read as empty nor written over; ``rotate_encryption_key`` moves everything to the first key."""

import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.apps import apps
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management import CommandError, call_command
from django.db import connection

from aftersales.core.choices import Channel
from aftersales.models import Customer, Ticket
from aftersales.people import crypto
from aftersales.people.fields import UndecryptableValueError
from aftersales.people.keycheck import (
    CANARY_PLAINTEXT,
    check_field_encryption_key,
    verify_field_key,
)
from aftersales.people.models import EncryptionCanary
from aftersales.people.services import customer_find_or_create
from complaints import services as s
from tests.factories import intake

KEY_A, KEY_B, KEY_C = (Fernet.generate_key().decode() for _ in range(3))
PHONE, EMAIL, ADDRESS = "13912345678", "wangfang@example.com", "上海市徐汇区漕溪北路 88 号"


@pytest.fixture
def key(settings):
    """Switch the configured key list for the rest of the test."""
    def use(value: str) -> None:
        settings.FIELD_ENCRYPTION_KEY = value
    return use


@pytest.fixture
def under_key_a(db, key):
    """A customer written by a deployment that has always run with KEY_A."""
    key(KEY_A)
    customer = Customer(name="王芳", address=ADDRESS)
    customer.set_contact(phone=PHONE, email=EMAIL)
    customer.save()
    return customer


@pytest.fixture
def canary_under_key_a(under_key_a):
    """The same deployment's key canary (the test database's was made with the test key)."""
    EncryptionCanary.objects.all().delete()
    verify_field_key()
    return under_key_a


def raw(table: str, column: str, pk: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


# --- a list of keys --------------------------------------------------------------------------

def test_the_first_key_encrypts_and_every_key_decrypts(key):
    key(KEY_A)
    under_a = crypto.encrypt("secret")
    key(f"{KEY_B},{KEY_A}")
    under_b = crypto.encrypt("secret")

    assert crypto.decrypt(under_a) == crypto.decrypt(under_b) == "secret"
    key(KEY_B)
    assert crypto.decrypt(under_b) == "secret"
    key(KEY_A)
    with pytest.raises(crypto.Undecryptable):
        crypto.decrypt(under_b)


def test_spaces_around_the_keys_are_ignored(key):
    key(f" {KEY_B} , {KEY_A} ")

    assert crypto.configured_keys() == [KEY_B.encode(), KEY_A.encode()]


@pytest.mark.parametrize("value", ["not-a-key", f"{KEY_A},", f"{KEY_A},short", "x" * 44])
def test_a_malformed_key_refuses_to_start(key, value):
    key(value)

    with pytest.raises(ImproperlyConfigured) as refused:
        apps.get_app_config("aftersales").ready()

    assert "FIELD_ENCRYPTION_KEY" in str(refused.value)
    assert KEY_A not in str(refused.value)


# --- a value no key decrypts -------------------------------------------------------------------

def test_a_contact_under_another_key_is_marked_unreadable_not_read_as_empty(under_key_a, key):
    key(KEY_B)

    customer = Customer.objects.get(pk=under_key_a.pk)

    assert isinstance(customer.phone, crypto.UndecryptableValue)
    assert isinstance(customer.email, crypto.UndecryptableValue)
    assert customer.undecryptable_fields == {"phone", "email", "address"}


def test_saving_over_an_unreadable_contact_is_refused(under_key_a, key):
    key(KEY_B)
    stored = raw("aftersales_customer", "email", under_key_a.pk)
    customer = Customer.objects.get(pk=under_key_a.pk)

    with pytest.raises(UndecryptableValueError):
        customer.save()
    customer.set_contact(phone=customer.phone, email="new@example.com")
    with pytest.raises(UndecryptableValueError):
        customer.save()

    assert raw("aftersales_customer", "email", under_key_a.pk) == stored


def test_fields_that_did_decrypt_can_still_be_saved(under_key_a, key):
    key(KEY_B)
    customer = Customer.objects.get(pk=under_key_a.pk)

    customer.name = "王芳芳"
    customer.save(update_fields=["name"])

    assert Customer.objects.get(pk=customer.pk).name == "王芳芳"


def test_a_new_case_cannot_overwrite_an_unreadable_contact(under_key_a, key, agent):
    # Found by phone hash; the e-mail on file reads as unreadable, not as missing.
    key(KEY_B)
    stored = raw("aftersales_customer", "email", under_key_a.pk)

    with pytest.raises(UndecryptableValueError):
        s.complaint_register(intake=intake(phone=PHONE, email="new@example.com",
                                           channel=Channel.HOTLINE), actor=agent)

    assert raw("aftersales_customer", "email", under_key_a.pk) == stored
    assert not Ticket.objects.exists()


def test_the_customer_lookup_does_not_fill_in_over_an_unreadable_contact(under_key_a, key):
    key(KEY_B)

    with pytest.raises(UndecryptableValueError):
        customer_find_or_create(name="王芳", phone=PHONE, email="new@example.com")

    key(KEY_A)
    assert Customer.objects.get(pk=under_key_a.pk).email == EMAIL


# --- the canary --------------------------------------------------------------------------------

def test_the_canary_is_created_on_first_start_and_checked_after(db, key):
    key(KEY_A)
    EncryptionCanary.objects.all().delete()

    assert verify_field_key() == "created"
    assert verify_field_key() == "ok"
    assert crypto.decrypt(EncryptionCanary.objects.get().token) == CANARY_PLAINTEXT


def test_a_key_that_cannot_decrypt_the_canary_refuses_to_start(canary_under_key_a, key):
    key(KEY_B)

    with pytest.raises(ImproperlyConfigured):
        verify_field_key()
    assert [e.id for e in check_field_encryption_key()] == ["aftersales.E011"]


def test_a_new_key_in_front_of_the_old_one_starts(canary_under_key_a, key):
    key(f"{KEY_B},{KEY_A}")

    assert verify_field_key() == "ok"
    assert check_field_encryption_key() == []


def test_no_first_canary_is_made_over_data_another_key_wrote(canary_under_key_a, key):
    EncryptionCanary.objects.all().delete()
    key(KEY_B)

    with pytest.raises(ImproperlyConfigured):
        verify_field_key()
    assert not EncryptionCanary.objects.exists()


# --- rotation ------------------------------------------------------------------------------------

def rotate(**options) -> str:
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture
def data_under_key_a(canary_under_key_a, agent):
    """Customers and cases with contact data given, all written under KEY_A."""
    for n in range(4):
        s.complaint_register(intake=intake(phone=f"1370000{n:04d}", email=f"c{n}@example.com",
                                           channel=Channel.WEBFORM), actor=None)
    s.complaint_register(intake=intake(phone=PHONE, email="other@example.com",
                                       channel=Channel.WEBFORM), actor=None)
    return canary_under_key_a


def test_rotation_moves_every_column_and_the_canary_to_the_first_key(data_under_key_a, key):
    key(f"{KEY_B},{KEY_A}")

    rotate(batch_size=2)

    key(KEY_B)
    assert verify_field_key() == "ok"
    customer = Customer.objects.get(pk=data_under_key_a.pk)
    assert (customer.phone, customer.email, customer.address) == (PHONE, EMAIL, ADDRESS)
    assert Customer.objects.count() == 5
    for each in Customer.objects.all():
        assert each.undecryptable_fields == set()
        assert each.phone and each.email
    for ticket in Ticket.objects.all():
        assert ticket.undecryptable_fields == set()
        assert ticket.contact_phone_given and ticket.contact_email_given


def test_rotation_is_idempotent(data_under_key_a, key):
    key(f"{KEY_B},{KEY_A}")
    rotate()
    before = raw("aftersales_customer", "phone", data_under_key_a.pk)
    canary = EncryptionCanary.objects.get().token

    output = rotate()

    assert " 0 re-encrypted" in output and "1 re-encrypted" not in output
    assert "key canary: already current" in output
    assert raw("aftersales_customer", "phone", data_under_key_a.pk) == before
    assert EncryptionCanary.objects.get().token == canary


def test_rotation_leaves_what_no_key_decrypts_and_fails(data_under_key_a, key):
    key(KEY_C)
    stranger = Customer(name="陌生人")
    stranger.set_contact(phone="13800000000")
    stranger.save()
    stored = raw("aftersales_customer", "phone", stranger.pk)
    key(f"{KEY_B},{KEY_A}")

    with pytest.raises(CommandError):
        rotate()

    assert raw("aftersales_customer", "phone", stranger.pk) == stored
    key(KEY_B)
    assert Customer.objects.get(pk=data_under_key_a.pk).phone == PHONE


# --- start-up of real processes ----------------------------------------------------------------

BASE_DIR = Path(django_settings.BASE_DIR)


def run(args: list[str], *, key: str, database: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "FIELD_ENCRYPTION_KEY": key, "DATABASE_URL": f"sqlite:///{database}",
           "DJANGO_SETTINGS_MODULE": "aftersales.settings"}
    return subprocess.run([sys.executable, *args], cwd=BASE_DIR, env=env, capture_output=True,
                          text=True, timeout=600, check=False)


def test_processes_refuse_to_start_with_a_key_that_does_not_fit(tmp_path):
    """migrate on an empty database (no canary table yet), then runserver's system checks,
    the WSGI application gunicorn loads and a Celery worker's start, with a wrong key, a
    malformed one, the new key in front of the old one and, after rotation, the new alone."""
    database = tmp_path / "db.sqlite3"
    worker = ["-c", "from aftersales.celery import app; app.loader.import_default_modules()"]
    wsgi = ["-c", "import aftersales.wsgi"]

    migrated = run(["manage.py", "migrate", "-v0"], key=KEY_A, database=database)
    assert migrated.returncode == 0, migrated.stderr

    refused = run(["manage.py", "check"], key=KEY_B, database=database)
    assert refused.returncode != 0 and "aftersales.E011" in refused.stderr
    refused = run(wsgi, key=KEY_B, database=database)
    assert refused.returncode != 0 and "ImproperlyConfigured" in refused.stderr
    refused = run(worker, key=KEY_B, database=database)
    assert refused.returncode != 0 and "ImproperlyConfigured" in refused.stderr
    malformed = run(wsgi, key="not-a-key", database=database)
    assert malformed.returncode != 0 and "ImproperlyConfigured" in malformed.stderr

    both = f"{KEY_B},{KEY_A}"
    assert run(wsgi, key=both, database=database).returncode == 0
    rotated = run(["manage.py", "rotate_encryption_key"], key=both, database=database)
    assert rotated.returncode == 0, rotated.stderr
    assert run(worker, key=KEY_B, database=database).returncode == 0
