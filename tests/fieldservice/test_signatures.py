"""A signature is stored only when it is a complete PNG of a sensible size with ink on it."""

import base64
import struct
import zlib

import pytest

from aftersales.core.exceptions import InvalidUpload
from aftersales.fieldservice.demo import demo_signature_png
from aftersales.fieldservice.signatures import (
    MAX_BYTES,
    check_signature_png,
    signature_from_data_url,
)


def _png(width, height, rows: bytes, colour=4) -> bytes:
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, colour, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_a_drawn_signature_is_accepted_with_its_size_and_hash():
    content = demo_signature_png()

    checked = check_signature_png(content)

    assert (checked.width, checked.height) == (300, 100)
    assert checked.size == len(content) and len(checked.sha256) == 64


def test_the_canvas_data_url_is_decoded():
    url = "data:image/png;base64," + base64.b64encode(demo_signature_png()).decode()

    assert signature_from_data_url(url).width == 300


BLANK = _png(100, 60, b"".join(b"\x00" + b"\x00\x00" * 100 for _ in range(60)))
HUGE = _png(3000, 60, b"".join(b"\x00" + b"\x10\xff" * 3000 for _ in range(60)))
BOMB_ROWS = b"".join(b"\x00" + b"\x10\xff" * 100 for _ in range(60)) + b"\x00" * 5_000_000
BOMB = _png(100, 60, BOMB_ROWS)
GOOD = demo_signature_png()
BAD_CRC = GOOD[:-5] + bytes([GOOD[-5] ^ 1]) + GOOD[-4:]


@pytest.mark.parametrize(("case", "content"), [
    ("not a png", b"GIF89a" + b"\x00" * 100),
    ("only the magic", b"\x89PNG\r\n\x1a\n" + b"\x00" * 80),
    ("truncated", GOOD[: len(GOOD) // 2]),
    ("bad checksum", BAD_CRC),
    ("blank canvas", BLANK),
    ("too wide", HUGE),
    ("more pixel data than the header says", BOMB),
    ("too large", GOOD + b"\x00" * MAX_BYTES),
])
def test_anything_else_is_refused(case, content):
    with pytest.raises(InvalidUpload):
        check_signature_png(content)


@pytest.mark.parametrize("value", ["", "data:image/jpeg;base64,AAAA",
                                   "data:image/png;base64,***", "javascript:alert(1)"])
def test_a_data_url_that_is_not_a_png_is_refused(value):
    with pytest.raises(InvalidUpload):
        signature_from_data_url(value)
