"""The EUDI PID attributes and the DCQL queries built from them."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from ..schemas import CredentialFormat, PresentationMode
from .base import PresentationRequest

MDOC_NAMESPACE = "eu.europa.ec.eudi.pid.1"
SD_JWT_VCT = "urn:eudi:pid:1"
QUERY_IDS: dict[CredentialFormat, str] = {"sd-jwt": "pid_sd_jwt", "mdoc": "pid_mdoc"}
ALL_FORMATS: tuple[CredentialFormat, ...] = ("sd-jwt", "mdoc")


@dataclass(frozen=True)
class PidAttribute:
    id: str
    display_name: str
    sd_jwt_path: tuple[str, ...]
    mdoc_path: tuple[str, ...]


def _attr(id_: str, name: str, sd_jwt: tuple[str, ...] | None = None) -> PidAttribute:
    return PidAttribute(id_, name, sd_jwt or (id_,), (MDOC_NAMESPACE, id_))


PID_ATTRIBUTES: dict[str, PidAttribute] = {
    a.id: a
    for a in (
        _attr("family_name", "Family name"),
        _attr("given_name", "Given name"),
        _attr("birth_date", "Date of birth", ("birthdate",)),
        _attr("age_over_18", "Age over 18", ("age_equal_or_over", "18")),
        _attr("age_in_years", "Age in years"),
        _attr("age_birth_year", "Year of birth"),
        _attr("family_name_birth", "Family name at birth", ("birth_family_name",)),
        _attr("given_name_birth", "Given name at birth", ("birth_given_name",)),
        _attr("birth_place", "Place of birth", ("place_of_birth",)),
        _attr("resident_address", "Address", ("address", "formatted")),
        _attr("resident_country", "Country of residence", ("address", "country")),
        _attr("resident_state", "State of residence", ("address", "region")),
        _attr("resident_city", "City of residence", ("address", "locality")),
        _attr("resident_postal_code", "Postal code", ("address", "postal_code")),
        _attr("resident_street", "Street", ("address", "street_address")),
        _attr("resident_house_number", "House number", ("address", "house_number")),
        _attr("sex", "Sex"),
        _attr("nationality", "Nationality", ("nationalities",)),
        _attr("issuance_date", "Issuance date", ("date_of_issuance",)),
        _attr("expiry_date", "Expiry date", ("date_of_expiry",)),
        _attr("issuing_authority", "Issuing authority"),
        _attr("document_number", "Document number"),
        _attr("personal_administrative_number", "Personal administrative number"),
        _attr("issuing_jurisdiction", "Issuing jurisdiction"),
        _attr("issuing_country", "Issuing country"),
        _attr("portrait", "Portrait", ("picture",)),
        _attr("email_address", "Email", ("email",)),
        _attr("mobile_phone_number", "Mobile phone number", ("phone_number",)),
    )
}

def build_dcql(
    claim_ids: tuple[str, ...], formats: list[CredentialFormat], purpose: str | None = None
) -> dict[str, Any]:
    """One credential query per format; with both, `credential_sets` lets either answer."""
    if not formats:
        raise ValueError("at least one credential format is needed")
    attributes = [PID_ATTRIBUTES[c] for c in claim_ids]
    credentials: list[dict[str, Any]] = []
    for fmt in ALL_FORMATS:
        if fmt not in formats:
            continue
        if fmt == "sd-jwt":
            credentials.append(
                {
                    "id": QUERY_IDS[fmt],
                    "format": "dc+sd-jwt",
                    "meta": {"vct_values": [SD_JWT_VCT]},
                    "claims": [{"path": list(a.sd_jwt_path)} for a in attributes],
                }
            )
        else:
            credentials.append(
                {
                    "id": QUERY_IDS[fmt],
                    "format": "mso_mdoc",
                    "meta": {"doctype_value": MDOC_NAMESPACE},
                    "claims": [{"path": list(a.mdoc_path)} for a in attributes],
                }
            )
    dcql: dict[str, Any] = {"credentials": credentials}
    if purpose:
        dcql["purpose"] = purpose
    if len(credentials) > 1:
        dcql["credential_sets"] = [{"options": [[c["id"]] for c in credentials]}]
    return dcql


def encode_transaction_data(data: dict[str, Any]) -> str:
    raw = json.dumps(data, separators=(",", ":"), ensure_ascii=False).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_transaction_data(encoded: str) -> dict[str, Any]:
    padded = encoded + "=" * (-len(encoded) % 4)
    value = json.loads(base64.urlsafe_b64decode(padded.encode()))
    if not isinstance(value, dict):
        raise ValueError("transaction data must be a JSON object")
    return value


def build_presentation_request(
    attributes: tuple[str, ...],
    formats: list[CredentialFormat],
    mode: PresentationMode,
    *,
    purpose: str,
    origin: str | None = None,
    transaction: dict[str, Any] | None = None,
    verifier_info: str | None = None,
) -> PresentationRequest:
    """The DCQL query, transaction data and verifier info for one presentation.

    `transaction` (payments and loans) is bound into the request as one transaction data
    object that names the credential queries it applies to, as OpenID4VP 1.0 requires.
    """
    dcql = build_dcql(attributes, formats, purpose)
    transaction_data: list[str] = []
    if transaction is not None:
        credential_ids = [c["id"] for c in dcql["credentials"]]
        transaction_data.append(
            encode_transaction_data({**transaction, "credential_ids": credential_ids})
        )
    return PresentationRequest(
        dcql=dcql,
        mode=mode,
        origin=origin,
        transaction_data=transaction_data,
        verifier_info=[{"format": "plaintext", "data": verifier_info}] if verifier_info else [],
    )


def claims_from_dcql(dcql: dict[str, Any]) -> tuple[dict[CredentialFormat, list[str]], str]:
    """Read back which attributes (by id) each format was asked for, and the purpose."""
    by_path = {
        **{("dc+sd-jwt", a.sd_jwt_path): a.id for a in PID_ATTRIBUTES.values()},
        **{("mso_mdoc", a.mdoc_path): a.id for a in PID_ATTRIBUTES.values()},
    }
    fmt_names: dict[str, CredentialFormat] = {"dc+sd-jwt": "sd-jwt", "mso_mdoc": "mdoc"}
    result: dict[CredentialFormat, list[str]] = {}
    for query in dcql.get("credentials", []):
        fmt = fmt_names.get(query.get("format", ""))
        if fmt is None:
            continue
        ids = [
            by_path[(query["format"], tuple(str(p) for p in claim.get("path", [])))]
            for claim in query.get("claims", [])
            if (query["format"], tuple(str(p) for p in claim.get("path", []))) in by_path
        ]
        result[fmt] = ids
    return result, str(dcql.get("purpose", ""))
