"""What a flow is: one `FlowKind` record per flow, the only per-flow table in the project.

Adding a flow means one record here (registered with `register`), one effect function,
its metadata model, templates and a form; the engine, the waiting page, the callback and
the housekeeping work for it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from ..money import cents_to_decimal_text, format_cents
from ..schemas import FlowMeta, LoanMeta, PaymentMeta, ProfileUpdateMeta, SigninMeta, SignupMeta
from . import effects
from .effects import Effected, EffectInput


@dataclass(frozen=True)
class Page:
    """A page of the app by endpoint name; views turn it into a URL with `url_for`."""

    endpoint: str
    params: Mapping[str, str] = field(default_factory=dict)


def _page_for_request(endpoint: str, param: str = "request_id") -> Callable[[str], Page]:
    return lambda request_id: Page(endpoint, {param: request_id})


def _same_page(page: Page) -> Callable[[str], Page]:
    return lambda _request_id: page


@dataclass(frozen=True)
class FlowKind:
    name: str
    label: str  # the waiting page's heading
    purpose: str  # shown by the wallet and the waiting page
    meta_model: type[FlowMeta]
    attributes: tuple[str, ...]  # PID attributes every request asks for
    required: tuple[str, ...]  # attributes that must arrive, else "Missing information"
    effect: Callable[[EffectInput], Effected]
    success: Callable[[str], Page]  # where an authorized request leads (by request id)
    retry: Page  # where "Try again" leads
    confirmed: Callable[[Any], str]  # plain words for another device, from the metadata
    time_to_live: timedelta = timedelta(minutes=10)
    verifier_info: str | None = None
    transaction_data: Callable[[Any], dict[str, Any]] | None = None
    signs_in: bool = False
    needs_account: bool = True  # acts on the signed-in person's account
    shows_progress: bool = True
    summary_template: str | None = None  # what the waiting page shows is being confirmed
    retains: bool = False  # the bank stores the attributes (mdoc IntentToRetain, B.2.4)

    def attributes_for(self, meta: FlowMeta) -> tuple[str, ...]:
        """What a request asks for: the kind's attributes and those the person picked; a
        flow that acts on an account always asks for the identity number it is checked by."""
        picked = tuple(getattr(meta, "requested_claims", ()))
        account = (ACCOUNT_IDENTIFIER,) if self.needs_account else ()
        return tuple(dict.fromkeys((*account, *self.attributes, *picked)))


_KINDS: dict[str, FlowKind] = {}


def register(kind: FlowKind) -> FlowKind:
    if kind.name != kind.meta_model.model_fields["kind"].default:
        raise ValueError(f"{kind.name}: its metadata model must default `kind` to its name")
    _KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> FlowKind:
    return _KINDS[name]


def _payment_transaction(meta: PaymentMeta) -> dict[str, Any]:
    return {
        "type": "payment",
        "recipient": meta.recipient,
        "amount": cents_to_decimal_text(meta.amount_cents),
        "currency": "EUR",
        "reference": meta.reference,
        "transaction_id": meta.transaction_id,
    }


def _loan_transaction(meta: LoanMeta) -> dict[str, Any]:
    return {
        "type": "loan_application",
        "amount": cents_to_decimal_text(meta.amount_cents),
        "currency": "EUR",
        "purpose": meta.purpose,
        "term": f"{meta.term_months} months",
    }


ACCOUNT_IDENTIFIER = "personal_administrative_number"
IDENTITY = (ACCOUNT_IDENTIFIER, "family_name", "given_name")
NAMES = ("family_name", "given_name")

SIGNUP = register(
    FlowKind(
        name="signup",
        label="Create your account",
        purpose="Verify your identity for signup",
        meta_model=SignupMeta,
        attributes=(
            "family_name",
            "given_name",
            "birth_date",
            "nationality",
            "personal_administrative_number",
            "document_number",
            "portrait",
        ),
        required=IDENTITY,
        effect=effects.sign_up,
        success=_same_page(Page("banking.profile", {"welcome": "1"})),
        retry=Page("auth.signup"),
        confirmed=lambda _meta: "Your identity was verified and your account is ready.",
        signs_in=True,
        needs_account=False,
        retains=True,
    )
)
SIGNIN = register(
    FlowKind(
        name="signin",
        label="Sign in",
        purpose="Verify your identity for signin",
        meta_model=SigninMeta,
        attributes=("personal_administrative_number",),
        required=("personal_administrative_number",),
        effect=effects.sign_in,
        success=_same_page(Page("banking.dashboard")),
        retry=Page("auth.signin"),
        confirmed=lambda _meta: "Your identity was verified.",
        signs_in=True,
        needs_account=False,
    )
)
PAYMENT = register(
    FlowKind(
        name="payment",
        label="Confirm your payment",
        purpose="Confirm your identity for payment",
        meta_model=PaymentMeta,
        attributes=IDENTITY,
        required=NAMES,  # the identity number is checked against the account
        effect=effects.pay,
        success=_page_for_request("banking.send_success"),
        retry=Page("banking.send"),
        confirmed=lambda meta: (
            f"Payment of {format_cents(meta.amount_cents)} to {meta.recipient} confirmed."
        ),
        time_to_live=timedelta(minutes=5),
        verifier_info="Demo Bank - Secure Payment Authorization",
        transaction_data=_payment_transaction,
        summary_template="flows/summary_payment.html",
    )
)
LOAN = register(
    FlowKind(
        name="loan",
        label="Confirm your loan application",
        purpose="Verify your identity for loan application",
        meta_model=LoanMeta,
        attributes=IDENTITY,
        required=NAMES,
        effect=effects.apply_for_loan,
        success=_page_for_request("banking.loan_success"),
        retry=Page("banking.loan"),
        confirmed=lambda meta: (
            f"Loan application for {format_cents(meta.amount_cents)} confirmed."
        ),
        time_to_live=timedelta(minutes=5),
        verifier_info="Demo Bank - Loan Application Identity Verification",
        transaction_data=_loan_transaction,
        summary_template="flows/summary_loan.html",
    )
)
PROFILE_UPDATE = register(
    FlowKind(
        name="profile_update",
        label="Update your profile",
        purpose="Verify your identity for profile update",
        meta_model=ProfileUpdateMeta,
        attributes=(),
        required=(),
        effect=effects.update_profile,
        success=_page_for_request("banking.profile", "update"),
        retry=Page("banking.profile"),
        confirmed=lambda _meta: "Your profile update was confirmed.",
        shows_progress=False,
        retains=True,
    )
)
