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
        ("1,00", "as a number"),
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
