"""Portraits of the sandbox identities: an SVG to show, and the JPEG their PIDs carry (PID
rulebook v1.7 section 2.2: the portrait is a JPEG). The JPEGs in `portraits_jpeg/` were
made once from `portrait_png` (the same drawing as the SVG) with an image library the
project does not depend on; nothing is fetched from the network."""

from __future__ import annotations

import base64
import struct
import zlib
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

SIZE = 96
Colour = tuple[int, int, int]


@dataclass(frozen=True)
class Look:
    background: Colour
    skin: Colour
    hair: Colour
    shirt: Colour


def _hex(c: Colour) -> str:
    return "#" + "".join(f"{v:02x}" for v in c)


def _inside_ellipse(x: float, y: float, cx: float, cy: float, rx: float, ry: float) -> bool:
    return ((x - cx) / rx) ** 2 + ((y - cy) / ry) ** 2 <= 1.0


def _pixel(look: Look, x: float, y: float) -> Colour:
    if _inside_ellipse(x, y, 48, 100, 36, 30):
        return look.shirt
    if _inside_ellipse(x, y, 48, 40, 20, 23):
        return look.hair if y < 32 else look.skin
    if _inside_ellipse(x, y, 48, 36, 23, 24) and y < 40:
        return look.hair
    return look.background


def _png(width: int, height: int, rows: list[bytes]) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    raw = b"".join(b"\x00" + row for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


@lru_cache(maxsize=16)
def portrait_png(look: Look) -> bytes:
    rows = [
        b"".join(bytes(_pixel(look, x + 0.5, y + 0.5)) for x in range(SIZE)) for y in range(SIZE)
    ]
    return _png(SIZE, SIZE, rows)


JPEG_FOLDER = Path(__file__).with_name("portraits_jpeg")


@lru_cache(maxsize=16)
def portrait_jpeg_base64(identity_key: str) -> str | None:
    """The identity's JPEG portrait, base64, or None when it has none."""
    path = JPEG_FOLDER / f"{identity_key}.jpg"
    return base64.b64encode(path.read_bytes()).decode() if path.is_file() else None


def portrait_svg(look: Look) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {SIZE} {SIZE}" '
        f'width="{SIZE}" height="{SIZE}" role="img" aria-label="Portrait">'
        f'<rect width="{SIZE}" height="{SIZE}" fill="{_hex(look.background)}"/>'
        f'<ellipse cx="48" cy="100" rx="36" ry="30" fill="{_hex(look.shirt)}"/>'
        f'<ellipse cx="48" cy="36" rx="23" ry="24" fill="{_hex(look.hair)}"/>'
        f'<ellipse cx="48" cy="43" rx="20" ry="20" fill="{_hex(look.skin)}"/>'
        "</svg>"
    )
