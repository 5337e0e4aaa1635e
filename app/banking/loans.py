"""The loan product's arithmetic: a monthly repayment estimate in integer cents."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# The demo's fixed nominal interest rate per year; repayments are monthly annuities.
LOAN_RATE_PERCENT = Decimal("6.9")


@dataclass(frozen=True)
class Estimate:
    monthly_cents: int
    total_cents: int  # every repayment added up
    interest_cents: int
    rate_percent: Decimal
    term_months: int


def monthly_repayment_cents(
    principal_cents: int, term_months: int, rate_percent: Decimal = LOAN_RATE_PERCENT
) -> int:
    """The annuity: principal * r / (1 - (1 + r)^-n) with r the monthly rate, rounded half
    up to the cent. Decimal throughout (28 significant digits), never float."""
    if principal_cents <= 0 or term_months <= 0:
        raise ValueError("principal and term must be positive")
    if rate_percent < 0:
        raise ValueError("the rate cannot be negative")
    principal = Decimal(principal_cents)
    if rate_percent == 0:
        payment = principal / term_months
    else:
        monthly_rate = rate_percent / Decimal(100) / Decimal(12)
        payment = principal * monthly_rate / (1 - (1 + monthly_rate) ** -term_months)
    return int(payment.quantize(Decimal(1), rounding=ROUND_HALF_UP))


def estimate(
    principal_cents: int, term_months: int, rate_percent: Decimal = LOAN_RATE_PERCENT
) -> Estimate:
    monthly = monthly_repayment_cents(principal_cents, term_months, rate_percent)
    total = monthly * term_months
    return Estimate(
        monthly_cents=monthly,
        total_cents=total,
        interest_cents=total - principal_cents,
        rate_percent=rate_percent,
        term_months=term_months,
    )
