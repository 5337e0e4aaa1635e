"""The EUDI PID attributes and the DCQL queries built from them.

Names follow the PID Rulebook v1.7: section 3.1.2 for mdoc element identifiers (namespace
and doctype `eu.europa.ec.eudi.pid.1`, 3.1.1), section 4.1.1 for SD-JWT VC claim names
(vct `urn:eudi:pid:1`, 4.2). Queries follow OpenID4VP 1.0 section 6 (DCQL).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any

from ..schemas import CredentialFormat, PresentationMode
from .presentation_request import PresentationRequest

MDOC_NAMESPACE = "eu.europa.ec.eudi.pid.1"
MDOC_DOCTYPE = MDOC_NAMESPACE  # PID Rulebook 3.1.1: the same value for both
SD_JWT_VCT = "urn:eudi:pid:1"
QUERY_IDS: dict[CredentialFormat, str] = {"sd-jwt": "pid_sd_jwt", "mdoc": "pid_mdoc"}
ALL_FORMATS: tuple[CredentialFormat, ...] = ("sd-jwt", "mdoc")
NO_ELEMENT = ""  # `_attr(mdoc=NO_ELEMENT)`: the mdoc PID has no such element


@dataclass(frozen=True)
class PidAttribute:
    """One PID attribute: its rulebook data identifier (`id`) and where each format has it.

    `mdoc_path` is None when the mdoc PID has no such element (rulebook 3.1.2 lists no age
    attributes and no house number). `optional` attributes are asked for in the preferred
    claim set only, so a wallet whose PID lacks them still answers (see `build_dcql`).
    """

    id: str
    display_name: str
    sd_jwt_path: tuple[str, ...]
    mdoc_path: tuple[str, str] | None
    optional: bool = False


def _attr(
    id_: str,
    name: str,
    sd_jwt: tuple[str, ...] | None = None,
    *,
    mdoc: str | None = None,
    optional: bool = False,
) -> PidAttribute:
    element = id_ if mdoc is None else mdoc
    return PidAttribute(
        id_,
        name,
        sd_jwt or (id_,),
        (MDOC_NAMESPACE, element) if element else None,
        optional,
    )


# Optional: everything the rulebook lists as optional (2.3, 2.5) or not at all (the age
# attributes of earlier rulebooks), and the portrait, which a person may opt out of and
# which becomes mandatory only later (2.2). The personal administrative number is optional
# in the rulebook (2.3) but it is the bank's account identifier: asked for as mandatory, a
# PID without it cannot open or use an account anyway.
PID_ATTRIBUTES: dict[str, PidAttribute] = {
    a.id: a
    for a in (
        _attr("family_name", "Family name"),
        _attr("given_name", "Given name"),
        _attr("birth_date", "Date of birth", ("birthdate",)),
        _attr(
            "age_over_18",
            "Age over 18",
            ("age_equal_or_over", "18"),
            mdoc=NO_ELEMENT,
            optional=True,
        ),
        _attr("age_in_years", "Age in years", mdoc=NO_ELEMENT, optional=True),
        _attr("age_birth_year", "Year of birth", mdoc=NO_ELEMENT, optional=True),
        _attr("family_name_birth", "Family name at birth", ("birth_family_name",), optional=True),
        _attr("given_name_birth", "Given name at birth", ("birth_given_name",), optional=True),
        _attr("birth_place", "Place of birth", ("place_of_birth",), mdoc="place_of_birth"),
        _attr("resident_address", "Address", ("address", "formatted"), optional=True),
        _attr("resident_country", "Country of residence", ("address", "country"), optional=True),
        _attr("resident_state", "State of residence", ("address", "region"), optional=True),
        _attr("resident_city", "City of residence", ("address", "locality"), optional=True),
        _attr("resident_postal_code", "Postal code", ("address", "postal_code"), optional=True),
        _attr("resident_street", "Street", ("address", "street_address"), optional=True),
        _attr(
            "resident_house_number",
            "House number",
            ("address", "house_number"),  # rulebook 4.1.1; in mdoc part of resident_street
            mdoc=NO_ELEMENT,
            optional=True,
        ),
        _attr("sex", "Sex", optional=True),
        _attr("nationality", "Nationality", ("nationalities",)),
        _attr("issuance_date", "Issuance date", ("date_of_issuance",), optional=True),
        _attr("expiry_date", "Expiry date", ("date_of_expiry",), optional=True),
        _attr("issuing_authority", "Issuing authority"),
        _attr("document_number", "Document number", optional=True),
        _attr("personal_administrative_number", "Personal administrative number"),
        _attr("issuing_jurisdiction", "Issuing jurisdiction", optional=True),
        _attr("issuing_country", "Issuing country"),
        _attr("portrait", "Portrait", ("picture",), optional=True),
        _attr("email_address", "Email", ("email",), optional=True),
        _attr("mobile_phone_number", "Mobile phone number", ("phone_number",), optional=True),
    )
}


def _claim_sets(claims: list[dict[str, Any]], attributes: list[PidAttribute]) -> Any:
    """OpenID4VP 6.4.1: the first satisfiable set is returned, so [all, mandatory only] asks
    for the optional attributes without making them a reason to refuse. None when every
    attribute is mandatory, or none is (there is nothing to fall back to)."""
    optional = {a.id for a in attributes if a.optional}
    mandatory = [c["id"] for c in claims if c["id"] not in optional]
    if not mandatory or len(mandatory) == len(claims):
        return None
    return [[c["id"] for c in claims], mandatory]


def _credential_query(
    fmt: CredentialFormat, attributes: list[PidAttribute], retain: bool
) -> dict[str, Any]:
    claims: list[dict[str, Any]] = []
    asked: list[PidAttribute] = []
    for a in attributes:
        if fmt == "sd-jwt":
            claims.append({"id": a.id, "path": list(a.sd_jwt_path)})
        elif a.mdoc_path is not None:  # 7.2: [namespace, element identifier]
            claim: dict[str, Any] = {"id": a.id, "path": list(a.mdoc_path)}
            if retain:  # B.2.4: ISO/IEC 18013-5 IntentToRetain
                claim["intent_to_retain"] = True
            claims.append(claim)
        else:
            continue
        asked.append(a)
    query: dict[str, Any] = {"id": QUERY_IDS[fmt]}
    if fmt == "sd-jwt":
        query.update(format="dc+sd-jwt", meta={"vct_values": [SD_JWT_VCT]})  # B.3.5
    else:
        query.update(format="mso_mdoc", meta={"doctype_value": MDOC_DOCTYPE})  # B.2.3
    if claims:  # 6.1: `claims` is a non-empty array when present
        query["claims"] = claims
        claim_sets = _claim_sets(claims, asked)
        if claim_sets is not None:
            query["claim_sets"] = claim_sets
    return query


def build_dcql(
    claim_ids: tuple[str, ...],
    formats: list[CredentialFormat],
    purpose: str | None = None,
    *,
    retain: bool = False,
) -> dict[str, Any]:
    """One credential query per format; with both, `credential_sets` lets either answer.

    Every claim query has an `id` (its attribute id). Optional attributes are asked for
    with `claim_sets` [[all], [mandatory only]] (6.3, 6.4.1). mdoc queries leave out the
    attributes the mdoc PID has no element for, and with `retain` (the bank stores what it
    receives: sign-up, profile update) mark each claim `intent_to_retain` (B.2.4).
    """
    if not formats:
        raise ValueError("at least one credential format is needed")
    attributes = [PID_ATTRIBUTES[c] for c in claim_ids]
    credentials = [_credential_query(f, attributes, retain) for f in ALL_FORMATS if f in formats]
    dcql: dict[str, Any] = {"credentials": credentials}
    if purpose:
        dcql["purpose"] = purpose
    if len(credentials) > 1:  # 6.2: one required set, either credential satisfies it
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
    retain: bool = False,
) -> PresentationRequest:
    """The DCQL query, transaction data and verifier info for one presentation.

    `transaction` (payments and loans) is bound into the request as one transaction data
    object (OpenID4VP 5.1, 8.4) whose `credential_ids` name the SD-JWT query only: the SD-JWT
    VC carries it as `transaction_data_hashes` in the key-binding JWT (B.3.3.1), while the
    mdoc PID defines no device-signed element for it (B.2.1), so a wallet would have to
    refuse a request naming the mdoc query. Asked with mdoc only, the request therefore
    carries no transaction data: the mdoc presentation is still bound to this request (its
    device signature covers the session transcript with this request's nonce, B.2.6), and
    the request is the bank's record of this one transaction, but the wallet does not sign
    the transaction's details. The same holds when both formats are offered and the wallet
    answers with the mdoc.
    """
    dcql = build_dcql(attributes, formats, purpose, retain=retain)
    transaction_data: list[str] = []
    if transaction is not None and "sd-jwt" in formats:
        transaction_data.append(
            encode_transaction_data({**transaction, "credential_ids": [QUERY_IDS["sd-jwt"]]})
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
    by_path: dict[tuple[str, tuple[str, ...]], str] = {}
    for a in PID_ATTRIBUTES.values():
        by_path[("dc+sd-jwt", a.sd_jwt_path)] = a.id
        if a.mdoc_path is not None:
            by_path[("mso_mdoc", a.mdoc_path)] = a.id
            # requests stored before rulebook 3.1.2 names (e.g. birth_place) still read back
            by_path.setdefault(("mso_mdoc", (MDOC_NAMESPACE, a.id)), a.id)
    fmt_names: dict[str, CredentialFormat] = {"dc+sd-jwt": "sd-jwt", "mso_mdoc": "mdoc"}
    result: dict[CredentialFormat, list[str]] = {}
    for query in dcql.get("credentials", []):
        fmt = fmt_names.get(query.get("format", ""))
        if fmt is None:
            continue
        paths = [
            (query["format"], tuple(str(p) for p in claim.get("path", [])))
            for claim in query.get("claims", [])
        ]
        result[fmt] = [by_path[p] for p in paths if p in by_path]
    return result, str(dcql.get("purpose", ""))
