"""Mail backends for the reliability tests."""

import smtplib

from django.core.cache.backends.base import BaseCache
from django.core.mail.backends.base import BaseEmailBackend


class RefusingEmailBackend(BaseEmailBackend):
    """A mail server that refuses every recipient (the error names them, as SMTP's does)."""

    def send_messages(self, email_messages):
        for message in email_messages:
            raise smtplib.SMTPRecipientsRefused(
                {address: (550, b"mailbox unavailable") for address in message.to})
        return 0


class BrokenCache(BaseCache):
    """A cache whose server is gone: every operation raises, as Django's RedisCache does."""

    def __init__(self, location, params):
        super().__init__(params)

    def _fail(self, *args, **kwargs):
        from redis.exceptions import ConnectionError

        raise ConnectionError("Error 111 connecting to 127.0.0.1:6399. Connection refused.")

    add = get = set = touch = delete = has_key = incr = _fail
    get_many = set_many = delete_many = _fail

    def clear(self):
        """The test teardown empties the cache; nothing to empty here."""
