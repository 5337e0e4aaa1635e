"""The sandbox PID provider's keys and certificates, derived from `SECRET_KEY`.

Every key is derived with HKDF-SHA256 from the secret and a label, and every certificate
is signed with deterministic ECDSA (RFC 6979) over fixed validity dates, so each worker and
each restart holds byte-identical keys and certificates without storing anything. A
different `SECRET_KEY` makes a different (and untrusted) CA.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from cryptography.x509.oid import NameOID

CA_NAME = "Demo Bank Sandbox PID CA"
ISSUER_NAME = "Demo Bank Sandbox PID Provider"
ROGUE_CA_NAME = "Rogue PID CA (not trusted)"
VALID_FROM = datetime(2025, 1, 1, tzinfo=UTC)
VALID_UNTIL = datetime(2036, 1, 1, tzinfo=UTC)
_SALT = b"demobank sandbox pki v1"
_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


def derive_p256_key(secret: str, label: str) -> ec.EllipticCurvePrivateKey:
    """A P-256 private key that depends only on `secret` and `label`."""
    for counter in range(256):
        okm = HKDF(
            algorithm=hashes.SHA256(), length=48, salt=_SALT, info=f"{label}/{counter}".encode()
        ).derive(secret.encode())
        scalar = int.from_bytes(okm, "big") % _P256_ORDER
        if scalar:
            return ec.derive_private_key(scalar, ec.SECP256R1())
    raise AssertionError("unreachable: HKDF never gives 256 zero scalars")  # pragma: no cover


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "EU"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Bank Sandbox"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _serial(*parts: str) -> int:
    return int.from_bytes(hashlib.sha256("/".join(parts).encode()).digest()[:16], "big") >> 1


def _ca_certificate(key: ec.EllipticCurvePrivateKey, common_name: str) -> x509.Certificate:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(public)
        .serial_number(_serial(common_name, public_key_hex(public)))
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256(), ecdsa_deterministic=True)
    )


def _signer_certificate(
    key: ec.EllipticCurvePrivateKey,
    common_name: str,
    ca_key: ec.EllipticCurvePrivateKey,
    ca_cert: x509.Certificate,
) -> x509.Certificate:
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(public)
        .serial_number(_serial(common_name, public_key_hex(public)))
        .not_valid_before(VALID_FROM)
        .not_valid_after(VALID_UNTIL)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(ca_key, hashes.SHA256(), ecdsa_deterministic=True)
    )


def public_key_hex(public: ec.EllipticCurvePublicKey) -> str:
    return public.public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.CompressedPoint
    ).hex()


@dataclass(frozen=True)
class Signer:
    """A signing key with its certificate chain (leaf first, the CA not included)."""

    key: ec.EllipticCurvePrivateKey
    certificate: x509.Certificate

    @property
    def chain_der(self) -> list[bytes]:
        return [self.certificate.public_bytes(serialization.Encoding.DER)]


@dataclass(frozen=True)
class SandboxPki:
    ca_certificate: x509.Certificate
    issuer: Signer  # the sandbox PID provider, under the sandbox CA
    rogue_issuer: Signer  # same name, under a CA nobody trusts ("untrusted issuer")

    @property
    def ca_pem(self) -> bytes:
        return self.ca_certificate.public_bytes(serialization.Encoding.PEM)


@lru_cache(maxsize=4)
def sandbox_pki(secret: str) -> SandboxPki:
    ca_key = derive_p256_key(secret, "ca")
    ca_cert = _ca_certificate(ca_key, CA_NAME)
    issuer_key = derive_p256_key(secret, "issuer")
    rogue_ca_key = derive_p256_key(secret, "rogue-ca")
    rogue_ca_cert = _ca_certificate(rogue_ca_key, ROGUE_CA_NAME)
    rogue_key = derive_p256_key(secret, "rogue-issuer")
    return SandboxPki(
        ca_certificate=ca_cert,
        issuer=Signer(issuer_key, _signer_certificate(issuer_key, ISSUER_NAME, ca_key, ca_cert)),
        rogue_issuer=Signer(
            rogue_key, _signer_certificate(rogue_key, ISSUER_NAME, rogue_ca_key, rogue_ca_cert)
        ),
    )


@lru_cache(maxsize=64)
def holder_key(secret: str, holder_id: str) -> ec.EllipticCurvePrivateKey:
    """The device key of one sandbox identity (its wallet's key-binding / device key)."""
    return derive_p256_key(secret, f"holder/{holder_id}")


DEMO_WALLET_HEADER = "X-Demo-Wallet"


@lru_cache(maxsize=4)
def demo_wallet_token(secret: str) -> str:
    """What the demo wallet's server side sends in DEMO_WALLET_HEADER so that the verifier's
    per-address rate limit does not count it: its calls all come from this server's own
    address, for every visitor at once. Only a holder of SECRET_KEY can make it."""
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=_SALT, info=b"demo-wallet").derive(
        secret.encode()
    ).hex()
