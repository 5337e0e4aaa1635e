"""The demo wallet's holder: the `vp_token` an EUDI wallet sends for a verified OpenID4VP
request object, made from a PID the sandbox PID provider issues on demand (holder_issue).

What the wallet does, as OpenID4VP 1.0 asks:
- picks the request's PID credential query of the chosen format (`vct_values` holding
  urn:eudi:pid:1, B.3.5; `doctype_value` eu.europa.ec.eudi.pid.1, B.2.3) whose answer
  alone satisfies `credential_sets` (6.4.2);
- discloses the claims of the first `claim_sets` option the PID can satisfy, or every
  claim when there are no claim sets (6.4.1: nothing that was not selected). A PID that
  satisfies no option still sends what it has of the requested claims, so the bank, not
  the demo wallet, says what was missing;
- SD-JWT VC: a KB-JWT with the request's `nonce`, `aud` the client_id or, over the DC API,
  `origin:<origin>` (B.3.6, A.4), and `transaction_data_hashes` over exactly the
  transaction data whose `credential_ids` name the answered query (B.3.3.1);
- mdoc: a DeviceResponse whose device signature covers the SessionTranscript of this
  request (B.2.6.1 redirect, B.2.6.2 DC API); transaction data naming the mdoc query is
  refused (B.2.1: the PID defines no element for it).

The failure simulations are real faults that `credentials.vp_token.verify_vp_token`
detects by itself: "untrusted" (issued by `pki.rogue_issuer`), "withheld" (one claim every
claim set needs left out), "tampered" (a disclosed value changed after issuance), "replayed"
(bound to another nonce: another KB-JWT nonce, the transcript of another request).

`values` constraints of claim queries are not evaluated (6.4.1 makes them best effort):
the bank asks for none, and the verifier filters on them anyway.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, Literal, get_args

from ...schemas import CredentialFormat
from ..credentials.dcql_match import (
    ClaimQuery,
    CredentialQuery,
    DcqlQuery,
    check_credential_sets,
    parse_dcql,
    select_claims,
)
from ..credentials.errors import PresentationError
from ..credentials.jose import b64url_encode, decode_json_segment
from ..credentials.mdoc import PID_DOCTYPE
from ..credentials.sdjwt import PID_VCT
from ..credentials.sdjwt_kb import TRANSACTION_DATA_HASH_ALG
from ..credentials.session_transcript import (
    dc_api_session_transcript,
    redirect_session_transcript,
)
from ..oid4vp.parameters import ORIGIN_PREFIX
from .holder_issue import (
    holder_id,
    issue_mdoc_pid,
    issue_sd_jwt_pid,
    mdoc_elements,
    sd_jwt_claims,
)
from .identities import TestIdentity
from .mdoc_pid import PID_NAMESPACE, present_mdoc, tamper_element
from .pki import holder_key, sandbox_pki
from .sdjwt_pid import add_key_binding, select_disclosures, tamper_disclosure

__all__ = ["SIMULATIONS", "HolderError", "Simulation", "build_vp_token"]

Simulation = Literal["untrusted", "withheld", "tampered", "replayed"]
SIMULATIONS: tuple[Simulation, ...] = get_args(Simulation)

_QUERY_FORMATS: dict[CredentialFormat, str] = {"sd-jwt": "dc+sd-jwt", "mdoc": "mso_mdoc"}
_LABELS: dict[CredentialFormat, str] = {"sd-jwt": "SD-JWT VC", "mdoc": "mdoc"}


class HolderError(ValueError):
    """The request cannot be answered with this format; the message says why, for a person."""


def _parsed(dcql_query: Any) -> DcqlQuery:
    if not isinstance(dcql_query, Mapping):
        raise HolderError("The request has no credential query.")
    try:
        return parse_dcql(dcql_query)
    except (ValueError, TypeError, AttributeError) as exc:
        raise HolderError("The request's credential query is not one this wallet reads.") from exc


def _is_pid(query: CredentialQuery) -> bool:
    if query.format == "dc+sd-jwt":
        return PID_VCT in query.meta["vct_values"]
    return bool(query.meta["doctype_value"] == PID_DOCTYPE)


def _answerable(query: DcqlQuery, fmt: CredentialFormat) -> CredentialQuery | None:
    """The first PID query of this format that, answered alone, satisfies the request."""
    for credential_query in query.credentials.values():
        if credential_query.format != _QUERY_FORMATS[fmt] or not _is_pid(credential_query):
            continue
        try:
            check_credential_sets(query, frozenset({credential_query.id}))
        except PresentationError:
            continue
        return credential_query
    return None


def _disclosed(query: CredentialQuery, credential: Mapping[str, Any]) -> list[ClaimQuery]:
    """The claim queries to disclose (6.4.1), in the query's order."""
    if query.claims is None:
        return []
    held = [claim for claim in query.claims if select_claims(credential, claim.path)]
    if query.claim_sets is None:
        return held
    held_ids = {claim.id for claim in held}
    for option in query.claim_sets:
        if held_ids.issuperset(option):
            return [claim for claim in query.claims if claim.id in option]
    return held


def _withheld(query: CredentialQuery, disclosed: Sequence[ClaimQuery]) -> ClaimQuery:
    """A disclosed claim that every claim set needs: without it the query is not answered."""
    for claim in disclosed:
        if query.claim_sets is None or all(claim.id in option for option in query.claim_sets):
            return claim
    raise HolderError("The request needs no claim in every case, so none can be withheld.")


def _tampered(
    disclosed: Sequence[ClaimQuery], credential: Mapping[str, Any]
) -> tuple[ClaimQuery, Any]:
    """A disclosed claim named by its last path element (a text one if any), and a value
    other than its own."""
    named = [
        (claim, select_claims(credential, claim.path)[0][1])
        for claim in disclosed
        if isinstance(claim.path[-1], str)
    ]
    if not named:
        raise HolderError("The request asks for no claim that could be changed.")
    claim, value = next(((c, v) for c, v in named if isinstance(v, str)), named[0])
    return claim, "tampered" if value != "tampered" else "changed"


def _transaction_data(
    request: Mapping[str, Any], query_id: str, fmt: CredentialFormat
) -> list[str]:
    """The transaction data strings naming the answered query, exactly as received."""
    items = request.get("transaction_data") or []
    if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
        raise HolderError("The request's transaction data is not a list of strings.")
    mine: list[str] = []
    for encoded in items:
        try:
            data = decode_json_segment(encoded)
        except ValueError:
            data = None
        credential_ids = data.get("credential_ids") if isinstance(data, dict) else None
        if not isinstance(credential_ids, list) or not credential_ids:
            raise HolderError("The request carries transaction data this wallet cannot read.")
        if query_id not in credential_ids:
            continue
        if fmt == "mdoc":
            raise HolderError(
                "The request asks the mdoc PID to confirm transaction data, which it cannot "
                "carry (OpenID4VP B.2.1)."
            )
        algorithms = data.get("transaction_data_hashes_alg")  # B.3.3.1
        if algorithms is not None and (
            not isinstance(algorithms, list) or TRANSACTION_DATA_HASH_ALG not in algorithms
        ):
            raise HolderError("The request's transaction data needs an unsupported hash.")
        mine.append(encoded)
    return mine


def _text(request: Mapping[str, Any], name: str) -> str:
    value = request.get(name)
    if not isinstance(value, str) or not value:
        raise HolderError(f"The request has no {name}.")
    return value


def _plan(
    query: CredentialQuery, credential: Mapping[str, Any], simulation: Simulation | None
) -> tuple[list[ClaimQuery], tuple[ClaimQuery, Any] | None]:
    """The claims to disclose, and the claim to tamper with (and its new value), if any."""
    disclosed = _disclosed(query, credential)
    if simulation == "withheld":
        left_out = _withheld(query, disclosed)
        return [claim for claim in disclosed if claim is not left_out], None
    if simulation == "tampered":
        return disclosed, _tampered(disclosed, credential)
    return disclosed, None


def build_vp_token(
    request: Mapping[str, Any],
    *,
    identity: TestIdentity,
    fmt: CredentialFormat,
    secret: str,
    issuer: str,
    jwk_thumbprint: bytes | None,
    origin: str | None = None,
    simulation: Simulation | None = None,
    now: datetime,
) -> dict[str, list[str]]:
    """{credential query id: [presentation]} answering the verified request object payload
    `request` with `identity`'s PID in format `fmt`; mdoc presentations are the base64url
    DeviceResponse. `origin` is set for the Digital Credentials API (then `response_uri` and
    `client_id` are not needed). HolderError when this format cannot answer the request."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    if simulation is not None and simulation not in SIMULATIONS:
        raise ValueError(f"unknown simulation {simulation!r}")
    query = _parsed(request.get("dcql_query"))
    credential_query = _answerable(query, fmt)
    if credential_query is None:
        raise HolderError(f"The request does not ask for a PID as {_LABELS[fmt]}.")
    nonce = _text(request, "nonce")
    if simulation == "replayed":  # as if made for an earlier request to the same verifier
        nonce = secrets.token_urlsafe(32)
    transaction_data = _transaction_data(request, credential_query.id, fmt)
    pki = sandbox_pki(secret)
    signer = pki.rogue_issuer if simulation == "untrusted" else pki.issuer
    key = holder_key(secret, holder_id(identity))

    if fmt == "sd-jwt":
        audience = ORIGIN_PREFIX + origin if origin is not None else _text(request, "client_id")
        claims = sd_jwt_claims(identity, now.date())
        disclosed, tampered = _plan(credential_query, claims, simulation)
        issued = issue_sd_jwt_pid(
            claims, signer=signer, holder_public_key=key.public_key(), issuer=issuer, now=now
        )
        sd_jwt = select_disclosures(issued, [claim.path for claim in disclosed])
        if tampered is not None:
            claim, value = tampered
            sd_jwt = tamper_disclosure(sd_jwt, str(claim.path[-1]), value)
        presentation = add_key_binding(
            sd_jwt,
            holder_key=key,
            nonce=nonce,
            audience=audience,
            transaction_data=transaction_data,
            now=now,
        )
        return {credential_query.id: [presentation]}

    if origin is not None:
        transcript = dc_api_session_transcript(origin, nonce, jwk_thumbprint)
    else:
        transcript = redirect_session_transcript(
            _text(request, "client_id"), nonce, jwk_thumbprint, _text(request, "response_uri")
        )
    elements = mdoc_elements(identity, now.date())
    disclosed, tampered = _plan(credential_query, {PID_NAMESPACE: elements}, simulation)
    stored = issue_mdoc_pid(elements, signer=signer, device_public_key=key.public_key(), now=now)
    if tampered is not None:
        (namespace, element), value = tampered[0].path, tampered[1]
        stored = tamper_element(stored, str(element), value, namespace=str(namespace))
    selection: dict[str, set[str]] = {}
    for claim in disclosed:
        selection.setdefault(str(claim.path[0]), set()).add(str(claim.path[1]))
    response = present_mdoc(
        stored, element_identifiers=selection, device_key=key, session_transcript=transcript
    )
    return {credential_query.id: [b64url_encode(response)]}
