"""Cleaning single claim values a wallet sent: text, portraits and dates.

Claims are untrusted input. Text is NFC-normalized and stripped of control, bidi and
zero-width characters (they can make a name look like another one, or reorder what a page
shows), then capped without cutting a base character from its combining marks. Portraits
become a `data:` URL only when they really are a JPEG or PNG under 1 MB, whatever shape they
came in (PID Rulebook 4.1.1: an SD-JWT `picture` is a data URL; 3.1.2: an mdoc `portrait`
is a bstr).
"""

from __future__ import annotations

import base64
import binascii
import re
import unicodedata
from datetime import date, datetime
from typing import Any

import cbor2

MAX_TEXT = 200
MAX_PORTRAIT_BYTES = 1024 * 1024
_MAX_PORTRAIT_TEXT = MAX_PORTRAIT_BYTES * 2  # base64 (4/3) with line breaks, and a header

_LINE_BREAKS = re.compile(r"[\t\n\v\f\r\x85\u2028\u2029]+")
# C0 and C1 controls, DEL; bidi marks, embeddings, overrides and isolates (U+061C, U+200E/F,
# U+202A-U+202E, U+2066-U+2069); zero-width space, (non-)joiner, word joiner, BOM.
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u061c\u200b-\u200f\u202a-\u202e\u2060\u2066-\u2069\ufeff]"
)
_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
# RFC 2397: data:[<mediatype>][;parameter=value]*;base64,<data>
_DATA_URL = re.compile(
    r"data:image/(?:jpeg|jpg|png)(?:;[a-z0-9!#$&^_.+-]+=[^;,]*)*;base64,(.*)",
    re.IGNORECASE | re.DOTALL,
)
_WHITESPACE = re.compile(r"\s+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_-]*={0,2}")
_ISO_DATE = re.compile(
    r"(\d{4}-\d{2}-\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:?\d{2})?)?",
    re.ASCII | re.IGNORECASE,
)
_TAG_TDATE, _TAG_FULL_DATE = 0, 1004  # RFC 8949 3.4.1, RFC 8943


def cap_text(text: str, limit: int) -> str:
    """At most `limit` characters, never separating a base character from the combining
    marks that follow it (the whole sequence is dropped instead)."""
    if len(text) <= limit:
        return text
    cut = limit
    while cut > 0 and unicodedata.combining(text[cut]):
        cut -= 1
    return text[:cut]


def clean_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A trimmed, capped NFC string without invisible characters; None for empty or
    non-scalars. Line breaks and tabs become a space (a formatted address keeps its parts
    apart)."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFC", value[: limit * 8])  # bounded work on huge input
    text = _INVISIBLE.sub("", _LINE_BREAKS.sub(" ", text)).strip()
    return cap_text(text, limit).rstrip() or None


def _base64_bytes(text: str) -> bytes | None:
    encoded = _WHITESPACE.sub("", text)
    if len(encoded) > MAX_PORTRAIT_BYTES * 4 // 3 + 8 or not _BASE64.fullmatch(encoded):
        return None
    encoded = encoded.rstrip("=")
    if len(encoded) % 4 == 1:
        return None
    padded = encoded + "=" * (-len(encoded) % 4)
    try:
        return base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
    except (binascii.Error, ValueError):
        return None


def image_data_url(value: Any) -> str | None:
    """A `data:image/...;base64,` URL for a JPEG or PNG under 1 MB, else None.

    Accepts raw bytes (a CBOR bstr), a list of byte values, a data URL (image/jpeg, jpg or
    png in any case, with parameters before `;base64`) or plain base64 (standard or URL-safe,
    line breaks allowed). The media type returned is the one the bytes prove.
    """
    raw: bytes | None
    if isinstance(value, bytes | bytearray | memoryview):
        raw = bytes(value[: MAX_PORTRAIT_BYTES + 1])
    elif isinstance(value, list) and all(type(b) is int for b in value):
        raw = bytes(b & 0xFF for b in value[: MAX_PORTRAIT_BYTES + 1])
    elif isinstance(value, str) and len(value) <= _MAX_PORTRAIT_TEXT:
        text = value.strip()
        match = _DATA_URL.fullmatch(text)
        if match is None and text[:5].lower() == "data:":
            return None  # another media type, or not base64
        raw = _base64_bytes(match.group(1) if match else text)
    else:
        return None
    if raw is None or len(raw) >= MAX_PORTRAIT_BYTES:
        return None
    for magic, mime in _IMAGE_MAGIC.items():
        if raw.startswith(magic):
            return f"data:{mime};base64,{base64.b64encode(raw).decode()}"
    return None


def iso_date(value: Any) -> str | None:
    """`YYYY-MM-DD` of a date: a `date` or `datetime` (cbor2 decodes full-date and tdate to
    them), an undecoded CBOR tag 1004 or 0, or a string with an optional RFC 3339 time part.
    None when absent or empty; ValueError when it is not a date."""
    if isinstance(value, cbor2.CBORTag) and value.tag in (_TAG_TDATE, _TAG_FULL_DATE):
        value = value.value
    if isinstance(value, datetime | date):
        return value.isoformat()[:10]  # a datetime's own calendar date, offset and all
    text = clean_text(value, 64)
    if text is None:
        return None
    match = _ISO_DATE.fullmatch(text)
    if match is None:
        raise ValueError("not a date")
    return date.fromisoformat(match.group(1)).isoformat()
