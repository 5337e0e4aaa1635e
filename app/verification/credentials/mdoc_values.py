"""Reading the values inside an mdoc: IssuerSignedItem, validityInfo and element values.

cbor2 decodes tag 0 (tdate) to an aware `datetime` and, in recent versions, tag 1004
(full-date, RFC 8943) to a `date`; older versions leave `CBORTag` objects. Both are accepted
here, so the claims never depend on the installed cbor2.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import cbor2

from .cbor import MAX_DEPTH, TAG_FULL_DATE, TAG_TDATE
from .errors import PresentationError

_ITEM_KEYS = frozenset({"digestID", "random", "elementIdentifier", "elementValue"})
_FULL_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_MAX_IDENTIFIER = 256


def _invalid(detail: str) -> PresentationError:
    return PresentationError("invalid-credential", detail)


@dataclass(frozen=True)
class MsoValidity:
    """validityInfo of the MobileSecurityObject (ISO/IEC 18013-5 9.1.2.4), aware UTC times."""

    signed: datetime
    valid_from: datetime
    valid_until: datetime
    expected_update: datetime | None = None


def tdate(value: Any, what: str) -> datetime:
    """An aware datetime from a decoded tdate (#6.0(tstr))."""
    if isinstance(value, cbor2.CBORTag) and value.tag == TAG_TDATE and isinstance(value.value, str):
        try:
            value = datetime.fromisoformat(value.value)
        except ValueError:
            raise _invalid(f"{what} is not an RFC 3339 date-time") from None
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise _invalid(f"{what} is not a tdate")
    return value.astimezone(UTC)


def full_date(value: Any, what: str) -> date:
    """A date from a decoded full-date (#6.1004(tstr))."""
    if isinstance(value, datetime):
        raise _invalid(f"{what} is a tdate, not a full-date")
    if isinstance(value, date):
        return value
    if (
        isinstance(value, cbor2.CBORTag)
        and value.tag == TAG_FULL_DATE
        and isinstance(value.value, str)
        and _FULL_DATE.fullmatch(value.value)
    ):
        try:
            return date.fromisoformat(value.value)
        except ValueError:
            pass
    raise _invalid(f"{what} is not an RFC 3339 full-date")


def validity_info(info: Mapping[Any, Any]) -> MsoValidity:
    expected = info.get("expectedUpdate")
    validity = MsoValidity(
        signed=tdate(info.get("signed"), "validityInfo signed"),
        valid_from=tdate(info.get("validFrom"), "validityInfo validFrom"),
        valid_until=tdate(info.get("validUntil"), "validityInfo validUntil"),
        expected_update=None if expected is None else tdate(expected, "expectedUpdate"),
    )
    if validity.valid_until < validity.valid_from:
        raise _invalid("validityInfo validUntil is before validFrom")
    return validity


def issuer_signed_item(item: Any) -> tuple[str, int, Any]:
    """(elementIdentifier, digestID, elementValue) of a decoded IssuerSignedItem
    {digestID: uint, random: bstr, elementIdentifier: tstr, elementValue: any}."""
    if not isinstance(item, Mapping) or set(item) != _ITEM_KEYS:
        raise _invalid("an IssuerSignedItem does not have exactly its four fields")
    identifier, digest_id = item["elementIdentifier"], item["digestID"]
    if not isinstance(identifier, str) or not 0 < len(identifier) <= _MAX_IDENTIFIER:
        raise _invalid("an elementIdentifier is not a text string")
    if type(digest_id) is not int or digest_id < 0:
        raise _invalid(f"the digestID of {identifier!r} is not an unsigned integer")
    if not isinstance(item["random"], bytes):
        raise _invalid(f"the random of {identifier!r} is not a byte string")
    return identifier, digest_id, item["elementValue"]


def plain(value: Any, depth: int = 0) -> Any:
    """An element value as Python data: full-date -> date, tdate -> aware datetime, bstr ->
    bytes, arrays -> lists, maps -> dicts; other tags and simple values are refused."""
    if depth > MAX_DEPTH:
        raise _invalid("an element value is nested too deeply")
    if isinstance(value, cbor2.CBORTag):
        if value.tag == TAG_FULL_DATE:
            return full_date(value, "an element value")
        if value.tag == TAG_TDATE:
            return tdate(value, "an element value")
        raise _invalid(f"an element value carries the unsupported tag {value.tag}")
    if isinstance(value, datetime):
        return tdate(value, "an element value")
    if value is None or isinstance(value, str | bytes | bool | int | float | date):
        return value
    if isinstance(value, list | tuple):
        return [plain(v, depth + 1) for v in value]
    if isinstance(value, Mapping):
        return {k: plain(v, depth + 1) for k, v in value.items()}
    raise _invalid(f"an element value of type {type(value).__name__} is not supported")
