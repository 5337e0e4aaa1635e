"""What a flow is: one `FlowKind` record per flow, the only per-flow table in the project.

Adding a flow means one record here (registered with `register`), one effect function,
its metadata model, templates and a form; the engine, the waiting page, the callback and
the housekeeping work for it unchanged.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from ..links import Page
from ..money import cents_to_decimal_text, format_cents
from ..schemas import FlowMeta, LoanMeta, PaymentMeta, ProfileUpdateMeta, SigninMeta, SignupMeta
from ..verification.pid import PID_ATTRIBUTES
from . import effects
from .effects import Effected, EffectInput


def _page_for_request(endpoint: str, param: str = "request_id") -> Callable[[str], Page]:
    return lambda request_id: Page(endpoint, {param: request_id})


def _same_page(page: Page) -> Callable[[str], Page]:
    return lambda _request_id: page


@dataclass(frozen=True)
class Step:
    """One step of a flow's progress indicator, in the words of the person doing it."""

    key: str
    label: str
    description: str


WALLET_STEP = "wallet"  # the waiting page's step, in every flow
DEFAULT_STEPS = (
    Step("start", "Start", "Say what you want to do"),
    Step(WALLET_STEP, "Confirm in your wallet", "Approve the request in your EUDI Wallet"),
    Step("done", "Done", "See the result"),
)


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
    summary_template: str | None = None  # what the waiting page shows is being confirmed
    retains: bool = False  # the bank stores the attributes (mdoc IntentToRetain, B.2.4)
    steps: tuple[Step, ...] = DEFAULT_STEPS  # its pages name theirs; one is WALLET_STEP
    describe: Callable[[Any], str] | None = None  # the waiting page's lead, from the metadata
    kept_values: Callable[[Any], dict[str, str]] | None = None  # refill the form on retry

    def human_purpose(self, meta: FlowMeta) -> str:
        """What the bank's pages say the request is for (the wallet shows `purpose`)."""
        return self.describe(meta) if self.describe else self.purpose

    def retry_page(self, meta: FlowMeta) -> Page:
        """Where "Try again" and "Cancel" lead: the start page, with what was typed."""
        if self.kept_values is None:
            return self.retry
        return Page(self.retry.endpoint, {**self.retry.params, **self.kept_values(meta)})

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
    if WALLET_STEP not in [step.key for step in kind.steps]:
        raise ValueError(f"{kind.name}: its steps need the {WALLET_STEP!r} step")
    _KINDS[kind.name] = kind
    return kind


def kind_of(name: str) -> FlowKind:
    return _KINDS[name]


def progress(name: str, current: str) -> list[tuple[Step, str]]:
    """A flow's steps, each with its state (done, current, to do), for a page at `current`.

    A page naming a step its flow does not have is a bug: KeyError, not a wrong indicator.
    """
    steps = kind_of(name).steps
    keys = [step.key for step in steps]
    if current not in keys:
        raise KeyError(f"flow {name!r} has no step {current!r}")
    at = keys.index(current)
    return [
        (step, "done" if i < at else "current" if i == at else "todo")
        for i, step in enumerate(steps)
    ]


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
CONFIRM = Step(WALLET_STEP, "Confirm in your wallet", "Approve it with your EUDI Wallet")


def _payment_values(meta: PaymentMeta) -> dict[str, str]:
    values = {"recipient": meta.recipient, "amount": format_cents(meta.amount_cents, symbol=False)}
    return {**values, "reference": meta.reference} if meta.reference else values


def _loan_values(meta: LoanMeta) -> dict[str, str]:
    euros = meta.amount_cents // 100
    return {"amount": str(euros), "purpose": meta.purpose, "term": str(meta.term_months)}


def _profile_purpose(meta: ProfileUpdateMeta) -> str:
    names = [PID_ATTRIBUTES[c].display_name.lower() for c in meta.requested_claims]
    listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
    return f"Confirm it is you to update your {listed} from your wallet"


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
        steps=(
            Step("start", "Choose your wallet", "How to connect it"),
            Step(WALLET_STEP, "Share your PID", "Approve the request in your wallet"),
            Step("done", "Account ready", "Your account opens with play money"),
        ),
        describe=lambda _meta: "Share your PID from your wallet to open your account",
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
        steps=(
            Step("start", "Choose your wallet", "How to connect it"),
            Step(WALLET_STEP, "Confirm it is you", "Approve in your wallet, then you are in"),
        ),
        describe=lambda _meta: "Confirm it is you to sign in",
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
        steps=(
            Step("details", "Payment details", "Who gets how much"),
            Step("review", "Review", "Check it before you confirm"),
            CONFIRM,
            Step("done", "Receipt", "The payment is sent"),
        ),
        describe=lambda meta: (
            f"Confirm it is you to send {format_cents(meta.amount_cents)} to {meta.recipient}"
        ),
        kept_values=_payment_values,
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
        confirmed=lambda meta: f"Loan application for {format_cents(meta.amount_cents)} confirmed.",
        time_to_live=timedelta(minutes=5),
        verifier_info="Demo Bank - Loan Application Identity Verification",
        transaction_data=_loan_transaction,
        summary_template="flows/summary_loan.html",
        steps=(
            Step("details", "Your loan", "Amount, purpose and term"),
            Step("review", "Review", "Check the application and repayment"),
            CONFIRM,
            Step("done", "Submitted", "What happens next"),
        ),
        describe=lambda meta: (
            f"Confirm it is you to apply for a loan of {format_cents(meta.amount_cents)} "
            f"over {meta.term_months} months"
        ),
        kept_values=_loan_values,
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
        retains=True,
        steps=(
            Step("choose", "Choose details", "What to refresh from your wallet"),
            Step(WALLET_STEP, "Confirm in your wallet", "Share only those details"),
            Step("done", "Updated", "Your profile shows them"),
        ),
        describe=_profile_purpose,
    )
)
