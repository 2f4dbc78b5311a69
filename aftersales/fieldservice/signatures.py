"""Checking a signature drawn on a canvas: a real, complete PNG of a sensible size.

The canvas sends ``data:image/png;base64,...``. Every chunk's CRC is verified, the image
header read, and the compressed pixel data inflated with a cap, so a file that only
starts like a PNG, a decompression bomb or a blank canvas is refused.
"""

import base64
import binascii
import hashlib
import struct
import zlib
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from aftersales.core.exceptions import InvalidUpload

PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DATA_URL_PREFIX = "data:image/png;base64,"
MAX_BYTES = 300 * 1024
MIN_BYTES = 60
MAX_SIDE = 2000
MIN_SIDE = 50
# Bytes per pixel for the colour types a canvas export uses (grey, RGB, grey+alpha, RGBA).
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


@dataclass(frozen=True)
class CheckedSignature:
    content: bytes
    width: int
    height: int
    sha256: str

    @property
    def size(self) -> int:
        return len(self.content)


def _refuse(message=None) -> InvalidUpload:
    return InvalidUpload(message or _("The signature could not be read. Please sign again."))


def decode_data_url(value: str) -> bytes:
    value = (value or "").strip()
    if not value:
        raise _refuse(_("Please sign in the box."))
    if not value.startswith(DATA_URL_PREFIX):
        raise _refuse()
    encoded = value[len(DATA_URL_PREFIX):]
    if len(encoded) > MAX_BYTES * 4 // 3 + 8:
        raise _refuse(_("The signature is too large."))
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise _refuse() from None


def _chunks(content: bytes):
    offset = len(PNG_MAGIC)
    while offset < len(content):
        if offset + 8 > len(content):
            raise _refuse()
        length, kind = struct.unpack(">I4s", content[offset:offset + 8])
        data = content[offset + 8:offset + 8 + length]
        crc_at = offset + 8 + length
        if len(data) != length or crc_at + 4 > len(content):
            raise _refuse()
        (crc,) = struct.unpack(">I", content[crc_at:crc_at + 4])
        if zlib.crc32(kind + data) & 0xFFFFFFFF != crc:
            raise _refuse()
        yield kind, data
        offset = crc_at + 4


def check_signature_png(content: bytes) -> CheckedSignature:
    """The signature if ``content`` is a complete PNG with ink on it; else ``InvalidUpload``."""
    if len(content) > MAX_BYTES:
        raise _refuse(_("The signature is too large."))
    if len(content) < MIN_BYTES or not content.startswith(PNG_MAGIC):
        raise _refuse()
    header = None
    compressed = bytearray()
    ended = False
    for kind, data in _chunks(content):
        if header is None and kind != b"IHDR":
            raise _refuse()
        if kind == b"IHDR":
            if len(data) != 13:
                raise _refuse()
            header = struct.unpack(">IIBBBBB", data)
        elif kind == b"IDAT":
            compressed += data
        elif kind == b"IEND":
            ended = True
            break
    if header is None or not ended or not compressed:
        raise _refuse()
    width, height, depth, colour, _method, _filter, interlace = header
    if not (MIN_SIDE <= width <= MAX_SIDE and MIN_SIDE <= height <= MAX_SIDE):
        raise _refuse(_("The signature has an unexpected size."))
    if depth != 8 or colour not in CHANNELS or interlace != 0:
        raise _refuse()
    expected = height * (1 + width * CHANNELS[colour])
    inflater = zlib.decompressobj()
    try:
        raw = inflater.decompress(bytes(compressed), expected + 1)
    except zlib.error:
        raise _refuse() from None
    if len(raw) != expected or inflater.unconsumed_tail:
        raise _refuse()
    if not _has_ink(raw, width, CHANNELS[colour]):
        raise _refuse(_("The signature is empty. Please sign in the box."))
    return CheckedSignature(content=content, width=width, height=height,
                            sha256=hashlib.sha256(content).hexdigest())


def _has_ink(raw: bytes, width: int, channels: int) -> bool:
    """Whether the rows differ from one another or carry opaque pixels: not a blank canvas.

    Rows are compared after their filter byte; a canvas export of a blank, transparent
    canvas is all zero, a signature is not.
    """
    stride = 1 + width * channels
    rows = {raw[i + 1:i + stride] for i in range(0, len(raw), stride)}
    if len(rows) > 1:
        return True
    only = next(iter(rows))
    return any(only)


def signature_from_data_url(value: str) -> CheckedSignature:
    return check_signature_png(decode_data_url(value))
