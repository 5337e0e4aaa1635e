"""Forms of the banking pages."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from ..accounts import PROFILE_FIELDS
from ..money import AmountError, euros_to_cents, format_cents, parse_amount
from ..verification.pid import PID_ATTRIBUTES
from .loans import Estimate, estimate

# The loan product: what can be applied for.
LOAN_PURPOSES = ("Car", "Home Improvement", "Education", "Other")
LOAN_AMOUNTS_EUR = (5_000, 10_000, 25_000, 50_000)
LOAN_TERMS_MONTHS = (12, 24, 36, 48)


class PaymentForm(FlaskForm):  # type: ignore[misc]
    recipient = StringField(
        "Recipient",
        validators=[DataRequired("Enter who you are paying."), Length(min=1, max=100)],
    )
    amount = StringField("Amount (EUR)", validators=[InputRequired("Enter an amount.")])
    reference = StringField(
        "Reference", validators=[Optional(), Length(max=200, message="At most 200 characters.")]
    )
    submit = SubmitField("Continue")

    def __init__(self, *args: Any, balance_cents: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.balance_cents = balance_cents
        self.amount_cents = 0

    def validate_amount(self, field: StringField) -> None:
        try:
            cents = parse_amount(field.data or "")
        except AmountError as exc:
            raise ValidationError(str(exc)) from None
        if cents > self.balance_cents:
            balance = format_cents(self.balance_cents)
            raise ValidationError(f"The amount is more than your available balance of {balance}.")
        self.amount_cents = cents


class ConfirmForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField("Confirm with EUDI Wallet")


def is_choice(field: SelectField, value: object) -> bool:
    """Whether `value` (as a browser sends it: a string) is one of the field's choices."""
    return value in {str(choice[0]) for choice in field.choices}


class LoanForm(FlaskForm):  # type: ignore[misc]
    amount = SelectField(
        "Amount",
        choices=[(str(a), format_cents(euros_to_cents(a))) for a in LOAN_AMOUNTS_EUR],
        default=str(LOAN_AMOUNTS_EUR[1]),
    )
    purpose = SelectField("Purpose", choices=[(p, p) for p in LOAN_PURPOSES])
    term = SelectField(
        "Term", choices=[(str(t), f"{t} months") for t in LOAN_TERMS_MONTHS], default="24"
    )
    submit = SubmitField("Review application")
    estimate = SubmitField("Update estimate")  # shows the estimate without JavaScript

    def __init__(self, *args: Any, remaining_cents: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.remaining_cents = remaining_cents

    @property
    def amount_cents(self) -> int:
        return euros_to_cents(int(self.amount.data))

    def validate_amount(self, field: SelectField) -> None:
        if field.errors:  # not one of the choices: nothing to compare
            return
        if self.amount_cents > self.remaining_cents:
            raise ValidationError(
                "You can apply for at most "
                f"{format_cents(max(self.remaining_cents, 0))} more while your loans are pending."
            )

    def estimate_for(self) -> Estimate | None:
        """The repayment estimate of the chosen amount and term (whatever else the form
        says, e.g. that the amount is over the limit); None unless both are choices."""
        if not (is_choice(self.amount, self.amount.data) and is_choice(self.term, self.term.data)):
            return None
        return estimate(self.amount_cents, int(self.term.data))


@lru_cache(maxsize=1)
def loan_estimates() -> dict[str, dict[str, str]]:
    """Every amount and term's estimate, by "amount:term", for the page's script: the
    figures are the server's, so the script only looks them up."""
    table = {}
    for amount in LOAN_AMOUNTS_EUR:
        for term in LOAN_TERMS_MONTHS:
            figures = estimate(euros_to_cents(amount), term)
            table[f"{amount}:{term}"] = {
                "monthly": format_cents(figures.monthly_cents),
                "total": format_cents(figures.total_cents),
                "interest": format_cents(figures.interest_cents),
            }
    return table


class ProfileUpdateForm(FlaskForm):  # type: ignore[misc]
    claims = SelectMultipleField(
        "What to update from your wallet",
        choices=[(c, PID_ATTRIBUTES[c].display_name) for c in PROFILE_FIELDS],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
        validators=[DataRequired("Pick at least one thing to update.")],
    )
    submit = SubmitField("Update from wallet")

    def picked(self) -> list[str]:
        """The chosen attributes, once each, in the order of the profile."""
        return [c for c in PROFILE_FIELDS if c in (self.claims.data or [])]


class ResetForm(FlaskForm):  # type: ignore[misc]
    submit = SubmitField("Yes, reset my data")
