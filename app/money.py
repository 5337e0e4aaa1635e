"""Money is integer cents everywhere; this is the one place that parses and formats it."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

MAX_AMOUNT_CENTS = 100_000_000  # EUR 1,000,000.00
_AMOUNT_RE = re.compile(r"^\d{1,3}(,\d{3})*(\.\d+)?$|^\d+(\.\d+)?$")


class AmountError(ValueError):
    """The text is not a valid positive euro amount; the message says why."""


def parse_amount(text: str, max_cents: int = MAX_AMOUNT_CENTS) -> int:
    """Parse `"1,234.56"`, `"45"` or `"0.01"` into cents. Never goes through float."""
    cleaned = text.strip().removeprefix("€").strip()
    if not cleaned:
        raise AmountError("Enter an amount.")
    if cleaned.startswith("-"):
        raise AmountError("The amount must be more than 0.")
    if not _AMOUNT_RE.match(cleaned):
        raise AmountError("Enter the amount as a number, like 45.00.")
    try:
        value = Decimal(cleaned.replace(",", ""))
    except InvalidOperation:
        raise AmountError("Enter the amount as a number, like 45.00.") from None
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2 and value != value.quantize(Decimal("0.01")):
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
