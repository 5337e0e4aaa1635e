"""X.509 chains of credential issuers, validated against configured trust anchors."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from cryptography import x509
from cryptography.x509.verification import (
    ExtensionPolicy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from .errors import PresentationError

MAX_CHAIN_LENGTH = 4  # leaf + intermediates sent by the issuer; bounds the work per check


def load_certificates(chain_der: Sequence[bytes]) -> list[x509.Certificate]:
    """DER certificates (leaf first), refusing an empty, too long or malformed chain."""
    if not chain_der:
        raise PresentationError("trusted-issuer-untrusted", "no issuer certificate was sent")
    if len(chain_der) > MAX_CHAIN_LENGTH:
        raise PresentationError("trusted-issuer-untrusted", "the certificate chain is too long")
    try:
        return [x509.load_der_x509_certificate(der) for der in chain_der]
    except ValueError:
        raise PresentationError(
            "trusted-issuer-untrusted", "an issuer certificate is malformed"
        ) from None


def verify_chain(
    chain_der: Sequence[bytes], anchors: Sequence[x509.Certificate], now: datetime
) -> x509.Certificate:
    """The leaf certificate, once its chain leads to one of `anchors` at time `now`.

    The leaf is a document signer, not a TLS server, so its extensions are not held to
    the Web PKI profile; the CAs above it are (basic constraints, key usage).
    """
    certificates = load_certificates(chain_der)
    if not anchors:
        raise PresentationError("trusted-issuer-untrusted", "no trusted issuer is configured")
    verifier = (
        PolicyBuilder()
        .store(Store(list(anchors)))
        .time(now)
        .max_chain_depth(MAX_CHAIN_LENGTH)
        .extension_policies(
            ca_policy=ExtensionPolicy.webpki_defaults_ca(), ee_policy=ExtensionPolicy.permit_all()
        )
        .build_client_verifier()
    )
    leaf, intermediates = certificates[0], certificates[1:]
    try:
        verifier.verify(leaf, intermediates)
    except VerificationError as exc:
        raise PresentationError(
            "trusted-issuer-untrusted", f"the issuer certificate is not trusted: {exc}"
        ) from None
    return leaf
