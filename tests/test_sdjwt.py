"""SD-JWT VC presentations: the sandbox issuer and wallet against the real verifier.

The negative matrix is one test per attack; each checks the PresentationError type.
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import decode_dss_signature
from cryptography.x509.oid import NameOID
from joserfc.jwk import ECKey

from app.verification.credentials.errors import PresentationError, PresentationErrorType
from app.verification.credentials.jose import b64url_decode, b64url_encode, ec_public_jwk
from app.verification.credentials.sdjwt import (
    MAX_PRESENTATION_BYTES,
    PID_VCT,
    VerifiedSdJwt,
    verify_sd_jwt_vc,
)
from app.verification.credentials.sdjwt_disclosures import MAX_DISCLOSURES, disclosure_digest
from app.verification.sandbox.pki import Signer, derive_p256_key, holder_key, sandbox_pki
from app.verification.sandbox.sdjwt_pid import (
    add_key_binding,
    encode_disclosure,
    issue_sd_jwt_vc,
    present_sd_jwt_vc,
    select_disclosures,
    sign_jwt,
    tamper_disclosure,
)

SECRET = "x" * 40
PKI = sandbox_pki(SECRET)
HOLDER = holder_key(SECRET, "erika")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISSUER = "https://bank.example/sandbox/pid-provider"
NONCE = "n-0S6_WzA2Mj"
AUDIENCE = "x509_san_dns:bank.example"
TRANSACTION_DATA = [
    b64url_encode(
        json.dumps(
            {"type": "payment_data", "credential_ids": ["pid_sd_jwt"], "amount": "42.00 EUR"}
        ).encode()
    )
]
PORTRAIT = "data:image/jpeg;base64," + base64.b64encode(os.urandom(3750)).decode()  # ~5 KB
CLAIMS: dict[str, Any] = {
    "family_name": "Mustermann",
    "given_name": "Erika",
    "birthdate": "1984-08-12",
    "personal_administrative_number": "DE-7781-4420-1093",
    "address": {
        "formatted": "Heidestraße 17, 51147 Köln, DE",
        "street_address": "Heidestraße",
        "house_number": "17",
        "postal_code": "51147",
        "locality": "Köln",
        "country": "DE",
    },
    "nationalities": ["DE", "AT"],
    "place_of_birth": {"locality": "Berlin", "country": "DE"},
    "age_equal_or_over": {"18": True},
    "sex": 2,
    "picture": PORTRAIT,
}
PATHS = [
    ["family_name"],
    ["given_name"],
    ["personal_administrative_number"],
    ["address", "formatted"],
    ["nationalities"],
    ["place_of_birth"],
    ["picture"],
]


def issue(signer: Signer = PKI.issuer, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "signer": signer,
        "holder_public_key": HOLDER.public_key(),
        "issuer": ISSUER,
        "now": NOW - timedelta(days=1),
        "valid_for": timedelta(days=30),
    }
    arguments.update(overrides)
    return issue_sd_jwt_vc(CLAIMS, **arguments)


ISSUED = issue()


def present(issued: str = ISSUED, **overrides: Any) -> str:
    arguments: dict[str, Any] = {
        "claim_paths": PATHS,
        "holder_key": HOLDER,
        "nonce": NONCE,
        "audience": AUDIENCE,
        "transaction_data": TRANSACTION_DATA,
        "now": NOW,
    }
    arguments.update(overrides)
    return present_sd_jwt_vc(issued, **arguments)


def bind(sd_jwt: str, **overrides: Any) -> str:
    """The wallet's KB-JWT over an SD-JWT the test changed (a dishonest holder re-signs)."""
    arguments: dict[str, Any] = {
        "holder_key": HOLDER,
        "nonce": NONCE,
        "audience": AUDIENCE,
        "transaction_data": TRANSACTION_DATA,
        "now": NOW,
    }
    arguments.update(overrides)
    return add_key_binding(sd_jwt, **arguments)


def verify(presentation: str, **overrides: Any) -> VerifiedSdJwt:
    arguments: dict[str, Any] = {
        "trust_anchors": [PKI.ca_certificate],
        "expected_vct": PID_VCT,
        "nonce": NONCE,
        "audience": AUDIENCE,
        "transaction_data": TRANSACTION_DATA,
        "now": NOW,
    }
    arguments.update(overrides)
    return verify_sd_jwt_vc(presentation, **arguments)


def refused(presentation: str, error_type: PresentationErrorType, **overrides: Any) -> str:
    with pytest.raises(PresentationError) as caught:
        verify(presentation, **overrides)
    assert caught.value.error_type == error_type, caught.value.detail
    return caught.value.detail


def jwt_parts(token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = token.split(".")
    return json.loads(b64url_decode(header)), json.loads(b64url_decode(payload))


def issuer_header(signer: Signer = PKI.issuer, **overrides: Any) -> dict[str, Any]:
    header = {
        "alg": "ES256",
        "typ": "dc+sd-jwt",
        "x5c": [base64.b64encode(der).decode() for der in signer.chain_der],
    }
    header.update(overrides)
    return header


def raw_jws(
    header: Mapping[str, Any], payload: Mapping[str, Any] | str, key: ec.EllipticCurvePrivateKey
) -> str:
    """ES256 by hand, so that what joserfc would refuse to sign can be tested too."""
    body = payload if isinstance(payload, str) else json.dumps(payload)
    signing_input = ".".join(b64url_encode(part.encode()) for part in (json.dumps(header), body))
    r, s = decode_dss_signature(key.sign(signing_input.encode(), ec.ECDSA(hashes.SHA256())))
    return signing_input + "." + b64url_encode(r.to_bytes(32, "big") + s.to_bytes(32, "big"))


def crafted(
    claims: Mapping[str, Any],
    disclosures: Sequence[str] = (),
    *,
    header: Mapping[str, Any] | None = None,
    key: ec.EllipticCurvePrivateKey = PKI.issuer.key,
) -> str:
    """An SD-JWT+KB around an issuer payload the test writes itself, validly signed."""
    payload = {
        "iss": ISSUER,
        "iat": int(NOW.timestamp()) - 3600,
        "exp": int(NOW.timestamp()) + 3600,
        "vct": PID_VCT,
        "cnf": {"jwk": ec_public_jwk(HOLDER.public_key())},
        "_sd_alg": "sha-256",
        **claims,
    }
    issuer_jwt = raw_jws(header or issuer_header(), payload, key)
    return bind("~".join([issuer_jwt, *disclosures, ""]))


def disclosures_of(presentation: str) -> list[str]:
    return presentation.split("~")[1:-1]


def certificate(
    subject: x509.Name,
    issuer: x509.Name,
    public_key: ec.EllipticCurvePublicKey,
    signing_key: ec.EllipticCurvePrivateKey,
    *,
    ca: bool,
) -> x509.Certificate:
    """A test certificate with the extensions a CA (or a document signer) needs."""
    usage = dict.fromkeys(
        (
            "content_commitment",
            "key_encipherment",
            "data_encipherment",
            "key_agreement",
            "encipher_only",
            "decipher_only",
        ),
        False,
    )
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=10))
        .not_valid_after(NOW + timedelta(days=10))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(digital_signature=not ca, key_cert_sign=ca, crl_sign=ca, **usage),
            critical=True,
        )
        .sign(signing_key, hashes.SHA256())
    )


def name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


# --- happy path ------------------------------------------------------------------------


def test_issue_present_verify_pid() -> None:
    verified = verify(present())
    assert verified.claims == {
        "family_name": "Mustermann",
        "given_name": "Erika",
        "personal_administrative_number": "DE-7781-4420-1093",
        "address": {"formatted": "Heidestraße 17, 51147 Köln, DE"},
        "nationalities": ["DE", "AT"],
        "place_of_birth": {"locality": "Berlin", "country": "DE"},
        "picture": PORTRAIT,
    }
    assert verified.issuer == ISSUER
    assert verified.vct == PID_VCT
    assert verified.issuer_certificate == PKI.issuer.certificate
    assert verified.issued_at == NOW - timedelta(days=1)
    assert verified.expires_at == NOW + timedelta(days=29)
    assert verified.disclosed_paths == {
        ("family_name",),
        ("given_name",),
        ("personal_administrative_number",),
        ("address",),
        ("address", "formatted"),
        ("nationalities",),
        ("place_of_birth",),
        ("place_of_birth", "locality"),
        ("place_of_birth", "country"),
        ("picture",),
    }


def test_issued_sd_jwt_hides_every_claim_behind_sorted_digests_and_decoys() -> None:
    header, payload = jwt_parts(ISSUED.split("~")[0])
    assert header["typ"] == "dc+sd-jwt" and header["alg"] == "ES256"
    assert x509.load_der_x509_certificate(base64.b64decode(header["x5c"][0])) == (
        PKI.issuer.certificate
    )
    assert payload["cnf"] == {"jwk": ec_public_jwk(HOLDER.public_key())}
    assert set(payload) == {"iss", "iat", "exp", "vct", "cnf", "_sd_alg", "_sd"}
    assert payload["_sd"] == sorted(payload["_sd"])
    assert len(payload["_sd"]) > len(CLAIMS)  # decoys
    salts = [json.loads(b64url_decode(d))[0] for d in disclosures_of(ISSUED)]
    assert len(salts) == len(set(salts)) and all(len(b64url_decode(s)) == 16 for s in salts)
    assert ISSUED.endswith("~")


def test_present_sends_only_the_disclosures_a_path_needs() -> None:
    sd_jwt = select_disclosures(ISSUED, [["address", "locality"]])
    names = [json.loads(b64url_decode(d))[1] for d in disclosures_of(sd_jwt)]
    assert sorted(names) == ["address", "locality"]
    verified = verify(bind(sd_jwt))
    assert verified.claims == {"address": {"locality": "Köln"}}


def test_present_whole_object_and_array_element_paths() -> None:
    verified = verify(present(claim_paths=[["age_equal_or_over", "18"], ["nationalities", None]]))
    assert verified.claims == {"age_equal_or_over": {"18": True}, "nationalities": ["DE", "AT"]}
    whole = verify(present(claim_paths=[["address"]]))
    assert whole.claims == {"address": CLAIMS["address"]}


def test_dc_api_audience_and_no_transaction_data() -> None:
    origin = "origin:https://bank.example"
    presentation = present(audience=origin, transaction_data=[])
    assert verify(presentation, audience=origin, transaction_data=[]).claims["family_name"]


def test_key_binding_a_few_minutes_old_and_clock_skew_are_accepted() -> None:
    verify(present(now=NOW - timedelta(minutes=4)))
    verify(present(now=NOW + timedelta(seconds=30)))
    short_lived = issue(now=NOW - timedelta(hours=1), valid_for=timedelta(minutes=59, seconds=30))
    verify(present(short_lived))


def test_withheld_claim_is_simply_absent() -> None:
    verified = verify(present(claim_paths=PATHS[1:]))
    assert "family_name" not in verified.claims  # the DCQL matching refuses this, not here


def test_issuer_refuses_reserved_claim_names() -> None:
    for claims in (
        {"exp": 1},
        {"cnf": {}},
        {"address": {"_sd": []}},
        {"place_of_birth": {"...": 1}},
    ):
        with pytest.raises(ValueError):
            issue_sd_jwt_vc(
                claims,
                signer=PKI.issuer,
                holder_public_key=HOLDER.public_key(),
                issuer=ISSUER,
                now=NOW,
                valid_for=timedelta(days=1),
            )


# --- the negative matrix ---------------------------------------------------------------


def test_wrong_nonce() -> None:
    refused(present(nonce="another-request"), "holder-binding")


def test_replayed_presentation_for_an_earlier_request() -> None:
    old = present(nonce="nonce-of-yesterday", now=NOW - timedelta(days=1))
    refused(old, "holder-binding")


def test_wrong_audience() -> None:
    refused(present(audience="x509_san_dns:evil.example"), "holder-binding")


def test_audience_as_an_array() -> None:
    sd_jwt = select_disclosures(ISSUED, PATHS)
    _, kb_payload = jwt_parts(present().rsplit("~", 1)[1])
    kb_payload["aud"] = [AUDIENCE]
    refused(
        sd_jwt + sign_jwt({"alg": "ES256", "typ": "kb+jwt"}, kb_payload, HOLDER), "holder-binding"
    )


def test_stale_key_binding_iat() -> None:
    refused(present(now=NOW - timedelta(minutes=6)), "holder-binding")


def test_key_binding_iat_in_the_future() -> None:
    refused(present(now=NOW + timedelta(minutes=2)), "holder-binding")


def test_key_binding_without_iat() -> None:
    sd_jwt = select_disclosures(ISSUED, PATHS)
    kb_payload = {
        "aud": AUDIENCE,
        "nonce": NONCE,
        "sd_hash": disclosure_digest(sd_jwt),
        "transaction_data_hashes": [disclosure_digest(t) for t in TRANSACTION_DATA],
    }
    kb_jwt = sign_jwt({"alg": "ES256", "typ": "kb+jwt"}, kb_payload, HOLDER)
    refused(sd_jwt + kb_jwt, "holder-binding")


def test_bad_sd_hash_disclosure_dropped_after_key_binding() -> None:
    presentation = present()
    first = disclosures_of(presentation)[0]
    refused(presentation.replace(first + "~", "", 1), "holder-binding")


def test_changed_transaction_data() -> None:
    other = [b64url_encode(b'{"type":"payment_data","amount":"4200.00 EUR"}')]
    refused(present(), "transaction-data", transaction_data=other)


def test_missing_transaction_data_hashes() -> None:
    refused(present(transaction_data=[]), "transaction-data")


def test_unexpected_transaction_data_hashes() -> None:
    refused(present(), "transaction-data", transaction_data=[])


def test_transaction_data_hashes_in_another_order() -> None:
    two = [*TRANSACTION_DATA, b64url_encode(b'{"type":"qes"}')]
    refused(present(transaction_data=two), "transaction-data", transaction_data=two[::-1])


def test_unsupported_transaction_data_hashes_alg() -> None:
    sd_jwt = select_disclosures(ISSUED, PATHS)
    kb_payload = {
        "iat": int(NOW.timestamp()),
        "aud": AUDIENCE,
        "nonce": NONCE,
        "sd_hash": disclosure_digest(sd_jwt),
        "transaction_data_hashes": [disclosure_digest(t) for t in TRANSACTION_DATA],
        "transaction_data_hashes_alg": "sha-512",
    }
    kb_jwt = sign_jwt({"alg": "ES256", "typ": "kb+jwt"}, kb_payload, HOLDER)
    refused(sd_jwt + kb_jwt, "transaction-data")


def test_unreferenced_disclosure() -> None:
    sd_jwt = select_disclosures(ISSUED, PATHS)
    forged = encode_disclosure(b64url_encode(os.urandom(16)), "age_over_65", True)
    detail = refused(bind(sd_jwt + forged + "~"), "invalid-credential")
    assert "not referenced" in detail


def test_duplicated_digest_same_disclosure_sent_twice() -> None:
    sd_jwt = select_disclosures(ISSUED, PATHS)
    again = disclosures_of(sd_jwt)[0]
    detail = refused(bind(sd_jwt + again + "~"), "invalid-credential")
    assert "twice" in detail


def test_duplicated_digest_in_the_issuer_signed_sd_array() -> None:
    disclosure = encode_disclosure("c2FsdHNhbHRzYWx0", "family_name", "Mustermann")
    digest = disclosure_digest(disclosure)
    detail = refused(crafted({"_sd": [digest, digest]}, [disclosure]), "invalid-credential")
    assert "more than once" in detail


def test_duplicated_digest_in_a_nested_disclosure() -> None:
    member = encode_disclosure("c2FsdDE", "locality", "Köln")
    address = encode_disclosure("c2FsdDI", "address", {"_sd": [disclosure_digest(member)]})
    payload = {"_sd": [disclosure_digest(address), disclosure_digest(member)]}
    refused(crafted(payload, [address, member]), "invalid-credential")


def test_expired_credential() -> None:
    old = issue(now=NOW - timedelta(days=40), valid_for=timedelta(days=30))
    detail = refused(present(old), "credential-expired")
    assert "expired" in detail


def test_not_yet_valid_credential_nbf() -> None:
    future = issue(not_before=NOW + timedelta(hours=1))
    detail = refused(present(future), "credential-expired")
    assert "not valid yet" in detail


def test_credential_issued_in_the_future() -> None:
    refused(present(issue(now=NOW + timedelta(hours=1))), "credential-expired")


def test_rogue_ca_untrusted() -> None:
    refused(present(issue(signer=PKI.rogue_issuer)), "trusted-issuer-untrusted")


def test_broken_chain_leaf_signed_by_a_ca_imitating_the_anchor() -> None:
    """The leaf names the anchor as its issuer, but another key signed it."""
    imposter_key, leaf_key = (derive_p256_key(SECRET, label) for label in ("imposter", "leaf"))
    leaf = certificate(
        PKI.issuer.certificate.subject,
        PKI.ca_certificate.subject,
        leaf_key.public_key(),
        imposter_key,
        ca=False,
    )
    detail = refused(present(issue(signer=Signer(leaf_key, leaf))), "trusted-issuer-untrusted")
    assert "signature" in detail


ROOT_KEY = ec.generate_private_key(ec.SECP256R1())
ROOT = certificate(name("Test root"), name("Test root"), ROOT_KEY.public_key(), ROOT_KEY, ca=True)


def three_level_presentation(intermediate_signer: ec.EllipticCurvePrivateKey) -> str:
    """leaf <- "Intermediate PID CA" <- ROOT, the intermediate signed by the given key."""
    middle_key, leaf_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(2))
    middle = certificate(
        name("Intermediate PID CA"),
        ROOT.subject,
        middle_key.public_key(),
        intermediate_signer,
        ca=True,
    )
    leaf = certificate(
        PKI.issuer.certificate.subject, middle.subject, leaf_key.public_key(), middle_key, ca=False
    )
    chain = [
        base64.b64encode(c.public_bytes(serialization.Encoding.DER)).decode()
        for c in (leaf, middle)
    ]
    return crafted({"family_name": "Mustermann"}, header=issuer_header(x5c=chain), key=leaf_key)


def test_broken_chain_with_a_wrong_intermediate() -> None:
    """The intermediate names the anchor as its issuer but another key signed it."""
    forged = three_level_presentation(ec.generate_private_key(ec.SECP256R1()))
    detail = refused(forged, "trusted-issuer-untrusted", trust_anchors=[ROOT])
    assert "signature" in detail


def test_chain_through_a_genuine_intermediate_is_accepted() -> None:
    """The same chain signed by the anchor's key verifies (so the test above is about the key)."""
    verified = verify(three_level_presentation(ROOT_KEY), trust_anchors=[ROOT])
    assert verified.claims == {"family_name": "Mustermann"}
    assert verified.issuer_certificate is not None
    assert verified.issuer_certificate.issuer == name("Intermediate PID CA")


@pytest.mark.parametrize(
    "x5c",
    [None, [], "MIIB", ["not base64!"], [base64.b64encode(b"\x30\x03garbage").decode()]],
    ids=["absent", "empty", "not-a-list", "not-base64", "not-der"],
)
def test_malformed_x5c(x5c: Any) -> None:
    header = issuer_header()
    if x5c is None:
        del header["x5c"]
    else:
        header["x5c"] = x5c
    refused(crafted({}, header=header), "trusted-issuer-untrusted")


def test_tampered_disclosure() -> None:
    sd_jwt = tamper_disclosure(select_disclosures(ISSUED, PATHS), "family_name", "Musterfrau")
    detail = refused(bind(sd_jwt), "invalid-credential")
    assert "not referenced" in detail and "Musterfrau" not in detail


def test_tampered_issuer_payload_breaks_the_signature() -> None:
    issuer_jwt, rest = ISSUED.split("~", 1)
    header, payload, signature = issuer_jwt.split(".")
    claims = json.loads(b64url_decode(payload))
    claims["exp"] += 365 * 24 * 3600
    forged = ".".join([header, b64url_encode(json.dumps(claims).encode()), signature])
    refused(present(forged + "~" + rest), "invalid-signature")


@pytest.mark.parametrize("typ", ["vc+sd-jwt", "JWT", "example+sd-jwt", None])
def test_wrong_typ_of_issuer_jwt(typ: str | None) -> None:
    header = issuer_header(typ=typ)
    if typ is None:
        del header["typ"]
    refused(crafted({}, header=header), "invalid-credential")


def test_wrong_typ_of_kb_jwt() -> None:
    sd_jwt = select_disclosures(ISSUED, PATHS)
    kb_jwt = present().rsplit("~", 1)[1]
    _, kb_payload = jwt_parts(kb_jwt)
    refused(
        sd_jwt + sign_jwt({"alg": "ES256", "typ": "JWT"}, kb_payload, HOLDER), "invalid-credential"
    )


@pytest.mark.parametrize("alg", ["none", "HS256", "RS256", "ES256K", "EdDSA"])
def test_alg_not_allowed_in_issuer_jwt(alg: str) -> None:
    issuer_jwt, rest = ISSUED.split("~", 1)
    _, payload, signature = issuer_jwt.split(".")
    new_header = b64url_encode(json.dumps({**jwt_parts(issuer_jwt)[0], "alg": alg}).encode())
    unsigned = f"{new_header}.{payload}." + ("" if alg == "none" else signature)
    refused(present(unsigned + "~" + rest), "invalid-signature")


def test_alg_none_in_kb_jwt() -> None:
    presentation = present()
    sd_jwt, kb_jwt = presentation.rsplit("~", 1)
    _, payload, _ = kb_jwt.split(".")
    header = b64url_encode(b'{"alg":"none","typ":"kb+jwt"}')
    refused(f"{sd_jwt}~{header}.{payload}.", "invalid-signature")


def test_critical_header_extension_refused() -> None:
    # joserfc alone would accept `crit` naming a header it knows; nothing here has extensions
    refused(crafted({}, header=issuer_header(crit=["x5c"])), "invalid-credential")
    refused(crafted({}, header=issuer_header(crit=["vctm"], vctm=[])), "invalid-credential")


def test_wrong_vct() -> None:
    refused(present(issue(vct="urn:eudi:pid:de:1")), "invalid-credential")


def test_legacy_vct_prefix_is_not_the_pid() -> None:
    refused(present(), "invalid-credential", expected_vct="urn:eu.europa.ec.eudi:pid:1")


def test_kb_jwt_signed_by_another_key() -> None:
    thief = holder_key(SECRET, "somebody-else")
    refused(present(holder_key=thief), "invalid-signature")


def test_missing_kb_jwt() -> None:
    refused(select_disclosures(ISSUED, PATHS), "holder-binding")


def test_credential_without_cnf() -> None:
    issuer_jwt = sign_jwt(
        issuer_header(),
        {"iss": ISSUER, "exp": int(NOW.timestamp()) + 60, "vct": PID_VCT},
        PKI.issuer.key,
    )
    refused(bind(issuer_jwt + "~"), "invalid-credential")


def test_credential_without_exp() -> None:
    claims = {"iss": ISSUER, "vct": PID_VCT, "cnf": {"jwk": ec_public_jwk(HOLDER.public_key())}}
    detail = refused(
        bind(sign_jwt(issuer_header(), claims, PKI.issuer.key) + "~"), "invalid-credential"
    )
    assert "exp" in detail


def test_credential_without_iss() -> None:
    claims = {
        "exp": int(NOW.timestamp()) + 60,
        "vct": PID_VCT,
        "cnf": {"jwk": ec_public_jwk(HOLDER.public_key())},
    }
    detail = refused(
        bind(sign_jwt(issuer_header(), claims, PKI.issuer.key) + "~"), "invalid-credential"
    )
    assert "iss" in detail


def test_cnf_with_a_private_key() -> None:
    private_jwk = ECKey.import_key(HOLDER).as_dict(private=True)
    refused(crafted({"cnf": {"jwk": private_jwk}}), "invalid-credential")


def test_expired_kb_jwt() -> None:
    sd_jwt = select_disclosures(ISSUED, PATHS)
    _, kb_payload = jwt_parts(present().rsplit("~", 1)[1])
    kb_payload["exp"] = int(NOW.timestamp()) - 120
    kb_jwt = sign_jwt({"alg": "ES256", "typ": "kb+jwt"}, kb_payload, HOLDER)
    refused(sd_jwt + kb_jwt, "holder-binding")


def test_disclosure_with_sd_name() -> None:
    disclosure = encode_disclosure("c2FsdA", "_sd", ["AAAA"])
    refused(crafted({"_sd": [disclosure_digest(disclosure)]}, [disclosure]), "invalid-credential")


def test_disclosure_with_ellipsis_name() -> None:
    disclosure = encode_disclosure("c2FsdA", "...", "x")
    refused(crafted({"_sd": [disclosure_digest(disclosure)]}, [disclosure]), "invalid-credential")


def test_disclosed_name_already_present_in_the_object() -> None:
    disclosure = encode_disclosure("c2FsdA", "family_name", "Musterfrau")
    payload = {"family_name": "Mustermann", "_sd": [disclosure_digest(disclosure)]}
    refused(crafted(payload, [disclosure]), "invalid-credential")


def test_array_element_disclosure_used_as_object_property() -> None:
    element = encode_disclosure("c2FsdA", "DE")
    refused(crafted({"_sd": [disclosure_digest(element)]}, [element]), "invalid-credential")


def test_object_property_disclosure_used_as_array_element() -> None:
    prop = encode_disclosure("c2FsdA", "nationality", "DE")
    payload = {"nationalities": [{"...": disclosure_digest(prop)}]}
    refused(crafted(payload, [prop]), "invalid-credential")


def test_registered_claim_must_not_be_selectively_disclosed() -> None:
    hidden_exp = encode_disclosure("c2FsdA", "exp", int(NOW.timestamp()) + 3600)
    payload = {"_sd": [disclosure_digest(hidden_exp)]}
    issuer_jwt = sign_jwt(
        issuer_header(),
        {
            "iss": ISSUER,
            "vct": PID_VCT,
            "cnf": {"jwk": ec_public_jwk(HOLDER.public_key())},
            **payload,
        },
        PKI.issuer.key,
    )
    refused(bind(issuer_jwt + "~" + hidden_exp + "~"), "invalid-credential")


def test_unsupported_sd_alg() -> None:
    refused(crafted({"_sd_alg": "sha-512"}), "invalid-credential")


def test_duplicate_json_member_in_issuer_payload() -> None:
    """Validly signed, but `vct` twice: refused rather than "last one wins" (RFC 7519 4)."""
    cnf = json.dumps({"jwk": ec_public_jwk(HOLDER.public_key())})
    expires = int(NOW.timestamp()) + 60
    body = f'{{"iss":"{ISSUER}","exp":{expires},"cnf":{cnf},"vct":"urn:other","vct":"{PID_VCT}"}}'
    issuer_jwt = raw_jws(issuer_header(), body, PKI.issuer.key)
    detail = refused(bind(issuer_jwt + "~"), "invalid-credential")
    assert "payload" in detail


def test_too_many_disclosures() -> None:
    decoys = [
        encode_disclosure(b64url_encode(os.urandom(16)), f"c{i}", i)
        for i in range(MAX_DISCLOSURES + 1)
    ]
    payload = {"_sd": sorted(disclosure_digest(d) for d in decoys)}
    detail = refused(crafted(payload, decoys), "invalid-credential")
    assert "too many" in detail


def test_oversized_presentation() -> None:
    refused(present() + "A" * MAX_PRESENTATION_BYTES, "invalid-credential")


def test_deeply_nested_disclosure() -> None:
    nested: Any = "bottom"
    for _ in range(40):
        nested = {"n": nested}
    disclosure = encode_disclosure("c2FsdA", "deep", nested)
    refused(crafted({"_sd": [disclosure_digest(disclosure)]}, [disclosure]), "invalid-credential")
    # far deeper than Python's recursion limit: refused, not a RecursionError
    very_deep = b64url_encode(b'["c2FsdA","deep",' + b"[" * 50_000 + b"]" * 50_000 + b"]")
    refused(crafted({"_sd": [disclosure_digest(very_deep)]}, [very_deep]), "invalid-credential")


def test_deep_chain_of_recursive_disclosures() -> None:
    """Each Disclosure is shallow, but embedded into one another they nest 30 deep."""
    chain = [encode_disclosure("c2FsdA", "n", "bottom")]
    for level in range(30):
        chain.append(
            encode_disclosure(f"c2FsdA{level}", "n", {"_sd": [disclosure_digest(chain[-1])]})
        )
    detail = refused(crafted({"_sd": [disclosure_digest(chain[-1])]}, chain), "invalid-credential")
    assert "nested too deeply" in detail


def test_not_a_presentation() -> None:
    for junk in ["", "~", "a.b.c", "eyJ~~", "not an sd-jwt at all", "é~"]:
        refused(junk, "invalid-credential")
