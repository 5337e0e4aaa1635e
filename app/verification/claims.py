"""Turn whatever a wallet disclosed (SD-JWT or mdoc shaped) into one claim set.

Claims are untrusted input: every string is capped and portraits are checked. The result
is a frozen `VerifiedClaims` whose fields are the PID attribute ids of the rulebook.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from datetime import date
from typing import Any

from pydantic import BaseModel, ConfigDict

from .pid import MDOC_NAMESPACE, PID_ATTRIBUTES

log = logging.getLogger(__name__)

MAX_TEXT = 200
MAX_NATIONALITIES = 10
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_ISO_DATE = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ][0-9:.+\-Z]{0,40})?$", re.ASCII)
MAX_PORTRAIT_BYTES = 1024 * 1024
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")
_IMAGE_MAGIC = {b"\xff\xd8\xff": "image/jpeg", b"\x89PNG\r\n\x1a\n": "image/png"}
_DATA_URL = re.compile(r"^data:(image/(?:jpeg|png));base64,([A-Za-z0-9+/=_-]+)$")


class PlaceOfBirth(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    locality: str | None = None
    region: str | None = None
    country: str | None = None

    @property
    def text(self) -> str:
        return ", ".join(p for p in (self.locality, self.country) if p)


class VerifiedClaims(BaseModel):
    """The PID attributes a presentation disclosed, cleaned; absent ones are None or ()."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    family_name: str | None = None
    given_name: str | None = None
    birth_date: str | None = None
    nationality: tuple[str, ...] = ()
    personal_administrative_number: str | None = None
    document_number: str | None = None
    email_address: str | None = None
    resident_address: str | None = None
    birth_place: PlaceOfBirth | None = None
    portrait: str | None = None  # a data: URL of a JPEG or PNG
    issuing_country: str | None = None

    def text_of(self, attribute_id: str) -> str | None:
        """An attribute as one line of text (several nationalities joined), None if absent."""
        value = getattr(self, attribute_id, None)
        if isinstance(value, tuple):
            return ", ".join(value) or None
        if isinstance(value, PlaceOfBirth):
            return value.text or None
        return value if isinstance(value, str) and value else None

    def shared(self) -> list[str]:
        """The attribute ids that arrived (for logs: names, never values)."""
        return sorted(name for name in type(self).model_fields if self.text_of(name) is not None)


class MissingClaims(Exception):
    """The presentation lacks attributes the flow needs; `missing` holds their display names."""

    def __init__(self, missing: list[str]) -> None:
        super().__init__("The wallet did not share: " + ", ".join(missing))
        self.missing = missing


class ClaimsRejected(Exception):
    """The presentation cannot be used as sent; `title`/`detail` say why, to the person."""

    error_type = "invalid-claims"
    title = "Information not accepted"

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class ConflictingCredentials(ClaimsRejected):
    """A presentation held PIDs of different people: none of them counts."""

    error_type = "credentials-conflict"
    title = "Credentials of different people"


class InvalidClaim(ClaimsRejected):
    """An attribute is not what its name says (a date that is no date, a country code that
    is no code, too many of them): refused whole rather than stored cut or failing later."""


def require_attributes(claims: VerifiedClaims, attribute_ids: tuple[str, ...]) -> None:
    """`MissingClaims` naming every attribute of `attribute_ids` that did not arrive."""
    missing = sorted(
        PID_ATTRIBUTES[a].display_name for a in attribute_ids if claims.text_of(a) is None
    )
    if missing:
        raise MissingClaims(missing)


def clean_text(value: Any, limit: int = MAX_TEXT) -> str | None:
    """A trimmed, capped string without control characters; None for empty or non-scalars."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int | float):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = _CONTROL.sub("", value).strip()[:limit]
    return text or None


def image_data_url(value: Any) -> str | None:
    """A `data:image/...;base64,` URL for a JPEG or PNG under 1 MB, else None."""
    if isinstance(value, list) and all(isinstance(b, int) for b in value):
        raw = bytes(b & 0xFF for b in value[: MAX_PORTRAIT_BYTES + 1])
    elif isinstance(value, str):
        match = _DATA_URL.match(value.strip())
        encoded = match.group(2) if match else value.strip()
        if len(encoded) > MAX_PORTRAIT_BYTES * 4 // 3 + 8:
            return None
        try:
            padded = encoded + "=" * (-len(encoded) % 4)
            raw = base64.b64decode(padded.replace("-", "+").replace("_", "/"), validate=True)
        except (binascii.Error, ValueError):
            return None
    else:
        return None
    if len(raw) >= MAX_PORTRAIT_BYTES:
        return None
    for magic, mime in _IMAGE_MAGIC.items():
        if raw.startswith(magic):
            return f"data:{mime};base64,{base64.b64encode(raw).decode()}"
    return None


def _address_text(value: Any) -> str | None:
    if isinstance(value, dict):
        formatted = clean_text(value.get("formatted"), 500)
        if formatted:
            return formatted
        street = " ".join(
            p
            for p in (
                clean_text(value.get("street_address")),
                clean_text(value.get("house_number")),
            )
            if p
        )
        city = " ".join(
            p
            for p in (clean_text(value.get("postal_code")), clean_text(value.get("locality")))
            if p
        )
        parts = [street, city, clean_text(value.get("region")), clean_text(value.get("country"))]
        return ", ".join(p for p in parts if p) or None
    return clean_text(value, 500)


def _place_of_birth(value: Any) -> dict[str, str] | None:
    if isinstance(value, dict):
        place = {
            k: v
            for k in ("locality", "region", "country")
            if (v := clean_text(value.get(k))) is not None
        }
        return place or None
    text = clean_text(value)
    return {"locality": text} if text else None


def _nationalities(value: Any) -> tuple[str, ...]:
    """Two-letter country codes (ISO 3166-1 alpha-2, upper case), PID rulebook 3.1.3."""
    items = value if isinstance(value, list) else [value]
    codes = [t for t in (clean_text(v, 64) for v in items[: MAX_NATIONALITIES + 1]) if t]
    if len(codes) > MAX_NATIONALITIES:
        raise InvalidClaim(f"The wallet sent more than {MAX_NATIONALITIES} nationalities.")
    if any(not _COUNTRY.match(code) for code in codes):
        raise InvalidClaim("The wallet sent a nationality that is not a two-letter country code.")
    return tuple(dict.fromkeys(code.upper() for code in codes))


def _birth_date(value: Any) -> str | None:
    """`YYYY-MM-DD` from a date, or from a string with an optional time part."""
    if isinstance(value, date):
        return value.isoformat()[:10]
    text = clean_text(value, 64)
    if text is None:
        return None
    match = _ISO_DATE.match(text)
    if match:
        try:
            return date.fromisoformat(match.group(1)).isoformat()
        except ValueError:
            pass
    raise InvalidClaim("The wallet sent a date of birth that is not a date.")


def _flatten_mdoc(claims: dict[str, Any]) -> dict[str, Any]:
    """mdoc claims by their SD-JWT names, so one normalizer reads both formats."""
    namespaced = claims.get(MDOC_NAMESPACE)
    source: dict[str, Any] = namespaced if isinstance(namespaced, dict) else claims
    out: dict[str, Any] = {}
    for attribute in PID_ATTRIBUTES.values():
        # the rulebook 3.1.2 element name, else the data identifier (older mdoc PIDs)
        names = (attribute.mdoc_path[1],) if attribute.mdoc_path else ()
        name = next((n for n in (*names, attribute.id) if n in source), None)
        if name is not None:
            head = attribute.sd_jwt_path[0]
            if head == "address":
                continue
            out[head] = source[name]
    address = source.get("resident_address")
    if address is None:
        parts = {
            "street_address": source.get("resident_street"),
            "house_number": source.get("resident_house_number"),
            "postal_code": source.get("resident_postal_code"),
            "locality": source.get("resident_city"),
            "region": source.get("resident_state"),
            "country": source.get("resident_country"),
        }
        address = {k: v for k, v in parts.items() if v is not None} or None
    if address is not None:
        out["address"] = address
    return out


_MDOC_ONLY_NAMES = frozenset(
    {MDOC_NAMESPACE} | {a.id for a in PID_ATTRIBUTES.values() if a.sd_jwt_path != (a.id,)}
)


def is_mdoc_shaped(claims: dict[str, Any], credential_format: str | None = None) -> bool:
    if credential_format is not None:
        return credential_format == "mso_mdoc"
    return not _MDOC_ONLY_NAMES.isdisjoint(claims)


def normalize_claims(
    claims: dict[str, Any], credential_format: str | None = None
) -> VerifiedClaims:
    """One claim set, whatever format the wallet answered with."""
    source = _flatten_mdoc(claims) if is_mdoc_shaped(claims, credential_format) else claims
    texts = {
        attribute: text
        for attribute, key in (
            ("family_name", "family_name"),
            ("given_name", "given_name"),
            ("email_address", "email"),
            ("personal_administrative_number", "personal_administrative_number"),
            ("document_number", "document_number"),
            ("issuing_country", "issuing_country"),
        )
        if (text := clean_text(source.get(key))) is not None
    }
    portrait = None
    if "picture" in source:
        portrait = image_data_url(source["picture"])
        if portrait is None:
            log.warning("portrait dropped: not a JPEG or PNG under 1 MB")
    place = _place_of_birth(source.get("place_of_birth"))
    return VerifiedClaims(
        **texts,
        birth_date=_birth_date(source.get("birthdate")),
        nationality=_nationalities(source.get("nationalities")),
        birth_place=PlaceOfBirth(**place) if place else None,
        resident_address=_address_text(source.get("address")),
        portrait=portrait,
    )


def _same_person(first: VerifiedClaims, other: VerifiedClaims) -> bool:
    if first.personal_administrative_number is None:
        return False
    if first.personal_administrative_number != other.personal_administrative_number:
        return False
    countries = (first.issuing_country, other.issuing_country)
    return None in countries or countries[0] == countries[1]


def normalize_credentials(credentials: list[dict[str, Any]]) -> VerifiedClaims:
    """The claims of the presented PID credential: normally one.

    Several are only merged when they are provably the same person: the same personal
    administrative number (and issuing country, when sent). Otherwise person A's number
    could travel with person B's name, so `ConflictingCredentials` refuses them all.
    """
    presented = [
        normalize_claims(claims, fmt if isinstance(fmt, str) else None)
        for credential in credentials
        if isinstance(claims := credential.get("claims"), dict)
        for fmt in [credential.get("format")]
    ]
    if any(not _same_person(presented[0], other) for other in presented[1:]):
        raise ConflictingCredentials("the presented PIDs are not of the same person")
    merged: dict[str, Any] = {}
    for claims in presented:
        for key, value in claims.model_dump(exclude_defaults=True).items():
            merged.setdefault(key, value)
    result = VerifiedClaims.model_validate(merged)
    log.info("claims received: %s", ", ".join(result.shared()) or "none")
    return result
