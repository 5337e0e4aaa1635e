"""The verifier's identity: an EC P-256 signing key and its X.509 certificate chain.

The bank authenticates its request objects with the `x509_hash` Client Identifier Prefix
(OpenID4VP 1.0 section 5.9.3): the client identifier is `x509_hash:` followed by the
base64url SHA-256 of the DER leaf certificate, the request object is signed with the leaf's
key and carries the chain in its `x5c` header. A production deployment loads a key and a
chain issued under a trust framework the wallets know; development makes a self-signed pair
once per folder (a wallet can then only trust it by its hash, see request_object).
"""

from __future__ import annotations

import base64
import fcntl
import hashlib
import ipaddress
import itertools
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa
from cryptography.x509.oid import NameOID

from ..credentials.jose import b64url_encode
from ..credentials.trust import MAX_CHAIN_LENGTH
from .errors import IdentityError
from .parameters import X509_HASH_PREFIX, dns_name

__all__ = [
    "DEVELOPMENT_COMMON_NAME",
    "IdentityError",
    "VerifierIdentity",
    "ensure_development_identity",
    "load_identity",
    "x509_hash_client_id",
]

KEY_FILE = "verifier-key.pem"
CERT_FILE = "verifier-cert.pem"
LOCK_FILE = ".verifier-identity.lock"
DEVELOPMENT_COMMON_NAME = "Demo Bank (development verifier)"
DEVELOPMENT_VALIDITY = timedelta(days=730)
RENEW_BEFORE = timedelta(days=30)  # a development certificate this close to its end is remade
_BACKDATE = timedelta(minutes=5)  # tolerate wallets whose clock runs a little behind


def _public_der(key: object) -> bytes:
    if not isinstance(key, ec.EllipticCurvePublicKey):
        return b""
    return key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def x509_hash_client_id(certificate: x509.Certificate) -> str:
    """Section 5.9.3: `x509_hash:` + base64url(SHA-256(DER of the leaf certificate))."""
    der = certificate.public_bytes(serialization.Encoding.DER)
    return X509_HASH_PREFIX + b64url_encode(hashlib.sha256(der).digest())


@dataclass(frozen=True)
class VerifierIdentity:
    key: ec.EllipticCurvePrivateKey
    chain: tuple[x509.Certificate, ...]  # leaf first

    def __post_init__(self) -> None:
        if not self.chain:
            raise ValueError("the certificate chain is empty")
        if not isinstance(self.key.curve, ec.SECP256R1):
            raise ValueError("the verifier key must be on P-256 (ES256)")
        if _public_der(self.chain[0].public_key()) != _public_der(self.key.public_key()):
            raise ValueError("the key does not belong to the leaf certificate")

    @property
    def leaf(self) -> x509.Certificate:
        return self.chain[0]

    @property
    def client_id(self) -> str:
        return x509_hash_client_id(self.leaf)

    @property
    def x5c(self) -> list[str]:
        """RFC 7515 section 4.1.6: standard (not URL-safe) base64 of each DER, leaf first."""
        return [
            base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode("ascii")
            for cert in self.chain
        ]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IdentityError(f"{path}: cannot be read ({exc.strerror or exc})") from None


def _key_kind(key: object) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "an RSA key"
    if isinstance(key, ed25519.Ed25519PrivateKey | ed448.Ed448PrivateKey):
        return "an EdDSA key"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"an EC key on {key.curve.name}"
    return f"a {type(key).__name__}"


def _load_key(path: Path) -> ec.EllipticCurvePrivateKey:
    data = _read(path)
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except TypeError:
        raise IdentityError(f"{path}: the key is encrypted; give an unencrypted PEM key") from None
    except (ValueError, UnsupportedAlgorithm):
        raise IdentityError(f"{path}: not a PEM private key") from None
    if not isinstance(key, ec.EllipticCurvePrivateKey) or not isinstance(key.curve, ec.SECP256R1):
        raise IdentityError(
            f"{path}: the verifier key must be an EC P-256 key (ES256), not {_key_kind(key)}"
        )
    return key


def _load_chain(path: Path) -> tuple[x509.Certificate, ...]:
    data = _read(path)
    try:
        chain = tuple(x509.load_pem_x509_certificates(data))
    except ValueError:
        raise IdentityError(f"{path}: no PEM certificate could be read") from None
    if not chain:
        raise IdentityError(f"{path}: no PEM certificate could be read")
    if len(chain) > MAX_CHAIN_LENGTH:
        raise IdentityError(f"{path}: more than {MAX_CHAIN_LENGTH} certificates")
    for position, (child, parent) in enumerate(itertools.pairwise(chain), start=1):
        try:
            child.verify_directly_issued_by(parent)
        except (ValueError, TypeError, InvalidSignature):
            raise IdentityError(
                f"{path}: certificate {position} is not issued by certificate {position + 1}"
                " (the chain must be leaf first)"
            ) from None
    return chain


def load_identity(key_path: Path, cert_path: Path) -> VerifierIdentity:
    """The identity in a PEM private key (EC P-256) and a PEM chain (leaf first)."""
    key = _load_key(key_path)
    chain = _load_chain(cert_path)
    if _public_der(chain[0].public_key()) != _public_der(key.public_key()):
        raise IdentityError(f"{key_path}: not the key of the leaf certificate in {cert_path}")
    try:
        usage = chain[0].extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        usage = None
    if usage is not None and not usage.digital_signature:
        raise IdentityError(f"{cert_path}: the leaf certificate does not allow digitalSignature")
    return VerifierIdentity(key=key, chain=chain)


def _subject_alternative_name(host: str) -> x509.GeneralName:
    """IPAddress for an IP literal (also `[::1]`), DNSName for a host name; ValueError else."""
    text = host.strip()
    if text.startswith("[") and text.endswith("]"):
        text = text[1:-1]
    try:
        return x509.IPAddress(ipaddress.ip_address(text))
    except ValueError:
        pass
    if not dns_name(text.lower()):
        raise ValueError(f"{host!r} is not a host name or an IP address")
    return x509.DNSName(text.lower())


def _self_signed(
    key: ec.EllipticCurvePrivateKey, san: x509.GeneralName, now: datetime
) -> x509.Certificate:
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Demo Bank"),
            x509.NameAttribute(NameOID.COMMON_NAME, DEVELOPMENT_COMMON_NAME),
        ]
    )
    public = key.public_key()
    return (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - _BACKDATE)
        .not_valid_after(now + DEVELOPMENT_VALIDITY)
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
        .add_extension(x509.SubjectAlternativeName([san]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _still_usable(key_path: Path, cert_path: Path, san: x509.GeneralName, now: datetime) -> bool:
    """The files hold one matching, self-signed pair for `san`, valid for a while yet."""
    if not key_path.exists() or not cert_path.exists():
        return False
    try:
        identity = load_identity(key_path, cert_path)
        names = identity.leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except (IdentityError, x509.ExtensionNotFound):
        return False
    leaf = identity.leaf
    if len(identity.chain) != 1 or list(names.value) != [san]:
        return False  # another host (or someone else's certificate): make a new pair
    if not leaf.not_valid_before_utc <= now <= leaf.not_valid_after_utc - RENEW_BEFORE:
        return False
    if key_path.stat().st_mode & 0o077:
        key_path.chmod(0o600)  # the pair is kept, but a private key is never group-readable
    return True


def _write_atomically(path: Path, data: bytes, mode: int) -> None:
    """Readers see the old file or the new one, never half of one."""
    fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as file:
            file.write(data)
            file.flush()
            os.fsync(file.fileno())
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


@contextmanager
def _exclusive_lock(path: Path) -> Iterator[None]:
    """fcntl.flock on a lock file: one holder at a time, across threads and processes
    (each caller opens its own file description)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing the last descriptor releases the lock


def ensure_development_identity(
    folder: Path, host: str, *, now: datetime | None = None
) -> tuple[Path, Path]:
    """(key path, certificate path) of a self-signed development identity for `host`.

    Made once: existing files are returned unchanged while they hold a valid pair for this
    host; a new pair replaces them if the host changed, they are damaged or about to expire.
    Workers starting together serialize on a lock file, so exactly one pair is made. The key
    file is mode 0600.
    """
    san = _subject_alternative_name(host)
    current = now or datetime.now(UTC)
    if current.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    folder.mkdir(parents=True, exist_ok=True)
    key_path, cert_path = folder / KEY_FILE, folder / CERT_FILE
    with _exclusive_lock(folder / LOCK_FILE):
        if not _still_usable(key_path, cert_path, san, current):
            key = ec.generate_private_key(ec.SECP256R1())
            certificate = _self_signed(key, san, current)
            key_pem = key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            )
            # the key first: a crash between the two leaves a mismatch, which is remade
            _write_atomically(key_path, key_pem, 0o600)
            cert_pem = certificate.public_bytes(serialization.Encoding.PEM)
            _write_atomically(cert_path, cert_pem, 0o644)
    return key_path, cert_path
