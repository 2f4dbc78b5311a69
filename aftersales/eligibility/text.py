"""Customer-facing sentences that stay translatable after their placeholders are filled."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils.functional import Promise, lazy

Text = str | Promise


def _display(value: Any) -> str:
    if isinstance(value, date):
        from django.conf import settings

        if not settings.configured:
            return value.isoformat()
        from django.utils import formats

        return formats.date_format(value, "DATE_FORMAT")
    return str(value)


def _render(message: Text, params: dict[str, Any]) -> str:
    return str(message) % {key: _display(value) for key, value in params.items()}


# Filled when shown, so the sentence follows the language active at that moment.
_fill = lazy(_render, str)


def fill(message: Text, **params: Any) -> Text:
    """``message`` (a gettext_lazy string) with its named placeholders filled, still lazy."""
    return _fill(message, params)
