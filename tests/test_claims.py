"""Normalization of SD-JWT and mdoc shaped claims into `VerifiedClaims`, and the check that
a flow's required attributes arrived."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

import cbor2
import pytest

from app.flows.kinds import kind_of
from app.verification.claim_values import cap_text
from app.verification.claims import (
    MAX_TEXT,
    InvalidClaim,
    MissingClaims,
    PlaceOfBirth,
    VerifiedClaims,
    clean_text,
    image_data_url,
    normalize_claims,
    normalize_credentials,
    require_attributes,
)
from app.verification.pid import MDOC_NAMESPACE, PID_ATTRIBUTES, build_dcql, claims_from_dcql
from app.verification.sandbox.portraits import Look, portrait_png

PNG = portrait_png(Look((1, 2, 3), (4, 5, 6), (7, 8, 9), (10, 11, 12)))
PNG_B64 = base64.b64encode(PNG).decode()
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
JPEG_B64 = base64.b64encode(JPEG).decode()

SD_JWT = {
    "family_name": "Mustermann",
    "given_name": "Erika",
    "birthdate": "1984-08-12",
    "nationalities": ["DE"],
    "email": "erika@example.de",
    "place_of_birth": {"locality": "Berlin", "country": "DE"},
    "picture": f"data:image/png;base64,{PNG_B64}",
    "personal_administrative_number": "DE-1",
    "document_number": "T22000129",
    "address": {"formatted": "Heidestraße 17, 51147 Köln, DE"},
}
EXPECTED = VerifiedClaims(
    family_name="Mustermann",
    given_name="Erika",
    birth_date="1984-08-12",
    nationality=("DE",),
    email_address="erika@example.de",
    birth_place=PlaceOfBirth(locality="Berlin", country="DE"),
    portrait=f"data:image/png;base64,{PNG_B64}",
    personal_administrative_number="DE-1",
    document_number="T22000129",
    resident_address="Heidestraße 17, 51147 Köln, DE",
)
MDOC = {
    MDOC_NAMESPACE: {
        "family_name": "Mustermann",
        "given_name": "Erika",
        "birth_date": "1984-08-12",
        "nationality": "DE",
        "email_address": "erika@example.de",
        "birth_place": {"locality": "Berlin", "country": "DE"},
        "portrait": PNG_B64,
        "personal_administrative_number": "DE-1",
        "document_number": "T22000129",
        "resident_address": "Heidestraße 17, 51147 Köln, DE",
    }
}


def test_sd_jwt_claims_normalize():
    assert normalize_claims(SD_JWT, "dc+sd-jwt") == EXPECTED


def test_mdoc_claims_normalize_to_the_same_set():
    assert normalize_claims(MDOC, "mso_mdoc") == EXPECTED
    assert normalize_claims(MDOC) == EXPECTED  # recognised by shape too


@pytest.mark.parametrize(
    ("address", "text"),
    [
        ({"formatted": "Main St 1, Town"}, "Main St 1, Town"),
        (
            {
                "street_address": "Calle de Alcalá",
                "house_number": "45",
                "postal_code": "28014",
                "locality": "Madrid",
                "region": "Madrid",
                "country": "ES",
            },
            "Calle de Alcalá 45, 28014 Madrid, Madrid, ES",
        ),
        ({"locality": "Kraków", "country": "PL"}, "Kraków, PL"),
        ("Plain street 5", "Plain street 5"),
    ],
)
def test_sd_jwt_address_variants(address, text):
    assert normalize_claims({"address": address}, "dc+sd-jwt").resident_address == text


def test_mdoc_address_from_parts():
    claims = {
        MDOC_NAMESPACE: {
            "resident_street": "ul. Floriańska",
            "resident_house_number": "3",
            "resident_postal_code": "31-019",
            "resident_city": "Kraków",
            "resident_country": "PL",
        }
    }
    assert normalize_claims(claims, "mso_mdoc").resident_address == (
        "ul. Floriańska 3, 31-019 Kraków, PL"
    )


@pytest.mark.parametrize(
    ("value", "expected"), [("DE", ("DE",)), (["ES", "AR"], ("ES", "AR")), ([], ()), ("", ())]
)
def test_nationality_string_or_list(value, expected):
    assert normalize_claims({"nationalities": value}, "dc+sd-jwt").nationality == expected


def test_every_mapped_attribute_has_its_rulebook_paths():
    no_mdoc_element = {"age_over_18", "age_in_years", "age_birth_year", "resident_house_number"}
    for attribute in PID_ATTRIBUTES.values():
        if attribute.id in no_mdoc_element:  # PID Rulebook 3.1.2 has no such element
            assert attribute.mdoc_path is None
        elif attribute.id == "birth_place":
            assert attribute.mdoc_path == (MDOC_NAMESPACE, "place_of_birth")
        else:
            assert attribute.mdoc_path == (MDOC_NAMESPACE, attribute.id)
        assert attribute.sd_jwt_path and attribute.display_name
    assert PID_ATTRIBUTES["age_over_18"].sd_jwt_path == ("age_equal_or_over", "18")
    assert PID_ATTRIBUTES["resident_city"].sd_jwt_path == ("address", "locality")
    assert PID_ATTRIBUTES["birth_place"].sd_jwt_path == ("place_of_birth",)


def test_dcql_round_trip():
    claims = ("family_name", "resident_address", "age_over_18")
    dcql = build_dcql(claims, ["sd-jwt", "mdoc"], "why")
    by_format, purpose = claims_from_dcql(dcql)
    # the mdoc PID has no age_over_18 element: its query leaves it out
    assert by_format == {"sd-jwt": list(claims), "mdoc": list(claims[:2])} and purpose == "why"
    sd, mdoc = dcql["credentials"]
    assert sd["meta"] == {"vct_values": ["urn:eudi:pid:1"]} and sd["format"] == "dc+sd-jwt"
    assert mdoc["meta"] == {"doctype_value": "eu.europa.ec.eudi.pid.1"}
    assert mdoc["format"] == "mso_mdoc"
    assert {"id": "resident_address", "path": ["address", "formatted"]} in sd["claims"]
    assert {"id": "resident_address", "path": [MDOC_NAMESPACE, "resident_address"]} in mdoc[
        "claims"
    ]
    # optional attributes in the preferred claim set only (OpenID4VP 6.4.1)
    assert sd["claim_sets"] == [list(claims), ["family_name"]]
    assert mdoc["claim_sets"] == [list(claims[:2]), ["family_name"]]
    assert dcql["credential_sets"] == [{"options": [["pid_sd_jwt"], ["pid_mdoc"]]}]


def test_dcql_without_optional_attributes_has_no_claim_sets():
    dcql = build_dcql(("family_name", "personal_administrative_number"), ["sd-jwt"])
    (query,) = dcql["credentials"]
    assert "claim_sets" not in query and "credential_sets" not in dcql
    assert [c["id"] for c in query["claims"]] == ["family_name", "personal_administrative_number"]


def test_dcql_only_optional_attributes_are_all_asked_for():
    dcql = build_dcql(("email_address", "portrait"), ["mdoc"])
    assert "claim_sets" not in dcql["credentials"][0]


@pytest.mark.parametrize("retain", [True, False])
def test_intent_to_retain_on_mdoc_claims_only(retain):
    dcql = build_dcql(("family_name", "birth_place"), ["sd-jwt", "mdoc"], retain=retain)
    sd, mdoc = dcql["credentials"]
    assert all("intent_to_retain" not in c for c in sd["claims"])
    assert [c.get("intent_to_retain", False) for c in mdoc["claims"]] == [retain, retain]
    assert mdoc["claims"][1]["path"] == [MDOC_NAMESPACE, "place_of_birth"]


def test_signup_and_profile_update_retain_what_they_receive():
    assert kind_of("signup").retains and kind_of("profile_update").retains
    assert not any(kind_of(k).retains for k in ("signin", "payment", "loan"))


def test_strings_are_capped_and_cleaned():
    claims = normalize_claims(
        {"family_name": "A" * 5000, "given_name": "Jo\x00hn\x1b"}, "dc+sd-jwt"
    )
    assert len(claims.family_name) == MAX_TEXT
    assert claims.given_name == "John"


def test_non_string_claims_are_ignored():
    claims = normalize_claims({"family_name": {"x": 1}, "given_name": ["a"]}, "dc+sd-jwt")
    assert claims.family_name is None and claims.given_name is None


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (PNG_B64, "data:image/png;base64,"),
        (f"data:image/png;base64,{PNG_B64}", "data:image/png;base64,"),
        (JPEG_B64, "data:image/jpeg;base64,"),
        (list(JPEG), "data:image/jpeg;base64,"),
        (base64.b64encode(b"<svg xmlns='http://www.w3.org/2000/svg'/>").decode(), None),
        (base64.b64encode(b"GIF89a....").decode(), None),
        (base64.b64encode(b"\xff\xd8\xff" + b"\x00" * (1024 * 1024)).decode(), None),
        ("not base64 at all!", None),
        ("javascript:alert(1)", None),
        (12, None),
    ],
    ids=[
        "png",
        "png-data-url",
        "jpeg",
        "jpeg-bytes",
        "svg",
        "gif",
        "oversized",
        "garbage",
        "js",
        "int",
    ],
)
def test_portraits(value, kept, caplog):
    result = image_data_url(value)
    if kept is None:
        assert result is None
        normalize_claims({"picture": value}, "dc+sd-jwt")
        assert "portrait dropped" in caplog.text
    else:
        assert result.startswith(kept)


@pytest.mark.parametrize(
    ("flow", "claims", "missing"),
    [
        ("signup", {"family_name": "A", "given_name": "B"}, ["Personal administrative number"]),
        ("signup", {"personal_administrative_number": "1"}, ["Family name", "Given name"]),
        ("signin", {}, ["Personal administrative number"]),
        ("payment", {"personal_administrative_number": "1", "family_name": "A"}, ["Given name"]),
        # For flows on an account the number is checked against it instead: a missing one
        # is an identity mismatch (tests/test_completion.py).
        (
            "loan",
            {"personal_administrative_number": "1", "family_name": ""},
            ["Family name", "Given name"],
        ),
    ],
)
def test_missing_required_claims_name_the_attribute(flow, claims, missing):
    with pytest.raises(MissingClaims) as caught:
        require_attributes(VerifiedClaims(**claims), kind_of(flow).required)
    assert caught.value.missing == missing
    for name in missing:
        assert name in str(caught.value)


def test_valid_flow_claims_pass():
    claims = VerifiedClaims(personal_administrative_number="1", family_name="A", given_name="B")
    require_attributes(claims, kind_of("payment").required)
    require_attributes(VerifiedClaims(), kind_of("profile_update").required)


def test_credentials_of_the_same_person_are_merged():
    merged = normalize_credentials(
        [
            {"format": "dc+sd-jwt", "claims": {"family_name": "A", **SAME}},
            {"format": "mso_mdoc", "claims": {MDOC_NAMESPACE: {"given_name": "B", **SAME}}},
            {"format": "dc+sd-jwt", "claims": "not a dict"},
        ]
    )
    assert merged == VerifiedClaims(
        family_name="A", given_name="B", personal_administrative_number="DE-1"
    )


SAME = {"personal_administrative_number": "DE-1"}


# -- either format's names, the format's own first ----------------------------------------

SD_JWT_WITH_MDOC_NAMES = {
    "family_name": "Mustermann",
    "given_name": "Erika",
    "birth_date": "1984-08-12",
    "nationality": ["DE"],
    "email_address": "erika@example.de",
    "birth_place": {"locality": "Berlin", "country": "DE"},
    "portrait": PNG_B64,
    "personal_administrative_number": "DE-1",
    "document_number": "T22000129",
    "resident_address": "Heidestraße 17, 51147 Köln, DE",
}


def test_sd_jwt_credential_with_mdoc_names():
    assert normalize_claims(SD_JWT_WITH_MDOC_NAMES, "dc+sd-jwt") == EXPECTED


def test_mdoc_credential_with_sd_jwt_names():
    assert normalize_claims({MDOC_NAMESPACE: dict(SD_JWT)}, "mso_mdoc") == EXPECTED
    assert normalize_claims(dict(SD_JWT), "mso_mdoc") == EXPECTED  # not namespaced


def test_mdoc_rulebook_place_of_birth():
    claims = {MDOC_NAMESPACE: {"place_of_birth": {"locality": "Lyon", "country": "FR"}}}
    assert normalize_claims(claims, "mso_mdoc").birth_place == PlaceOfBirth(
        locality="Lyon", country="FR"
    )


@pytest.mark.parametrize(
    ("fmt", "born", "email"),
    [("dc+sd-jwt", "1990-01-01", "sd@x.de"), ("mso_mdoc", "1980-01-01", "mdoc@x.de")],
)
def test_the_format_decides_which_name_wins(fmt, born, email):
    claims = {
        "birthdate": "1990-01-01",
        "birth_date": "1980-01-01",
        "email": "sd@x.de",
        "email_address": "mdoc@x.de",
    }
    result = normalize_claims(claims, fmt)
    assert (result.birth_date, result.email_address) == (born, email)


def test_an_empty_preferred_name_falls_back_to_the_other():
    claims = {"email": "", "email_address": "e@x.de", "nationalities": [], "nationality": "de"}
    result = normalize_claims(claims, "dc+sd-jwt")
    assert result.email_address == "e@x.de" and result.nationality == ("DE",)


# -- portraits in every shape ---------------------------------------------------------------


def _lines(text: str, width: int = 76, sep: str = "\n") -> str:
    return sep.join(text[i : i + width] for i in range(0, len(text), width))


@pytest.mark.parametrize(
    ("value", "kept"),
    [
        (JPEG, "data:image/jpeg;base64,"),
        (bytearray(PNG), "data:image/png;base64,"),
        (cbor2.loads(cbor2.dumps(PNG)), "data:image/png;base64,"),  # a CBOR bstr
        (f"data:image/JPEG;base64,{JPEG_B64}", "data:image/jpeg;base64,"),
        (f"data:image/jpg;base64,{JPEG_B64}", "data:image/jpeg;base64,"),
        (f"DATA:Image/Png;base64,{PNG_B64}", "data:image/png;base64,"),
        (f"data:image/png;charset=utf-8;base64,{PNG_B64}", "data:image/png;base64,"),
        (f"data:image/jpeg;name=me.jpg;charset=x;base64,{JPEG_B64}", "data:image/jpeg;"),
        (_lines(PNG_B64), "data:image/png;base64,"),
        (_lines(PNG_B64, 64, "\r\n"), "data:image/png;base64,"),
        (f"data:image/png;base64,{_lines(PNG_B64)}\n", "data:image/png;base64,"),
        (base64.urlsafe_b64encode(PNG).decode().rstrip("="), "data:image/png;base64,"),
        (f"data:image/gif;base64,{PNG_B64}", None),
        (f"data:image/png,{PNG_B64}", None),  # not base64
        (f"data:text/html;base64,{PNG_B64}", None),
        (b"GIF89a....", None),
        (b"\xff\xd8\xff" + b"\x00" * (1024 * 1024), None),
    ],
)
def test_portrait_shapes(value, kept):
    result = image_data_url(value)
    if kept is None:
        assert result is None
    else:
        assert result is not None and result.startswith(kept)
        raw = base64.b64decode(result.split(",", 1)[1])
        assert raw in (PNG, JPEG)


def test_mdoc_portrait_as_bytes_normalizes():
    claims = {MDOC_NAMESPACE: {"portrait": PNG}}
    assert normalize_claims(claims, "mso_mdoc").portrait == f"data:image/png;base64,{PNG_B64}"


# -- dates -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "1984-08-12",
        "1984-08-12T00:00:00Z",
        "1984-08-12t10:30:00+02:00",
        "1984-08-12 10:30",
        "1984-08-12T10:30:00.123456Z",
        date(1984, 8, 12),
        datetime(1984, 8, 12, 23, 0, tzinfo=UTC),
        cbor2.CBORTag(1004, "1984-08-12"),  # full-date, as an older cbor2 leaves it
        cbor2.CBORTag(0, "1984-08-12T00:00:00Z"),
    ],
)
def test_dates_become_iso_days(value):
    assert normalize_claims({"birth_date": value}, "mso_mdoc").birth_date == "1984-08-12"
    assert normalize_claims({"birthdate": value}, "dc+sd-jwt").birth_date == "1984-08-12"


@pytest.mark.parametrize(
    "value", ["1984-13-01", "12-08-1984", "1984-08-12Tnoon", "1984-08-12T10:30:00Zjunk", 1984]
)
def test_not_a_date_is_refused(value):
    with pytest.raises(InvalidClaim):
        normalize_claims({"birthdate": value}, "dc+sd-jwt")


# -- names: NFC, invisible characters, capping ------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("Ferna\u0301ndez", "Fern\u00e1ndez"),  # NFD -> NFC
        ("Eri\u202eka", "Erika"),  # right-to-left override
        ("\u200eErika\u200f", "Erika"),  # LRM, RLM
        ("\u2066Erika\u2069", "Erika"),  # isolates
        ("Er\u200bi\u200c\u200dka\u2060\ufeff", "Erika"),  # zero-width characters
        ("Eri\x9bka\x80", "Erika"),  # C1 controls
        ("Jo\x00hn\x1b\x7f", "John"),  # C0 controls, DEL
        ("Rietveld 1\n2312 JD Leiden", "Rietveld 1 2312 JD Leiden"),
    ],
)
def test_names_are_nfc_without_invisible_characters(raw, clean):
    assert clean_text(raw) == clean
    assert normalize_claims({"family_name": raw}, "dc+sd-jwt").family_name == clean


def test_capping_never_cuts_a_combining_sequence():
    text = "a" * (MAX_TEXT - 1) + "q\u0301\u0323z"  # q with two marks has no composed form
    capped = clean_text(text)
    assert capped == "a" * (MAX_TEXT - 1)
    assert cap_text("ab\u0301c", 2) == "a" and cap_text("ab\u0301c", 3) == "ab\u0301"
    assert len(clean_text("b" * 5000)) == MAX_TEXT


@pytest.mark.parametrize(("value", "codes"), [("de", ("DE",)), (["es", "Ar"], ("ES", "AR"))])
def test_nationalities_are_upper_case_codes(value, codes):
    assert normalize_claims({"nationality": value}, "mso_mdoc").nationality == codes
    with pytest.raises(InvalidClaim):
        normalize_claims({"nationality": ["Deutschland"]}, "mso_mdoc")


@pytest.mark.parametrize("empty", ["", "   ", "\u200b", None])
def test_mdoc_address_from_parts_when_resident_address_is_empty(empty):
    claims = {
        MDOC_NAMESPACE: {
            "resident_address": empty,
            "resident_street": "Rietveld 1",
            "resident_postal_code": "2312 JD",
            "resident_city": "Leiden",
            "resident_country": "NL",
        }
    }
    assert normalize_claims(claims, "mso_mdoc").resident_address == "Rietveld 1, 2312 JD Leiden, NL"


def test_dcql_with_the_older_mdoc_element_name_still_reads_back():
    dcql = {
        "credentials": [
            {
                "id": "pid_mdoc",
                "format": "mso_mdoc",
                "claims": [
                    {"path": [MDOC_NAMESPACE, "birth_place"]},
                    {"path": [MDOC_NAMESPACE, "place_of_birth"]},
                ],
            }
        ]
    }
    assert claims_from_dcql(dcql) == ({"mdoc": ["birth_place", "birth_place"]}, "")
