"""One masking function for everything that writes text an operator reads: logs, and the
development mail and SMS backends.

``mask`` hides e-mail addresses, mobile and other phone numbers, and the secret part of
private links (tracking, submission, survey and password-reset links, ``?t=`` file links).
The log filter applies it to every record of a handler: Django's, the development server's,
gunicorn's access log and the Celery worker's. Keep this module free of Django imports: the
gunicorn master loads it before Django is set up.
"""

from __future__ import annotations

import logging
import re
from functools import lru_cache

HIDDEN = "***"

# Path segments followed by a secret token: /c/track/<token>/, /c/submitted/<token>/,
# /s/<token>/ (survey). A domain app with a token link of its own adds its segment here.
TOKEN_PATH_SEGMENTS = ["track", "submitted", "s"]
TOKEN_QUERY_PARAMETERS = ["t", "token"]

_URL_STOP = r"/?#\s\"'<>"

EMAIL = re.compile(r"(?<![\w.%+-])([\w%+-])[\w.%+-]*@((?:[\w-]+\.)+[A-Za-z]{2,})")
# Chinese mobile numbers, with or without +86, spaces or dashes: keep 3 + last 4 digits.
MOBILE = re.compile(r"(?<![\w+])(\+?86[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})(?!\d)")
# Other numbers written as phone numbers: international (+...) or with an area code (0xx-).
PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ -]?\d[\d -]{5,}|0\d{2,3}-\d{3,4}-?)\d*(\d{4})(?!\d)")
RESET = re.compile(rf"(/reset/)[^{_URL_STOP}]+/[^{_URL_STOP}]+")


@lru_cache(maxsize=8)
def _token_path(segments: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(s) for s in segments)
    return re.compile(rf"(/(?:{alternatives})/)(?!{re.escape(HIDDEN)})[^{_URL_STOP}]+")


@lru_cache(maxsize=8)
def _token_query(names: tuple[str, ...]) -> re.Pattern:
    alternatives = "|".join(re.escape(n) for n in names)
    return re.compile(rf"([?&](?:{alternatives})=)[^&#\s\"'<>]+")


def mask(text: str) -> str:
    """``text`` with personal data and link secrets replaced by ``***``.

    >>> mask("zhang.san@example.com 13812345678 https://x.cn/c/track/Abc123/")
    'z***@example.com 138****5678 https://x.cn/c/track/***/'
    """
    if not text:
        return text
    text = RESET.sub(rf"\1{HIDDEN}/{HIDDEN}", text)
    text = _token_path(tuple(TOKEN_PATH_SEGMENTS)).sub(rf"\1{HIDDEN}", text)
    text = _token_query(tuple(TOKEN_QUERY_PARAMETERS)).sub(rf"\1{HIDDEN}", text)
    text = EMAIL.sub(rf"\1{HIDDEN}@\2", text)
    text = MOBILE.sub(lambda m: f"{m.group(1) or ''}{m.group(2)}****{m.group(3)}", text)
    return PHONE.sub(lambda m: f"{HIDDEN}{m.group(1)}", text)


class MaskingFilter(logging.Filter):
    """Masks the formatted message of every record that passes (never drops one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken record is the formatter's to report, not ours
            return True
        masked = mask(message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True


def add_masking_filter(logger: logging.Logger | None) -> None:
    """Put the masking filter on every handler of ``logger`` (once)."""
    for handler in getattr(logger, "handlers", ()):
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
