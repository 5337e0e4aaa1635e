"""Verifier of SD-JWT VC presentations (RFC 9901 "SD-JWT", SD-JWT VC, OpenID4VP 1.0 B.3).

Layers, each usable alone (the spec's own examples are verified through the lower ones):

- `split_sd_jwt`: `<issuer-jwt>~<disclosure>~...~<kb-jwt>` into its parts, with bounds;
- `verify_sd_jwt` / `verify_sd_jwt_kb`: RFC 9901 section 7.1 / 7.3 with an explicit issuer
  key and `typ` (the spec examples use `example+sd-jwt`);
- `verify_sd_jwt_vc_with_key`: adds the SD-JWT VC rules (`typ` dc+sd-jwt, `vct`, `iss`);
- `verify_sd_jwt_vc`: the entry point, taking the issuer key from the `x5c` chain once it
  leads to one of the trust anchors.

Key binding is always required by the presentation checks: the PID is holder-bound and
OpenID4VP B.3 answers a query with `require_cryptographic_holder_binding` (the default) with
an SD-JWT+KB. Error types: an `x5c` problem is "trusted-issuer-untrusted"; a disallowed
`alg` or a bad signature "invalid-signature"; anything malformed, a wrong `typ` or `vct` and
every digest/disclosure problem "invalid-credential"; `exp`/`nbf`/`iat` of the credential
"credential-expired"; a missing KB-JWT or a wrong `nonce`/`aud`/`iat`/`sd_hash`
"holder-binding"; `transaction_data_hashes` problems "transaction-data".
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey

from .errors import PresentationError
from .jose import (
    CLOCK_SKEW,
    import_public_jwk,
    jws_header,
    numeric_date,
    public_ec_key,
    seconds,
    verify_jws,
)
from .sdjwt_disclosures import MAX_DISCLOSURES, ClaimPath, process_disclosures
from .sdjwt_kb import verify_kb_jwt
from .trust import verify_chain

SD_JWT_VC_TYP = "dc+sd-jwt"  # SD-JWT VC media type; the pre-2025 `vc+sd-jwt` is refused
PID_VCT = "urn:eudi:pid:1"  # PID Rulebook section 4.2
MAX_PRESENTATION_BYTES = 256 * 1024  # a PID with a JPEG portrait is ~10-60 KB

# SD-JWT VC, "Registered JWT Claims": these MUST NOT be selectively disclosed.
_NEVER_DISCLOSED = ("iss", "nbf", "exp", "cnf", "vct", "vct#integrity", "status")
_TECHNICAL = frozenset({"iss", "iat", "nbf", "exp", "cnf", "vct", "vct#integrity", "status"})
_COMPACT = re.compile(r"[A-Za-z0-9_\-.~]+")


def _invalid(detail: str) -> PresentationError:
    return PresentationError("invalid-credential", detail)


@dataclass(frozen=True)
class SdJwtParts:
    issuer_jwt: str
    disclosures: tuple[str, ...]
    kb_jwt: str | None
    sd_jwt: str  # `<issuer-jwt>~<disclosure>~...~`: what `sd_hash` covers (section 4.3.1)


def split_sd_jwt(presentation: str) -> SdJwtParts:
    """Section 4 compact format, refusing oversized input before any decoding."""
    if len(presentation) > MAX_PRESENTATION_BYTES:
        raise _invalid("the presentation is too large")
    if not _COMPACT.fullmatch(presentation):
        raise _invalid("the presentation is not a compact SD-JWT")
    if presentation.count("~") - 1 > MAX_DISCLOSURES:
        raise _invalid("the presentation has too many disclosures")
    parts = presentation.split("~")
    if len(parts) < 2 or not all(parts[:-1]):
        raise _invalid("the presentation is not a compact SD-JWT")
    last = parts[-1]
    return SdJwtParts(
        issuer_jwt=parts[0],
        disclosures=tuple(parts[1:-1]),
        kb_jwt=last or None,
        sd_jwt=presentation[: len(presentation) - len(last)],
    )


@dataclass(frozen=True)
class ProcessedSdJwt:
    header: dict[str, Any]  # of the issuer-signed JWT
    payload: dict[str, Any]  # the Processed SD-JWT Payload (section 7.1), cnf and all
    disclosed_paths: frozenset[ClaimPath]
    key_binding: dict[str, Any] | None  # the verified KB-JWT payload, if one was required


@dataclass(frozen=True)
class VerifiedSdJwt:
    claims: dict[str, Any]  # processed payload without iss/iat/nbf/exp/vct/cnf/status
    issuer: str
    vct: str
    issued_at: datetime | None
    expires_at: datetime
    issuer_certificate: x509.Certificate | None  # None when verified with an explicit key
    disclosed_paths: frozenset[ClaimPath]  # e.g. ("address", "locality"), ("nationalities",)


def check_validity(payload: dict[str, Any], now: datetime) -> None:
    """Section 7.1 step 6: `exp`, `nbf` and `iat`, where present, against `now` +/- skew.

    Which of them must be present is the profile's call (`_as_vc` requires `exp`).
    """
    moment, skew = seconds(now), CLOCK_SKEW.total_seconds()
    expires = numeric_date(payload, "exp", "invalid-credential")
    if expires is not None and moment > expires + skew:
        raise PresentationError("credential-expired", "the credential has expired")
    not_before = numeric_date(payload, "nbf", "invalid-credential")
    if not_before is not None and moment + skew < not_before:
        raise PresentationError("credential-expired", "the credential is not valid yet")
    issued = numeric_date(payload, "iat", "invalid-credential")
    if issued is not None and moment + skew < issued:
        raise PresentationError("credential-expired", "the credential is issued in the future")


def _holder_key(payload: dict[str, Any]) -> ECKey:
    """Section 4.1.2: the `jwk` confirmation method of RFC 7800 section 3.2."""
    cnf = payload.get("cnf")
    try:
        return import_public_jwk(cnf.get("jwk") if isinstance(cnf, dict) else None)
    except ValueError:
        raise _invalid("the credential has no usable cnf.jwk holder key") from None


def _issuer_part(
    parts: SdJwtParts, issuer_key: ECKey, expected_typ: str, now: datetime
) -> tuple[dict[str, Any], dict[str, Any], frozenset[ClaimPath]]:
    header, signed = verify_jws(
        parts.issuer_jwt, issuer_key, typ=expected_typ, what="the issuer JWT"
    )
    processed = process_disclosures(signed, parts.disclosures)
    check_validity(processed.payload, now)
    return header, processed.payload, processed.disclosed_paths


def verify_sd_jwt(
    sd_jwt: str, *, issuer_key: ec.EllipticCurvePublicKey, expected_typ: str, now: datetime
) -> ProcessedSdJwt:
    """Section 7.1 for an SD-JWT without key binding (as a holder receives it, section 7.2).

    Not for verifying PID presentations, which must carry a KB-JWT (`verify_sd_jwt_kb`).
    """
    parts = split_sd_jwt(sd_jwt)
    if parts.kb_jwt is not None:
        raise _invalid("expected an SD-JWT without key binding")
    header, payload, paths = _issuer_part(parts, public_ec_key(issuer_key), expected_typ, now)
    return ProcessedSdJwt(header, payload, paths, None)


def _verify_presentation(
    parts: SdJwtParts,
    issuer_key: ec.EllipticCurvePublicKey,
    expected_typ: str,
    *,
    nonce: str,
    audience: str,
    transaction_data: Sequence[str],
    now: datetime,
) -> ProcessedSdJwt:
    if parts.kb_jwt is None:  # section 7.3 step 2
        raise PresentationError("holder-binding", "the presentation has no key-binding JWT")
    header, payload, paths = _issuer_part(parts, public_ec_key(issuer_key), expected_typ, now)
    key_binding = verify_kb_jwt(
        parts.kb_jwt,
        holder_key=_holder_key(payload),
        sd_jwt=parts.sd_jwt,
        nonce=nonce,
        audience=audience,
        transaction_data=transaction_data,
        now=now,
    )
    return ProcessedSdJwt(header, payload, paths, key_binding)


def verify_sd_jwt_kb(
    presentation: str,
    *,
    issuer_key: ec.EllipticCurvePublicKey,
    expected_typ: str,
    nonce: str,
    audience: str,
    transaction_data: Sequence[str],
    now: datetime,
) -> ProcessedSdJwt:
    """Sections 7.1 and 7.3 for an SD-JWT+KB, key binding required."""
    return _verify_presentation(
        split_sd_jwt(presentation),
        issuer_key,
        expected_typ,
        nonce=nonce,
        audience=audience,
        transaction_data=transaction_data,
        now=now,
    )


def _as_vc(
    processed: ProcessedSdJwt, expected_vct: str, certificate: x509.Certificate | None
) -> VerifiedSdJwt:
    payload = processed.payload
    if any((name,) in processed.disclosed_paths for name in _NEVER_DISCLOSED):
        raise _invalid("a registered claim of the credential is selectively disclosed")
    if payload.get("vct") != expected_vct:
        raise _invalid("the credential is not of the expected type (vct)")
    issuer = payload.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise _invalid("the credential has no iss")
    if "exp" not in payload:  # a PID without an end of validity is not accepted
        raise _invalid("the credential has no exp")
    issued_at = payload.get("iat")
    return VerifiedSdJwt(
        claims={name: value for name, value in payload.items() if name not in _TECHNICAL},
        issuer=issuer,
        vct=expected_vct,
        issued_at=None if issued_at is None else datetime.fromtimestamp(issued_at, UTC),
        expires_at=datetime.fromtimestamp(payload["exp"], UTC),
        issuer_certificate=certificate,
        disclosed_paths=processed.disclosed_paths,
    )


def verify_sd_jwt_vc_with_key(
    presentation: str,
    *,
    issuer_key: ec.EllipticCurvePublicKey,
    expected_vct: str,
    nonce: str,
    audience: str,
    transaction_data: Sequence[str],
    now: datetime,
) -> VerifiedSdJwt:
    """An SD-JWT VC presentation from an issuer whose key is already known (no x5c)."""
    processed = verify_sd_jwt_kb(
        presentation,
        issuer_key=issuer_key,
        expected_typ=SD_JWT_VC_TYP,
        nonce=nonce,
        audience=audience,
        transaction_data=transaction_data,
        now=now,
    )
    return _as_vc(processed, expected_vct, None)


def issuer_certificate(
    issuer_jwt: str, trust_anchors: Sequence[x509.Certificate], now: datetime
) -> x509.Certificate:
    """The leaf of the issuer JWT's `x5c` header (RFC 7515 4.1.6: standard base64 DER)."""
    chain = jws_header(issuer_jwt, what="the issuer JWT").get("x5c")
    if not isinstance(chain, list) or not all(isinstance(item, str) for item in chain):
        raise PresentationError("trusted-issuer-untrusted", "the issuer JWT has no x5c chain")
    try:
        chain_der = [base64.b64decode(item, validate=True) for item in chain]
    except binascii.Error:
        raise PresentationError(
            "trusted-issuer-untrusted", "an issuer certificate is malformed"
        ) from None
    return verify_chain(chain_der, trust_anchors, now)


def verify_sd_jwt_vc(
    presentation: str,
    *,
    trust_anchors: Sequence[x509.Certificate],
    expected_vct: str,
    nonce: str,
    audience: str,
    transaction_data: Sequence[str],
    now: datetime,
) -> VerifiedSdJwt:
    """A holder-bound SD-JWT VC presentation (e.g. the PID, `expected_vct=PID_VCT`).

    `audience` is the client id (`origin:<origin>` over the DC API, OpenID4VP B.3.6);
    `transaction_data` the base64url strings exactly as sent in the request (empty: none).
    """
    parts = split_sd_jwt(presentation)
    certificate = issuer_certificate(parts.issuer_jwt, trust_anchors, now)
    key = certificate.public_key()
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise PresentationError("invalid-signature", "the issuer key is not an EC key")
    processed = _verify_presentation(
        parts,
        key,
        SD_JWT_VC_TYP,
        nonce=nonce,
        audience=audience,
        transaction_data=transaction_data,
        now=now,
    )
    return _as_vc(processed, expected_vct, certificate)
