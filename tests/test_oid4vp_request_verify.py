"""The wallet side of a signed request object: everything that must be refused (OpenID4VP 1.0
sections 5, 5.1, 5.2, 5.8, 5.9.3, 5.10.1, 8.2, 8.3, 8.5, Appendix A.2)."""

from __future__ import annotations

import base64
from datetime import timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

from app.verification.oid4vp.identity import VerifierIdentity, x509_hash_client_id
from app.verification.oid4vp.request_object import (
    RequestObjectError,
    dc_api_request_claims,
    redirect_request_claims,
    sign_request_object,
    verify_request_object,
)
from app.verification.oid4vp.response_crypto import new_encryption_key
from app.verification.sandbox.pki import sandbox_pki
from tests.oid4vp_helpers import (
    DCQL,
    NOW,
    ORIGIN,
    RESPONSE_URI,
    decode_segment,
    development_identity,
    raw_jws,
    transaction,
)

HEADER_TYP = "oauth-authz-req+jwt"


@pytest.fixture(scope="module")
def identity(tmp_path_factory: pytest.TempPathFactory) -> VerifierIdentity:
    return development_identity(tmp_path_factory.mktemp("verifier"))


@pytest.fixture(scope="module")
def other(tmp_path_factory: pytest.TempPathFactory) -> VerifierIdentity:
    return development_identity(tmp_path_factory.mktemp("other"), "other.example")


def _claims(identity: VerifierIdentity, **changes: Any) -> dict[str, Any]:
    claims = redirect_request_claims(
        client_id=identity.client_id,
        response_uri=RESPONSE_URI,
        nonce="n-0S6_WzA2Mj",
        state="state-1",
        dcql_query=DCQL,
        encryption_jwk=new_encryption_key().public_jwk,
        transaction_data=[transaction(["pid"])],
    )
    claims.update(changes)
    return {name: value for name, value in claims.items() if value is not None}


def _signed(identity: VerifierIdentity, claims: dict[str, Any]) -> dict[str, Any]:
    """The payload sign_request_object would make, for hand-made tokens."""
    iat = int(NOW.timestamp())
    return {**claims, "iat": iat, "exp": iat + 600, "aud": "https://self-issued.me/v2"}


def _header(identity: VerifierIdentity, **changes: Any) -> dict[str, Any]:
    header = {"alg": "ES256", "typ": HEADER_TYP, "x5c": identity.x5c, **changes}
    return {name: value for name, value in header.items() if value is not None}


def _verify(token: str, identity: VerifierIdentity, **options: Any) -> Any:
    arguments: dict[str, Any] = {"expected_client_id": identity.client_id, "now": NOW, **options}
    return verify_request_object(token, **arguments)


def _refused(token: str, identity: VerifierIdentity, detail: str, **options: Any) -> str:
    with pytest.raises(RequestObjectError, match=detail) as caught:
        _verify(token, identity, **options)
    return caught.value.error


def test_a_hand_made_token_like_ours_verifies(identity: VerifierIdentity) -> None:
    """The hand-made tokens below differ from a good one in one thing only."""
    token = raw_jws(_header(identity), _signed(identity, _claims(identity)), identity.key)
    assert _verify(token, identity).client_id == identity.client_id


# --- signature, certificate and client id -----------------------------------------------------


def test_a_signature_by_another_key_is_refused(
    identity: VerifierIdentity, other: VerifierIdentity
) -> None:
    token = raw_jws(_header(identity), _signed(identity, _claims(identity)), other.key)
    assert _refused(token, identity, "signature does not verify") == "invalid_request"


def test_the_x5c_of_another_certificate_is_refused(
    identity: VerifierIdentity, other: VerifierIdentity
) -> None:
    # signed by our key, but carrying the other certificate: the signature cannot match it
    token = raw_jws(_header(other), _signed(identity, _claims(identity)), identity.key)
    _refused(token, identity, "signature does not verify")
    # ... and with the other certificate's client id too
    claims = _signed(identity, _claims(identity, client_id=other.client_id))
    token = raw_jws(_header(other), claims, identity.key)
    _refused(token, other, "signature does not verify")


def test_a_client_id_that_is_not_the_leaf_hash_is_refused(
    identity: VerifierIdentity, other: VerifierIdentity
) -> None:
    claims = _signed(identity, _claims(identity, client_id=other.client_id))
    token = raw_jws(_header(identity), claims, identity.key)
    _refused(token, other, "not the hash of the x5c leaf")
    _refused(token, identity, "not the one of the link")  # 5.10.1: identical to the link's


def test_another_client_id_prefix_is_refused(identity: VerifierIdentity) -> None:
    client_id = "x509_san_dns:localhost"
    token = raw_jws(
        _header(identity), _signed(identity, _claims(identity, client_id=client_id)), identity.key
    )
    _refused(token, identity, "only the x509_hash", expected_client_id=client_id)
    _refused(token, identity, "not the one of the link")


def test_the_link_client_id_may_be_absent_over_the_dc_api(identity: VerifierIdentity) -> None:
    token = sign_request_object(identity, claims=_claims(identity), now=NOW)
    assert _verify(token, identity, expected_client_id=None).client_id == identity.client_id


@pytest.mark.parametrize(
    ("header_changes", "detail"),
    [
        ({"typ": "JWT"}, "typ"),
        ({"typ": None}, "typ"),
        ({"typ": "application/oauth-authz-req+jwt"}, "typ"),
        ({"alg": "none"}, "algorithm not allowed"),
        ({"alg": "HS256"}, "algorithm not allowed"),
        ({"alg": "RS256"}, "algorithm not allowed"),
        ({"alg": "ES384"}, "signature"),  # a P-256 key cannot make an ES384 signature
        ({"crit": ["exp"]}, "critical"),
        ({"x5c": None}, "no x5c"),
        ({"x5c": []}, "no x5c"),
        ({"x5c": "MII..."}, "no x5c"),
        ({"x5c": ["not base64!"]}, "not base64"),
        ({"x5c": [base64.b64encode(b"not a certificate").decode()]}, "malformed"),
    ],
)
def test_a_bad_header_is_refused(
    identity: VerifierIdentity, header_changes: dict[str, Any], detail: str
) -> None:
    token = raw_jws(
        _header(identity, **header_changes), _signed(identity, _claims(identity)), identity.key
    )
    _refused(token, identity, detail)


def test_alg_none_without_a_signature_is_refused(identity: VerifierIdentity) -> None:
    token = raw_jws(_header(identity, alg="none"), _signed(identity, _claims(identity)), None)
    _refused(token, identity, "algorithm not allowed")


def test_a_chain_that_is_too_long_is_refused(identity: VerifierIdentity) -> None:
    header = _header(identity, x5c=identity.x5c * 5)
    token = raw_jws(header, _signed(identity, _claims(identity)), identity.key)
    _refused(token, identity, "too long")


@pytest.mark.parametrize("token", ["", "abc", "a.b", "a.b.c.d", "x" * 300_001])
def test_garbage_is_refused(identity: VerifierIdentity, token: str) -> None:
    with pytest.raises(RequestObjectError):
        _verify(token, identity)


def test_a_payload_that_is_not_a_json_object_is_refused(identity: VerifierIdentity) -> None:
    token = raw_jws(_header(identity), ["not", "an", "object"], identity.key)
    _refused(token, identity, "not a JSON object")


# --- times and audience ------------------------------------------------------------------------


def test_an_expired_request_object_is_refused(identity: VerifierIdentity) -> None:
    token = sign_request_object(identity, claims=_claims(identity), now=NOW)
    assert _verify(token, identity, now=NOW + timedelta(minutes=10))  # within the skew
    _refused(token, identity, "expired", now=NOW + timedelta(minutes=12))


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"iat": int(NOW.timestamp()) + 3600}, "in the future"),
        ({"nbf": int(NOW.timestamp()) + 3600}, "not valid yet"),
        ({"exp": int(NOW.timestamp()) - 10, "iat": int(NOW.timestamp())}, "expire"),
        ({"exp": "tomorrow"}, "NumericDate"),
        ({"iat": True}, "NumericDate"),
        ({"aud": "https://wallet.example"}, "another audience"),
        ({"aud": ["https://wallet.example"]}, "another audience"),
    ],
)
def test_bad_times_and_audiences_are_refused(
    identity: VerifierIdentity, changes: dict[str, Any], detail: str
) -> None:
    token = raw_jws(
        _header(identity), {**_signed(identity, _claims(identity)), **changes}, identity.key
    )
    _refused(token, identity, detail)


def test_the_audience_may_be_a_list_or_absent(identity: VerifierIdentity) -> None:
    payload = _signed(identity, _claims(identity))
    for aud in (["x", "https://self-issued.me/v2"], None):
        changed = (
            {**payload, "aud": aud}
            if aud is not None
            else {k: v for k, v in payload.items() if k != "aud"}
        )
        assert _verify(raw_jws(_header(identity), changed, identity.key), identity)


def test_a_leaf_outside_its_validity_is_refused(identity: VerifierIdentity) -> None:
    later = identity.leaf.not_valid_after_utc + timedelta(days=1)
    token = sign_request_object(identity, claims=_claims(identity), now=later, lifetime=None)
    _refused(token, identity, "not valid now", now=later)


# --- request parameters ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        ({"client_id": None}, "no client_id"),
        ({"response_type": None}, "response_type"),
        ({"response_type": "code"}, "response_type"),
        ({"response_mode": None}, "response_mode"),
        ({"response_mode": "fragment"}, "response_mode"),
        ({"nonce": None}, "nonce"),
        ({"nonce": "a b"}, "nonce"),
        ({"dcql_query": None}, "dcql_query"),
        ({"scope": "openid"}, "no scope"),
        ({"dcql_query": {"credentials": []}}, "credentials"),
        ({"response_uri": None}, "response_uri"),
        ({"response_uri": "bank.example/response"}, "response_uri"),
        ({"redirect_uri": RESPONSE_URI}, "redirect_uri must not"),
        ({"state": "a b"}, "state"),
        ({"client_metadata": None}, "vp_formats_supported"),
        ({"client_metadata": {"jwks": {"keys": []}}}, "vp_formats_supported"),
        ({"verifier_info": []}, "verifier_info"),
    ],
)
def test_missing_or_bad_parameters_are_refused(
    identity: VerifierIdentity, changes: dict[str, Any], detail: str
) -> None:
    claims = _claims(identity, **changes)
    if changes.get("client_id", "") is None:
        claims.pop("client_id", None)
    token = raw_jws(_header(identity), _signed(identity, claims), identity.key)
    assert _refused(token, identity, detail, expected_client_id=None) == "invalid_request"


def test_encryption_metadata_is_checked(identity: VerifierIdentity) -> None:
    metadata = _claims(identity)["client_metadata"]
    jwk = metadata["jwks"]["keys"][0]
    cases: list[tuple[dict[str, Any], str]] = [
        ({**metadata, "jwks": None}, "jwks"),
        ({**metadata, "jwks": {"keys": [jwk, jwk]}}, "unique kid"),
        ({**metadata, "jwks": {"keys": [{k: v for k, v in jwk.items() if k != "kid"}]}}, "kid"),
        ({**metadata, "jwks": {"keys": [{**jwk, "alg": "RSA-OAEP"}]}}, "no P-256"),
        ({**metadata, "encrypted_response_enc_values_supported": []}, "non-empty"),
        ({**metadata, "encrypted_response_enc_values_supported": ["A192GCM"]}, "enc"),
    ]
    for client_metadata, detail in cases:
        claims = _signed(identity, _claims(identity, client_metadata=client_metadata))
        _refused(raw_jws(_header(identity), claims, identity.key), identity, detail)


@pytest.mark.parametrize(
    "items",
    [
        [transaction(["unknown_query"])],
        [transaction([])],
        ["%%%"],
        [],
        "not-an-array",
        [base64.urlsafe_b64encode(b'{"credential_ids": ["pid"]}').decode().rstrip("=")],
    ],
)
def test_bad_transaction_data_is_an_invalid_transaction_data_error(
    identity: VerifierIdentity, items: Any
) -> None:
    claims = _signed(identity, _claims(identity, transaction_data=items))
    token = raw_jws(_header(identity), claims, identity.key)
    assert _refused(token, identity, "transaction_data") == "invalid_transaction_data"


def test_the_wallet_nonce_must_come_back(identity: VerifierIdentity) -> None:
    claims = _claims(identity, wallet_nonce="qPmxiNFCR3QTm19POc8u")
    token = sign_request_object(identity, claims=claims, now=NOW)
    assert _verify(token, identity, expected_wallet_nonce="qPmxiNFCR3QTm19POc8u")
    _refused(token, identity, "wallet_nonce", expected_wallet_nonce="another")
    plain = sign_request_object(identity, claims=_claims(identity), now=NOW)
    _refused(plain, identity, "wallet_nonce", expected_wallet_nonce="qPmxiNFCR3QTm19POc8u")


def test_a_dc_api_request_needs_expected_origins(identity: VerifierIdentity) -> None:
    claims = dc_api_request_claims(
        client_id=identity.client_id,
        expected_origins=[ORIGIN],
        nonce="n1",
        dcql_query=DCQL,
        encryption_jwk=new_encryption_key().public_jwk,
        transaction_data=[],
    )
    for changes in (
        {"expected_origins": None},
        {"expected_origins": []},
        {"expected_origins": ["x"]},
    ):
        changed = {k: v for k, v in {**claims, **changes}.items() if v is not None}
        token = raw_jws(_header(identity), _signed(identity, changed), identity.key)
        _refused(token, identity, "origin")
    # the wallet ignores what A.2 does not define (here a state), as it must
    token = raw_jws(_header(identity), _signed(identity, {**claims, "state": "s"}), identity.key)
    assert _verify(token, identity, origin=ORIGIN).claims["state"] == "s"


# --- trust anchors -----------------------------------------------------------------------------


def test_a_chain_is_validated_against_anchors_when_given(identity: VerifierIdentity) -> None:
    pki = sandbox_pki("oid4vp-test-secret")
    trusted = VerifierIdentity(key=pki.issuer.key, chain=(pki.issuer.certificate,))
    rogue = VerifierIdentity(key=pki.rogue_issuer.key, chain=(pki.rogue_issuer.certificate,))
    anchors = [pki.ca_certificate]

    token = sign_request_object(trusted, claims=_claims(trusted), now=NOW)
    assert _verify(token, trusted, trust_anchors=anchors).leaf == pki.issuer.certificate
    token = sign_request_object(rogue, claims=_claims(rogue), now=NOW)
    _refused(token, rogue, "chain is not trusted", trust_anchors=anchors)
    assert _verify(token, rogue)  # without anchors: trusted by its hash alone (x509_hash)

    # the self-signed development verifier is trusted by hash only, never by an anchor list
    token = sign_request_object(identity, claims=_claims(identity), now=NOW)
    _refused(token, identity, "chain is not trusted", trust_anchors=anchors)
    _refused(token, identity, "chain is not trusted", trust_anchors=[])


def test_the_client_id_is_the_hash_of_the_x5c_leaf(identity: VerifierIdentity) -> None:
    token = sign_request_object(identity, claims=_claims(identity), now=NOW)
    leaf_der = base64.b64decode(decode_segment(token, 0)["x5c"][0])
    assert leaf_der == identity.leaf.public_bytes(serialization.Encoding.DER)
    assert decode_segment(token, 1)["client_id"] == x509_hash_client_id(identity.leaf)


def test_a_leaf_whose_key_is_not_ec_is_refused(identity: VerifierIdentity) -> None:
    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "rsa verifier")])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(rsa_key.public_key())
        .serial_number(1)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=1))
        .sign(rsa_key, hashes.SHA256())
    )
    der = certificate.public_bytes(serialization.Encoding.DER)
    claims = _signed(identity, _claims(identity, client_id=x509_hash_client_id(certificate)))
    token = raw_jws(_header(identity, x5c=[base64.b64encode(der).decode()]), claims, identity.key)
    _refused(token, identity, "no EC key", expected_client_id=None)


def test_a_p384_signature_is_refused(identity: VerifierIdentity) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    token = raw_jws(_header(identity), _signed(identity, _claims(identity)), key)
    _refused(token, identity, "signature")


def test_a_naive_now_is_a_programming_error(identity: VerifierIdentity) -> None:
    token = sign_request_object(identity, claims=_claims(identity), now=NOW)
    with pytest.raises(ValueError, match="timezone"):
        _verify(token, identity, now=NOW.replace(tzinfo=None))
