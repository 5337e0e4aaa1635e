"""What the status endpoint, the waiting page and the callback tell the person."""

from __future__ import annotations

from dataclasses import dataclass

from ..models import PendingAuthRequest
from ..schemas import ErrorInfo
from .kinds import Page, kind_of


@dataclass(frozen=True)
class Outcome:
    status: str
    title: str
    detail: str
    next_page: Page | None = None
    error_info: ErrorInfo | None = None

    @property
    def terminal(self) -> bool:
        return self.status != "pending"

    @property
    def error_type(self) -> str | None:
        return self.error_info.error_type if self.error_info else None


PENDING = Outcome(
    "pending",
    "Waiting for your wallet",
    "Open your EUDI Wallet and approve the request. This page updates by itself.",
)
EXPIRED = Outcome(
    "expired", "This request has expired", "Requests are valid for a few minutes. Start again."
)
NO_ACCOUNT = Outcome(
    "not_found",
    "No account found",
    "No account found for this identity. Create an account first.",
    Page("auth.signup"),
)
ACCOUNT_EXISTS = Outcome(
    "account_exists",
    "Account already exists",
    "An account already exists for this identity.",
    Page("auth.signin"),
)


def outcome_of(request: PendingAuthRequest) -> Outcome:
    """The person-facing outcome of a request, from its stored status and result."""
    if request.status == "pending":
        return PENDING
    result = request.result
    if request.status == "expired" or result is None or result.status == "expired":
        return EXPIRED
    if result.status == "authorized":
        success = kind_of(request.type).success(request.id)
        return Outcome("authorized", "Verified", "Your identity was confirmed.", success)
    if result.status == "not_found":
        return NO_ACCOUNT
    if result.status == "account_exists":
        return ACCOUNT_EXISTS
    info = result.error_info
    return Outcome(
        result.status,
        info.title if info else (result.error or "Verification failed"),
        info.detail if info else "The identity check could not be completed.",
        error_info=info,
    )


def plain_summary(request: PendingAuthRequest, outcome: Outcome) -> str:
    """The outcome in plain words for another device: no personal data."""
    if outcome.status != "authorized":
        return f"{outcome.title}. {outcome.detail}"
    text = kind_of(request.type).confirmed(request.request_metadata)
    return f"{text} You can return to your computer."
