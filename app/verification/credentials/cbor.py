"""Strict, bounded CBOR decoding of what a wallet sends, and the encoding we sign.

cbor2 alone is too lenient for input from a wallet: it ignores trailing bytes, keeps the last
of duplicated map keys, accepts indefinite lengths and decodes exotic tags (shared references,
string references, ...). So every byte string from a wallet is first walked by `_Scanner`,
which only accepts:

- one well-formed data item and nothing after it, at most `max_size` bytes;
- definite lengths, and the shortest head for every integer, length and tag (the rules of
  canonical CBOR that the PID Rulebook section 3.1.2 requires for "all CBOR structures in
  PIDs"); so re-encoding a decoded `#6.24(bstr)` gives back exactly the received bytes;
- at most `MAX_DEPTH` nested containers, `MAX_CONTAINER_LENGTH` entries in one array or map
  and `MAX_ITEMS` data items in all, so the work per presentation is bounded;
- map keys that are integers or text strings, never duplicated;
- only the tags mdoc uses: 0 (tdate), 24 (embedded CBOR), 1004 (full-date, RFC 8943) and
  18 (a tagged COSE_Sign1), each over the type it is defined for;
- no simple values but false, true and null (floats are allowed).

Only then is the item decoded with cbor2. Version differences of cbor2 (whether tag 1004
becomes a `date` or stays a `CBORTag`) are left to the callers, who accept both.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import cbor2

from .errors import PresentationError

MAX_INPUT_BYTES = 1_000_000
MAX_DEPTH = 16
MAX_CONTAINER_LENGTH = 1_000
MAX_ITEMS = 20_000

TAG_TDATE = 0
TAG_COSE_SIGN1 = 18
TAG_ENCODED_CBOR = 24
TAG_FULL_DATE = 1004
# tag -> the major type of the one data item it may enclose (2 bstr, 3 tstr, 4 array)
_ALLOWED_TAGS = {TAG_TDATE: 3, TAG_COSE_SIGN1: 4, TAG_ENCODED_CBOR: 2, TAG_FULL_DATE: 3}
_ALLOWED_SIMPLE = frozenset({20, 21, 22})  # false, true, null
_FLOATS = frozenset({25, 26, 27})  # half, single and double precision


class _Malformed(Exception):
    pass


class _Scanner:
    """Walks one CBOR data item without building it, enforcing the rules above."""

    def __init__(self, data: bytes) -> None:
        self.data = data
        self.items = 0

    def head(self, pos: int) -> tuple[int, int, int, int]:
        """(major type, additional info, argument, position after the head)."""
        data = self.data
        if pos >= len(data):
            raise _Malformed("truncated")
        initial = data[pos]
        major, info = initial >> 5, initial & 0x1F
        if info < 24:
            return major, info, info, pos + 1
        if info == 31:
            raise _Malformed("indefinite lengths are not accepted")
        if info > 27:
            raise _Malformed("reserved additional information")
        size = 1 << (info - 24)
        end = pos + 1 + size
        if end > len(data):
            raise _Malformed("truncated")
        argument = int.from_bytes(data[pos + 1 : end], "big")
        if major == 7:
            if info == 24 or info not in _FLOATS:  # one-byte simple values (none allowed)
                raise _Malformed("simple value not accepted")
            return major, info, argument, end
        smallest = 24 if size == 1 else 1 << (4 * size)  # below this a shorter head fits
        if argument < smallest:
            raise _Malformed("an integer, length or tag is not in its shortest form")
        return major, info, argument, end

    def item(self, pos: int, depth: int) -> int:
        """The position after the data item starting at `pos`."""
        self.items += 1
        if self.items > MAX_ITEMS:
            raise _Malformed("too many data items")
        major, info, argument, pos = self.head(pos)
        if major in (0, 1):
            return pos
        if major in (2, 3):
            end = pos + argument
            if end > len(self.data):
                raise _Malformed("truncated")
            return end
        if major == 7:
            if info < 24 and info not in _ALLOWED_SIMPLE:
                raise _Malformed("simple value not accepted")
            return pos
        if depth >= MAX_DEPTH:
            raise _Malformed("nested too deeply")
        if major == 6:
            enclosed = _ALLOWED_TAGS.get(argument)
            if enclosed is None:
                raise _Malformed(f"CBOR tag {argument} is not accepted")
            if pos >= len(self.data) or self.data[pos] >> 5 != enclosed:
                raise _Malformed(f"CBOR tag {argument} encloses the wrong type")
            return self.item(pos, depth + 1)
        if argument > MAX_CONTAINER_LENGTH:
            raise _Malformed("an array or map is too long")
        if major == 4:
            for _ in range(argument):
                pos = self.item(pos, depth + 1)
            return pos
        keys: set[bytes] = set()  # major 5, a map
        for _ in range(argument):
            if pos >= len(self.data) or self.data[pos] >> 5 not in (0, 1, 3):
                raise _Malformed("a map key is not an integer or a text string")
            end = self.item(pos, depth + 1)
            key = self.data[pos:end]  # shortest heads: equal keys have equal bytes
            if key in keys:
                raise _Malformed("a map key is duplicated")
            keys.add(key)
            pos = self.item(end, depth + 1)
        return pos


def decode(data: bytes, what: str, *, max_size: int = MAX_INPUT_BYTES) -> Any:
    """The one data item in `data`; PresentationError("invalid-credential") if it breaks a rule."""
    if not isinstance(data, bytes | bytearray):
        raise PresentationError("invalid-credential", f"{what} is not a byte string")
    if len(data) > max_size:
        raise PresentationError("invalid-credential", f"{what} is larger than {max_size} bytes")
    data = bytes(data)
    try:
        if _Scanner(data).item(0, 0) != len(data):
            raise _Malformed("bytes follow the data item")
        return cbor2.loads(data)
    except _Malformed as exc:
        detail = f"{what} is not accepted CBOR: {exc}"
    except (cbor2.CBORDecodeError, ValueError, TypeError, OverflowError) as exc:
        detail = f"{what} is malformed CBOR: {exc}"
    raise PresentationError("invalid-credential", detail)


def encoded_cbor_bytes(content: bytes) -> bytes:
    """The encoding of `#6.24(bstr)` around `content` (e.g. IssuerSignedItemBytes)."""
    return cbor2.dumps(cbor2.CBORTag(TAG_ENCODED_CBOR, content))


def _prepare(value: Any) -> Any:
    """Dates as the PID Rulebook 3.1.2 wants them, whatever cbor2's own defaults are."""
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a tdate needs a timezone")
        text = value.astimezone(UTC).replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%SZ")
        return cbor2.CBORTag(TAG_TDATE, text)  # no fractions, offset "Z"
    if isinstance(value, date):
        return cbor2.CBORTag(TAG_FULL_DATE, value.isoformat())  # full-date = #6.1004(tstr)
    if isinstance(value, dict):
        return {k: _prepare(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_prepare(v) for v in value]
    if isinstance(value, cbor2.CBORTag):
        return cbor2.CBORTag(value.tag, _prepare(value.value))
    return value


def encode(value: Any) -> bytes:
    """Canonical CBOR (definite lengths, shortest heads, sorted keys) with explicit date tags."""
    return cbor2.dumps(_prepare(value), canonical=True)
