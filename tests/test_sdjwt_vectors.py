"""The SD-JWT specification's own examples as test vectors.

Source: draft-ietf-oauth-selective-disclosure-jwt-22 (the final text of RFC 9901), the
rendered text of the examples that /work/shared/specs/sdjwt-22.md only includes by
reference; copied to tests/fixtures/sdjwt_rfc9901_examples.json with line breaks removed.
Signatures are checked with the example issuer key of appendix A.5.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from app.verification.credentials.errors import PresentationError
from app.verification.credentials.jose import b64url_decode
from app.verification.credentials.sdjwt import (
    split_sd_jwt,
    verify_sd_jwt,
    verify_sd_jwt_kb,
    verify_sd_jwt_vc_with_key,
)
from app.verification.credentials.sdjwt_disclosures import (
    decode_disclosure,
    disclosure_digest,
    process_disclosures,
)
from app.verification.credentials.sdjwt_kb import sd_hash

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "fixtures" / "sdjwt_rfc9901_examples.json").read_text("utf-8")
)
EXAMPLE_TYP = "example+sd-jwt"  # the examples' issuer JWT typ (A.3 uses dc+sd-jwt)
KB = VECTORS["key_binding"]  # nonce 1234567890, aud https://verifier.example.org
# The examples were issued at 1683000000 (exp 1883000000); their KB-JWTs at 1748537243.
NOW = datetime.fromtimestamp(KB["iat"] + 30, UTC)


def _issuer_key() -> ec.EllipticCurvePublicKey:
    """Appendix A.5, the issuer key of every example."""
    jwk = VECTORS["issuer_jwk"]
    x, y = (int.from_bytes(b64url_decode(jwk[c]), "big") for c in ("x", "y"))
    return ec.EllipticCurvePublicNumbers(x, y, ec.SECP256R1()).public_key()


ISSUER_KEY = _issuer_key()


def _with_kb(presentation: str, typ: str = EXAMPLE_TYP, **overrides: Any) -> dict[str, Any]:
    arguments: dict[str, Any] = {
        "issuer_key": ISSUER_KEY,
        "expected_typ": typ,
        "nonce": KB["nonce"],
        "audience": KB["aud"],
        "transaction_data": [],
        "now": NOW,
    }
    arguments.update(overrides)
    return verify_sd_jwt_kb(presentation, **arguments).payload


def test_disclosure_digest_examples_of_section_4_2() -> None:
    # 4.2.1 / 4.2.3: the family_name Disclosure and its digest
    family = "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNw7ZiaXVzIl0"
    assert disclosure_digest(family) == "X9yH0Ajrdm1Oij4tWso9UzzKJvPoDxwmuEcO3XAdRC0"
    decoded = decode_disclosure(family)
    assert (decoded.salt, decoded.name, decoded.value) == (
        "_26bc4LT-ac6q2KI6cBW5es",
        "family_name",
        "Möbius",
    )
    # 4.2.2 / 4.2.4.2: an array element Disclosure and its digest
    element = decode_disclosure("WyJsa2x4RjVqTVlsR1RQVW92TU5JdkNBIiwgIkZSIl0")
    assert (element.salt, element.name, element.value) == ("lklxF5jMYlGTPUovMNIvCA", None, "FR")
    assert element.digest == "w0I8EKcdCtUPkGCNUrfwVp2xEgNjtoIDlOxc9-PlOhs"
    # 4.2.1: other encodings of the same claim decode alike but hash differently
    variants = [
        "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsICJmYW1pbHlfbmFtZSIsICJNXHUwMGY2Yml1cyJd",
        "WyJfMjZiYzRMVC1hYzZxMktJNmNCVzVlcyIsImZhbWlseV9uYW1lIiwiTcO2Yml1cyJd",
        "WwoiXzI2YmM0TFQtYWM2cTJLSTZjQlc1ZXMiLAoiZmFtaWx5X25hbWUiLAoiTcO2Yml1cyIKXQ",
    ]
    for variant in variants:
        assert decode_disclosure(variant).value == "Möbius"
    assert len({disclosure_digest(v) for v in [family, *variants]}) == 4


def test_section_5_1_issued_sd_jwt() -> None:
    vector = VECTORS["section_5"]
    processed = verify_sd_jwt(
        vector["issuance"], issuer_key=ISSUER_KEY, expected_typ=EXAMPLE_TYP, now=NOW
    )
    assert processed.payload == vector["issuance_processed"]
    assert processed.header == {"alg": "ES256", "typ": EXAMPLE_TYP}
    assert ("nationalities", 1) in processed.disclosed_paths
    assert ("sub",) not in processed.disclosed_paths  # always visible


def test_section_5_2_presentation_with_key_binding() -> None:
    vector = VECTORS["section_5"]
    processed = verify_sd_jwt_kb(
        vector["presentation"],
        issuer_key=ISSUER_KEY,
        expected_typ=EXAMPLE_TYP,
        nonce=KB["nonce"],
        audience=KB["aud"],
        transaction_data=[],
        now=NOW,
    )
    assert processed.payload == vector["presentation_processed"]
    assert processed.key_binding == vector["kb_jwt_payload"]
    assert processed.disclosed_paths == {
        ("given_name",),
        ("family_name",),
        ("address",),
        ("nationalities", 0),
    }


def test_section_5_2_sd_hash_is_over_the_sd_jwt_part() -> None:
    vector = VECTORS["section_5"]
    parts = split_sd_jwt(vector["presentation"])
    assert sd_hash(parts.sd_jwt) == vector["kb_jwt_payload"]["sd_hash"]
    assert parts.sd_jwt.endswith("~") and len(parts.disclosures) == 4


def test_section_5_2_presentation_refused_for_another_verifier_or_too_late() -> None:
    presentation = VECTORS["section_5"]["presentation"]
    for overrides in (
        {"nonce": "0987654321"},
        {"audience": "https://other.example.org"},
        {"now": datetime.fromtimestamp(KB["iat"] + 3600, UTC)},
    ):
        with pytest.raises(PresentationError) as caught:
            _with_kb(presentation, **overrides)
        assert caught.value.error_type == "holder-binding"


def test_section_5_vectors_need_their_own_typ() -> None:
    with pytest.raises(PresentationError) as caught:
        _with_kb(VECTORS["section_5"]["presentation"], typ="dc+sd-jwt")
    assert caught.value.error_type == "invalid-credential"


@pytest.mark.parametrize("example", ["flat", "structured", "structured_one_open", "recursive"])
def test_section_6_nested_data(example: str) -> None:
    """Section 6: the same address, flat, structured, partly open and recursive."""
    vector = VECTORS["section_6"][example]
    processed = process_disclosures(vector["payload"], vector["disclosures"])
    assert processed.payload == {
        "iss": "https://issuer.example.com",
        "iat": 1683000000,
        "exp": 1883000000,
        **VECTORS["section_6"]["user_claims"],
    }


def test_section_6_3_recursive_address_members_need_their_parent() -> None:
    vector = VECTORS["section_6"]["recursive"]
    members_only = vector["disclosures"][:-1]  # street_address ... country, not address
    assert json.loads(b64url_decode(vector["disclosures"][-1]))[1] == "address"
    with pytest.raises(PresentationError) as caught:
        process_disclosures(vector["payload"], members_only)
    assert caught.value.error_type == "invalid-credential"
    assert "not referenced" in caught.value.detail


def test_section_6_2_structured_address_discloses_members_one_by_one() -> None:
    vector = VECTORS["section_6"]["structured"]
    processed = process_disclosures(vector["payload"], vector["disclosures"][3:])  # country
    assert processed.payload["address"] == {"country": "DE"}
    assert processed.disclosed_paths == {("address", "country")}


def test_appendix_a1_structured_with_decoys() -> None:
    vector = VECTORS["appendix_a1"]
    processed = verify_sd_jwt(
        vector["presentation"], issuer_key=ISSUER_KEY, expected_typ=EXAMPLE_TYP, now=NOW
    )
    assert processed.payload == vector["processed"]  # decoys and undisclosed digests gone


def test_appendix_a2_complex_structure_with_recursive_array_element() -> None:
    vector = VECTORS["appendix_a2"]
    processed = verify_sd_jwt(
        vector["presentation"], issuer_key=ISSUER_KEY, expected_typ=EXAMPLE_TYP, now=NOW
    )
    assert processed.payload == vector["processed"]
    assert ("verified_claims", "verification", "evidence", 0) in processed.disclosed_paths
    assert ("verified_claims", "verification", "evidence", 0, "method") in (
        processed.disclosed_paths
    )


def test_appendix_a3_pid_issuance() -> None:
    vector = VECTORS["appendix_a3"]
    processed = verify_sd_jwt(
        vector["issuance"], issuer_key=ISSUER_KEY, expected_typ="dc+sd-jwt", now=NOW
    )
    assert processed.payload == vector["issuance_processed"]


def test_appendix_a3_pid_presentation_as_sd_jwt_vc() -> None:
    vector = VECTORS["appendix_a3"]
    assert _with_kb(vector["presentation"], typ="dc+sd-jwt") == vector["presentation_processed"]
    verified = verify_sd_jwt_vc_with_key(
        vector["presentation"],
        issuer_key=ISSUER_KEY,
        expected_vct="urn:eudi:pid:de:1",
        nonce=KB["nonce"],
        audience=KB["aud"],
        transaction_data=[],
        now=NOW,
    )
    assert verified.claims == {"age_equal_or_over": {"18": True}, "nationalities": ["DE"]}
    assert verified.issuer == "https://pid-issuer.bund.de.example"
    assert verified.vct == "urn:eudi:pid:de:1"
    assert verified.issued_at == datetime.fromtimestamp(1683000000, UTC)
    assert verified.expires_at == datetime.fromtimestamp(1883000000, UTC)
    assert verified.issuer_certificate is None
    with pytest.raises(PresentationError) as caught:
        verify_sd_jwt_vc_with_key(
            vector["presentation"],
            issuer_key=ISSUER_KEY,
            expected_vct="urn:eudi:pid:1",
            nonce=KB["nonce"],
            audience=KB["aud"],
            transaction_data=[],
            now=NOW,
        )
    assert caught.value.error_type == "invalid-credential"


def test_appendix_a4_w3c_vcdm_credential() -> None:
    vector = VECTORS["appendix_a4"]
    issued = verify_sd_jwt(
        vector["issuance"], issuer_key=ISSUER_KEY, expected_typ=EXAMPLE_TYP, now=NOW
    )
    assert issued.payload == vector["issuance_processed"]
    assert _with_kb(vector["presentation"]) == vector["presentation_processed"]


def test_spec_vectors_refused_with_another_issuer_key() -> None:
    other = ec.generate_private_key(ec.SECP256R1()).public_key()
    with pytest.raises(PresentationError) as caught:
        verify_sd_jwt(
            VECTORS["appendix_a1"]["presentation"],
            issuer_key=other,
            expected_typ=EXAMPLE_TYP,
            now=NOW,
        )
    assert caught.value.error_type == "invalid-signature"


def test_spec_presentation_refused_where_an_sd_jwt_is_expected() -> None:
    with pytest.raises(PresentationError) as caught:
        verify_sd_jwt(
            VECTORS["section_5"]["presentation"],
            issuer_key=ISSUER_KEY,
            expected_typ=EXAMPLE_TYP,
            now=NOW,
        )
    assert caught.value.error_type == "invalid-credential"
