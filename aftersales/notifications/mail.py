"""E-mail backends of the project.

``ConsoleEmailBackend`` is the development default: it prints each message readably
(headers, text, alternative parts, attachment names) with recipients, phone numbers and
private links masked, so a console or worker log never holds customers' addresses or
tracking links. ``CONSOLE_MASK_PERSONAL_DATA=false`` prints messages as Django's console
backend does, in full, for debugging on a laptop.
"""

from __future__ import annotations

from django.conf import settings
from django.core.mail.backends.console import EmailBackend as DjangoConsoleBackend
from django.core.mail.message import EmailMessage

from aftersales.core.masking import mask


def readable(message: EmailMessage) -> str:
    """The message as a person reads it, before masking."""
    lines = [f"Subject: {message.subject}", f"From: {message.from_email}",
             f"To: {', '.join(message.to)}"]
    if message.cc:
        lines.append(f"Cc: {', '.join(message.cc)}")
    if message.reply_to:
        lines.append(f"Reply-To: {', '.join(message.reply_to)}")
    lines += ["", message.body]
    for content, mimetype in getattr(message, "alternatives", []) or []:
        lines += [f"--- {mimetype}", str(content)]
    for attachment in message.attachments:
        name = getattr(attachment, "filename", None)
        if name is None and isinstance(attachment, tuple):
            name = attachment[0]
        lines.append(f"[attachment: {name or 'unnamed'}]")
    return "\n".join(lines)


class ConsoleEmailBackend(DjangoConsoleBackend):
    """Django's console backend with personal data and link tokens masked by default."""

    def write_message(self, message: EmailMessage) -> None:
        if not getattr(settings, "CONSOLE_MASK_PERSONAL_DATA", True):
            return super().write_message(message)
        self.stream.write(f"{mask(readable(message))}\n{'-' * 79}\n")
