"""The one failure a presentation check raises, typed like the authorizer's policy errors."""

from __future__ import annotations

from typing import Literal

PresentationErrorType = Literal[
    "trusted-issuer-untrusted",  # chain does not lead to a trust anchor
    "invalid-signature",  # issuer, key-binding or device signature does not verify
    "invalid-credential",  # malformed, wrong typ/vct/doctype, digest mismatch (tampered)
    "credential-expired",  # exp/nbf or MSO validity outside the window
    "holder-binding",  # nonce, aud, iat, sd_hash or session transcript wrong (replayed)
    "transaction-data",  # transaction_data_hashes missing or not matching
    "credential-query-evaluation",  # what was presented does not answer the DCQL query
]


class PresentationError(Exception):
    """A presentation that must not count. `error_type` says which check refused it;
    `path` which presentation of a vp_token, as [credential query id, index], when known."""

    def __init__(
        self, error_type: PresentationErrorType, detail: str, path: tuple[str | int, ...] = ()
    ) -> None:
        super().__init__(detail)
        self.error_type: PresentationErrorType = error_type
        self.detail = detail
        self.path = path
