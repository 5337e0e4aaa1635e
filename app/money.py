"""Money is integer cents everywhere; this is the one place that parses and formats it."""

from __future__ import annotations

import re
from decimal import Decimal, DecimalException

MAX_AMOUNT_CENTS = 100_000_000  # EUR 1,000,000.00
MAX_AMOUNT_TEXT = 20  # "1.000.000,00" and a few spaces: longer text is refused unread
# The forms people across the EU write, ASCII digits only ([0-9], not \d: "١٢" is no amount).
# Each maps to (thousands separator, decimal separator).
_AMOUNT_FORMS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^[0-9]+(\.[0-9]+)?$"), "", "."),  # 1234.56
    (re.compile(r"^[0-9]{1,3}(,[0-9]{3})+(\.[0-9]+)?$"), ",", "."),  # 1,234.56
    (re.compile(r"^[0-9]+,[0-9]{1,2}$"), "", ","),  # 1234,56
    (re.compile(r"^[0-9]{1,3}(\.[0-9]{3})+(,[0-9]{1,2})?$"), ".", ","),  # 1.234,56
)
EXPECTED_FORM = "Enter the amount as a number, like 45.00 or 45,00."


class AmountError(ValueError):
    """The text is not a valid positive euro amount; the message says why."""


def _canonical(text: str) -> str | None:
    """`text` as plain `1234.56`, or None when it is none of the accepted forms."""
    for pattern, thousands, decimal in _AMOUNT_FORMS:
        if pattern.match(text):
            grouped = text.replace(thousands, "") if thousands else text
            return grouped.replace(decimal, ".")
    return None


def parse_amount(text: str, max_cents: int = MAX_AMOUNT_CENTS) -> int:
    """Parse `"1,234.56"`, `"1.234,56"`, `"45,5"`, `"45"` or `"0.01"` into cents.

    Never goes through float, and never hands `Decimal` more than a few digits.
    """
    cleaned = text.strip().removeprefix("€").strip()
    if not cleaned:
        raise AmountError("Enter an amount.")
    if len(cleaned) > MAX_AMOUNT_TEXT:
        raise AmountError(f"The amount can be at most {format_cents(max_cents)}.")
    if cleaned.startswith("-"):
        raise AmountError("The amount must be more than 0.")
    canonical = _canonical(cleaned)
    if canonical is None:
        raise AmountError(EXPECTED_FORM)
    try:
        value = Decimal(canonical)
        exact = value == value.quantize(Decimal("0.01"))
    except DecimalException:
        raise AmountError(EXPECTED_FORM) from None
    if not exact:
        raise AmountError("Use at most two decimals.")
    cents = int((value * 100).to_integral_value())
    if cents <= 0:
        raise AmountError("The amount must be more than 0.")
    if cents > max_cents:
        raise AmountError(f"The amount can be at most {format_cents(max_cents)}.")
    return cents


def format_cents(cents: int, *, sign: bool = False, symbol: bool = True) -> str:
    """`1245000` -> `€12,450.00`; negatives as `-€87.45`; `sign=True` adds `+` when positive;
    `symbol=False` leaves out the euro sign (`12,450.00`, as typed into the amount field)."""
    prefix = "-" if cents < 0 else ("+" if sign and cents > 0 else "")
    euros, rest = divmod(abs(cents), 100)
    return f"{prefix}{'€' if symbol else ''}{euros:,}.{rest:02d}"


def euros_to_cents(euros: int) -> int:
    """Whole euros as cents: the one conversion from euros."""
    return euros * 100


def cents_to_decimal_text(cents: int) -> str:
    """`4500` -> `"45.00"`, the plain form used inside transaction data."""
    euros, rest = divmod(cents, 100)
    return f"{euros}.{rest:02d}"
