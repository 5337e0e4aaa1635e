"""Strict JOSE helpers for credential checks: base64url, JSON, compact JWS and EC JWKs.

joserfc checks the signatures; this module decides what is acceptable before it does:
its own strict parse of header and payload (no duplicate member names, no NaN, bounded
nesting), an `alg` allow-list of ECDSA algorithms only, and no `crit` or `b64` header
(nothing here understands an extension, RFC 7515 section 4.1.11; RFC 7797 unencoded
payloads are not JWTs). joserfc's own defaults are not relied on: without an explicit
registry it falls back to its "recommended" list (HS256, RS256, ES256), its strict header
check refuses any header parameter it does not know, and its 512-byte header limit is too
small for an `x5c` chain.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jws
from joserfc.errors import BadSignatureError, JoseError
from joserfc.jwk import ECKey

from .errors import PresentationError, PresentationErrorType

# RFC 8725 section 3.1/3.2: an explicit allow-list; `none`, HMAC and RSA never verify here.
ALLOWED_ALGS: tuple[str, ...] = ("ES256", "ES384", "ES512")
MAX_HEADER_BYTES = 16 * 1024  # an x5c chain of up to trust.MAX_CHAIN_LENGTH certificates
MAX_PAYLOAD_BYTES = 256 * 1024
CLOCK_SKEW = timedelta(seconds=60)  # tolerated between issuer, wallet and this server
MAX_JSON_DEPTH = 16  # PID claims nest 3 deep; the spec's richest example (A.2) nests 6

_MAX_TIME = 253402300800  # 10000-01-01: beyond it a datetime cannot hold the time
_CURVE_BYTES = {"P-256": 32, "P-384": 48, "P-521": 66}
_B64URL = re.compile(r"[A-Za-z0-9_-]*")


class _Registry(jws.JWSRegistry):
    max_header_length = MAX_HEADER_BYTES
    max_payload_length = MAX_PAYLOAD_BYTES


_REGISTRY = _Registry(algorithms=list(ALLOWED_ALGS), strict_check_header=False)


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Unpadded base64url (RFC 7515 section 2); anything else is a ValueError."""
    if len(text) % 4 == 1 or not _B64URL.fullmatch(text):
        raise ValueError("not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise ValueError("duplicate member name")  # RFC 7519 section 4: reject, not "last wins"
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _depth(value: Any) -> int:
    deepest, stack = 0, [(value, 1)]
    while stack:
        node, level = stack.pop()
        if isinstance(node, dict):
            node = list(node.values())
        if isinstance(node, list):
            deepest = max(deepest, level)
            stack.extend((child, level + 1) for child in node)
    return deepest


def strict_json(data: bytes) -> Any:
    """UTF-8 JSON without duplicate names, NaN/Infinity or nesting beyond MAX_JSON_DEPTH."""
    try:
        value = json.loads(
            data.decode("utf-8"), object_pairs_hook=_no_duplicates, parse_constant=_no_constant
        )
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise ValueError("JSON nested too deeply")
    return value


def decode_json_segment(segment: str) -> Any:
    return strict_json(b64url_decode(segment))


def verify_jws(
    token: str,
    key: ECKey,
    *,
    typ: str,
    what: str,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Header and payload of a compact JWS whose `typ` is `typ`, signed by `key`.

    `what` names the JWT in error details ("the issuer JWT"). Structural problems and a
    wrong `typ` are "invalid-credential"; an algorithm outside ALLOWED_ALGS (`none`
    included) or a signature that does not verify is "invalid-signature".
    """
    header = jws_header(token, what=what)
    if header.get("typ") != typ:
        raise PresentationError("invalid-credential", f"{what} does not have typ {typ}")
    try:
        payload = decode_json_segment(token.split(".")[1])
    except ValueError:
        raise PresentationError(
            "invalid-credential", f"{what} payload is not a JSON object"
        ) from None
    if not isinstance(payload, dict):
        raise PresentationError("invalid-credential", f"{what} payload is not a JSON object")
    try:
        jws.deserialize_compact(token, key, registry=_REGISTRY)
    except BadSignatureError:
        raise PresentationError("invalid-signature", f"{what} signature does not verify") from None
    except (JoseError, ValueError):
        # e.g. a P-384 key for ES256, a key marked "use": "enc", an oversized segment
        raise PresentationError(
            "invalid-signature", f"{what} signature cannot be checked with its key"
        ) from None
    return header, payload


def jws_header(token: str, *, what: str) -> dict[str, Any]:
    """The protected header of a compact JWS, after the checks every JWT here gets."""
    segments = token.split(".")
    if len(segments) != 3 or not segments[0] or not segments[1]:
        raise PresentationError("invalid-credential", f"{what} is not a compact JWS")
    try:
        header = decode_json_segment(segments[0])
    except ValueError:
        raise PresentationError(
            "invalid-credential", f"{what} header is not a JSON object"
        ) from None
    if not isinstance(header, dict):
        raise PresentationError("invalid-credential", f"{what} header is not a JSON object")
    if "crit" in header or "b64" in header:
        raise PresentationError("invalid-credential", f"{what} uses a critical header extension")
    if header.get("alg") not in ALLOWED_ALGS or not segments[2]:  # `none` has no signature
        raise PresentationError("invalid-signature", f"{what} uses an algorithm not allowed")
    return header


def public_ec_key(key: ec.EllipticCurvePublicKey) -> ECKey:
    return ECKey.import_key(key)


def import_public_jwk(jwk: Any) -> ECKey:
    """An EC public key from a JWK (RFC 7518 section 6.2.1); ValueError if it is not one."""
    if not isinstance(jwk, Mapping) or jwk.get("kty") != "EC" or "d" in jwk:
        raise ValueError("not an EC public JWK")
    size = _CURVE_BYTES.get(str(jwk.get("crv")))
    x, y = jwk.get("x"), jwk.get("y")
    if size is None or not isinstance(x, str) or not isinstance(y, str):
        raise ValueError("not an EC public JWK")
    if len(b64url_decode(x)) != size or len(b64url_decode(y)) != size:
        raise ValueError("EC coordinates must be full length")
    try:
        return ECKey.import_key(dict(jwk))
    except (JoseError, ValueError, binascii.Error) as exc:
        raise ValueError("not an EC public JWK") from exc


def ec_public_jwk(key: ec.EllipticCurvePublicKey) -> dict[str, str]:
    """The JWK members of an EC public key (kty, crv, x, y)."""
    exported = ECKey.import_key(key).as_dict(private=False)
    return {name: str(exported[name]) for name in ("kty", "crv", "x", "y")}


def seconds(now: datetime) -> float:
    """`now` as a POSIX timestamp; a naive datetime is a programming error."""
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    return now.timestamp()


def numeric_date(
    payload: Mapping[str, Any], name: str, error_type: PresentationErrorType
) -> float | None:
    """A NumericDate claim (RFC 7519 section 2) if present: a finite number, 1970 to 9999."""
    value = payload.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < _MAX_TIME:
        raise PresentationError(error_type, f"{name} is not a NumericDate")
    return float(value)
