"""The wallet side of a signed request object (OpenID4VP 1.0 sections 5, 5.9.3, 5.10.1, A.2):
what the demo wallet checks before it shows the user anything.

Only the `x509_hash` Client Identifier Prefix is supported. Every refusal is an
`invalid_request` (section 8.5: a violated requirement of the prefix is one too), except
malformed transaction data (`invalid_transaction_data`). Trust: section 5.9.3 says the
wallet MUST validate the trust chain of the leaf certificate. With `trust_anchors` given, the
chain must lead to one of them. Without anchors, the verifier is trusted by the certificate
hash alone: the client identifier *is* the SHA-256 of the leaf, so a request signed by that
leaf's key can only come from whoever holds it. That is what a self-signed development
verifier offers (the user sees and accepts the hash, much like an SSH host key), and is only
for development: a production wallet passes the anchors of its trust framework.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from ..credentials.errors import PresentationError
from ..credentials.jose import (
    CLOCK_SKEW,
    jws_header,
    numeric_date,
    public_ec_key,
    seconds,
    verify_jws,
)
from ..credentials.trust import load_certificates, verify_chain
from .errors import RequestErrorCode, RequestObjectError
from .identity import x509_hash_client_id
from .parameters import (
    DC_API,
    DC_API_JWT,
    DIRECT_POST,
    DIRECT_POST_JWT,
    ENCRYPTED_RESPONSE_MODES,
    REQUEST_OBJECT_TYP,
    RESPONSE_TYPE,
    STATIC_DISCOVERY_AUDIENCE,
    X509_HASH_PREFIX,
    credential_query_ids,
    http_url,
    transaction_data_items,
    url_safe,
    verifier_info_items,
    web_origin,
)
from .response_crypto import select_response_encryption

__all__ = ["ParsedRequest", "RequestObjectError", "verify_request_object"]

MAX_REQUEST_OBJECT_CHARS = 300_000  # the JWS helpers bound header (16 KiB) and payload too
_WHAT = "the request object"


@dataclass(frozen=True)
class ParsedRequest:
    claims: dict[str, Any]  # every claim of the request object, as signed
    client_id: str
    leaf: x509.Certificate

    @property
    def response_mode(self) -> str:
        return str(self.claims["response_mode"])

    @property
    def nonce(self) -> str:
        return str(self.claims["nonce"])


def _refuse(detail: str, error: RequestErrorCode = "invalid_request") -> RequestObjectError:
    return RequestObjectError(detail, error)


def _chain(header: Mapping[str, Any]) -> list[bytes]:
    """The DER certificates of `x5c` (RFC 7515 section 4.1.6: standard base64, leaf first)."""
    x5c = header.get("x5c")
    if not isinstance(x5c, list) or not x5c or not all(isinstance(item, str) for item in x5c):
        raise _refuse("the request object has no x5c certificate chain")
    try:
        return [base64.b64decode(item, validate=True) for item in x5c]
    except (ValueError, binascii.Error):
        raise _refuse("an x5c certificate is not base64") from None


def _check_times(payload: Mapping[str, Any], now: datetime) -> None:
    try:
        now_s = seconds(now)
        iat = numeric_date(payload, "iat", "invalid-credential")
        exp = numeric_date(payload, "exp", "invalid-credential")
        nbf = numeric_date(payload, "nbf", "invalid-credential")
    except PresentationError as exc:
        raise _refuse(f"{_WHAT}: {exc.detail}") from None
    skew = CLOCK_SKEW.total_seconds()
    if exp is not None and now_s >= exp + skew:
        raise _refuse(f"{_WHAT} has expired")
    if iat is not None and iat > now_s + skew:
        raise _refuse(f"{_WHAT} was issued in the future")
    if nbf is not None and nbf > now_s + skew:
        raise _refuse(f"{_WHAT} is not valid yet")
    if exp is not None and iat is not None and exp <= iat:
        raise _refuse(f"{_WHAT} expires before it was issued")


def _check_client_id(
    payload: Mapping[str, Any], leaf: x509.Certificate, expected: str | None
) -> str:
    client_id = payload.get("client_id")
    if not isinstance(client_id, str) or not client_id:
        raise _refuse(f"{_WHAT} has no client_id")
    # Section 5.10.1: identical to the link's client_id, including the prefix.
    if expected is not None and client_id != expected:
        raise _refuse("the client_id of the request object is not the one of the link")
    if not client_id.startswith(X509_HASH_PREFIX):
        raise _refuse("only the x509_hash client identifier prefix is supported")
    if client_id != x509_hash_client_id(leaf):  # section 5.9.3
        raise _refuse("the client_id is not the hash of the x5c leaf certificate")
    return client_id


def _check_audience(payload: Mapping[str, Any], expected: str) -> None:
    """Section 5.8; RFC 7519 section 4.1.3 allows a string or an array."""
    if "aud" not in payload:
        return
    audience = payload["aud"]
    audiences = audience if isinstance(audience, list) else [audience]
    if expected not in audiences:
        raise _refuse(f"{_WHAT} is meant for another audience")


def _check_encryption(client_metadata: Mapping[str, Any]) -> None:
    """Sections 5.1 and 8.3: keys with unique kids, one usable; enc values well-formed."""
    jwks = client_metadata.get("jwks")
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    if not isinstance(keys, list) or not keys:
        raise _refuse("an encrypted response needs client_metadata.jwks")
    kids = [key.get("kid") if isinstance(key, Mapping) else None for key in keys]
    if not all(isinstance(kid, str) and kid for kid in kids) or len(set(kids)) != len(kids):
        raise _refuse("every client_metadata.jwks key needs a unique kid")
    offered = client_metadata.get("encrypted_response_enc_values_supported")
    if offered is not None and (
        not isinstance(offered, list)
        or not offered
        or not all(isinstance(enc, str) for enc in offered)
    ):
        raise _refuse("encrypted_response_enc_values_supported is not a non-empty string array")
    try:
        select_response_encryption(client_metadata)
    except ValueError as exc:
        raise _refuse(str(exc)) from None


def _check_parameters(payload: Mapping[str, Any], origin: str | None) -> None:
    """Required request parameters for the response mode (sections 5.1, 5.2, 8.2, 8.3, A.2)."""
    if payload.get("response_type") != RESPONSE_TYPE:
        raise _refuse("only response_type vp_token is supported")
    mode = payload.get("response_mode")
    if mode not in (DIRECT_POST, DIRECT_POST_JWT, DC_API, DC_API_JWT):
        raise _refuse(f"response_mode {mode!r} is not supported")
    if "dcql_query" not in payload or "scope" in payload:  # section 5.1, 8.5
        raise _refuse("the request needs a dcql_query (and no scope)")
    try:
        url_safe(payload.get("nonce"), "nonce")
        ids = credential_query_ids(payload["dcql_query"])
        if mode in (DIRECT_POST, DIRECT_POST_JWT):
            http_url(payload.get("response_uri"), "response_uri")  # section 8.2
            if "state" in payload:
                url_safe(payload["state"], "state")
        else:
            origins = payload.get("expected_origins")  # A.2: required in signed requests
            if not isinstance(origins, list) or not origins:
                raise ValueError("a signed DC API request needs expected_origins")
            for item in origins:
                web_origin(item)
            if origin is not None and origin not in origins:
                raise ValueError("the origin is not one of the expected_origins")
        if "verifier_info" in payload:
            verifier_info_items(payload["verifier_info"])
    except ValueError as exc:
        raise _refuse(str(exc)) from None
    if mode in (DIRECT_POST, DIRECT_POST_JWT) and "redirect_uri" in payload:
        raise _refuse("redirect_uri must not be present with response_uri (section 8.2)")
    client_metadata = payload.get("client_metadata")
    # Section 5.9.3: with x509_hash all metadata but the key comes from client_metadata, so
    # vp_formats_supported (section 11.1) has no other source.
    if not isinstance(client_metadata, Mapping) or not isinstance(
        client_metadata.get("vp_formats_supported"), Mapping
    ):
        raise _refuse("client_metadata with vp_formats_supported is required")
    if mode in ENCRYPTED_RESPONSE_MODES:
        _check_encryption(client_metadata)
    if "transaction_data" in payload:
        try:
            transaction_data_items(payload["transaction_data"], ids)
        except ValueError as exc:
            raise _refuse(str(exc), "invalid_transaction_data") from None


def verify_request_object(
    jwt: str,
    *,
    expected_client_id: str | None,
    now: datetime,
    trust_anchors: Sequence[x509.Certificate] | None = None,
    expected_wallet_nonce: str | None = None,
    origin: str | None = None,
    audience: str = STATIC_DISCOVERY_AUDIENCE,
) -> ParsedRequest:
    """The claims of a signed request object, once everything a wallet must check holds.

    `expected_client_id` is the link's `client_id` (None over the DC API, where there is no
    link); `expected_wallet_nonce` the `wallet_nonce` the wallet POSTed (5.10.1); `origin` the
    DC API caller's origin, checked against `expected_origins` (A.2). RequestObjectError
    (with the section 8.5 error code) for anything refused.
    """
    seconds(now)  # a naive datetime is a programming error (ValueError)
    if not isinstance(jwt, str) or len(jwt) > MAX_REQUEST_OBJECT_CHARS:
        raise _refuse(f"{_WHAT} is not a compact JWS of an acceptable size")
    try:
        header = jws_header(jwt, what=_WHAT)  # alg allow-list (no `none`), no crit
    except PresentationError as exc:
        raise _refuse(exc.detail) from None
    chain_der = _chain(header)
    try:
        certificates = load_certificates(chain_der)
    except PresentationError:
        raise _refuse("the x5c certificate chain is empty, too long or malformed") from None
    leaf = certificates[0]
    leaf_key = leaf.public_key()
    if not isinstance(leaf_key, ec.EllipticCurvePublicKey):
        raise _refuse("the x5c leaf certificate has no EC key")
    try:
        # typ (section 5), then the signature by the leaf's key (section 5.9.3)
        _, payload = verify_jws(jwt, public_ec_key(leaf_key), typ=REQUEST_OBJECT_TYP, what=_WHAT)
    except PresentationError as exc:
        raise _refuse(exc.detail) from None
    # Without anchors the verifier is trusted by the hash of its leaf alone, which is what
    # x509_hash offers a self-signed development verifier (see the module docstring).
    if trust_anchors is not None:
        try:
            verify_chain(chain_der, trust_anchors, now)
        except PresentationError as exc:
            raise _refuse(
                f"the verifier's certificate chain is not trusted ({exc.detail})"
            ) from None
    if not leaf.not_valid_before_utc - CLOCK_SKEW <= now <= leaf.not_valid_after_utc + CLOCK_SKEW:
        raise _refuse("the x5c leaf certificate is not valid now")
    client_id = _check_client_id(payload, leaf, expected_client_id)
    _check_times(payload, now)
    _check_audience(payload, audience)
    _check_parameters(payload, origin)
    if expected_wallet_nonce is not None and payload.get("wallet_nonce") != expected_wallet_nonce:
        raise _refuse("the request object does not carry the wallet_nonce sent (section 5.10.1)")
    return ParsedRequest(claims=payload, client_id=client_id, leaf=leaf)
