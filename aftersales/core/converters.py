"""Path converters shared by every app's ``urls.py``.

A URL only resolves when its parts have the shape the code issues: anything else (a NUL
byte, a stray character, a token one character short) is a 404 from the resolver and never
reaches a query.
"""

from django.urls import register_converter

# secrets.token_urlsafe(32): 32 random bytes in the url-safe base64 alphabet, unpadded.
TOKEN_LENGTH = 43
TOKEN_PATTERN = rf"[A-Za-z0-9_-]{{{TOKEN_LENGTH}}}"
# TICKET_NUMBER_PREFIX, the day, then a sequence of at least four digits: CP-20261122-0001.
CASE_NUMBER_PATTERN = r"[A-Z]{2}-[0-9]{8}-[0-9]{4,}"


class TokenConverter:
    """A tracking or survey token as ``new_tracking_token`` issues it."""

    regex = TOKEN_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class CaseNumberConverter:
    """A case number such as CP-20261122-0001."""

    regex = CASE_NUMBER_PATTERN

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


# Imported by every urls.py that uses them; a module runs once, so they register once.
register_converter(TokenConverter, "token")
register_converter(CaseNumberConverter, "case_number")
