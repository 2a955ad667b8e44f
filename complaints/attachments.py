"""What an uploaded attachment really is, read from its bytes: not from its name, nor from the
content type the browser claims (both are the sender's word). Pillow is not a dependency, so the
structure of each allowed type is walked here: enough to tell a real photo or PDF from a renamed
text file, a script or a truncated download; not a full decoder."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Callable

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Start-of-frame markers (baseline, progressive, lossless …): C0-CF but DHT (C4), JPG (C8), DAC (CC).
JPEG_FRAME_MARKERS = frozenset(range(0xC0, 0xD0)) - {0xC4, 0xC8, 0xCC}
JPEG_STANDALONE_MARKERS = frozenset({0x01, *range(0xD0, 0xD8)})  # TEM and RST0-7 carry no length
PDF_EOF_WITHIN = 2048  # "%%EOF" ends a PDF; writers may pad a little after it


def is_png(data: bytes) -> bool:
    """Signature, an IHDR first, every chunk whole with a right CRC, image data, and IEND."""
    if not data.startswith(PNG_SIGNATURE):
        return False
    position, first, seen_data = len(PNG_SIGNATURE), True, False
    while position + 12 <= len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        end = position + 12 + length
        if end > len(data):
            return False
        body = data[position + 8 : end - 4]
        (crc,) = struct.unpack(">I", data[end - 4 : end])
        if zlib.crc32(kind + body) != crc or (first and (kind != b"IHDR" or length != 13)):
            return False
        if kind == b"IEND":
            return seen_data
        seen_data, first, position = seen_data or kind == b"IDAT", False, end
    return False


def is_jpeg(data: bytes) -> bool:
    """Start-of-image, then whole marker segments up to the start of scan, with a frame header
    (the image's size) among them. The compressed scan that follows is not decoded."""
    if not data.startswith(b"\xff\xd8"):
        return False
    position, seen_frame = 2, False
    while position < len(data):
        if data[position] != 0xFF:
            return False
        while position < len(data) and data[position] == 0xFF:  # fill bytes may precede a marker
            position += 1
        if position >= len(data):
            return False
        marker = data[position]
        position += 1
        if marker in JPEG_STANDALONE_MARKERS:
            continue
        if marker == 0xDA:  # start of scan: the image data follows
            return seen_frame and position + 2 <= len(data)
        if marker in (0xD8, 0xD9) or position + 2 > len(data):
            return False
        (length,) = struct.unpack(">H", data[position : position + 2])
        if length < 2 or position + length > len(data):
            return False
        if marker in JPEG_FRAME_MARKERS:
            if length < 8:
                return False
            height, width = struct.unpack(">HH", data[position + 3 : position + 7])
            seen_frame = seen_frame or (height > 0 and width > 0)
        position += length
    return False


def is_pdf(data: bytes) -> bool:
    """A PDF starts with its header "%PDF-" and ends with "%%EOF"."""
    return data.startswith(b"%PDF-") and b"%%EOF" in data[-PDF_EOF_WITHIN:]


# Per allowed extension (TicketAttachment's), what its content must be and what to call it.
CONTENT_CHECKS: dict[str, tuple[str, Callable[[bytes], bool]]] = {
    "jpg": ("JPEG", is_jpeg),
    "jpeg": ("JPEG", is_jpeg),
    "png": ("PNG", is_png),
    "pdf": ("PDF", is_pdf),
}
