"""The verifier identity of the bank's own OpenID4VP verifier: loading a key and chain, the
`x509_hash` client identifier (OpenID4VP 1.0 section 5.9.3), and the development pair."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import multiprocessing
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from app.verification.oid4vp.identity import (
    DEVELOPMENT_COMMON_NAME,
    IdentityError,
    VerifierIdentity,
    ensure_development_identity,
    load_identity,
    x509_hash_client_id,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SPEC_EXAMPLE_CLIENT_ID = "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk"  # 5.9.3


def _pem_key(key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _pem(*certificates: x509.Certificate) -> bytes:
    return b"".join(cert.public_bytes(serialization.Encoding.PEM) for cert in certificates)


def _certificate(
    subject_key: ec.EllipticCurvePrivateKey,
    *,
    name: str,
    issuer: tuple[str, ec.EllipticCurvePrivateKey] | None = None,
    ca: bool = False,
    digital_signature: bool = True,
) -> x509.Certificate:
    issuer_name, issuer_key = issuer or (name, subject_key)
    return (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, issuer_name)]))
        .public_key(subject_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=digital_signature,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=ca,
                crl_sign=ca,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .sign(issuer_key, hashes.SHA256())
    )


def _write(folder: Path, key_pem: bytes, cert_pem: bytes) -> tuple[Path, Path]:
    key_path, cert_path = folder / "key.pem", folder / "cert.pem"
    key_path.write_bytes(key_pem)
    cert_path.write_bytes(cert_pem)
    return key_path, cert_path


def _p256() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


# --- load_identity -----------------------------------------------------------------------


def test_a_good_pair_loads_and_its_client_id_is_the_hash_of_the_leaf(tmp_path: Path) -> None:
    key = _p256()
    leaf = _certificate(key, name="verifier")
    identity = load_identity(*_write(tmp_path, _pem_key(key), _pem(leaf)))

    der = leaf.public_bytes(serialization.Encoding.DER)
    digest = base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()
    assert identity.client_id == "x509_hash:" + digest == x509_hash_client_id(leaf)
    assert identity.leaf == leaf
    assert identity.x5c == [base64.b64encode(der).decode()]  # standard base64, RFC 7515 4.1.6


def test_the_client_id_has_the_shape_of_the_spec_example() -> None:
    """5.9.3: `x509_hash:` + 43 base64url characters (32 bytes, no padding)."""
    shape = re.compile(r"x509_hash:[A-Za-z0-9_-]{43}")
    assert shape.fullmatch(SPEC_EXAMPLE_CLIENT_ID)
    example_digest = SPEC_EXAMPLE_CLIENT_ID.removeprefix("x509_hash:")
    assert len(base64.urlsafe_b64decode(example_digest + "=")) == 32
    assert shape.fullmatch(x509_hash_client_id(_certificate(_p256(), name="v")))


def test_a_chain_loads_leaf_first_and_x5c_keeps_its_order(tmp_path: Path) -> None:
    ca_key, key = _p256(), _p256()
    ca = _certificate(ca_key, name="CA", ca=True)
    leaf = _certificate(key, name="verifier", issuer=("CA", ca_key))
    identity = load_identity(*_write(tmp_path, _pem_key(key), _pem(leaf, ca)))
    assert identity.chain == (leaf, ca)
    assert [base64.b64decode(item) for item in identity.x5c] == [
        leaf.public_bytes(serialization.Encoding.DER),
        ca.public_bytes(serialization.Encoding.DER),
    ]
    # the CA first is refused with a message naming the file
    with pytest.raises(IdentityError, match=r"cert\.pem.*leaf first"):
        load_identity(*_write(tmp_path, _pem_key(key), _pem(ca, leaf)))


def test_an_rsa_key_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = _certificate(_p256(), name="verifier")
    key_path, cert_path = _write(tmp_path, _pem_key(rsa_key), _pem(leaf))
    with pytest.raises(IdentityError, match=r"key\.pem.*EC P-256.*not an RSA key"):
        load_identity(key_path, cert_path)


def test_a_p384_key_is_refused(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    with pytest.raises(IdentityError, match=r"key\.pem.*EC P-256.*secp384r1"):
        load_identity(*_write(tmp_path, _pem_key(key), _pem(_certificate(_p256(), name="v"))))


def test_a_key_that_does_not_match_the_leaf_is_refused(tmp_path: Path) -> None:
    leaf = _certificate(_p256(), name="verifier")
    with pytest.raises(IdentityError, match=r"key\.pem: not the key of the leaf .*cert\.pem"):
        load_identity(*_write(tmp_path, _pem_key(_p256()), _pem(leaf)))


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    key = _p256()
    key_path, cert_path = _write(tmp_path, _pem_key(key), _pem(_certificate(key, name="v")))
    with pytest.raises(IdentityError, match=r"absent\.pem: cannot be read"):
        load_identity(tmp_path / "absent.pem", cert_path)
    with pytest.raises(IdentityError, match=r"absent\.pem: cannot be read"):
        load_identity(key_path, tmp_path / "absent.pem")


@pytest.mark.parametrize("garbage", [b"", b"not a pem", b"-----BEGIN PRIVATE KEY-----\nAAAA\n"])
def test_pem_garbage_is_an_error_naming_the_file(tmp_path: Path, garbage: bytes) -> None:
    key = _p256()
    good_key, good_cert = _pem_key(key), _pem(_certificate(key, name="v"))
    with pytest.raises(IdentityError, match=r"key\.pem: not a PEM private key"):
        load_identity(*_write(tmp_path, garbage, good_cert))
    with pytest.raises(IdentityError, match=r"cert\.pem: no PEM certificate"):
        load_identity(*_write(tmp_path, good_key, garbage))


def test_an_encrypted_key_is_refused(tmp_path: Path) -> None:
    key = _p256()
    encrypted = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.BestAvailableEncryption(b"secret"),
    )
    with pytest.raises(IdentityError, match=r"key\.pem: the key is encrypted"):
        load_identity(*_write(tmp_path, encrypted, _pem(_certificate(key, name="v"))))


def test_a_leaf_that_may_not_sign_is_refused(tmp_path: Path) -> None:
    key = _p256()
    leaf = _certificate(key, name="verifier", digital_signature=False)
    with pytest.raises(IdentityError, match=r"cert\.pem: .*digitalSignature"):
        load_identity(*_write(tmp_path, _pem_key(key), _pem(leaf)))


def test_the_identity_itself_refuses_a_mismatched_key() -> None:
    leaf = _certificate(_p256(), name="verifier")
    with pytest.raises(ValueError, match="leaf"):
        VerifierIdentity(key=_p256(), chain=(leaf,))
    with pytest.raises(ValueError, match="empty"):
        VerifierIdentity(key=_p256(), chain=())


# --- ensure_development_identity -------------------------------------------------------------


def test_the_development_identity_is_made_once(tmp_path: Path) -> None:
    folder = tmp_path / "instance"
    key_path, cert_path = ensure_development_identity(folder, "bank.localhost", now=NOW)
    assert (key_path, cert_path) == (folder / "verifier-key.pem", folder / "verifier-cert.pem")
    assert key_path.stat().st_mode & 0o777 == 0o600

    identity = load_identity(key_path, cert_path)
    leaf = identity.leaf
    assert leaf.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        DEVELOPMENT_COMMON_NAME
    )
    assert leaf.issuer == leaf.subject  # self-signed
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.DNSName("bank.localhost")]
    assert leaf.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    lifetime = leaf.not_valid_after_utc - leaf.not_valid_before_utc
    assert timedelta(days=725) < lifetime < timedelta(days=735)

    key_before, cert_before = key_path.read_bytes(), cert_path.read_bytes()
    mtime = cert_path.stat().st_mtime_ns
    later = NOW + timedelta(days=100)
    assert ensure_development_identity(folder, "bank.localhost", now=later) == (key_path, cert_path)
    assert (key_path.read_bytes(), cert_path.read_bytes()) == (key_before, cert_before)
    assert cert_path.stat().st_mtime_ns == mtime


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", x509.IPAddress(ipaddress.ip_address("127.0.0.1"))),
        ("[::1]", x509.IPAddress(ipaddress.ip_address("::1"))),
        ("::1", x509.IPAddress(ipaddress.ip_address("::1"))),
        ("Bank.Example", x509.DNSName("bank.example")),
    ],
)
def test_the_subject_alternative_name_follows_the_host(
    tmp_path: Path, host: str, expected: x509.GeneralName
) -> None:
    leaf = load_identity(*ensure_development_identity(tmp_path, host, now=NOW)).leaf
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [expected]


@pytest.mark.parametrize(
    "host", ["", "bank.example:5000", "http://bank.example", "a..b", "é.example"]
)
def test_a_host_that_is_not_one_is_refused(tmp_path: Path, host: str) -> None:
    with pytest.raises(ValueError, match="host name"):
        ensure_development_identity(tmp_path, host, now=NOW)
    assert not (tmp_path / "verifier-key.pem").exists()


def test_a_naive_now_is_a_programming_error(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="timezone"):
        ensure_development_identity(tmp_path, "localhost", now=NOW.replace(tzinfo=None))


def test_a_new_host_makes_a_new_pair(tmp_path: Path) -> None:
    first = load_identity(*ensure_development_identity(tmp_path, "localhost", now=NOW))
    second = load_identity(*ensure_development_identity(tmp_path, "bank.example", now=NOW))
    assert first.client_id != second.client_id
    assert _public(first.key) != _public(second.key)
    san = second.leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert list(san) == [x509.DNSName("bank.example")]


def _public(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
    )


def test_damaged_or_expiring_files_are_remade(tmp_path: Path) -> None:
    key_path, cert_path = ensure_development_identity(tmp_path, "localhost", now=NOW)
    original = load_identity(key_path, cert_path).client_id

    cert_path.write_bytes(b"garbage")
    ensure_development_identity(tmp_path, "localhost", now=NOW)
    remade = load_identity(key_path, cert_path).client_id
    assert remade != original

    key_path.write_bytes(_pem_key(_p256()))  # a key that does not match the certificate
    ensure_development_identity(tmp_path, "localhost", now=NOW)
    assert load_identity(key_path, cert_path).client_id != remade

    current = load_identity(key_path, cert_path).client_id
    ensure_development_identity(tmp_path, "localhost", now=NOW + timedelta(days=720))
    assert load_identity(key_path, cert_path).client_id != current  # within 30 days of its end


def test_a_group_readable_key_is_tightened_but_kept(tmp_path: Path) -> None:
    key_path, _ = ensure_development_identity(tmp_path, "localhost", now=NOW)
    before = key_path.read_bytes()
    key_path.chmod(0o644)
    ensure_development_identity(tmp_path, "localhost", now=NOW)
    assert key_path.stat().st_mode & 0o777 == 0o600
    assert key_path.read_bytes() == before


def _thread_worker(folder: str, start: threading.Event, results: list[bytes]) -> None:
    start.wait(10)
    _, cert_path = ensure_development_identity(Path(folder), "localhost")
    results.append(cert_path.read_bytes())


def _process_worker(folder: str, start: object, queue: object) -> None:
    start.wait(10)  # type: ignore[attr-defined]
    _, cert_path = ensure_development_identity(Path(folder), "localhost")
    queue.put(cert_path.read_bytes())  # type: ignore[attr-defined]


def test_concurrent_threads_make_exactly_one_pair(tmp_path: Path) -> None:
    start, results = threading.Event(), list[bytes]()
    threads = [
        threading.Thread(target=_thread_worker, args=(str(tmp_path), start, results))
        for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    start.set()
    for thread in threads:
        thread.join(30)
    assert len(results) == 8
    assert len(set(results)) == 1  # every caller saw the one certificate that was made
    assert (tmp_path / "verifier-cert.pem").read_bytes() == results[0]


def test_concurrent_processes_make_exactly_one_pair(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    start, queue = context.Event(), context.Queue()
    processes = [
        context.Process(target=_process_worker, args=(str(tmp_path), start, queue))
        for _ in range(4)
    ]
    for process in processes:
        process.start()
    start.set()
    results = [queue.get(timeout=60) for _ in processes]
    for process in processes:
        process.join(30)
        assert process.exitcode == 0
    assert len(set(results)) == 1
    assert (tmp_path / "verifier-cert.pem").read_bytes() == results[0]
    leftovers = {path.name for path in tmp_path.iterdir()}
    assert leftovers == {"verifier-key.pem", "verifier-cert.pem", ".verifier-identity.lock"}
