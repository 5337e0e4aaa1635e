"""Encrypted authorization responses (OpenID4VP 1.0 section 8.3): an unsigned, encrypted JWT
(JWE compact serialization, RFC 7516) with `alg` ECDH-ES (direct key agreement, RFC 7518
section 4.6) and `enc` A128GCM or A256GCM, for `direct_post.jwt` (8.3.1) and `dc_api.jwt`
(Appendix A.2).

The verifier makes one P-256 key per request and sends its public half in
`client_metadata.jwks` (section 5.1); the response can only be read with that request's
private key. Its RFC 7638 thumbprint goes into the mdoc SessionTranscript (B.2.6.1 and
B.2.6.2), which is how a response re-encrypted by someone else is detected.

`apu`/`apv` (Agreement PartyUInfo/PartyVInfo): OpenID4VP 1.0 gives them no content (section
8.3 only notes that they feed the key derivation and, being in the protected header, the
AEAD tag). The wallet side here sends none; the verifier side accepts any well-formed
values without reading them: binding to the request is the job of the nonce, the client id
(or origin) and the JWK thumbprint inside the presentations, not of apu/apv.
"""

from __future__ import annotations

import binascii
import hashlib
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwk import ECKey

from ..credentials.jose import (
    b64url_decode,
    b64url_encode,
    ec_public_jwk,
    import_public_jwk,
    strict_json,
)
from .errors import ResponseDecryptionError
from .parameters import DEFAULT_ENC, ENCRYPTION_ALG, SUPPORTED_ENC_VALUES, encryption_jwk

__all__ = [
    "EncryptionKey",
    "ResponseDecryptionError",
    "decrypt_response",
    "encrypt_response",
    "jwe_key_id",
    "jwk_thumbprint",
    "new_encryption_key",
    "select_response_encryption",
]

MAX_RESPONSE_BYTES = 1_048_576  # a PID with a portrait is well under 100 KB
_MAX_HEADER_CHARS = 4096  # {alg, enc, kid, epk, apu, apv}: about 400 characters in practice
_MAX_PARTY_INFO_CHARS = 512  # apu, apv
_GCM_IV_BYTES, _GCM_TAG_BYTES = 12, 16  # RFC 7518 section 5.3: 96-bit IV, 128-bit tag
_P256_BYTES = 32

# RFC 7638 section 3.2 (and RFC 8037 section 2 for OKP): the required members per key type.
_THUMBPRINT_MEMBERS = {
    "EC": ("crv", "kty", "x", "y"),
    "RSA": ("e", "kty", "n"),
    "OKP": ("crv", "kty", "x"),
    "oct": ("k", "kty"),
}


class _Registry(jwe.JWERegistry):
    max_protected_header_length = _MAX_HEADER_CHARS
    max_ciphertext_length = MAX_RESPONSE_BYTES


def _registry(max_bytes: int) -> _Registry:
    # Explicit allow-list: ECDH-ES only (no key wrapping, no RSA, no `dir`), GCM only, no
    # `zip` (never registered, and refused before joserfc is reached anyway).
    registry = _Registry(
        algorithms=[ENCRYPTION_ALG, *SUPPORTED_ENC_VALUES], strict_check_header=False
    )
    registry.max_ciphertext_length = max_bytes
    return registry


@dataclass(frozen=True)
class EncryptionKey:
    """One request's response encryption key as JWKs (P-256, random `kid`, "use": "enc",
    "alg": "ECDH-ES"). Only `public_jwk` ever leaves the verifier."""

    private_jwk: dict[str, Any]
    public_jwk: dict[str, Any]

    @property
    def kid(self) -> str:
        return str(self.public_jwk["kid"])


def new_encryption_key() -> EncryptionKey:
    key = ec.generate_private_key(ec.SECP256R1())
    public = {
        **ec_public_jwk(key.public_key()),
        "kid": secrets.token_urlsafe(16),
        "use": "enc",
        "alg": ENCRYPTION_ALG,
    }
    private_value = key.private_numbers().private_value.to_bytes(_P256_BYTES, "big")
    return EncryptionKey(
        private_jwk={**public, "d": b64url_encode(private_value)}, public_jwk=public
    )


def jwk_thumbprint(public_jwk: Mapping[str, Any]) -> bytes:
    """The RFC 7638 JWK SHA-256 Thumbprint, as the raw 32 bytes the mdoc SessionTranscripts
    hold (OpenID4VP B.2.6.1, B.2.6.2): SHA-256 over the UTF-8 JSON of the required members
    only, in lexicographic order, without whitespace (RFC 7638 section 3). Members such as
    `kid`, `use`, `alg` or a private `d` do not change it."""
    members = _THUMBPRINT_MEMBERS.get(str(public_jwk.get("kty")))
    if members is None:
        raise ValueError("the JWK has no key type RFC 7638 knows")
    values = {name: public_jwk.get(name) for name in members}
    if not all(isinstance(value, str) and value for value in values.values()):
        raise ValueError(f"a {public_jwk['kty']} JWK needs the members {', '.join(members)}")
    canonical = json.dumps(values, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).digest()


def encrypt_response(
    payload: Mapping[str, Any],
    public_jwk: Mapping[str, Any],
    *,
    enc: str = DEFAULT_ENC,
    apu: bytes | None = None,
    apv: bytes | None = None,
) -> str:
    """Wallet side (section 8.3): the response parameters as an ECDH-ES JWE to the verifier's
    key. The key must carry "alg": "ECDH-ES" (the JWE `alg` equals it) and its `kid` is
    repeated in the header. `apu`/`apv` are for tests of the verifier side only."""
    if public_jwk.get("alg") != ENCRYPTION_ALG:
        raise ValueError('the encryption key must have "alg": "ECDH-ES" (section 8.3)')
    if public_jwk.get("use", "enc") != "enc":
        raise ValueError('the encryption key is not for "use": "enc"')
    if enc not in SUPPORTED_ENC_VALUES:
        raise ValueError(f"enc {enc!r} is not one of {', '.join(SUPPORTED_ENC_VALUES)}")
    key = import_public_jwk({name: public_jwk.get(name) for name in ("kty", "crv", "x", "y")})
    header: dict[str, Any] = {"alg": ENCRYPTION_ALG, "enc": enc}
    if "kid" in public_jwk:
        header["kid"] = public_jwk["kid"]
    if apu is not None:
        header["apu"] = b64url_encode(apu)
    if apv is not None:
        header["apv"] = b64url_encode(apv)
    plaintext = json.dumps(
        dict(payload), separators=(",", ":"), ensure_ascii=False, allow_nan=False
    )
    return jwe.encrypt_compact(
        header, plaintext.encode("utf-8"), key, registry=_registry(MAX_RESPONSE_BYTES)
    )


def _refuse(detail: str) -> ResponseDecryptionError:
    return ResponseDecryptionError(detail)


def _protected_header(token: str) -> dict[str, Any]:
    segments = token.split(".")
    if len(segments) != 5:
        raise _refuse("the response is not a compact JWE")
    if len(segments[0]) > _MAX_HEADER_CHARS:
        raise _refuse("the JWE header is too large")
    try:
        header = strict_json(b64url_decode(segments[0]))
    except (ValueError, binascii.Error):
        raise _refuse("the JWE header is not a JSON object") from None
    if not isinstance(header, dict):
        raise _refuse("the JWE header is not a JSON object")
    return header


def jwe_key_id(token: str) -> str | None:
    """The `kid` of a JWE's protected header, read without decrypting: the verifier makes
    one key per request, so the kid finds the request (and its key) a response belongs to."""
    if not isinstance(token, str) or len(token) > MAX_RESPONSE_BYTES:
        raise _refuse("the response is not a compact JWE of an acceptable size")
    kid = _protected_header(token).get("kid")
    if kid is not None and not isinstance(kid, str):
        raise _refuse("the JWE kid is not a string")
    return kid


def _private_key(private_jwk: Mapping[str, Any]) -> ECKey:
    """The request's P-256 private key; a JWK that is not one is a programming error."""
    public = import_public_jwk({name: private_jwk.get(name) for name in ("kty", "crv", "x", "y")})
    d = private_jwk.get("d")
    if public.curve_name != "P-256" or not isinstance(d, str):
        raise ValueError("the decryption key must be a P-256 private JWK")
    key = ec.derive_private_key(int.from_bytes(b64url_decode(d), "big"), ec.SECP256R1())
    if ec_public_jwk(key.public_key()) != ec_public_jwk(public.public_key):
        raise ValueError("the private JWK's d does not match its x and y")
    return ECKey.import_key(key)


def _check_header(header: Mapping[str, Any], private_jwk: Mapping[str, Any]) -> None:
    """What the verifier accepts, decided before any cryptography runs."""
    if header.get("alg") != ENCRYPTION_ALG:
        raise _refuse(f"JWE alg {header.get('alg')!r} is not accepted (only ECDH-ES)")
    if header.get("enc") not in SUPPORTED_ENC_VALUES:
        raise _refuse(f"JWE enc {header.get('enc')!r} is not accepted (A128GCM or A256GCM)")
    if "zip" in header:
        raise _refuse("compressed (zip) responses are not accepted")
    if "crit" in header:
        raise _refuse("the JWE names critical header parameters")
    # Section 8.3: a wallet MUST repeat the key's kid; its absence is tolerated (only this
    # request's key can decrypt anyway), a different kid means another key was used.
    if "kid" in header and header["kid"] != private_jwk.get("kid"):
        raise _refuse("the response is encrypted to another key (kid)")
    try:
        epk = import_public_jwk(header.get("epk"))
    except (ValueError, binascii.Error):
        raise _refuse("the JWE epk is not an EC public key") from None
    if epk.curve_name != "P-256":
        raise _refuse("the JWE epk is not on P-256")
    for name in ("apu", "apv"):
        value = header.get(name)
        if value is None:
            continue
        try:
            if not isinstance(value, str) or len(value) > _MAX_PARTY_INFO_CHARS:
                raise ValueError(name)
            b64url_decode(value)
        except (ValueError, binascii.Error):
            raise _refuse(f"the JWE {name} is not a short base64url string") from None


def _segment(segment: str, name: str, size: int | None = None) -> bytes:
    try:
        value = b64url_decode(segment)
    except (ValueError, binascii.Error):
        raise _refuse(f"the JWE {name} is not base64url") from None
    if size is not None and len(value) != size:
        raise _refuse(f"the JWE {name} has the wrong length")
    return value


def decrypt_response(
    jwe_token: str, private_jwk: Mapping[str, Any], *, max_bytes: int = MAX_RESPONSE_BYTES
) -> dict[str, Any]:
    """Verifier side: the response parameters (a JSON object) of an encrypted response.

    ResponseDecryptionError for anything not accepted: too large, not a compact JWE, an
    `alg` other than ECDH-ES, an `enc` other than A128GCM/A256GCM, `zip`, another key's
    `kid`, an encrypted key (direct key agreement has none), a tampered header, IV,
    ciphertext or tag, the wrong private key, or a plaintext that is not a JSON object.
    """
    if not isinstance(jwe_token, str) or len(jwe_token) > max_bytes:
        raise _refuse("the response is not a compact JWE of an acceptable size")
    key = _private_key(private_jwk)
    header = _protected_header(jwe_token)
    _check_header(header, private_jwk)
    _, encrypted_key, iv, ciphertext, tag = jwe_token.split(".")
    if encrypted_key:  # RFC 7516 section 5.2 step 10: empty for direct key agreement
        raise _refuse("the JWE has an encrypted key, which ECDH-ES does not use")
    _segment(iv, "initialization vector", _GCM_IV_BYTES)
    _segment(tag, "authentication tag", _GCM_TAG_BYTES)
    _segment(ciphertext, "ciphertext")
    try:
        plaintext = jwe.decrypt_compact(jwe_token, key, registry=_registry(max_bytes)).plaintext
    except (JoseError, ValueError, TypeError, KeyError, binascii.Error):
        raise _refuse("the response cannot be decrypted with this request's key") from None
    try:
        payload = strict_json(plaintext or b"")
    except ValueError:
        raise _refuse("the decrypted response is not JSON") from None
    if not isinstance(payload, dict):
        raise _refuse("the decrypted response is not a JSON object")
    return payload


def select_response_encryption(client_metadata: Mapping[str, Any]) -> tuple[dict[str, str], str]:
    """Wallet side (section 8.3): the first P-256 ECDH-ES key of `client_metadata.jwks` and
    the first `encrypted_response_enc_values_supported` value supported here (A128GCM when
    the list is absent, section 5.1). ValueError if nothing fits."""
    jwks = client_metadata.get("jwks")
    keys = jwks.get("keys") if isinstance(jwks, Mapping) else None
    chosen = None
    for candidate in keys if isinstance(keys, list) else []:
        try:
            chosen = encryption_jwk(candidate)
            break
        except (ValueError, binascii.Error):
            continue
    if chosen is None:
        raise ValueError("client_metadata has no P-256 ECDH-ES encryption key")
    offered = client_metadata.get("encrypted_response_enc_values_supported", [DEFAULT_ENC])
    for enc in offered if isinstance(offered, list) else []:
        if enc in SUPPORTED_ENC_VALUES:
            return chosen, str(enc)
    raise ValueError("none of the offered enc values is supported")
