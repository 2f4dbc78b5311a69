"""Text messages behind a pluggable backend, configured by ``SMS_BACKEND``.

A production backend wraps the SMS provider's API (subclass ``BaseSmsBackend`` and
implement ``send_messages``); development uses the console backend, tests the
local-memory one. A failed send raises ``SmsError`` so the calling task retries.

The console and log backends mask the number and the links in the text (survey and
tracking tokens) unless ``CONSOLE_MASK_PERSONAL_DATA`` is false.
"""

from __future__ import annotations

import logging
import sys
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass

from django.conf import settings
from django.utils.module_loading import import_string

from aftersales.core.masking import mask

logger = logging.getLogger(__name__)


class SmsError(OSError):
    """A message could not be handed to the provider; the task sending it retries."""


@dataclass(frozen=True)
class SmsMessage:
    to: str
    text: str


def printable(message: SmsMessage) -> tuple[str, str]:
    """Number and text as the console and log backends show them."""
    if not getattr(settings, "CONSOLE_MASK_PERSONAL_DATA", True):
        return message.to, message.text
    return mask(message.to), mask(message.text)


class BaseSmsBackend(ABC):
    def __init__(self, fail_silently: bool = False, **kwargs) -> None:
        self.fail_silently = fail_silently

    @abstractmethod
    def send_messages(self, messages: list[SmsMessage]) -> int:
        """Hand the messages to the provider; return how many were accepted."""


class ConsoleSmsBackend(BaseSmsBackend):
    """Writes each message to standard output (development)."""

    _lock = threading.Lock()

    def __init__(self, *args, stream=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.stream = stream or sys.stdout

    def send_messages(self, messages: list[SmsMessage]) -> int:
        with self._lock:
            for message in messages:
                to, text = printable(message)
                self.stream.write(f"SMS to {to}\n{text}\n{'-' * 40}\n")
            self.stream.flush()
        return len(messages)


class LogSmsBackend(BaseSmsBackend):
    """Writes each message to the ``aftersales.sms`` log (development, staging)."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        for message in messages:
            logger.info("SMS to %s: %s", *printable(message))
        return len(messages)


outbox: list[SmsMessage] = []


class LocmemSmsBackend(BaseSmsBackend):
    """Keeps messages in ``aftersales.sms.outbox`` (tests)."""

    def send_messages(self, messages: list[SmsMessage]) -> int:
        outbox.extend(messages)
        return len(messages)


def get_sms_backend(backend: str | None = None, **kwargs) -> BaseSmsBackend:
    return import_string(backend or settings.SMS_BACKEND)(**kwargs)


def send_sms(to: str, text: str, *, fail_silently: bool = False) -> int:
    """Send one message; returns the number sent (0 without a number)."""
    if not to:
        return 0
    return get_sms_backend(fail_silently=fail_silently).send_messages([SmsMessage(to, text)])
