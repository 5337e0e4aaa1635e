import pytest

from app.money import AmountError, cents_to_decimal_text, format_cents, parse_amount


@pytest.mark.parametrize(
    ("text", "cents"),
    [
        ("0.01", 1),
        ("45", 4500),
        ("45.5", 4550),
        ("45.00", 4500),
        ("1,000,000.00", 100_000_000),
        ("1000000", 100_000_000),
        ("€ 12.30", 1230),
        ("1.230", 123),
        # EU forms: decimal comma, dot thousands (security review item 6)
        ("1,50", 150),
        ("45,5", 4550),
        ("1.200,00", 120_000),
        ("1.000.000,00", 100_000_000),
        ("1,200.00", 120_000),
        ("1,200", 120_000),
    ],
)
def test_parse_valid_amounts(text, cents):
    assert parse_amount(text) == cents


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "Enter an amount"),
        ("0", "more than 0"),
        ("0.00", "more than 0"),
        ("-5", "more than 0"),
        ("1.234", "two decimals"),
        ("0.001", "two decimals"),
        ("abc", "as a number"),
        ("1e5", "as a number"),
        ("NaN", "as a number"),
        ("1.000,001", "as a number"),
        ("1,2,3", "as a number"),
        ("1.2.3,4", "as a number"),
        ("1000000.01", "at most €1,000,000.00"),
        ("99999999999999999999", "at most"),
    ],
)
def test_parse_refuses_bad_amounts(text, message):
    with pytest.raises(AmountError, match=message):
        parse_amount(text)


def test_parse_never_uses_float():
    # 0.1 + 0.2 style errors would show up here with float arithmetic
    assert parse_amount("0.29") == 29
    assert parse_amount("1.15") == 115
    assert parse_amount("4.35") == 435


@pytest.mark.parametrize(
    ("cents", "text"),
    [
        (1_245_000, "€12,450.00"),
        (-8_745, "-€87.45"),
        (0, "€0.00"),
        (1, "€0.01"),
        (100_000_000, "€1,000,000.00"),
    ],
)
def test_format_cents(cents, text):
    assert format_cents(cents) == text


def test_format_signed_and_plain():
    assert format_cents(350_000, sign=True) == "+€3,500.00"
    assert format_cents(-480, sign=True) == "-€4.80"
    assert cents_to_decimal_text(4500) == "45.00"
    assert cents_to_decimal_text(5) == "0.05"


@pytest.mark.parametrize(
    "text",
    ["\uff11\uff12", "\u0665\u0660", "12\u0663", "\u00b2", "1\u00a0000", "\uff11,\uff15\uff10"],
    ids=["fullwidth", "arabic-indic", "mixed", "superscript", "nbsp", "fullwidth-comma"],
)
def test_non_ascii_digits_are_no_amount(text):
    with pytest.raises(AmountError, match="as a number"):
        parse_amount(text)


@pytest.mark.parametrize("digits", [900_000, 1_000_000])
def test_a_huge_amount_is_refused_unread(digits):
    """A million digits made Decimal work for seconds or raise decimal.Overflow (500)."""
    with pytest.raises(AmountError, match="at most"):
        parse_amount("9" * digits)
    with pytest.raises(AmountError, match="at most"):
        parse_amount("1." + "0" * digits)


def test_decimal_exponent_forms_are_refused():
    for text in ("1E+999999999", "9e999999", "Infinity", "sNaN"):
        with pytest.raises(AmountError):
            parse_amount(text)
