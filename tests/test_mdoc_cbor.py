"""The strict CBOR decoder and the COSE_Sign1 / COSE_Key helpers under the mdoc verifier."""

from __future__ import annotations

from datetime import UTC, date, datetime

import cbor2
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from app.verification.credentials import cbor
from app.verification.credentials.cose import (
    CoseError,
    CoseSign1,
    cose_key,
    public_key_from_cose,
    sign1,
)
from app.verification.credentials.errors import PresentationError
from app.verification.credentials.mdoc_values import full_date, plain, tdate

KEY = ec.derive_private_key(12345, ec.SECP256R1())


def rejects(data: bytes, match: str) -> None:
    with pytest.raises(PresentationError, match=match) as caught:
        cbor.decode(data, "input")
    assert caught.value.error_type == "invalid-credential"


# -- strict decoding ---------------------------------------------------------------------------


def test_accepts_what_mdoc_uses() -> None:
    value = {
        "s": "text",
        "b": b"\x00\x01",
        1: -7,
        "list": [1, 2.5, True, False, None],
        "tdate": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC),
        "date": cbor2.CBORTag(1004, "2000-02-29"),
        "embedded": cbor2.CBORTag(24, b"\xa0"),
        "big": 2**40,
        "neg": -(2**40),
    }
    decoded = cbor.decode(cbor2.dumps(value), "input")
    assert decoded["tdate"] == datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    assert full_date(decoded["date"], "date") == date(2000, 2, 29)
    assert decoded["embedded"] == cbor2.CBORTag(24, b"\xa0")
    assert decoded["big"] == 2**40 and decoded["neg"] == -(2**40)


def test_refuses_indefinite_lengths() -> None:
    rejects(bytes.fromhex("9f0102ff"), "indefinite")
    rejects(bytes.fromhex("5f4101ff"), "indefinite")


def test_refuses_non_shortest_heads() -> None:
    rejects(bytes.fromhex("1801"), "shortest")  # 1 as uint8
    rejects(bytes.fromhex("190001"), "shortest")  # 1 as uint16
    rejects(bytes.fromhex("1a0000ffff"), "shortest")
    rejects(bytes.fromhex("1b00000000ffffffff"), "shortest")
    rejects(bytes.fromhex("5801ff"), "shortest")  # bstr length 1 in a uint8
    rejects(bytes.fromhex("d9001840"), "shortest")  # tag 24 in a uint16


def test_refuses_duplicate_map_keys() -> None:
    rejects(bytes.fromhex("a2616101616102"), "duplicated")  # {"a": 1, "a": 2}
    rejects(bytes.fromhex("a201010102"), "duplicated")  # {1: 1, 1: 2}


def test_refuses_map_keys_that_are_not_int_or_text() -> None:
    rejects(bytes.fromhex("a1410101"), "map key")  # {h'01': 1}
    rejects(bytes.fromhex("a1810101"), "map key")  # {[1]: 1}


def test_refuses_tags_mdoc_does_not_use() -> None:
    rejects(bytes.fromhex("c11a5f5e1000"), "tag 1 ")  # epoch time
    rejects(bytes.fromhex("d81c01"), "tag 28")  # shareable value
    rejects(bytes.fromhex("d9010001"), "tag 256")  # string reference namespace
    rejects(bytes.fromhex("c249010000000000000000"), "tag 2 ")  # bignum


def test_refuses_tags_around_the_wrong_type() -> None:
    rejects(bytes.fromhex("d818a0"), "wrong type")  # 24({}) instead of 24(bstr)
    rejects(bytes.fromhex("c001"), "wrong type")  # 0(1)
    rejects(bytes.fromhex("d903ec01"), "wrong type")  # 1004(1)


def test_refuses_odd_simple_values() -> None:
    rejects(bytes.fromhex("f7"), "simple")  # undefined
    rejects(bytes.fromhex("f0"), "simple")  # simple(16)
    rejects(bytes.fromhex("f820"), "simple")  # simple(32)


def test_refuses_deep_nesting() -> None:
    rejects(b"\x81" * (cbor.MAX_DEPTH + 1) + b"\x00", "nested too deeply")
    assert cbor.decode(b"\x81" * cbor.MAX_DEPTH + b"\x00", "input") is not None


def test_refuses_long_containers_and_too_many_items() -> None:
    rejects(b"\x99\xff\xff" + b"\x00" * 65535, "too long")
    many = cbor2.dumps([[0] * 999] * 25)
    rejects(many, "too many data items")


def test_refuses_truncation_and_trailing_bytes() -> None:
    rejects(b"\x82\x01", "truncated")
    rejects(b"\x44\x01", "truncated")
    rejects(b"\x19\x01", "truncated")
    rejects(b"\x01\x02", "bytes follow")
    rejects(b"", "truncated")


def test_refuses_invalid_utf8_and_bad_dates() -> None:
    rejects(b"\x62\xff\xfe", "malformed")
    rejects(cbor2.dumps(cbor2.CBORTag(0, "yesterday")), "malformed")
    rejects(cbor2.dumps(cbor2.CBORTag(1004, "2000-13-45")), "malformed")


def test_refuses_oversized_input() -> None:
    with pytest.raises(PresentationError, match="larger than 50 bytes"):
        cbor.decode(cbor2.dumps(b"\x00" * 100), "input", max_size=50)


def test_encode_writes_rulebook_dates() -> None:
    encoded = cbor.encode(
        {"d": date(2001, 2, 3), "t": datetime(2001, 2, 3, 4, 5, 6, 789, tzinfo=UTC)}
    )
    assert bytes.fromhex("d903ec6a323030312d30322d3033") in encoded
    assert b"\xc0\x742001-02-03T04:05:06Z" in encoded
    with pytest.raises(ValueError):
        cbor.encode(datetime(2001, 2, 3))


# -- element values ------------------------------------------------------------------------------


def test_plain_values_accept_both_cbor2_date_forms() -> None:
    assert plain(cbor2.CBORTag(1004, "1999-12-31")) == date(1999, 12, 31)
    assert plain(date(1999, 12, 31)) == date(1999, 12, 31)
    assert plain(cbor2.CBORTag(0, "2020-01-01T10:00:00+02:00")) == datetime(
        2020, 1, 1, 8, tzinfo=UTC
    )
    assert plain((1, cbor2.frozendict({"a": b"x"}))) == [1, {"a": b"x"}]
    with pytest.raises(PresentationError, match="tag 24"):
        plain(cbor2.CBORTag(24, b"\xa0"))
    with pytest.raises(PresentationError, match="not an RFC 3339 full-date"):
        full_date(cbor2.CBORTag(1004, "19991231"), "x")
    with pytest.raises(PresentationError, match="not a tdate"):
        tdate(datetime(2020, 1, 1), "x")  # naive


# -- COSE ------------------------------------------------------------------------------------------


def parsed(message: list[object]) -> CoseSign1:
    return CoseSign1.from_cbor(cbor.decode(cbor2.dumps(message), "COSE_Sign1"))


def test_sign1_round_trip_attached_and_detached() -> None:
    attached = parsed(sign1(b"payload", KEY, {33: b"cert"}))
    attached.verify(KEY.public_key())
    assert attached.header(33) == b"cert" and attached.header(1) == -7

    detached = parsed(sign1(b"payload", KEY, detached=True))
    assert detached.payload is None
    detached.verify(KEY.public_key(), b"payload")
    with pytest.raises(CoseError, match="does not verify"):
        detached.verify(KEY.public_key(), b"other")


def test_sign1_accepts_tag_18() -> None:
    tagged = cbor2.CBORTag(18, sign1(b"p", KEY))
    CoseSign1.from_cbor(cbor.decode(cbor2.dumps(tagged), "x")).verify(KEY.public_key())


def test_sign1_refuses_wrong_algorithms_and_shapes() -> None:
    message = sign1(b"p", KEY)
    with pytest.raises(CoseError, match="alg"):
        parsed([cbor2.dumps({1: -8}), {}, b"p", message[3]]).verify(KEY.public_key())
    with pytest.raises(CoseError, match="alg"):
        parsed([b"", {1: -7}, b"p", message[3]]).verify(KEY.public_key())  # unprotected alg
    with pytest.raises(CoseError, match="critical"):
        parsed([cbor2.dumps({1: -7, 2: [99]}), {}, b"p", message[3]]).verify(KEY.public_key())
    with pytest.raises(CoseError, match="64 bytes"):
        parsed([message[0], {}, b"p", message[3] + b"\x00"]).verify(KEY.public_key())
    with pytest.raises(CoseError, match="both protected and unprotected"):
        parsed([cbor2.dumps({1: -7, 33: b"a"}), {33: b"b"}, b"p", message[3]]).header(33)
    with pytest.raises(CoseError, match="four"):
        CoseSign1.from_cbor([message[0], {}, b"p"])
    with pytest.raises(CoseError, match="not accepted CBOR"):
        CoseSign1.from_cbor([b"\xa1\x01", {}, b"p", message[3]])
    p384 = ec.generate_private_key(ec.SECP384R1()).public_key()
    with pytest.raises(CoseError, match="P-256"):
        parsed(message).verify(p384)


def test_cose_key_round_trip_and_refusals() -> None:
    public = KEY.public_key()
    assert public_key_from_cose(cose_key(public)) == public
    good = cose_key(public)
    with pytest.raises(CoseError, match="P-256"):
        public_key_from_cose({**good, -1: 2})
    with pytest.raises(CoseError, match="byte strings"):
        public_key_from_cose({**good, -3: True})  # compressed point form
    with pytest.raises(CoseError, match="32 bytes"):
        public_key_from_cose({**good, -2: good[-2][1:]})
    with pytest.raises(CoseError, match="not a point"):
        public_key_from_cose({**good, -3: bytes(32)})
    with pytest.raises(CoseError, match="not a map"):
        public_key_from_cose([1, 2])
