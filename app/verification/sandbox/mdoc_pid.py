"""The sandbox PID provider and demo wallet for ISO/IEC 18013-5 mdoc PIDs.

`issue_mdoc` is the PID provider: it signs a MobileSecurityObject over the digests of the
given elements and returns the IssuerSigned structure a wallet stores. `present_mdoc` is the
wallet: it answers an OpenID4VP request with a DeviceResponse holding only the requested
IssuerSignedItemBytes (byte for byte as issued) and a device signature over the request's
session transcript (OpenID4VP B.2.5, B.2.6).

The demo wallet's failure simulations are real faults that the verifier has to catch:

- tampered: `tamper_element` changes a value after issuance, the MSO stays as signed;
- replayed: `present_mdoc` with the transcript of another request (another nonce);
- withheld: the wallet (holder.py) leaves a requested element out of what it presents;
- untrusted issuer: `issue_mdoc(..., signer=sandbox_pki(secret).rogue_issuer)`.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Collection, Mapping
from datetime import datetime, timedelta
from typing import Any

import cbor2
from cryptography.hazmat.primitives.asymmetric import ec

from ..credentials import cbor
from ..credentials.cose import HEADER_X5CHAIN, cose_key, sign1
from ..credentials.mdoc import (
    PID_DOCTYPE,
    device_authentication_bytes,
)
from .pki import Signer

PID_NAMESPACE = "eu.europa.ec.eudi.pid.1"  # PID Rulebook 3.1.1
RANDOM_BYTES = 32  # the salt of each IssuerSignedItem (ISO/IEC 18013-5: at least 16)


def _item_bytes(digest_id: int, random: bytes, identifier: str, value: Any) -> cbor2.CBORTag:
    """IssuerSignedItemBytes = #6.24(bstr .cbor IssuerSignedItem), canonical CBOR."""
    item = {
        "digestID": digest_id,
        "random": random,
        "elementIdentifier": identifier,
        "elementValue": value,
    }
    return cbor2.CBORTag(cbor.TAG_ENCODED_CBOR, cbor.encode(item))


def _digest(item: cbor2.CBORTag) -> bytes:
    return hashlib.sha256(cbor2.dumps(item)).digest()


def issue_mdoc(
    elements: Mapping[str, Any],
    *,
    signer: Signer,
    device_public_key: ec.EllipticCurvePublicKey,
    now: datetime,
    valid_for: timedelta,
    doctype: str = PID_DOCTYPE,
    namespace: str = PID_NAMESPACE,
) -> bytes:
    """The CBOR IssuerSigned {nameSpaces, issuerAuth} of a PID holding `elements`.

    Element values are Python data: str, int, bool, bytes (the portrait), lists
    (nationality), dicts (place_of_birth), `date` (encoded as full-date #6.1004) and aware
    `datetime` (tdate #6.0, whole seconds, "Z"), per the PID Rulebook 3.1.2.
    """
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware")
    digest_ids = list(range(len(elements)))
    secrets.SystemRandom().shuffle(digest_ids)  # IDs say nothing about order or identifier
    items = [
        _item_bytes(digest_id, secrets.token_bytes(RANDOM_BYTES), identifier, value)
        for digest_id, (identifier, value) in zip(digest_ids, elements.items(), strict=True)
    ]
    mso = {
        "version": "1.0",
        "digestAlgorithm": "SHA-256",
        "valueDigests": {
            namespace: {d: _digest(item) for d, item in zip(digest_ids, items, strict=True)}
        },
        "deviceKeyInfo": {"deviceKey": cose_key(device_public_key)},
        "docType": doctype,
        "validityInfo": {"signed": now, "validFrom": now, "validUntil": now + valid_for},
    }
    mso_bytes = cbor.encoded_cbor_bytes(cbor.encode(mso))  # MobileSecurityObjectBytes
    chain = signer.chain_der
    x5chain: bytes | list[bytes] = chain[0] if len(chain) == 1 else chain
    issuer_auth = sign1(mso_bytes, signer.key, {HEADER_X5CHAIN: x5chain})
    return cbor.encode({"nameSpaces": {namespace: items}, "issuerAuth": issuer_auth})


def _selection(
    element_identifiers: Collection[str] | Mapping[str, Collection[str]],
) -> dict[str, set[str]]:
    if isinstance(element_identifiers, str):
        raise TypeError("element_identifiers is a collection of identifiers, not one string")
    if isinstance(element_identifiers, Mapping):
        return {ns: set(ids) for ns, ids in element_identifiers.items()}
    return {PID_NAMESPACE: set(element_identifiers)}


def present_mdoc(
    issuer_signed: bytes,
    *,
    element_identifiers: Collection[str] | Mapping[str, Collection[str]],
    device_key: ec.EllipticCurvePrivateKey,
    session_transcript: bytes,
    doctype: str = PID_DOCTYPE,
    withhold: Collection[str] = (),
) -> bytes:
    """The CBOR DeviceResponse disclosing the requested elements of a stored IssuerSigned.

    `element_identifiers` are identifiers of the PID namespace, or a map namespace ->
    identifiers. Requested elements the credential lacks, and those in `withhold`, are not
    returned. The device signature covers `session_transcript` (ISO/IEC 18013-5 9.1.3.6).
    """
    stored = cbor2.loads(issuer_signed)
    wanted = _selection(element_identifiers)
    disclosed: dict[str, list[cbor2.CBORTag]] = {}
    for namespace, items in stored.get("nameSpaces", {}).items():
        chosen = [
            item  # reused as issued: its digest is in the MSO
            for item in items
            if (identifier := cbor2.loads(item.value)["elementIdentifier"])
            in wanted.get(namespace, ())
            and identifier not in withhold
        ]
        if chosen:
            disclosed[namespace] = chosen
    issuer_part: dict[str, Any] = {"issuerAuth": stored["issuerAuth"]}
    if disclosed:
        issuer_part["nameSpaces"] = disclosed
    device_namespaces = cbor.encoded_cbor_bytes(cbor.encode({}))  # no device-signed elements
    signed_bytes = device_authentication_bytes(session_transcript, doctype, device_namespaces)
    device_signature = sign1(signed_bytes, device_key, detached=True)
    document = {
        "docType": doctype,
        "issuerSigned": issuer_part,
        "deviceSigned": {
            "nameSpaces": cbor2.loads(device_namespaces),
            "deviceAuth": {"deviceSignature": device_signature},
        },
    }
    return cbor.encode({"version": "1.0", "documents": [document], "status": 0})


def tamper_element(
    issuer_signed: bytes, element_identifier: str, value: Any, namespace: str = PID_NAMESPACE
) -> bytes:
    """The IssuerSigned with one element's value changed after issuance (same digestID and
    random, MSO untouched): what a wallet altering its PID would send."""
    stored = cbor2.loads(issuer_signed)
    items = stored["nameSpaces"][namespace]
    for index, tagged in enumerate(items):
        item = cbor2.loads(tagged.value)
        if item["elementIdentifier"] == element_identifier:
            items[index] = _item_bytes(item["digestID"], item["random"], element_identifier, value)
            return cbor.encode(stored)
    raise KeyError(element_identifier)
