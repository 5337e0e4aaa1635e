"""The failures of the OpenID4VP building blocks; each carries a `detail` fit for a log."""

from __future__ import annotations

from typing import Literal

# The error codes a wallet answers a bad request with (OpenID4VP 1.0 section 8.5, RFC 6749
# section 4.1.2.1); `invalid_request` unless a more specific code applies.
RequestErrorCode = Literal[
    "invalid_request",
    "invalid_client",
    "invalid_transaction_data",
    "invalid_request_uri_method",
    "vp_formats_not_supported",
]


class OpenID4VPError(Exception):
    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


class IdentityError(OpenID4VPError):
    """The verifier's key or certificate file cannot be used; `detail` names the file."""


class RequestObjectError(OpenID4VPError):
    """A request object the wallet must refuse; `error` is the code of its error response."""

    def __init__(self, detail: str, error: RequestErrorCode = "invalid_request") -> None:
        super().__init__(detail)
        self.error: RequestErrorCode = error


class ResponseDecryptionError(OpenID4VPError):
    """An encrypted response that cannot be accepted (section 8.3): nothing of it is used."""


class ResponseParameterError(OpenID4VPError):
    """Authorization response parameters that do not follow sections 8.1, 8.2 and 8.5."""
