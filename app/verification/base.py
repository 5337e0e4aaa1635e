"""The one interface both authorizers implement, and the values it passes around."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal, Protocol

from ..schemas import ErrorInfo
from .claims import VerifiedClaims
from .presentation_request import PresentationRequest as PresentationRequest  # re-exported

AuthorizationStatus = Literal["pending", "authorized", "rejected", "error", "expired"]
FinalStatus = Literal["authorized", "rejected", "error", "expired"]


class AuthorizerError(Exception):
    """Base of the failures a view can show politely."""


class AuthorizerUnavailable(AuthorizerError):
    """Network failure, timeout or a 5xx: try again later."""


class AuthorizerRefused(AuthorizerError):
    """A 4xx or a body that does not follow the spec: the request itself is wrong."""


class ResponseCodeNotFound(AuthorizerRefused):
    """The response code is unknown, already used or expired."""


@dataclass(frozen=True)
class CreatedAuthorization:
    authorization_id: str
    authorize_url: str | None = None
    dc_api_request: dict[str, Any] | None = None
    response_url: str | None = None


@dataclass(frozen=True)
class StatusResult:
    status: AuthorizationStatus
    error_info: ErrorInfo | None = None


@dataclass(frozen=True)
class ResolvedCode:
    authorization_id: str
    status: FinalStatus


class Authorizer(Protocol):
    name: str
    # True when get_status reads this server's own database (the local verifier): then a
    # poll may ask on every call, with no throttle and no write; a remote authorizer is
    # asked at most once per STATUS_CHECK_INTERVAL_SECONDS per request.
    reads_status_locally: bool

    def health(self) -> bool: ...

    def create_authorization(self, request: PresentationRequest) -> CreatedAuthorization: ...

    def get_status(self, authorization_id: str) -> StatusResult: ...

    def get_claims(self, authorization_id: str) -> VerifiedClaims:
        """The normalized claim set (see `claims.normalize_credentials`)."""
        ...

    def forward_dc_api_response(
        self, authorization_id: str, origin: str, response: str | dict[str, Any]
    ) -> FinalStatus: ...

    def resolve_response_code(self, code: str) -> ResolvedCode: ...


KNOWN_ERRORS: dict[str, tuple[str, str]] = {
    "credential-query-evaluation": (
        "Credential doesn't match requirements",
        "The credential you shared does not contain everything Demo Bank asked for.",
    ),
    "trusted-issuer-untrusted": (
        "Credential issuer not trusted",
        "The credential was issued by an issuer Demo Bank does not trust.",
    ),
    "identity-mismatch": (
        "Identity mismatch",
        "The credential used for verification does not match your account identity.",
    ),
    # the other checks of a presentation (credentials.errors.PresentationErrorType)
    "invalid-credential": (
        "Credential was changed",
        "The credential was altered after it was issued, or is not a valid PID, so Demo Bank "
        "cannot accept it.",
    ),
    "invalid-signature": (
        "Signature not valid",
        "A signature on the credential or on your wallet's answer does not verify, so Demo "
        "Bank cannot accept it.",
    ),
    "credential-expired": (
        "Credential expired",
        "The credential is expired or not valid yet. Renew it in your wallet and try again.",
    ),
    "holder-binding": (
        "Presentation not made for this request",
        "Your wallet's answer was made for another request, another website or another "
        "device, so it cannot confirm this one. Start again and share from your wallet.",
    ),
    "transaction-data": (
        "Transaction not confirmed",
        "Your wallet's answer does not confirm the exact transaction Demo Bank asked you to "
        "approve. Nothing was done; start again to confirm it.",
    ),
}


def error_info_from_policy_response(policy_data: list[dict[str, Any]], status: str) -> ErrorInfo:
    """Turn the first policy error of a policy response into what the person is shown."""
    for item in policy_data:
        error = item.get("error")
        if not isinstance(error, dict):
            continue
        policy = str(item.get("policy") or "") or None
        error_type = str(error.get("vidosType") or policy or "verification-failed")
        known_title, known_detail = KNOWN_ERRORS.get(error_type, (None, None))
        details = [
            str(entry["detail"])
            for entry in error.get("errors") or []
            if isinstance(entry, dict) and entry.get("detail")
        ]
        return ErrorInfo(
            error_type=error_type,
            title=known_title or str(error.get("title") or "Verification failed"),
            detail=str(error.get("detail") or known_detail or "The wallet presentation failed."),
            details=details[:10],
            policy=policy,
        )
    if status == "rejected":
        return ErrorInfo(
            error_type="rejected",
            title="Verification declined",
            detail="The wallet did not share the requested information.",
        )
    return ErrorInfo(
        error_type="error",
        title="Verification failed",
        detail="The identity check could not be completed.",
    )
