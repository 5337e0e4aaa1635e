"""The sandbox PID provider on demand: a test identity's PID in either format, shaped as the
PID Rulebook v1.7 says, bound to the identity's device key, for the demo wallet (holder.py).

- SD-JWT VC (rulebook 4.1.1): the claim names of `PID_ATTRIBUTES[...].sd_jwt_path`, so
  `address` and `place_of_birth` are objects, `nationalities` an array, dates
  "YYYY-MM-DD" strings, `picture` a data URL. The age claims of earlier rulebooks
  (`age_equal_or_over`, `age_in_years`, `age_birth_year`) are issued too: the bank may ask
  for them (as optional claims) and `PID_ATTRIBUTES` maps them for this format.
- mdoc (rulebook 3.1.2): the element identifiers of `PID_ATTRIBUTES[...].mdoc_path` only,
  so no age elements and no house number (3.1.2 has neither; `resident_street` includes
  the house number, 2.3); dates as full-date (`datetime.date`), `nationality` always an
  array (3.1.3), `place_of_birth` a map (3.1.4), the portrait as bytes.

The portrait is the identity's JPEG (rulebook 2.2; portraits.py): bytes in the mdoc, a
`data:image/jpeg` URL in the SD-JWT VC (4.1.1).
"""

from __future__ import annotations

import base64
from datetime import date, datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec

from ..pid import PID_ATTRIBUTES
from .identities import IDENTITIES_BY_KEY, TestIdentity
from .mdoc_pid import PID_NAMESPACE, issue_mdoc
from .pki import Signer
from .sdjwt_pid import issue_sd_jwt_vc

VALID_FOR = timedelta(days=365)  # the technical validity of an issued PID
PORTRAIT_MEDIA_TYPE = "image/jpeg"
_MDOC_DATES = frozenset({"birth_date", "issuance_date", "expiry_date"})  # full-date (3.1.2)


def holder_id(identity: TestIdentity) -> str:
    """The id of the identity's device key (`pki.holder_key`): stable per identity. A
    built-in identity is its key; any other identity (typed in, or a built-in one edited)
    is its personal administrative number, which the bank treats as the person."""
    if IDENTITIES_BY_KEY.get(identity.key) == identity:
        return identity.key
    return f"pan:{identity.personal_administrative_number}"


def _set_path(target: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    node = target
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def sd_jwt_claims(identity: TestIdentity, today: date) -> dict[str, Any]:
    """Every claim of the identity's SD-JWT VC PID (rulebook 4.1.1 names)."""
    claims: dict[str, Any] = {}
    for attribute_id, value in identity.attribute_values(today).items():
        attribute = PID_ATTRIBUTES.get(attribute_id)
        if attribute is None:
            continue
        if attribute_id == "portrait":
            value = f"data:{PORTRAIT_MEDIA_TYPE};base64,{value}"
        _set_path(claims, attribute.sd_jwt_path, value)
    return claims


def mdoc_elements(identity: TestIdentity, today: date) -> dict[str, Any]:
    """Every element of the identity's mdoc PID, in the PID namespace (rulebook 3.1.2)."""
    values = identity.attribute_values(today)
    elements: dict[str, Any] = {}
    for attribute_id, value in values.items():
        attribute = PID_ATTRIBUTES.get(attribute_id)
        if attribute is None or attribute.mdoc_path is None:
            continue
        namespace, element = attribute.mdoc_path
        if namespace != PID_NAMESPACE:  # pragma: no cover - every PID element is in it
            raise AssertionError(f"{attribute_id} is not in the PID namespace")
        if attribute_id in _MDOC_DATES:  # nationality: already an array (3.1.3)
            value = date.fromisoformat(value)
        elif attribute_id == "portrait":
            value = base64.b64decode(value)
        elif attribute_id == "resident_street" and values.get("resident_house_number"):
            value = f"{value} {values['resident_house_number']}"
        elements[element] = value
    return elements


def issue_sd_jwt_pid(
    claims: dict[str, Any],
    *,
    signer: Signer,
    holder_public_key: ec.EllipticCurvePublicKey,
    issuer: str,
    now: datetime,
) -> str:
    """The SD-JWT (every claim selectively disclosable) the wallet stores."""
    return issue_sd_jwt_vc(
        claims,
        signer=signer,
        holder_public_key=holder_public_key,
        issuer=issuer,
        now=now,
        valid_for=VALID_FOR,
    )


def issue_mdoc_pid(
    elements: dict[str, Any],
    *,
    signer: Signer,
    device_public_key: ec.EllipticCurvePublicKey,
    now: datetime,
) -> bytes:
    """The CBOR IssuerSigned the wallet stores."""
    return issue_mdoc(
        elements,
        signer=signer,
        device_public_key=device_public_key,
        now=now,
        valid_for=VALID_FOR,
        namespace=PID_NAMESPACE,
    )
