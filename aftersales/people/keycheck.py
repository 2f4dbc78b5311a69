"""Refuse to start with a field key that does not fit the data already stored.

A wrong ``FIELD_ENCRYPTION_KEY`` reads every contact as unreadable; a process that went on
running would let new submissions overwrite them. So the database keeps a canary, a known
value encrypted with the key in use, and every start decrypts it:

- ``manage.py runserver`` and every management command that runs the system checks (the
  check below; ``migrate`` included, it passes while the table does not exist yet),
- gunicorn: ``aftersales/wsgi.py`` calls ``verify_field_key`` once the application is
  loaded, so a worker fails to boot and gunicorn stops,
- Celery worker and beat: ``aftersales/celery.py`` calls it when the worker imports its
  task modules, where Celery re-raises the error and the worker does not start.

The canary is created by the first start (or ``migrate``) after its table exists, but only
when the configured keys decrypt a sample of the contact data already stored.
"""

import logging
from collections.abc import Iterator

from django.apps import apps
from django.core import checks
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, DatabaseError, IntegrityError, connections, transaction
from django.db.models import Field, Model

from aftersales.people import crypto
from aftersales.people.fields import EncryptedTextField

logger = logging.getLogger(__name__)

CANARY_PLAINTEXT = "aftersales field encryption canary"
CANARY_PK = 1
SAMPLE_SIZE = 20

WRONG_KEY = (
    "FIELD_ENCRYPTION_KEY cannot decrypt the data already stored ({where}). Starting would "
    "show every contact as empty and let new writes destroy them. Put the key the data was "
    "encrypted with back in the list (new key first, old keys after it, separated by commas)."
)


def encrypted_columns() -> Iterator[tuple[type[Model], Field]]:
    """Every encrypted column once, with the model whose table holds it."""
    for model in apps.get_models():
        for field in model._meta.local_concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def _canary_model() -> type[Model]:
    return apps.get_model("aftersales", "EncryptionCanary")


def verify_field_key(using: str = DEFAULT_DB_ALIAS) -> str:
    """Raise ``ImproperlyConfigured`` unless the configured keys fit the stored data.

    Returns what was found: ``ok``, ``created`` (first start), ``not migrated`` (no canary
    table yet) or ``no database`` (unreachable; logged, the field itself still refuses to
    overwrite what it cannot decrypt).
    """
    crypto.configured_keys()
    connection = connections[using]
    canary_model = _canary_model()
    try:
        tables = set(connection.introspection.table_names())
    except DatabaseError:
        logger.warning("Could not reach the database to check FIELD_ENCRYPTION_KEY.")
        return "no database"
    if canary_model._meta.db_table not in tables:
        return "not migrated"
    canary = canary_model.objects.using(using).filter(pk=CANARY_PK).first()
    if canary is None:
        _check_stored_sample(using, tables)
        try:
            with transaction.atomic(using=using):
                canary_model.objects.using(using).create(
                    pk=CANARY_PK, token=crypto.encrypt(CANARY_PLAINTEXT)
                )
        except IntegrityError:
            # Another process created it at the same moment: check that one instead.
            return verify_field_key(using)
        return "created"
    try:
        plaintext = crypto.decrypt(canary.token)
    except crypto.Undecryptable:
        raise ImproperlyConfigured(WRONG_KEY.format(where="the key canary")) from None
    if plaintext != CANARY_PLAINTEXT:
        raise ImproperlyConfigured(WRONG_KEY.format(where="the key canary"))
    return "ok"


def _check_stored_sample(using: str, tables: set[str]) -> None:
    """Before the first canary: the newest stored values of every column must decrypt."""
    for model, field in encrypted_columns():
        if model._meta.db_table not in tables:
            continue
        values = (
            model._base_manager.using(using).exclude(**{field.attname: ""})
            .exclude(**{f"{field.attname}__isnull": True})
            .order_by("-pk").values_list(field.attname, flat=True)[:SAMPLE_SIZE]
        )
        if any(isinstance(value, crypto.UndecryptableValue) for value in values):
            where = f"{model._meta.db_table}.{field.column}"
            raise ImproperlyConfigured(WRONG_KEY.format(where=where))


@checks.register()
def check_field_encryption_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    # Not tagged "database": runserver runs only untagged checks, and it must refuse too.
    try:
        verify_field_key()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="aftersales.E011")]
    return []


def ensure_canary_after_migrate(using: str = DEFAULT_DB_ALIAS, **kwargs) -> None:
    """Create the canary as soon as its table exists (post_migrate of this app)."""
    verify_field_key(using)
