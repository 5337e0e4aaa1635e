"""Verification of a whole `vp_token` against the DCQL query it answers (OpenID4VP 1.0 8.6).

1. The token's shape (8.1): a JSON object of credential query id -> non-empty array of
   presentation strings, only for queries of the request, one presentation per query
   unless the query says `multiple`, bounded in count and size.
2. The answered queries against `credential_sets` (6.4.2): every required set satisfied by
   one option, and nothing that was not needed.
3. Each presentation with its format's verifier: SD-JWT VC (B.3; `vct` one of the query's
   `vct_values`, KB-JWT `nonce`/`aud`, and `transaction_data_hashes` over exactly the
   transaction data whose `credential_ids` name this query, B.3.3.1) or mdoc (B.2; the
   query's `doctype_value`, the device signature over this request's SessionTranscript).
4. Its claims against the credential query (6.3, 6.4.1, 7), keeping only what was asked.

Transaction data that names an mdoc query is refused outright: the mdoc PID defines no
element to carry it (B.2.1, and the PID Rulebook section 5), so no answer could confirm it.
Transaction data whose queries were not answered (the wallet chose the mdoc option of a
request that offered both) is not confirmed by any presentation; the presentation is still
bound to this request by its nonce. `PresentationError.path` says which presentation failed.
"""

from __future__ import annotations

import base64
import copy
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal

from cryptography import x509

from ..base import KNOWN_ERRORS
from .dcql_match import (
    CredentialQuery,
    DcqlQuery,
    check_credential_sets,
    matched_claims,
    parse_dcql,
)
from .errors import PresentationError
from .jose import decode_json_segment
from .mdoc import device_response_from_vp_token, verify_mdoc_presentation
from .sdjwt import verify_sd_jwt_vc

__all__ = [
    "MAX_PRESENTATIONS",
    "MAX_QUERIES",
    "MAX_VP_TOKEN_CHARS",
    "PresentationContext",
    "PresentedCredential",
    "policy_response",
    "verify_vp_token",
    "vidos_credentials",
]

MAX_QUERIES = 4  # entries of a vp_token (our requests have at most two queries)
MAX_PRESENTATIONS = 4  # presentations over all entries
MAX_VP_TOKEN_CHARS = 1_000_000  # all presentation strings together
MAX_TRANSACTION_DATA = 8

CredentialFormat = Literal["dc+sd-jwt", "mso_mdoc"]


@dataclass(frozen=True)
class PresentationContext:
    """What this request's presentations must be bound to."""

    nonce: str
    audience: str  # KB-JWT aud: the client_id; for the DC API "origin:<origin>" (B.3.6)
    session_transcript: bytes  # the CBOR SessionTranscript the mdoc device signature covers
    transaction_data: Sequence[str]  # base64url strings exactly as sent in the request
    trust_anchors: Sequence[x509.Certificate]
    now: datetime


@dataclass(frozen=True)
class PresentedCredential:
    """One verified presentation, with the requested claims only, as JSON-able data."""

    query_id: str
    format: CredentialFormat
    credential_type: str  # vct or doctype
    claims: dict[str, Any]  # SD-JWT: nested claims; mdoc: {namespace: {element: value}}


def _malformed(detail: str) -> PresentationError:
    return PresentationError("invalid-credential", detail)


def _answers(vp_token: object, query: DcqlQuery) -> dict[str, list[str]]:
    """8.1: the vp_token's entries, checked for shape and bounds before any decoding."""
    if not isinstance(vp_token, dict):
        raise _malformed("the vp_token is not a JSON object")
    if len(vp_token) > MAX_QUERIES:
        raise _malformed("the vp_token answers too many credential queries")
    answers: dict[str, list[str]] = {}
    count = size = 0
    for query_id, presentations in vp_token.items():
        credential_query = query.credentials.get(query_id) if isinstance(query_id, str) else None
        if credential_query is None:
            raise PresentationError(
                "credential-query-evaluation", "the vp_token answers a query that was not asked"
            )
        if not isinstance(presentations, list) or not presentations:
            raise _malformed(f"the answer to '{query_id}' is not a non-empty array")
        if len(presentations) > 1 and not credential_query.multiple:
            raise PresentationError(
                "credential-query-evaluation",
                f"several presentations answer '{query_id}', which asked for one",
            )
        count += len(presentations)
        if count > MAX_PRESENTATIONS:
            raise _malformed("the vp_token holds too many presentations")
        for presentation in presentations:
            if not isinstance(presentation, str) or not presentation:
                raise _malformed(f"a presentation for '{query_id}' is not a string")
            size += len(presentation)
        if size > MAX_VP_TOKEN_CHARS:
            raise _malformed("the vp_token is too large")
        answers[query_id] = presentations
    return answers


def _transaction_data_by_query(
    query: DcqlQuery, transaction_data: Sequence[str]
) -> dict[str, list[str]]:
    """Each query's transaction data strings, in request order (5.1 `credential_ids`)."""
    if len(transaction_data) > MAX_TRANSACTION_DATA:
        raise PresentationError("transaction-data", "the request has too much transaction data")
    routed: dict[str, list[str]] = {}
    for encoded in transaction_data:
        try:
            data = decode_json_segment(encoded)
        except ValueError:
            data = None
        credential_ids = data.get("credential_ids") if isinstance(data, dict) else None
        if (
            not isinstance(credential_ids, list)
            or not credential_ids
            or not all(isinstance(i, str) and i in query.credentials for i in credential_ids)
        ):
            raise PresentationError(
                "transaction-data", "transaction data does not name credential queries"
            )
        for credential_id in credential_ids:
            if query.credentials[credential_id].format == "mso_mdoc":
                raise PresentationError(
                    "transaction-data",
                    f"transaction data names the mdoc query '{credential_id}', which cannot "
                    "carry it (OpenID4VP B.2.1)",
                )
            routed.setdefault(credential_id, []).append(encoded)
    return routed


def _unverified_vct(presentation: str) -> str | None:
    """The `vct` the issuer JWT claims, to pick which of the query's values to verify
    against; the verifier then checks it under the signature."""
    try:
        payload = decode_json_segment(presentation.split("~", 1)[0].split(".")[1])
    except (ValueError, IndexError):
        return None
    vct = payload.get("vct") if isinstance(payload, dict) else None
    return vct if isinstance(vct, str) else None


def _json_value(value: Any) -> Any:
    """RFC 8949 6.1 (as OpenID4VP 6.3 asks for `values` matching): full-date ->
    "YYYY-MM-DD", tdate -> RFC 3339 "Z", bstr -> standard base64, other keys -> text."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value


def _verify(
    credential_query: CredentialQuery,
    presentation: str,
    context: PresentationContext,
    transaction_data: Sequence[str],
) -> PresentedCredential:
    query_id = credential_query.id
    if credential_query.format == "dc+sd-jwt":
        vct_values = [str(v) for v in credential_query.meta["vct_values"]]
        claimed = _unverified_vct(presentation)
        expected = claimed if claimed is not None and claimed in vct_values else vct_values[0]
        verified = verify_sd_jwt_vc(
            presentation,
            trust_anchors=context.trust_anchors,
            expected_vct=expected,  # any of the query's vct_values (B.3.5)
            nonce=context.nonce,
            audience=context.audience,
            transaction_data=transaction_data,
            now=context.now,
        )
        claims = matched_claims(credential_query, verified.claims)
        return PresentedCredential(query_id, "dc+sd-jwt", verified.vct, claims)
    document = verify_mdoc_presentation(
        device_response_from_vp_token(presentation),
        trust_anchors=context.trust_anchors,
        session_transcript=context.session_transcript,
        now=context.now,
        expected_doctype=str(credential_query.meta["doctype_value"]),  # B.2.3
    )
    claims = matched_claims(credential_query, _json_value(document.claims))
    return PresentedCredential(query_id, "mso_mdoc", document.doctype, claims)


def verify_vp_token(
    vp_token: object, dcql_query: Mapping[str, Any], context: PresentationContext
) -> list[PresentedCredential]:
    """The verified presentations of a vp_token, in its order, each with only the claims
    its credential query asked for; PresentationError when any check fails (8.6: one bad
    presentation rejects the whole token, as the bank acts on all of them together).

    `dcql_query` is the query as sent; ValueError when it is malformed (our own bug).
    """
    query = parse_dcql(dcql_query)
    routed = _transaction_data_by_query(query, context.transaction_data)
    answers = _answers(vp_token, query)
    check_credential_sets(query, frozenset(answers))
    presented: list[PresentedCredential] = []
    for query_id, presentations in answers.items():
        for index, presentation in enumerate(presentations):
            try:
                presented.append(
                    _verify(
                        query.credentials[query_id],
                        presentation,
                        context,
                        routed.get(query_id, []),
                    )
                )
            except PresentationError as exc:
                raise PresentationError(exc.error_type, exc.detail, (query_id, index)) from exc
    return presented


def vidos_credentials(presented: Sequence[PresentedCredential]) -> list[dict[str, Any]]:
    """The `credentials` of a Vidos `GET .../credentials` answer, which
    `claims.normalize_credentials` reads: path [query id, index], format, type, claims."""
    counts: dict[str, int] = {}
    result: list[dict[str, Any]] = []
    for credential in presented:
        index = counts.get(credential.query_id, 0)
        counts[credential.query_id] = index + 1
        result.append(
            {
                "path": [credential.query_id, index],
                "format": credential.format,
                "credentialType": credential.credential_type,
                "claims": copy.deepcopy(credential.claims),
            }
        )
    return result


def policy_response(error: PresentationError) -> list[dict[str, Any]]:
    """The Vidos-style policy response of a refused vp_token, which
    `base.error_info_from_policy_response` turns into what the person is shown: the
    person-facing words for its type, and the check's own detail in `errors`."""
    title, detail = KNOWN_ERRORS.get(
        error.error_type, ("Verification failed", "The wallet presentation failed.")
    )
    return [
        {
            "path": list(error.path),
            "policy": error.error_type,
            "service": "verifier",
            "error": {
                "type": f"https://vidos.id/errors/{error.error_type}",
                "vidosType": error.error_type,
                "title": title,
                "detail": detail,
                "errors": [{"detail": error.detail}],
            },
        }
    ]
