"""mdoc PID presentations (ISO/IEC 18013-5 in OpenID4VP B.2): issue -> present -> verify with
the sandbox PKI, and one test per attack the verifier must catch. The session transcripts are
in test_mdoc_transcript.py, isomdoc's view of our output in test_mdoc_isomdoc.py."""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import cbor2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from app.verification.credentials import cbor
from app.verification.credentials.cose import sign1
from app.verification.credentials.errors import PresentationError, PresentationErrorType
from app.verification.credentials.mdoc import (
    MAX_ELEMENTS,
    PID_DOCTYPE,
    VerifiedMdoc,
    dc_api_session_transcript,
    device_authentication_bytes,
    device_response_from_vp_token,
    redirect_session_transcript,
    verify_mdoc_presentation,
)
from app.verification.sandbox.mdoc_pid import (
    PID_NAMESPACE,
    issue_mdoc,
    present_mdoc,
    tamper_element,
)
from app.verification.sandbox.pki import Signer, holder_key, sandbox_pki

SECRET = "x" * 40
PKI = sandbox_pki(SECRET)
HOLDER = holder_key(SECRET, "alice")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISSUED_AT = NOW - timedelta(days=1)
CLIENT_ID = "x509_san_dns:bank.example"
NONCE = "n-0S6_WzA2Mj"
RESPONSE_URI = "https://bank.example/openid4vp/response"
TRANSCRIPT = redirect_session_transcript(CLIENT_ID, NONCE, None, RESPONSE_URI)
MDL_DOCTYPE = "org.iso.18013.5.1.mDL"


def _jpeg(size: int = 5_000) -> bytes:
    """A JPEG-framed blob of about `size` bytes (SOI, APP0 JFIF, a comment, EOI)."""
    app0 = b"\xff\xe0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    filler = os.urandom(size - len(app0) - 8)
    comment = b"\xff\xfe" + (len(filler) + 2).to_bytes(2, "big") + filler
    return b"\xff\xd8" + app0 + comment + b"\xff\xd9"


PORTRAIT = _jpeg()
ELEMENTS: dict[str, Any] = {  # PID Rulebook 3.1.2 encodings
    "family_name": "Mustermann",
    "given_name": "Erika",
    "birth_date": date(1984, 1, 26),  # full-date #6.1004
    "place_of_birth": {"country": "DE", "locality": "Berlin"},  # 3.1.4
    "nationality": ["DE", "AT"],  # 3.1.3
    "personal_administrative_number": "DE-1984-0126-42",
    "portrait": PORTRAIT,  # bstr, JPEG
}


def issued(
    elements: dict[str, Any] = ELEMENTS,
    *,
    signer: Signer = PKI.issuer,
    now: datetime = ISSUED_AT,
    valid_for: timedelta = timedelta(days=90),
    **kwargs: Any,
) -> bytes:
    return issue_mdoc(
        elements,
        signer=signer,
        device_public_key=HOLDER.public_key(),
        now=now,
        valid_for=valid_for,
        **kwargs,
    )


ISSUED = issued()


def presented(issuer_signed: bytes = ISSUED, **kwargs: Any) -> bytes:
    kwargs.setdefault("element_identifiers", list(ELEMENTS))
    kwargs.setdefault("device_key", HOLDER)
    kwargs.setdefault("session_transcript", TRANSCRIPT)
    return present_mdoc(issuer_signed, **kwargs)


def verify(device_response: bytes, **kwargs: Any) -> VerifiedMdoc:
    kwargs.setdefault("trust_anchors", [PKI.ca_certificate])
    kwargs.setdefault("session_transcript", TRANSCRIPT)
    kwargs.setdefault("now", NOW)
    return verify_mdoc_presentation(device_response, **kwargs)


def refused(
    device_response: bytes, error_type: PresentationErrorType, match: str, **kwargs: Any
) -> PresentationError:
    with pytest.raises(PresentationError, match=match) as caught:
        verify(device_response, **kwargs)
    assert caught.value.error_type == error_type, caught.value.detail
    return caught.value


def edited(device_response: bytes, edit: Callable[[dict[str, Any]], None]) -> bytes:
    """The DeviceResponse after `edit` changed its decoded form (nothing re-signed)."""
    response = cbor2.loads(device_response)
    edit(response)
    return cbor2.dumps(response)


def document(response: dict[str, Any]) -> dict[str, Any]:
    doc: dict[str, Any] = response["documents"][0]
    return doc


def resigned(
    issuer_signed: bytes,
    edit_mso: Callable[[dict[str, Any]], None] = lambda mso: None,
    *,
    signer: Signer = PKI.issuer,
    x5chain: Any = None,
    edit_stored: Callable[[dict[str, Any]], None] = lambda stored: None,
) -> bytes:
    """The IssuerSigned with its MSO changed by `edit_mso` and signed again by `signer`: an
    issuer (or key holder) that signs what the test wants, to reach the checks after trust."""
    stored = cbor2.loads(issuer_signed)
    edit_stored(stored)
    mso = cbor2.loads(cbor2.loads(stored["issuerAuth"][2]).value)
    edit_mso(mso)
    payload = cbor.encoded_cbor_bytes(cbor.encode(mso))
    chain = signer.chain_der[0] if x5chain is None else x5chain
    stored["issuerAuth"] = sign1(payload, signer.key, {33: chain})
    return cbor.encode(stored)


def item_of(issuer_signed: bytes, identifier: str) -> cbor2.CBORTag:
    for item in cbor2.loads(issuer_signed)["nameSpaces"][PID_NAMESPACE]:
        if cbor2.loads(item.value)["elementIdentifier"] == identifier:
            return item
    raise KeyError(identifier)


# -- happy path -------------------------------------------------------------------------------


def test_issue_present_verify_round_trips_the_pid_values() -> None:
    result = verify(presented())

    assert result.doctype == PID_DOCTYPE
    assert list(result.claims) == [PID_NAMESPACE]
    claims = result.claims[PID_NAMESPACE]
    assert claims == ELEMENTS
    assert type(claims["birth_date"]) is date
    assert isinstance(claims["portrait"], bytes) and claims["portrait"].startswith(b"\xff\xd8")
    assert claims["nationality"] == ["DE", "AT"]
    assert claims["place_of_birth"] == {"country": "DE", "locality": "Berlin"}
    assert result.issuer_certificate == PKI.issuer.certificate
    assert result.validity.valid_from == ISSUED_AT
    assert result.validity.valid_until == ISSUED_AT + timedelta(days=90)
    assert result.validity.signed == ISSUED_AT


def test_only_requested_elements_are_disclosed() -> None:
    response = presented(element_identifiers=["family_name", "given_name", "not_in_the_pid"])

    assert verify(response).claims == {
        PID_NAMESPACE: {"family_name": "Mustermann", "given_name": "Erika"}
    }
    assert PORTRAIT not in response


def test_withheld_elements_are_left_out_and_the_rest_verifies() -> None:
    response = presented(withhold=["portrait", "birth_date"])

    claims = verify(response).claims[PID_NAMESPACE]
    assert set(claims) == set(ELEMENTS) - {"portrait", "birth_date"}


def test_tdate_elements_round_trip_as_aware_datetimes() -> None:
    issued_at = datetime(2025, 5, 6, 7, 8, 9, 123456, tzinfo=UTC)
    response = presented(
        issued({"issuance_date": issued_at}), element_identifiers=["issuance_date"]
    )

    assert verify(response).claims[PID_NAMESPACE] == {
        "issuance_date": issued_at.replace(microsecond=0)
    }


def test_issued_mdoc_follows_the_pid_rulebook_encoding() -> None:
    stored = cbor2.loads(ISSUED)
    items = [cbor2.loads(item.value) for item in stored["nameSpaces"][PID_NAMESPACE]]
    mso_bytes = cbor2.loads(stored["issuerAuth"][2]).value

    assert sorted(i["digestID"] for i in items) == list(range(len(ELEMENTS)))
    assert all(isinstance(i["random"], bytes) and len(i["random"]) >= 16 for i in items)
    assert bytes.fromhex("d903ec6a313938342d30312d3236") in ISSUED  # 1004("1984-01-26")
    assert b"\xc0\x742026-02-28T12:00:00Z" in mso_bytes  # tdate, no fraction, "Z"
    assert cbor.encode(cbor2.loads(ISSUED)) == ISSUED  # canonical: re-encoding is identical
    assert cbor2.loads(stored["issuerAuth"][0]) == {1: -7}
    assert stored["issuerAuth"][1] == {33: PKI.issuer.chain_der[0]}


def test_disclosed_items_are_the_issued_bytes() -> None:
    response = cbor2.loads(presented())
    disclosed = document(response)["issuerSigned"]["nameSpaces"][PID_NAMESPACE]

    assert {cbor2.dumps(i) for i in disclosed} == {
        cbor2.dumps(i) for i in cbor2.loads(ISSUED)["nameSpaces"][PID_NAMESPACE]
    }


def test_dc_api_presentation_verifies_with_the_dc_api_transcript() -> None:
    transcript = dc_api_session_transcript("https://bank.example", NONCE, None)

    verify(presented(session_transcript=transcript), session_transcript=transcript)


def test_encrypted_response_transcript_binds_the_verifier_key() -> None:
    thumbprint = os.urandom(32)
    transcript = redirect_session_transcript(CLIENT_ID, NONCE, thumbprint, RESPONSE_URI)

    verify(presented(session_transcript=transcript), session_transcript=transcript)


def test_vp_token_presentation_is_base64url_of_the_device_response() -> None:
    response = presented()
    token = base64.urlsafe_b64encode(response).decode().rstrip("=")

    assert device_response_from_vp_token(token) == response
    assert device_response_from_vp_token(token + "=" * (-len(token) % 4)) == response
    for bad in (base64.b64encode(b"\xfb\xff" * 8).decode(), "a b", "abcde"):
        with pytest.raises(PresentationError, match="base64url") as caught:
            device_response_from_vp_token(bad)
        assert caught.value.error_type == "invalid-credential"


def test_clock_skew_of_a_few_seconds_is_tolerated() -> None:
    verify(presented(issued(now=NOW + timedelta(seconds=30))))
    verify(presented(issued(valid_for=timedelta(days=1, seconds=-30))))


# -- attacks: the element values ---------------------------------------------------------------


def test_tampered_mdoc_element() -> None:
    tampered = tamper_element(ISSUED, "family_name", "Musterfrau")

    refused(
        presented(tampered), "invalid-credential", "'family_name' does not match its MSO digest"
    )


def test_element_spliced_from_another_issued_mdoc() -> None:
    other = issued({**ELEMENTS, "family_name": "Gabler"})
    foreign = item_of(other, "family_name")

    def splice(response: dict[str, Any]) -> None:
        items = document(response)["issuerSigned"]["nameSpaces"][PID_NAMESPACE]
        items[:] = [
            foreign if cbor2.loads(i.value)["elementIdentifier"] == "family_name" else i
            for i in items
        ]

    refused(edited(presented(), splice), "invalid-credential", "does not match its MSO digest")


def test_duplicated_digest_id() -> None:
    def repeat_first(response: dict[str, Any]) -> None:
        items = document(response)["issuerSigned"]["nameSpaces"][PID_NAMESPACE]
        items.append(items[0])

    refused(
        edited(presented(), repeat_first), "invalid-credential", r"digestID \d+ is presented twice"
    )


def test_duplicated_element_identifier_under_two_digest_ids() -> None:
    second = cbor2.CBORTag(
        24,
        cbor.encode(
            {
                "digestID": 99,
                "random": os.urandom(16),
                "elementIdentifier": "family_name",
                "elementValue": "Gabler",
            }
        ),
    )

    def add_item(stored: dict[str, Any]) -> None:
        stored["nameSpaces"][PID_NAMESPACE].append(second)

    def add_digest(mso: dict[str, Any]) -> None:
        mso["valueDigests"][PID_NAMESPACE][99] = hashlib.sha256(cbor2.dumps(second)).digest()

    both = resigned(ISSUED, add_digest, edit_stored=add_item)

    refused(presented(both), "invalid-credential", "'family_name' is presented twice")


def test_element_without_a_digest_in_the_mso() -> None:
    digest_id = cbor2.loads(item_of(ISSUED, "given_name").value)["digestID"]
    unlisted = resigned(ISSUED, lambda mso: mso["valueDigests"][PID_NAMESPACE].pop(digest_id))

    refused(presented(unlisted), "invalid-credential", "'given_name' has no MSO digest")


def test_namespace_without_digests_in_the_mso() -> None:
    moved = resigned(
        ISSUED, lambda mso: mso.update(valueDigests={"org.example.other": {0: b"0" * 32}})
    )

    refused(presented(moved), "invalid-credential", "has no MSO digests")


def test_too_many_elements() -> None:
    many = {f"element_{i}": i for i in range(MAX_ELEMENTS + 1)}

    refused(
        presented(issued(many), element_identifiers=list(many)), "invalid-credential", "more than"
    )


# -- attacks: the session transcript (replay) ---------------------------------------------------


def test_replay_for_another_nonce() -> None:
    earlier = redirect_session_transcript(CLIENT_ID, "an-earlier-nonce", None, RESPONSE_URI)
    replayed = presented(session_transcript=earlier)

    refused(replayed, "holder-binding", "deviceSignature")


def test_replay_for_another_client_id() -> None:
    other = redirect_session_transcript("x509_san_dns:evil.example", NONCE, None, RESPONSE_URI)

    refused(presented(session_transcript=other), "holder-binding", "deviceSignature")


def test_replay_for_another_response_uri() -> None:
    other = redirect_session_transcript(CLIENT_ID, NONCE, None, "https://evil.example/response")

    refused(presented(session_transcript=other), "holder-binding", "deviceSignature")


def test_response_re_encrypted_for_another_verifier_key() -> None:
    other = redirect_session_transcript(CLIENT_ID, NONCE, os.urandom(32), RESPONSE_URI)

    refused(presented(session_transcript=other), "holder-binding", "deviceSignature")


def test_dc_api_presentation_replayed_in_a_redirect_flow() -> None:
    dc_api = dc_api_session_transcript("https://bank.example", NONCE, None)

    refused(presented(session_transcript=dc_api), "holder-binding", "deviceSignature")


# -- attacks: the issuer ------------------------------------------------------------------------


def test_rogue_ca_issuer() -> None:
    rogue = issued(signer=PKI.rogue_issuer)

    refused(presented(rogue), "trusted-issuer-untrusted", "not trusted")


def test_no_trust_anchor_configured() -> None:
    refused(presented(), "trusted-issuer-untrusted", "no trusted issuer", trust_anchors=[])


def test_malformed_x5chain() -> None:
    garbage = resigned(ISSUED, x5chain=b"\x30\x82 not a certificate")

    refused(presented(garbage), "trusted-issuer-untrusted", "malformed")


def test_empty_x5chain() -> None:
    empty = resigned(ISSUED, x5chain=[])

    refused(presented(empty), "trusted-issuer-untrusted", "no issuer certificate")


def test_x5chain_of_the_wrong_type() -> None:
    text = resigned(ISSUED, x5chain="MIIB...")

    refused(presented(text), "trusted-issuer-untrusted", "no x5chain")


def test_leaf_not_issued_by_the_anchor() -> None:
    """A document signer claiming the sandbox CA as issuer, signed by another key."""
    key = ec.generate_private_key(ec.SECP256R1())
    ca = PKI.ca_certificate
    ca_key_id = ca.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
    forged_cert = (
        x509.CertificateBuilder()
        .subject_name(PKI.issuer.certificate.subject)
        .issuer_name(ca.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(ISSUED_AT - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=365))
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ca_key_id),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    forged = Signer(key, forged_cert)

    refused(presented(issued(signer=forged)), "trusted-issuer-untrusted", "not trusted")


def test_mso_signature_tampered() -> None:
    stored = cbor2.loads(ISSUED)
    signature = bytearray(stored["issuerAuth"][3])
    signature[10] ^= 0x01
    stored["issuerAuth"][3] = bytes(signature)

    refused(presented(cbor2.dumps(stored)), "invalid-signature", "issuerAuth: the signature")


def test_mso_content_changed_without_signing() -> None:
    """validUntil pushed ten years on, keeping the issuer's signature."""
    stored = cbor2.loads(ISSUED)
    payload = stored["issuerAuth"][2]
    old = (ISSUED_AT + timedelta(days=90)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    new = (ISSUED_AT + timedelta(days=90 + 3650)).strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    assert old in payload
    stored["issuerAuth"][2] = payload.replace(old, new)

    refused(presented(cbor2.dumps(stored)), "invalid-signature", "issuerAuth: the signature")


def test_issuer_algorithm_not_on_the_allow_list() -> None:
    stored = cbor2.loads(ISSUED)
    stored["issuerAuth"][0] = cbor2.dumps({1: -35})  # ES384 claimed, ES256 signature

    refused(presented(cbor2.dumps(stored)), "invalid-signature", "alg -35 is not accepted")


def test_expired_mso() -> None:
    old = issued(now=NOW - timedelta(days=100))

    refused(presented(old), "credential-expired", "expired")


def test_not_yet_valid_mso() -> None:
    future = issued(now=NOW + timedelta(hours=1))

    refused(presented(future), "credential-expired", "valid only from")


def test_mso_version_is_not_1_0() -> None:
    refused(
        presented(resigned(ISSUED, lambda mso: mso.update(version="2.0"))),
        "invalid-credential",
        "version",
    )


def test_mso_digest_algorithm_not_sha256() -> None:
    sha512 = resigned(ISSUED, lambda mso: mso.update(digestAlgorithm="SHA-512"))

    refused(presented(sha512), "invalid-credential", "digestAlgorithm")


def test_malformed_device_key_in_the_mso() -> None:
    bad = resigned(ISSUED, lambda mso: mso["deviceKeyInfo"]["deviceKey"].update({-2: b"\x01" * 32}))

    refused(presented(bad), "invalid-credential", "deviceKey")


# -- attacks: the document type -----------------------------------------------------------------


def test_document_doctype_is_not_the_pid() -> None:
    mdl = issued(doctype=MDL_DOCTYPE)

    refused(
        presented(mdl, doctype=MDL_DOCTYPE), "invalid-credential", "docType 'org.iso.18013.5.1.mDL'"
    )


def test_mso_doctype_differs_from_the_document() -> None:
    """An mDL's MSO presented as a PID document."""
    mdl = issued(doctype=MDL_DOCTYPE, namespace=PID_NAMESPACE)

    refused(presented(mdl, doctype=PID_DOCTYPE), "invalid-credential", "MSO docType differs")


# -- attacks: the device authentication ----------------------------------------------------------


def test_device_signature_by_another_key() -> None:
    refused(
        presented(device_key=holder_key(SECRET, "mallory")), "holder-binding", "deviceSignature"
    )


def test_missing_device_signature() -> None:
    def drop(response: dict[str, Any]) -> None:
        document(response)["deviceSigned"]["deviceAuth"] = {}

    refused(edited(presented(), drop), "holder-binding", "no device signature")


def test_device_mac_only() -> None:
    def mac(response: dict[str, Any]) -> None:
        auth = document(response)["deviceSigned"]["deviceAuth"]
        signature = auth.pop("deviceSignature")
        auth["deviceMac"] = [cbor2.dumps({1: 5}), {}, None, signature[3][:32]]

    refused(edited(presented(), mac), "holder-binding", "deviceMac is not supported")


def test_device_signature_with_an_attached_payload() -> None:
    def attach(response: dict[str, Any]) -> None:
        signature = document(response)["deviceSigned"]["deviceAuth"]["deviceSignature"]
        signature[2] = device_authentication_bytes(
            TRANSCRIPT, PID_DOCTYPE, cbor2.dumps(cbor2.CBORTag(24, b"\xa0"))
        )

    refused(edited(presented(), attach), "holder-binding", "detached payload")


def test_device_signed_elements_are_refused() -> None:
    def add(response: dict[str, Any]) -> None:
        device_signed = document(response)["deviceSigned"]
        device_signed["nameSpaces"] = cbor2.CBORTag(
            24, cbor2.dumps({PID_NAMESPACE: {"family_name": "X"}})
        )

    refused(
        edited(presented(), add), "invalid-credential", "device-signed elements are not supported"
    )


# -- attacks: the envelope ------------------------------------------------------------------------


def test_too_many_documents() -> None:
    two = edited(presented(), lambda r: r["documents"].append(r["documents"][0]))

    refused(two, "invalid-credential", "2 documents")


def test_no_document() -> None:
    refused(
        edited(presented(), lambda r: r.update(documents=[])), "invalid-credential", "no document"
    )


def test_error_status() -> None:
    refused(
        edited(presented(), lambda r: r.update(status=10)), "invalid-credential", "status is 10"
    )


def test_unknown_device_response_version() -> None:
    refused(edited(presented(), lambda r: r.update(version="2.0")), "invalid-credential", "version")


def test_oversized_input() -> None:
    huge = cbor2.dumps(
        {"version": "1.0", "documents": [], "status": 0, "padding": b"\0" * 1_000_000}
    )

    refused(huge, "invalid-credential", "larger than")


def test_malformed_cbor() -> None:
    refused(presented()[:-10], "invalid-credential", "truncated")


def test_trailing_bytes_after_the_device_response() -> None:
    refused(presented() + b"\x00", "invalid-credential", "bytes follow")


def test_non_canonical_encoding_of_a_disclosed_item() -> None:
    """The same IssuerSignedItemBytes with a longer tag head: its digest would be computed over
    other bytes than received, so the decoder refuses it."""
    response = presented(element_identifiers=["given_name"])
    item = cbor2.dumps(item_of(ISSUED, "given_name"))
    assert item[:2] == b"\xd8\x18" and item in response
    longer = response.replace(item, b"\xd9\x00\x18" + item[2:])

    refused(longer, "invalid-credential", "shortest form")
