"""ISO/IEC 18013-5 mdoc presentations in OpenID4VP (Appendix B.2): the DeviceResponse check.

A wallet answers an `mso_mdoc` credential query with a base64url `DeviceResponse` (OpenID4VP
B.2.5). `verify_mdoc_presentation` takes its decoded bytes and accepts it only if

1. it is strict, bounded CBOR (`cbor.decode`), version "1.0", status 0, with exactly one
   document (a PID query asks for one) of the expected docType;
2. issuerAuth is an ES256 COSE_Sign1 whose x5chain leads to a trust anchor and whose
   signature verifies (ISO/IEC 18013-5 9.1.2.4, 9.3.1 steps 1-2);
3. the MobileSecurityObject has version "1.0", digestAlgorithm "SHA-256", the same docType
   and a validity window containing `now` (9.3.1 steps 4-5);
4. every presented IssuerSignedItemBytes hashes to its valueDigests entry, digest IDs and
   element identifiers are not repeated (9.3.1 step 3; a changed value fails here);
5. deviceAuth.deviceSignature verifies with the MSO device key over DeviceAuthenticationBytes
   built from the session transcript of *this* request (9.1.3.4, 9.1.3.6; a presentation
   made for another nonce, client or response URI fails here). deviceMac is not supported
   and device-signed elements are refused.

The session transcripts are those of OpenID4VP B.2.6.1 (redirects) and B.2.6.2 (DC API),
in `session_transcript`.

Transaction data (OpenID4VP 8.4, B.2.1) would come back as device-signed data elements that
the document type defines and the MSO KeyAuthorizations allow. The PID defines none, and the
PID Rulebook section 5 forbids signing transaction data with the PID key: so device-signed
elements are refused here, and a request carrying `transaction_data` cannot be answered by an
mdoc PID (the caller must not count one as confirming such a transaction).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import cbor2
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec

from . import cbor, mdoc_values
from .cose import HEADER_X5CHAIN, CoseError, CoseSign1, public_key_from_cose
from .errors import PresentationError, PresentationErrorType
from .mdoc_values import MsoValidity
from .session_transcript import (
    dc_api_session_transcript,
    device_authentication_bytes,
    redirect_session_transcript,
)
from .trust import verify_chain

__all__ = [
    "PID_DOCTYPE",
    "MsoValidity",
    "VerifiedMdoc",
    "dc_api_session_transcript",
    "device_authentication_bytes",
    "device_response_from_vp_token",
    "redirect_session_transcript",
    "verify_mdoc_presentation",
]

PID_DOCTYPE = "eu.europa.ec.eudi.pid.1"  # PID Rulebook 3.1.1, doctype and namespace
MAX_DOCUMENTS = 1  # our queries ask for one PID; more documents are refused
MAX_NAMESPACES = 8
MAX_ELEMENTS = 100  # presented elements over all namespaces
CLOCK_SKEW = timedelta(seconds=60)
MAX_RESPONSE_BYTES = cbor.MAX_INPUT_BYTES
# what the checks below accept, as verifier metadata `vp_formats_supported` (OpenID4VP B.2.2)
VP_FORMATS_SUPPORTED: Mapping[str, Any] = {
    "mso_mdoc": {"issuerauth_alg_values": [-7], "deviceauth_alg_values": [-7]}
}
# digestAlgorithm allow-list (ISO/IEC 18013-5 9.1.2.5 also permits SHA-384/512; not used)
DIGEST_ALGORITHMS: Mapping[str, Callable[[bytes], Any]] = {"SHA-256": hashlib.sha256}
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


@dataclass(frozen=True)
class VerifiedMdoc:
    """A DeviceResponse that passed every check. Claim values are Python data: full-date ->
    `date`, tdate -> aware UTC `datetime`, bstr -> `bytes`, arrays -> lists, maps -> dicts."""

    doctype: str
    claims: dict[str, dict[str, Any]]  # namespace -> element identifier -> value
    issuer_certificate: x509.Certificate  # the document signer (leaf of x5chain)
    validity: MsoValidity


# -- verification ----------------------------------------------------------------------------


def _fail(error_type: PresentationErrorType, detail: str) -> PresentationError:
    return PresentationError(error_type, detail)


def _field(container: Mapping[Any, Any], key: str, kind: type | tuple[type, ...], what: str) -> Any:
    value = container.get(key)
    if not isinstance(value, kind):
        raise _fail("invalid-credential", f"{what}: '{key}' is missing or of the wrong type")
    return value


def _embedded(value: Any, what: str) -> tuple[bytes, Any]:
    """The content bytes and the decoded item of a `#6.24(bstr .cbor X)`."""
    if not (isinstance(value, cbor2.CBORTag) and value.tag == cbor.TAG_ENCODED_CBOR):
        raise _fail("invalid-credential", f"{what} is not embedded CBOR (tag 24)")
    return value.value, cbor.decode(value.value, what)


def device_response_from_vp_token(presentation: str) -> bytes:
    """The DeviceResponse bytes of one vp_token presentation: base64url (OpenID4VP B.2.5)."""
    if not isinstance(presentation, str) or len(presentation) > MAX_RESPONSE_BYTES * 4 // 3 + 4:
        raise _fail("invalid-credential", "the mdoc presentation is not a (small) string")
    text = presentation.rstrip("=")
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        raise _fail("invalid-credential", "the mdoc presentation is not base64url")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_mdoc_presentation(
    device_response: bytes,
    *,
    trust_anchors: Sequence[x509.Certificate],
    session_transcript: bytes,
    now: datetime,
    expected_doctype: str = PID_DOCTYPE,
) -> VerifiedMdoc:
    """The verified document of a DeviceResponse, or PresentationError saying which check failed.

    `session_transcript` is what `redirect_session_transcript` / `dc_api_session_transcript`
    give for the request this response answers; `now` is an aware datetime.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    response = cbor.decode(device_response, "the DeviceResponse", max_size=MAX_RESPONSE_BYTES)
    if not isinstance(response, Mapping):
        raise _fail("invalid-credential", "the DeviceResponse is not a map")
    if response.get("version") != "1.0":
        raise _fail("invalid-credential", "the DeviceResponse version is not 1.0")
    status = response.get("status")
    if type(status) is not int or status != 0:
        raise _fail("invalid-credential", f"the DeviceResponse status is {status!r}, not 0 (OK)")
    documents = response.get("documents")
    if not isinstance(documents, list | tuple) or not documents:
        raise _fail("invalid-credential", "the DeviceResponse holds no document")
    if len(documents) > MAX_DOCUMENTS:
        raise _fail("invalid-credential", f"the DeviceResponse holds {len(documents)} documents")
    document = documents[0]
    if not isinstance(document, Mapping):
        raise _fail("invalid-credential", "the document is not a map")
    doctype = _field(document, "docType", str, "document")
    if doctype != expected_doctype:
        raise _fail("invalid-credential", f"the docType {doctype!r} is not {expected_doctype!r}")
    issuer_signed = _field(document, "issuerSigned", Mapping, "document")
    device_signed = _field(document, "deviceSigned", Mapping, "document")

    leaf, mso = _verify_issuer_auth(issuer_signed.get("issuerAuth"), trust_anchors, now)
    validity = _check_mso(mso, doctype, now)
    claims = _verify_items(issuer_signed.get("nameSpaces"), mso["valueDigests"], mso)
    try:
        device_key = public_key_from_cose(mso["deviceKeyInfo"].get("deviceKey"))
    except CoseError as exc:
        raise _fail("invalid-credential", f"MSO deviceKey: {exc}") from None
    _verify_device_auth(device_signed, device_key, session_transcript, doctype)
    return VerifiedMdoc(doctype, claims, leaf, validity)


def _verify_issuer_auth(
    value: Any, trust_anchors: Sequence[x509.Certificate], now: datetime
) -> tuple[x509.Certificate, Mapping[Any, Any]]:
    """The document signer certificate and the MSO, once chain and signature are good."""
    try:
        issuer_auth = CoseSign1.from_cbor(value)
        chain = issuer_auth.header(HEADER_X5CHAIN)
    except CoseError as exc:
        raise _fail("invalid-credential", f"issuerAuth: {exc}") from None
    if isinstance(chain, bytes):  # x5chain: one certificate as a bstr, several as an array
        chain = [chain]
    if not isinstance(chain, list | tuple) or not all(isinstance(c, bytes) for c in chain):
        raise _fail("trusted-issuer-untrusted", "issuerAuth carries no x5chain of certificates")
    leaf = verify_chain(list(chain), trust_anchors, now)
    try:
        issuer_auth.verify(leaf.public_key())
    except CoseError as exc:
        raise _fail("invalid-signature", f"issuerAuth: {exc}") from None
    if issuer_auth.payload is None:
        raise _fail("invalid-credential", "issuerAuth has no MSO payload")
    # payload = MobileSecurityObjectBytes = #6.24(bstr .cbor MobileSecurityObject) (9.1.2.4)
    _, mso = _embedded(cbor.decode(issuer_auth.payload, "the MSO"), "the MSO")
    if not isinstance(mso, Mapping):
        raise _fail("invalid-credential", "the MSO is not a map")
    return leaf, mso


def _check_mso(mso: Mapping[Any, Any], doctype: str, now: datetime) -> MsoValidity:
    if mso.get("version") != "1.0":
        raise _fail("invalid-credential", "the MSO version is not 1.0")
    if mso.get("digestAlgorithm") not in DIGEST_ALGORITHMS:
        raise _fail("invalid-credential", "the MSO digestAlgorithm is not SHA-256")
    if mso.get("docType") != doctype:
        raise _fail("invalid-credential", "the MSO docType differs from the document's")
    _field(mso, "valueDigests", Mapping, "MSO")
    _field(mso, "deviceKeyInfo", Mapping, "MSO")
    validity = mdoc_values.validity_info(_field(mso, "validityInfo", Mapping, "MSO"))
    if now + CLOCK_SKEW < validity.valid_from:
        raise _fail("credential-expired", f"the MSO is valid only from {validity.valid_from}")
    if now - CLOCK_SKEW > validity.valid_until:
        raise _fail("credential-expired", f"the MSO expired at {validity.valid_until}")
    return validity


def _verify_items(
    namespaces: Any, value_digests: Mapping[Any, Any], mso: Mapping[Any, Any]
) -> dict[str, dict[str, Any]]:
    """Presented elements by namespace, each checked against the MSO digest of its digestID."""
    if namespaces is None:
        return {}  # nothing disclosed; what the query needed is checked elsewhere
    if not isinstance(namespaces, Mapping) or len(namespaces) > MAX_NAMESPACES:
        raise _fail("invalid-credential", "issuerSigned nameSpaces is not a (small) map")
    digest = DIGEST_ALGORITHMS[mso["digestAlgorithm"]]
    claims: dict[str, dict[str, Any]] = {}
    count = 0
    for namespace, items in namespaces.items():
        digests = value_digests.get(namespace)
        if not isinstance(namespace, str) or not isinstance(digests, Mapping):
            raise _fail("invalid-credential", f"namespace {namespace!r} has no MSO digests")
        if not isinstance(items, list | tuple) or not items:
            raise _fail("invalid-credential", f"namespace {namespace!r} holds no elements")
        count += len(items)
        if count > MAX_ELEMENTS:
            raise _fail("invalid-credential", f"more than {MAX_ELEMENTS} elements were presented")
        elements: dict[str, Any] = {}
        seen_ids: set[int] = set()
        for value in items:
            content, item = _embedded(value, "an IssuerSignedItem")
            identifier, digest_id, element_value = mdoc_values.issuer_signed_item(item)
            if digest_id in seen_ids:
                raise _fail("invalid-credential", f"digestID {digest_id} is presented twice")
            if identifier in elements:
                raise _fail("invalid-credential", f"element {identifier!r} is presented twice")
            seen_ids.add(digest_id)
            expected = digests.get(digest_id)
            if not isinstance(expected, bytes):
                raise _fail("invalid-credential", f"element {identifier!r} has no MSO digest")
            # the digest is over IssuerSignedItemBytes, the tag-24 item exactly as received
            # (cbor.decode only accepts shortest heads, so this re-encoding is byte-identical)
            actual = digest(cbor.encoded_cbor_bytes(content)).digest()
            if not hmac.compare_digest(expected, actual):
                raise _fail(
                    "invalid-credential",
                    f"element {identifier!r} does not match its MSO digest (altered?)",
                )
            elements[identifier] = mdoc_values.plain(element_value)
        claims[namespace] = elements
    return claims


def _verify_device_auth(
    device_signed: Mapping[Any, Any],
    device_key: ec.EllipticCurvePublicKey,
    session_transcript: bytes,
    doctype: str,
) -> None:
    namespaces_value = device_signed.get("nameSpaces")
    content, device_namespaces = _embedded(namespaces_value, "deviceSigned nameSpaces")
    if not isinstance(device_namespaces, Mapping):
        raise _fail("invalid-credential", "DeviceNameSpaces is not a map")
    if device_namespaces:
        raise _fail("invalid-credential", "device-signed elements are not supported")
    device_auth = _field(device_signed, "deviceAuth", Mapping, "deviceSigned")
    if "deviceSignature" not in device_auth:
        if "deviceMac" in device_auth:
            raise _fail("holder-binding", "deviceMac is not supported, only deviceSignature")
        raise _fail("holder-binding", "the document has no device signature")
    try:
        signature = CoseSign1.from_cbor(device_auth["deviceSignature"])
        signature.verify(
            device_key,
            device_authentication_bytes(
                session_transcript, doctype, cbor.encoded_cbor_bytes(content)
            ),
        )
    except CoseError as exc:
        raise _fail(
            "holder-binding",
            f"deviceSignature (over this request's session transcript): {exc}",
        ) from None
