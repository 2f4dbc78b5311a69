"""Encryption at rest and lookup hashes for personal data (domain.md §10.4).

``FIELD_ENCRYPTION_KEY`` is a comma-separated list of Fernet keys: the first encrypts, every
key decrypts, so a new key can be put in front of the old one and the data re-encrypted at
leisure (``manage.py rotate_encryption_key``). A value no key decrypts is an error, never an
empty string: reading it yields an ``UndecryptableValue`` that refuses to be saved.
"""

import base64
import hashlib
import hmac
import re
from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.signals import setting_changed


class Undecryptable(Exception):
    """A stored token that none of the configured keys decrypts."""


class UndecryptableValue(str):
    """Read in place of a value no configured key decrypts.

    It is empty, so nothing is sent to it or shown from it, and it keeps the stored token;
    the encrypted field refuses to save it, so a wrong key can never overwrite the data.
    """

    token: str

    def __new__(cls, token: str) -> "UndecryptableValue":
        value = super().__new__(cls, "")
        value.token = token
        return value

    def __repr__(self) -> str:
        return "<UndecryptableValue>"


def _development_key() -> bytes:
    # Development only: settings refuse to start in production without a key.
    return base64.urlsafe_b64encode(hashlib.sha256(settings.SECRET_KEY.encode()).digest())


def configured_keys() -> list[bytes]:
    """The keys of ``FIELD_ENCRYPTION_KEY``, first (encrypting) key first.

    Raises ``ImproperlyConfigured`` naming the position of a malformed key, never the key.
    """
    raw = settings.FIELD_ENCRYPTION_KEY or ""
    parts = [part.strip() for part in raw.split(",")]
    if not raw.strip():
        return [_development_key()]
    keys = []
    for position, part in enumerate(parts, start=1):
        try:
            Fernet(part)
        except (ValueError, TypeError) as error:
            raise ImproperlyConfigured(
                f"FIELD_ENCRYPTION_KEY: key {position} of {len(parts)} is not a valid Fernet "
                "key (32 url-safe base64-encoded bytes; keys are separated by commas)."
            ) from error
        keys.append(part.encode())
    return keys


@cache
def _fernets() -> tuple[Fernet, MultiFernet]:
    keys = configured_keys()
    return Fernet(keys[0]), MultiFernet([Fernet(key) for key in keys])


def _reset(*, setting: str, **kwargs) -> None:
    if setting in ("FIELD_ENCRYPTION_KEY", "SECRET_KEY"):
        _fernets.cache_clear()


setting_changed.connect(_reset)


def encrypt(value: str) -> str:
    """Encrypt with the first configured key."""
    return _fernets()[0].encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    """Decrypt with any configured key; raise ``Undecryptable`` when none fits."""
    try:
        return _fernets()[1].decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise Undecryptable() from error


def is_current(token: str) -> bool:
    """Whether the first key decrypts ``token`` (nothing to re-encrypt)."""
    try:
        _fernets()[0].decrypt(token.encode())
    except InvalidToken:
        return False
    return True


def reencrypt(token: str) -> str:
    """The same value encrypted with the first key; ``Undecryptable`` when no key fits."""
    try:
        return _fernets()[1].rotate(token.encode()).decode()
    except InvalidToken as error:
        raise Undecryptable() from error


def normalize_phone(phone: str) -> str:
    digits = re.sub(r"\D", "", phone or "")
    if digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return digits


def normalize_email(email: str) -> str:
    return (email or "").strip().lower()


def lookup_hash(value: str) -> str:
    """Keyed hash to find a customer by phone or e-mail without decrypting every row."""
    if not value:
        return ""
    return hmac.new(settings.SECRET_KEY.encode(), value.encode(), hashlib.sha256).hexdigest()


def mask_phone(phone: str) -> str:
    digits = normalize_phone(phone)
    if len(digits) < 7:
        return "*" * len(digits)
    return f"{digits[:3]}****{digits[-4:]}"


def mask_email(email: str) -> str:
    local, _, domain = (email or "").partition("@")
    if not domain:
        return ""
    return f"{local[:1]}***@{domain}"
