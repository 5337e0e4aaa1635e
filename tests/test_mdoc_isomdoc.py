"""isomdoc (an independent ISO/IEC 18013-5 implementation, a test-only dependency) reads what
our sandbox issues and presents, and we read what isomdoc issues.

isomdoc 0.0.5 `verify_device_response(device_response, session_transcript)` checks: the
issuerAuth ES256 signature with the x5chain leaf key, MSO version and docType, every
IssuerSignedItemBytes digest, and the deviceSignature over DeviceAuthentication built from
the session transcript it is given (here our OpenID4VP one). It does not validate the
certificate chain or the MSO validity window; those are covered by tests/test_mdoc.py.
"""

from __future__ import annotations

from datetime import date, timedelta

import cbor2
import isomdoc
import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization

from app.verification.credentials.cose import cose_key
from app.verification.credentials.mdoc import PID_DOCTYPE
from app.verification.credentials.session_transcript import redirect_session_transcript
from app.verification.sandbox.mdoc_pid import (
    PID_NAMESPACE,
    tamper_element,
)

from .test_mdoc import (
    CLIENT_ID,
    ELEMENTS,
    HOLDER,
    ISSUED,
    ISSUED_AT,
    NOW,
    PKI,
    PORTRAIT,
    RESPONSE_URI,
    TRANSCRIPT,
    presented,
    verify,
)


def test_isomdoc_accepts_our_device_response() -> None:
    """isomdoc checks the issuerAuth signature with the x5chain leaf, the MSO (version,
    docType), every digest, and the device signature over DeviceAuthentication built from
    our OpenID4VP session transcript. It does not check the chain or the validity window."""
    result = isomdoc.verify_device_response(presented(), cbor2.loads(TRANSCRIPT))

    (doc,) = result.documents
    assert doc.doctype == PID_DOCTYPE
    issuer_signed = doc.issuer_signed
    assert issuer_signed.mso_certificate_chain == [PKI.issuer.certificate]
    assert issuer_signed.digest_algorithm == "SHA-256"
    assert issuer_signed.validity_info.valid_from == ISSUED_AT
    assert cose_key(issuer_signed.device_key) == cose_key(HOLDER.public_key())
    for identifier, value in ELEMENTS.items():
        assert issuer_signed.get_element_value(PID_NAMESPACE, identifier) == value
    assert doc.device_signed.namespaces == {}


def test_isomdoc_refuses_our_replayed_response() -> None:
    earlier = redirect_session_transcript(CLIENT_ID, "an-earlier-nonce", None, RESPONSE_URI)
    replayed = presented(session_transcript=earlier)

    with pytest.raises(InvalidSignature):
        isomdoc.verify_device_response(replayed, cbor2.loads(TRANSCRIPT))


def test_isomdoc_refuses_our_tampered_element() -> None:
    tampered = presented(tamper_element(ISSUED, "given_name", "Eve"))

    with pytest.raises(RuntimeError, match="Digest doesn't match"):
        isomdoc.verify_device_response(tampered, cbor2.loads(TRANSCRIPT))


def test_we_accept_an_mdoc_issued_by_isomdoc() -> None:
    mdoc = isomdoc.create_mdoc(PID_DOCTYPE, [PKI.issuer.certificate], PKI.issuer.key)
    mdoc.add_data_item(PID_NAMESPACE, "family_name", "Mustermann")
    mdoc.add_data_item(PID_NAMESPACE, "birth_date", date(1984, 1, 26))
    mdoc.add_data_item(PID_NAMESPACE, "portrait", PORTRAIT)
    issuer_signed = mdoc.generate_credential(
        HOLDER.public_key(),
        signed_datetime=ISSUED_AT,
        valid_from_datetime=ISSUED_AT,
        valid_until_datetime=NOW + timedelta(days=30),
    )

    claims = verify(
        presented(issuer_signed, element_identifiers=["family_name", "birth_date", "portrait"])
    )
    assert claims.claims[PID_NAMESPACE] == {
        "family_name": "Mustermann",
        "birth_date": date(1984, 1, 26),
        "portrait": PORTRAIT,
    }
    assert (
        claims.issuer_certificate.public_bytes(serialization.Encoding.DER)
        == PKI.issuer.chain_der[0]
    )
