"""A small COSE_Sign1 (RFC 9052 section 4.2) with ES256 only, and EC2 COSE_Keys (RFC 9053).

Enough for ISO/IEC 18013-5 issuerAuth and DeviceSignature: the protected header is
`{1: -7}` (alg ES256), the signature is the raw r || s (RFC 9053 section 2.1), the external
AAD is empty, and a payload may be detached (DeviceSignature carries `null` and the signer
and verifier both supply DeviceAuthenticationBytes). Errors are `CoseError`; the callers say
which presentation check failed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import cbor2
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature,
    encode_dss_signature,
)

from . import cbor
from .errors import PresentationError

ALG_ES256 = -7
HEADER_ALG = 1
HEADER_CRIT = 2
HEADER_X5CHAIN = 33  # RFC 9360; ISO/IEC 18013-5 puts the issuer chain in the unprotected header
SUPPORTED_ALGS = frozenset({ALG_ES256})  # allow-list, nothing is taken from the message
_P256_BYTES = 32
_PROTECTED_ES256 = cbor.encode({HEADER_ALG: ALG_ES256})

# COSE_Key labels and values (RFC 9052 section 7, RFC 9053 section 7.1)
KEY_KTY, KEY_CRV, KEY_X, KEY_Y = 1, -1, -2, -3
KTY_EC2, CRV_P256 = 2, 1


class CoseError(ValueError):
    pass


@dataclass(frozen=True)
class CoseSign1:
    protected: bytes  # the serialized protected header, exactly as received
    protected_header: Mapping[Any, Any]
    unprotected: Mapping[Any, Any]
    payload: bytes | None  # None when detached
    signature: bytes

    @classmethod
    def from_cbor(cls, value: Any) -> CoseSign1:
        """From decoded CBOR `[protected, unprotected, payload, signature]`, tag 18 optional."""
        if isinstance(value, cbor2.CBORTag) and value.tag == cbor.TAG_COSE_SIGN1:
            value = value.value
        if not isinstance(value, list | tuple) or len(value) != 4:
            raise CoseError("not a COSE_Sign1 array of four")
        protected, unprotected, payload, signature = value
        if not isinstance(protected, bytes) or not isinstance(signature, bytes):
            raise CoseError("the protected header and the signature must be byte strings")
        if not isinstance(unprotected, Mapping):
            raise CoseError("the unprotected header must be a map")
        if payload is not None and not isinstance(payload, bytes):
            raise CoseError("the payload must be a byte string or null")
        # RFC 9052 section 3: a zero-length bstr stands for an empty protected header
        try:
            header = cbor.decode(protected, "the protected header") if protected else {}
        except PresentationError as exc:
            raise CoseError(exc.detail) from None
        if not isinstance(header, Mapping):
            raise CoseError("the protected header is not a map")
        return cls(protected, header, unprotected, payload, signature)

    def header(self, label: int) -> Any:
        """A header parameter; RFC 9052 section 3 forbids it in both buckets."""
        if label in self.protected_header and label in self.unprotected:
            raise CoseError(f"header parameter {label} is both protected and unprotected")
        return self.protected_header.get(label, self.unprotected.get(label))

    def verify(self, public_key: Any, detached_payload: bytes | None = None) -> None:
        """Checks alg (protected, allow-listed), crit and the ES256 signature; CoseError if not."""
        if HEADER_CRIT in self.protected_header:
            raise CoseError("critical header parameters are not supported")
        alg = self.protected_header.get(HEADER_ALG)
        if type(alg) is not int or alg not in SUPPORTED_ALGS:
            raise CoseError(f"alg {alg!r} is not accepted (only ES256, in the protected header)")
        if detached_payload is not None and self.payload is not None:
            raise CoseError("a detached payload was expected, the message carries one")
        payload = self.payload if detached_payload is None else detached_payload
        if payload is None:
            raise CoseError("the payload is missing")
        if not _is_p256(public_key):
            raise CoseError("the signing key is not a P-256 key, as ES256 needs")
        if len(self.signature) != 2 * _P256_BYTES:
            raise CoseError("an ES256 signature is 64 bytes")
        r = int.from_bytes(self.signature[:_P256_BYTES], "big")
        s = int.from_bytes(self.signature[_P256_BYTES:], "big")
        try:
            public_key.verify(
                encode_dss_signature(r, s),
                sig_structure(self.protected, payload),
                ec.ECDSA(hashes.SHA256()),
            )
        except InvalidSignature:
            raise CoseError("the signature does not verify") from None


def _is_p256(key: Any) -> bool:
    return isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1)


def sig_structure(protected: bytes, payload: bytes) -> bytes:
    """Sig_structure for COSE_Sign1 (RFC 9052 section 4.4), external_aad empty."""
    return cbor2.dumps(["Signature1", protected, b"", payload])


def sign1(
    payload: bytes,
    key: ec.EllipticCurvePrivateKey,
    unprotected: Mapping[int, Any] | None = None,
    *,
    detached: bool = False,
) -> list[Any]:
    """A COSE_Sign1 (untagged, as ISO/IEC 18013-5 uses it) signed with ES256."""
    if not isinstance(key.curve, ec.SECP256R1):
        raise ValueError("ES256 needs a P-256 key")
    der = key.sign(sig_structure(_PROTECTED_ES256, payload), ec.ECDSA(hashes.SHA256()))
    r, s = decode_dss_signature(der)
    signature = r.to_bytes(_P256_BYTES, "big") + s.to_bytes(_P256_BYTES, "big")
    return [_PROTECTED_ES256, dict(unprotected or {}), None if detached else payload, signature]


def cose_key(public_key: ec.EllipticCurvePublicKey) -> dict[int, Any]:
    """The EC2 COSE_Key of a P-256 public key (as MSO deviceKeyInfo.deviceKey)."""
    if not isinstance(public_key.curve, ec.SECP256R1):
        raise ValueError("only P-256 device keys are supported")
    numbers = public_key.public_numbers()
    return {
        KEY_KTY: KTY_EC2,
        KEY_CRV: CRV_P256,
        KEY_X: numbers.x.to_bytes(_P256_BYTES, "big"),
        KEY_Y: numbers.y.to_bytes(_P256_BYTES, "big"),
    }


def public_key_from_cose(value: Any) -> ec.EllipticCurvePublicKey:
    """A P-256 public key from an EC2 COSE_Key; CoseError for anything else or off the curve."""
    if not isinstance(value, Mapping):
        raise CoseError("the COSE_Key is not a map")
    if value.get(KEY_KTY) != KTY_EC2 or value.get(KEY_CRV) != CRV_P256:
        raise CoseError("only EC2 keys on P-256 are supported")
    x, y = value.get(KEY_X), value.get(KEY_Y)
    if not (isinstance(x, bytes) and isinstance(y, bytes)):  # y as a sign bit: not supported
        raise CoseError("the COSE_Key needs x and y coordinates as byte strings")
    if len(x) != _P256_BYTES or len(y) != _P256_BYTES:
        raise CoseError("a P-256 coordinate is 32 bytes")
    try:
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), b"\x04" + x + y)
    except ValueError:
        raise CoseError("the COSE_Key is not a point on P-256") from None
