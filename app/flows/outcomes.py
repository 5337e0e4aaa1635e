"""What the status endpoint, the waiting page and the callback tell the person."""

from __future__ import annotations

from dataclasses import dataclass

from ..links import Page
from ..models import PendingAuthRequest
from ..schemas import ErrorInfo
from .kinds import kind_of


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

    @property
    def hint(self) -> str:
        """What to do about it, by error type (or by status when there is none)."""
        return HINTS.get(self.error_type or self.status, HINTS["default"])

    @property
    def technical(self) -> list[tuple[str, str]]:
        """What the authorizer or verifier said, for the "Details" disclosure."""
        info = self.error_info
        if info is None:
            return []
        rows = [("Error type", info.error_type)]
        if info.policy:
            rows.append(("Policy that failed", info.policy))
        rows.append(("Message", info.detail))
        rows.extend(("Detail", detail) for detail in info.details)
        return rows


HINTS: dict[str, str] = {
    "access-denied": "Nothing was shared. Start again and choose Share in your wallet when "
    "you are ready.",
    "rejected": "Nothing was shared. Start again and approve the request in your wallet.",
    "trusted-issuer-untrusted": "Demo Bank accepts PIDs from trusted issuers only. Use a PID "
    "from the EU test issuer (see the guide), or the demo wallet's valid PID.",
    "credential-query-evaluation": "Share every requested attribute. If your wallet's PID "
    "lacks some, issue it again at the test issuer, or choose the other credential format.",
    "missing-attributes": "Share every requested attribute. If your wallet's PID lacks some, "
    "issue it again at the test issuer, or choose the other credential format.",
    "identity-mismatch": "Confirm with the wallet of the person who is signed in, or sign out "
    "and sign in as the person whose wallet you are using.",
    "insufficient-funds": "Send a smaller amount, or check your balance on the dashboard.",
    "cancelled": "Nothing was shared and nothing changed. Start again when you are ready.",
    "expired": "Requests are valid for a few minutes. Start again and approve it in time.",
    "account_exists": "Each identity opens one account, and this one has an account "
    "already. Sign in with it instead.",
    "not_found": "Create an account with this identity first, then sign in with it.",
    "default": "Start again. If it keeps failing, the guide explains what your wallet needs.",
}
CANCELLED = ErrorInfo(
    error_type="cancelled",
    title="Request cancelled",
    detail="You cancelled this request. Nothing was shared and nothing changed.",
)


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
