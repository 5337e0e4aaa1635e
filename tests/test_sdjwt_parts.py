"""The layers under the SD-JWT VC verifier, one rule at a time (no signatures needed)."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from app.verification.credentials.errors import PresentationError
from app.verification.credentials.jose import (
    b64url_decode,
    b64url_encode,
    ec_public_jwk,
    import_public_jwk,
    strict_json,
)
from app.verification.credentials.sdjwt import (
    check_validity,
    issuer_certificate,
    split_sd_jwt,
    verify_sd_jwt_vc,
)
from app.verification.credentials.sdjwt_disclosures import disclosure_digest, process_disclosures
from app.verification.sandbox.sdjwt_pid import encode_disclosure

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def refused(payload: dict[str, Any], disclosures: list[str]) -> str:
    with pytest.raises(PresentationError) as caught:
        process_disclosures(payload, disclosures)
    assert caught.value.error_type == "invalid-credential"
    return caught.value.detail


def test_decoys_and_undisclosed_digests_are_dropped() -> None:
    shown = encode_disclosure("c2FsdA", "given_name", "Erika")
    element = encode_disclosure("c2FsdEI", "FR")
    payload = {
        "_sd": [disclosure_digest(shown), "decoydecoydecoydecoydecoydecoydecoydecoy123"],
        "nationalities": ["DE", {"...": disclosure_digest(element)}, {"...": "undisclosed"}],
        "empty": {"_sd": []},
        "_sd_alg": "sha-256",
    }
    processed = process_disclosures(payload, [shown, element])
    assert processed.payload == {
        "given_name": "Erika",
        "nationalities": ["DE", "FR"],
        "empty": {},
    }
    assert processed.disclosed_paths == {("given_name",), ("nationalities", 1)}


def test_ellipsis_member_outside_an_array() -> None:
    assert "..." in refused({"address": {"...": "x"}}, [])


@pytest.mark.parametrize(
    "element", [{"...": "x", "extra": 1}, {"...": 5}], ids=["extra-member", "not-a-string"]
)
def test_malformed_array_element_digest(element: dict[str, Any]) -> None:
    refused({"nationalities": [element]}, [])


@pytest.mark.parametrize("sd", ["digest", [1, 2], {"a": "b"}], ids=["string", "ints", "object"])
def test_sd_member_that_is_not_an_array_of_strings(sd: Any) -> None:
    refused({"_sd": sd}, [])


@pytest.mark.parametrize(
    "content",
    [[], ["salt"], ["s", "n", "v", "extra"], [1, "n", "v"], ["s", 2, "v"], {"salt": "s"}],
    ids=["empty", "one", "four", "salt-not-string", "name-not-string", "object"],
)
def test_disclosure_of_the_wrong_shape(content: Any) -> None:
    encoded = b64url_encode(json.dumps(content).encode())
    refused({"_sd": [disclosure_digest(encoded)]}, [encoded])


@pytest.mark.parametrize(
    "encoded", ["WyJzIiwgIm4iLCAidiJd=", "WyJz+IiwgIm4iLCAidiJd", "W"], ids=["pad", "plus", "len"]
)
def test_disclosure_that_is_not_base64url(encoded: str) -> None:
    refused({"_sd": [disclosure_digest(encoded)]}, [encoded])


def test_disclosure_with_nan() -> None:
    encoded = b64url_encode(b'["s","age",NaN]')
    refused({"_sd": [disclosure_digest(encoded)]}, [encoded])


def test_strict_json() -> None:
    assert strict_json(b'{"a":[1,{"b":null}]}') == {"a": [1, {"b": None}]}
    for bad in [b'{"a":1,"a":2}', b"[Infinity]", b"\xff", b'"' + b"\xc3" + b'"']:
        with pytest.raises(ValueError):
            strict_json(bad)


def test_b64url_decode_is_strict() -> None:
    assert b64url_decode("TcO2Yml1cw") == "Möbius".encode()
    for bad in ["TcO2Yml1cw==", "TcO2+ml1cw", "TcO2/ml1cw", "T", "Tc O2"]:
        with pytest.raises(ValueError):
            b64url_decode(bad)


@pytest.mark.parametrize(
    "claims",
    [{"exp": "1883000000"}, {"exp": True}, {"exp": 1e400}, {"nbf": -1}, {"iat": 10**20}],
    ids=["string", "bool", "infinite", "negative", "year-beyond-9999"],
)
def test_time_claims_must_be_numeric_dates(claims: dict[str, Any]) -> None:
    with pytest.raises(PresentationError) as caught:
        check_validity(claims, NOW)
    assert caught.value.error_type == "invalid-credential"


def test_validity_needs_an_aware_now() -> None:
    with pytest.raises(ValueError):
        check_validity({}, datetime(2026, 3, 1))


def test_holder_jwk_checks() -> None:
    jwk = ec_public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
    assert import_public_jwk(jwk).curve_name == "P-256"
    for bad in [
        {**jwk, "d": jwk["x"]},  # a private key has no business in cnf
        {**jwk, "kty": "RSA"},
        {**jwk, "crv": "P-384"},
        {**jwk, "crv": "secp256k1"},
        {**jwk, "x": jwk["y"]},  # not on the curve
        {"kty": "EC"},
        "not a JWK",
    ]:
        with pytest.raises(ValueError):
            import_public_jwk(bad)


def test_holder_jwk_coordinates_must_be_full_length() -> None:
    """RFC 7518 6.2.1.2: a leading zero byte may not be dropped (same point otherwise)."""
    jwk: dict[str, str] = {}
    for _ in range(10_000):  # about 1 key in 256 has an x starting with a zero byte
        jwk = ec_public_jwk(ec.generate_private_key(ec.SECP256R1()).public_key())
        x = b64url_decode(jwk["x"])
        if x[0] == 0:
            break
    assert x[0] == 0
    assert import_public_jwk(jwk).curve_name == "P-256"
    with pytest.raises(ValueError):
        import_public_jwk({**jwk, "x": b64url_encode(x[1:])})


def test_split_keeps_what_sd_hash_covers() -> None:
    parts = split_sd_jwt("a.b.c~d1~d2~k.b.j")
    assert parts.issuer_jwt == "a.b.c"
    assert parts.disclosures == ("d1", "d2")
    assert parts.kb_jwt == "k.b.j"
    assert parts.sd_jwt == "a.b.c~d1~d2~"
    assert split_sd_jwt("a.b.c~").kb_jwt is None


def test_issuer_certificate_must_hold_an_ec_key_for_the_es_algorithms() -> None:
    """An RSA leaf under a trusted CA: accepted by the chain check, refused for ES256."""
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(1)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2027, 1, 1, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False),
            critical=True,
        )
        .sign(ca_key, hashes.SHA256())
    )
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    leaf = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "RSA leaf")]))
        .issuer_name(ca_name)
        .public_key(rsa_key.public_key())
        .serial_number(2)
        .not_valid_before(datetime(2026, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime(2027, 1, 1, tzinfo=UTC))
        .sign(ca_key, hashes.SHA256())
    )
    header = {
        "alg": "ES256",
        "typ": "dc+sd-jwt",
        "x5c": [base64.b64encode(leaf.public_bytes(Encoding.DER)).decode()],
    }
    token = f"{b64url_encode(json.dumps(header).encode())}.e30.AAAA"
    assert issuer_certificate(token, [ca], NOW) == leaf
    with pytest.raises(PresentationError) as caught:
        verify_sd_jwt_vc(
            token + "~eyJ9.e30.AAAA",
            trust_anchors=[ca],
            expected_vct="urn:eudi:pid:1",
            nonce="n",
            audience="a",
            transaction_data=[],
            now=NOW,
        )
    assert caught.value.error_type == "invalid-signature"
