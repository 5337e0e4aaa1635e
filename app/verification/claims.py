"""Turn whatever a wallet disclosed (SD-JWT or mdoc shaped) into one claim set.

Claims are untrusted input: every string is cleaned and capped (`claim_values`), dates and
country codes are checked and portraits are proven images. Either format's names are read
(PID Rulebook 4.1.1 for SD-JWT VC, 3.1.2 for mdoc, and the data identifiers of chapter 2
that older mdoc PIDs used): the format decides which set is tried first. The result is a
frozen `VerifiedClaims` whose fields are the PID attribute ids of the rulebook.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict

from .claim_values import MAX_PORTRAIT_BYTES, MAX_TEXT, clean_text, image_data_url, iso_date
from .pid import MDOC_NAMESPACE, PID_ATTRIBUTES

__all__ = [
    "MAX_PORTRAIT_BYTES",
    "MAX_TEXT",
    "ClaimsRejected",
    "ConflictingCredentials",
    "InvalidClaim",
    "MissingClaims",
    "PlaceOfBirth",
    "VerifiedClaims",
    "clean_text",
    "image_data_url",
    "normalize_claims",
    "normalize_credentials",
    "require_attributes",
]

log = logging.getLogger(__name__)

MAX_NATIONALITIES = 10
_COUNTRY = re.compile(r"^[A-Za-z]{2}$")


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


def _address_text(value: Any) -> str | None:
    """An SD-JWT `address` (OIDC 5.1.1 object, or a plain string) as one line."""
    if isinstance(value, dict):
        formatted = clean_text(value.get("formatted"), 500)
        if formatted:
            return formatted
        return _joined_address({k: value.get(k) for k in _ADDRESS_PARTS.values()})
    return clean_text(value, 500)


# mdoc element (rulebook 3.1.2) -> member of the SD-JWT `address` (4.1.1)
_ADDRESS_PARTS = {
    "resident_street": "street_address",
    "resident_house_number": "house_number",  # no mdoc element; sent by some older PIDs
    "resident_postal_code": "postal_code",
    "resident_city": "locality",
    "resident_state": "region",
    "resident_country": "country",
}


def _joined_address(parts: Mapping[str, Any]) -> str | None:
    text = {k: clean_text(v) for k, v in parts.items()}
    street = " ".join(p for p in (text.get("street_address"), text.get("house_number")) if p)
    city = " ".join(p for p in (text.get("postal_code"), text.get("locality")) if p)
    lines = [street, city, text.get("region"), text.get("country")]
    return ", ".join(p for p in lines if p) or None


def _mdoc_address(source: Mapping[str, Any]) -> str | None:
    """`resident_address`, or assembled from its parts when that is missing or empty."""
    return clean_text(source.get("resident_address"), 500) or _joined_address(
        {member: source.get(element) for element, member in _ADDRESS_PARTS.items()}
    )


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
    """`YYYY-MM-DD` from a date, a datetime, or a string with an optional time part."""
    try:
        return iso_date(value)
    except ValueError:
        raise InvalidClaim("The wallet sent a date of birth that is not a date.") from None


def _names(attribute_id: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(SD-JWT claim names, mdoc element names) of an attribute, the rulebook's first."""
    attribute = PID_ATTRIBUTES[attribute_id]
    mdoc = (attribute.mdoc_path[1],) if attribute.mdoc_path else ()
    return (attribute.sd_jwt_path[0],), tuple(dict.fromkeys((*mdoc, attribute.id)))


_SD_JWT_NAMES = frozenset(a.sd_jwt_path[0] for a in PID_ATTRIBUTES.values())
_MDOC_ONLY_NAMES = frozenset(
    {MDOC_NAMESPACE}
    | {n for a in PID_ATTRIBUTES.values() for n in _names(a.id)[1]} - _SD_JWT_NAMES
)


def is_mdoc_shaped(claims: dict[str, Any], credential_format: str | None = None) -> bool:
    if credential_format is not None:
        return credential_format == "mso_mdoc"
    return not _MDOC_ONLY_NAMES.isdisjoint(claims)


class _Source:
    """The disclosed claims, read by either format's names, `prefer_mdoc`'s first."""

    def __init__(self, claims: dict[str, Any], prefer_mdoc: bool) -> None:
        namespaced = claims.get(MDOC_NAMESPACE)
        self.claims: dict[str, Any] = namespaced if isinstance(namespaced, dict) else claims
        self.prefer_mdoc = prefer_mdoc

    def names(self, attribute_id: str) -> tuple[str, ...]:
        sd_jwt, mdoc = _names(attribute_id)
        return (*mdoc, *sd_jwt) if self.prefer_mdoc else (*sd_jwt, *mdoc)

    def value(self, attribute_id: str) -> Any:
        """The first value present and not empty under one of the attribute's names."""
        for name in self.names(attribute_id):
            value = self.claims.get(name)
            if value not in (None, "", [], {}):
                return value
        return None

    def text(self, attribute_id: str) -> str | None:
        return next(
            (t for n in self.names(attribute_id) if (t := clean_text(self.claims.get(n)))), None
        )

    def address(self) -> str | None:
        sd_jwt = _address_text(self.claims.get("address"))
        if self.prefer_mdoc:
            return _mdoc_address(self.claims) or sd_jwt
        return sd_jwt or _mdoc_address(self.claims)


_TEXTS = (
    "family_name",
    "given_name",
    "email_address",
    "personal_administrative_number",
    "document_number",
    "issuing_country",
)


def normalize_claims(
    claims: dict[str, Any], credential_format: str | None = None
) -> VerifiedClaims:
    """One claim set, whatever format the wallet answered with."""
    source = _Source(claims, is_mdoc_shaped(claims, credential_format))
    texts = {a: text for a in _TEXTS if (text := source.text(a)) is not None}
    portrait = None
    picture = source.value("portrait")
    if picture is not None:
        portrait = image_data_url(picture)
        if portrait is None:
            log.warning("portrait dropped: not a JPEG or PNG under 1 MB")
    place = _place_of_birth(source.value("birth_place"))
    return VerifiedClaims(
        **texts,
        birth_date=_birth_date(source.value("birth_date")),
        nationality=_nationalities(source.value("nationality")),
        birth_place=PlaceOfBirth(**place) if place else None,
        resident_address=source.address(),
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
