"""A whole vp_token against the DCQL query it answers (OpenID4VP 1.0 6, 7, 8.1, 8.6), with
the sandbox PID provider and wallet for both formats and the real verifiers."""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest

from app.verification.base import KNOWN_ERRORS, error_info_from_policy_response
from app.verification.claims import VerifiedClaims, normalize_credentials
from app.verification.credentials.dcql_match import parse_dcql, select_claims
from app.verification.credentials.errors import PresentationError, PresentationErrorType
from app.verification.credentials.jose import b64url_encode
from app.verification.credentials.mdoc import PID_DOCTYPE, redirect_session_transcript
from app.verification.credentials.sdjwt import PID_VCT
from app.verification.credentials.vp_token import (
    MAX_PRESENTATIONS,
    MAX_VP_TOKEN_CHARS,
    PresentationContext,
    PresentedCredential,
    policy_response,
    verify_vp_token,
    vidos_credentials,
)
from app.verification.pid import (
    MDOC_NAMESPACE,
    build_dcql,
    build_presentation_request,
    encode_transaction_data,
)
from app.verification.sandbox.mdoc_pid import issue_mdoc, present_mdoc
from app.verification.sandbox.pki import Signer, holder_key, sandbox_pki
from app.verification.sandbox.sdjwt_pid import issue_sd_jwt_vc, present_sd_jwt_vc

SECRET = "x" * 40
PKI = sandbox_pki(SECRET)
HOLDER = holder_key(SECRET, "erika")
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISSUER = "https://bank.example/sandbox/pid-provider"
CLIENT_ID = "x509_san_dns:bank.example"
NONCE = "n-0S6_WzA2Mj"
RESPONSE_URI = "https://bank.example/openid4vp/response"
TRANSCRIPT = redirect_session_transcript(CLIENT_ID, NONCE, None, RESPONSE_URI)
JPEG = b"\xff\xd8\xff\xe0" + bytes(range(256)) * 8
JPEG_B64 = base64.b64encode(JPEG).decode()
SIGNUP = (  # the sign-up flow's attributes
    "family_name",
    "given_name",
    "birth_date",
    "nationality",
    "personal_administrative_number",
    "document_number",
    "portrait",
)
PAYMENT = ("personal_administrative_number", "family_name", "given_name")
SD_CLAIMS: dict[str, Any] = {  # PID Rulebook 4.1.1 names
    "family_name": "Mustermann",
    "given_name": "Erika",
    "birthdate": "1984-08-12",
    "personal_administrative_number": "DE-7781-4420-1093",
    "document_number": "T22000129",
    "nationalities": ["DE", "AT"],
    "place_of_birth": {"locality": "Berlin", "country": "DE"},
    "address": {"formatted": "Heidestraße 17, 51147 Köln, DE", "locality": "Köln"},
    "sex": 2,
    "email": "erika@example.de",
    "picture": f"data:image/jpeg;base64,{JPEG_B64}",
}
MDOC_ELEMENTS: dict[str, Any] = {  # PID Rulebook 3.1.2 names and encodings
    "family_name": "Mustermann",
    "given_name": "Erika",
    "birth_date": date(1984, 8, 12),
    "personal_administrative_number": "DE-7781-4420-1093",
    "document_number": "T22000129",
    "nationality": ["DE", "AT"],
    "place_of_birth": {"locality": "Berlin", "country": "DE"},
    "resident_address": "Heidestraße 17, 51147 Köln, DE",
    "portrait": JPEG,
    "issuance_date": datetime(2025, 1, 15, tzinfo=UTC),
    "sex": 2,
}


def sd_jwt(
    paths: Sequence[Sequence[Any]],
    *,
    claims: dict[str, Any] = SD_CLAIMS,
    vct: str = PID_VCT,
    transaction_data: Sequence[str] = (),
    nonce: str = NONCE,
    signer: Signer = PKI.issuer,
) -> str:
    issued = issue_sd_jwt_vc(
        claims,
        signer=signer,
        holder_public_key=HOLDER.public_key(),
        issuer=ISSUER,
        vct=vct,
        now=NOW - timedelta(days=1),
        valid_for=timedelta(days=30),
    )
    return present_sd_jwt_vc(
        issued,
        claim_paths=paths,
        holder_key=HOLDER,
        nonce=nonce,
        audience=CLIENT_ID,
        transaction_data=transaction_data,
        now=NOW,
    )


def mdoc(
    elements: Sequence[str],
    *,
    values: dict[str, Any] = MDOC_ELEMENTS,
    doctype: str = PID_DOCTYPE,
    transcript: bytes = TRANSCRIPT,
) -> str:
    issued = issue_mdoc(
        values,
        signer=PKI.issuer,
        device_public_key=HOLDER.public_key(),
        now=NOW - timedelta(days=1),
        valid_for=timedelta(days=90),
        doctype=doctype,
    )
    response = present_mdoc(
        issued,
        element_identifiers=elements,
        device_key=HOLDER,
        session_transcript=transcript,
        doctype=doctype,
    )
    return b64url_encode(response)


def query_of(dcql: dict[str, Any], query_id: str) -> dict[str, Any]:
    return next(q for q in dcql["credentials"] if q["id"] == query_id)


def paths(dcql: dict[str, Any], query_id: str = "pid_sd_jwt", drop: Sequence[str] = ()) -> list:
    return [c["path"] for c in query_of(dcql, query_id)["claims"] if c["id"] not in drop]


def elements(dcql: dict[str, Any], drop: Sequence[str] = ()) -> list[str]:
    return [p[1] for p in paths(dcql, "pid_mdoc", drop)]


def context(transaction_data: Sequence[str] = ()) -> PresentationContext:
    return PresentationContext(
        nonce=NONCE,
        audience=CLIENT_ID,
        session_transcript=TRANSCRIPT,
        transaction_data=list(transaction_data),
        trust_anchors=[PKI.ca_certificate],
        now=NOW,
    )


def refused(
    vp_token: object,
    dcql: dict[str, Any],
    error_type: PresentationErrorType,
    match: str,
    transaction_data: Sequence[str] = (),
) -> PresentationError:
    with pytest.raises(PresentationError, match=match) as caught:
        verify_vp_token(vp_token, dcql, context(transaction_data))
    assert caught.value.error_type == error_type, caught.value.detail
    return caught.value


BOTH = build_dcql(SIGNUP, ["sd-jwt", "mdoc"], "sign-up", retain=True)
SD_ONLY = build_dcql(SIGNUP, ["sd-jwt"])
MDOC_ONLY = build_dcql(SIGNUP, ["mdoc"])


# -- happy paths ----------------------------------------------------------------------------


def test_sd_jwt_only():
    presentation = sd_jwt(paths(SD_ONLY))
    (result,) = verify_vp_token({"pid_sd_jwt": [presentation]}, SD_ONLY, context())
    assert result == PresentedCredential(
        "pid_sd_jwt",
        "dc+sd-jwt",
        PID_VCT,
        {
            "family_name": "Mustermann",
            "given_name": "Erika",
            "birthdate": "1984-08-12",
            "nationalities": ["DE", "AT"],
            "personal_administrative_number": "DE-7781-4420-1093",
            "document_number": "T22000129",
            "picture": SD_CLAIMS["picture"],
        },
    )


def test_mdoc_only_gives_json_claims_that_normalize():
    (result,) = verify_vp_token({"pid_mdoc": [mdoc(elements(MDOC_ONLY))]}, MDOC_ONLY, context())
    assert (result.query_id, result.format, result.credential_type) == (
        "pid_mdoc",
        "mso_mdoc",
        PID_DOCTYPE,
    )
    claims = result.claims[MDOC_NAMESPACE]
    assert claims["birth_date"] == "1984-08-12"  # full-date -> "YYYY-MM-DD"
    assert claims["portrait"] == JPEG_B64  # bstr -> standard base64
    assert set(claims) == {
        "family_name",
        "given_name",
        "birth_date",
        "nationality",
        "personal_administrative_number",
        "document_number",
        "portrait",
    }
    json.dumps(result.claims)
    normalized = normalize_credentials(vidos_credentials([result]))
    assert normalized == VerifiedClaims(
        family_name="Mustermann",
        given_name="Erika",
        birth_date="1984-08-12",
        nationality=("DE", "AT"),
        personal_administrative_number="DE-7781-4420-1093",
        document_number="T22000129",
        portrait=f"data:image/jpeg;base64,{JPEG_B64}",
    )


def test_mdoc_dates_and_times_are_json():
    dcql = build_dcql(("issuance_date",), ["mdoc"])
    (result,) = verify_vp_token({"pid_mdoc": [mdoc(["issuance_date"])]}, dcql, context())
    assert result.claims == {MDOC_NAMESPACE: {"issuance_date": "2025-01-15T00:00:00Z"}}


@pytest.mark.parametrize("answer", ["pid_sd_jwt", "pid_mdoc"])
def test_both_offered_either_answers(answer):
    presentation = sd_jwt(paths(BOTH)) if answer == "pid_sd_jwt" else mdoc(elements(BOTH))
    (result,) = verify_vp_token({answer: [presentation]}, BOTH, context())
    assert result.query_id == answer
    (credential,) = vidos_credentials([result])
    assert credential["path"] == [answer, 0]
    assert normalize_credentials([credential]).family_name == "Mustermann"


def test_payment_transaction_data_on_the_sd_jwt_query():
    request = build_presentation_request(
        PAYMENT,
        ["sd-jwt", "mdoc"],
        "direct_post",
        purpose="pay",
        transaction={"type": "payment", "amount": "45.00", "currency": "EUR"},
    )
    data = request.transaction_data
    presentation = sd_jwt(paths(request.dcql), transaction_data=data)
    (result,) = verify_vp_token({"pid_sd_jwt": [presentation]}, request.dcql, context(data))
    assert result.claims["personal_administrative_number"] == "DE-7781-4420-1093"
    # the mdoc option carries none (B.2.1): it is still bound to this request's nonce
    answer = {"pid_mdoc": [mdoc(elements(request.dcql))]}
    assert verify_vp_token(answer, request.dcql, context(data))[0].format == "mso_mdoc"


def test_wallet_extras_are_removed_and_structured_claims_keep_their_subtree():
    dcql = build_dcql(("family_name", "resident_address"), ["sd-jwt"])
    oversharing = sd_jwt([["family_name"], ["address"], ["sex"], ["email"]])
    (result,) = verify_vp_token({"pid_sd_jwt": [oversharing]}, dcql, context())
    assert result.claims == {
        "family_name": "Mustermann",
        "address": {"formatted": "Heidestraße 17, 51147 Köln, DE"},
    }


def test_claim_sets_fall_back_to_the_mandatory_set():
    without_optional = sd_jwt(paths(SD_ONLY, drop=("document_number", "portrait")))
    (result,) = verify_vp_token({"pid_sd_jwt": [without_optional]}, SD_ONLY, context())
    assert "picture" not in result.claims and result.claims["family_name"] == "Mustermann"
    # with only some of the optional claims the smaller set is the one satisfied: the
    # portrait is dropped too (6.4.1, data minimization)
    partial = sd_jwt(paths(SD_ONLY, drop=("document_number",)))
    (result,) = verify_vp_token({"pid_sd_jwt": [partial]}, SD_ONLY, context())
    assert set(result.claims) == {
        "family_name",
        "given_name",
        "birthdate",
        "nationalities",
        "personal_administrative_number",
    }
    answer = {"pid_mdoc": [mdoc(elements(MDOC_ONLY, drop=("portrait",)))]}
    (result,) = verify_vp_token(answer, MDOC_ONLY, context())
    assert "portrait" not in result.claims[MDOC_NAMESPACE]


def test_multiple_presentations_when_the_query_allows():
    dcql = build_dcql(PAYMENT, ["sd-jwt"])
    dcql["credentials"][0]["multiple"] = True
    presentation = sd_jwt(paths(dcql))
    results = verify_vp_token({"pid_sd_jwt": [presentation, presentation]}, dcql, context())
    assert [c["path"] for c in vidos_credentials(results)] == [
        ["pid_sd_jwt", 0],
        ["pid_sd_jwt", 1],
    ]


def test_any_of_the_vct_values():
    dcql = build_dcql(PAYMENT, ["sd-jwt"])
    query_of(dcql, "pid_sd_jwt")["meta"]["vct_values"] = [PID_VCT, "urn:eudi:pid:de:1"]
    presentation = sd_jwt(paths(dcql), vct="urn:eudi:pid:de:1")
    (result,) = verify_vp_token({"pid_sd_jwt": [presentation]}, dcql, context())
    assert result.credential_type == "urn:eudi:pid:de:1"


def test_values_constraints():
    dcql = {
        "credentials": [
            {
                "id": "pid",
                "format": "dc+sd-jwt",
                "meta": {"vct_values": [PID_VCT]},
                "claims": [
                    {"path": ["nationalities", None], "values": ["AT", "FR"]},
                    {"path": ["sex"], "values": [2]},
                ],
            }
        ]
    }
    presentation = sd_jwt([["nationalities"], ["sex"]])
    (result,) = verify_vp_token({"pid": [presentation]}, dcql, context())
    assert result.claims == {"nationalities": ["AT"], "sex": 2}  # only the matching element
    dcql["credentials"][0]["claims"][1]["values"] = ["2", True]  # type must match too
    refused({"pid": [presentation]}, dcql, "credential-query-evaluation", "lacks .* sex")


def test_mdoc_values_match_the_json_form():
    dcql = build_dcql(("birth_date",), ["mdoc"])
    query_of(dcql, "pid_mdoc")["claims"][0]["values"] = ["1984-08-12"]
    answer = {"pid_mdoc": [mdoc(["birth_date"])]}
    assert verify_vp_token(answer, dcql, context())[0].claims[MDOC_NAMESPACE] == {
        "birth_date": "1984-08-12"
    }
    query_of(dcql, "pid_mdoc")["claims"][0]["values"] = ["1984-08-13"]
    refused(answer, dcql, "credential-query-evaluation", "lacks")


def test_claims_path_pointer_example():
    """OpenID4VP 7.3, with the pointers of its examples."""
    credential = {
        "name": "Arthur Dent",
        "address": {"street_address": "42 Market Street", "locality": "Milliways"},
        "degrees": [{"type": "Bachelor of Science"}, {"type": "Master of Science"}],
        "nationalities": ["British", "Betelgeusian"],
    }
    assert select_claims(credential, ("name",)) == [(("name",), "Arthur Dent")]
    assert select_claims(credential, ("degrees", None, "type")) == [
        (("degrees", 0, "type"), "Bachelor of Science"),
        (("degrees", 1, "type"), "Master of Science"),
    ]
    assert select_claims(credential, ("nationalities", 1)) == [
        (("nationalities", 1), "Betelgeusian")
    ]
    assert select_claims(credential, ("nationalities", 2)) == []
    assert select_claims(credential, ("name", 0)) == []  # an index into a non-array
    assert select_claims(credential, ("name", "first")) == []


# -- refused ------------------------------------------------------------------------------


@pytest.mark.parametrize("token", [None, "[]", ["pid_sd_jwt"], 42, '{"pid_sd_jwt": []}'])
def test_not_an_object(token):
    refused(token, SD_ONLY, "invalid-credential", "not a JSON object")


@pytest.mark.parametrize(
    ("answer", "match"),
    [
        ("eyJ...", "not a non-empty array"),
        ([], "not a non-empty array"),
        ({"0": "x"}, "not a non-empty array"),
        ([42], "not a string"),
        ([None], "not a string"),
        ([""], "not a string"),
        ([["nested"]], "not a string"),
    ],
)
def test_not_a_list_of_strings(answer, match):
    refused({"pid_sd_jwt": answer}, SD_ONLY, "invalid-credential", match)


def test_unknown_query_id():
    presentation = sd_jwt(paths(SD_ONLY))
    error = refused(
        {"pid_sd_jwt": [presentation], "other": [presentation]},
        SD_ONLY,
        "credential-query-evaluation",
        "not asked",
    )
    assert "other" not in error.detail  # attacker text is not echoed


def test_missing_required_query():
    refused({}, SD_ONLY, "credential-query-evaluation", "no presentation answers .* 'pid_sd_jwt'")
    refused({}, BOTH, "credential-query-evaluation", "required credential set")
    both_required = build_dcql(PAYMENT, ["sd-jwt", "mdoc"])
    del both_required["credential_sets"]  # then every query is required (6.4.2)
    answer = {"pid_sd_jwt": [sd_jwt(paths(both_required))]}
    refused(answer, both_required, "credential-query-evaluation", "'pid_mdoc'")


def test_answering_both_options_of_one_set_is_refused():
    answer = {"pid_sd_jwt": [sd_jwt(paths(BOTH))], "pid_mdoc": [mdoc(elements(BOTH))]}
    refused(answer, BOTH, "credential-query-evaluation", "not needed")


def test_optional_credential_sets():
    dcql = build_dcql(PAYMENT, ["sd-jwt", "mdoc"])
    dcql["credential_sets"] = [
        {"options": [["pid_sd_jwt"]]},
        {"options": [["pid_mdoc"]], "required": False},
    ]
    sd = {"pid_sd_jwt": [sd_jwt(paths(dcql))]}
    assert len(verify_vp_token(sd, dcql, context())) == 1
    both = {**sd, "pid_mdoc": [mdoc(elements(dcql))]}
    assert len(verify_vp_token(both, dcql, context())) == 2
    refused({"pid_mdoc": both["pid_mdoc"]}, dcql, "credential-query-evaluation", "required")


def test_wrong_format_for_the_query():
    refused({"pid_sd_jwt": [mdoc(elements(BOTH))]}, BOTH, "invalid-credential", "SD-JWT")
    refused({"pid_mdoc": [sd_jwt(paths(BOTH))]}, BOTH, "invalid-credential", "base64url")


def test_vct_not_in_the_query():
    presentation = sd_jwt(paths(SD_ONLY), vct="urn:eudi:pid:de:1")
    error = refused({"pid_sd_jwt": [presentation]}, SD_ONLY, "invalid-credential", "vct")
    assert error.path == ("pid_sd_jwt", 0)


def test_doctype_not_in_the_query():
    answer = {"pid_mdoc": [mdoc(elements(MDOC_ONLY), doctype="org.iso.18013.5.1.mDL")]}
    refused(answer, MDOC_ONLY, "invalid-credential", "docType")


def test_multiple_without_multiple():
    presentation = sd_jwt(paths(SD_ONLY))
    answer = {"pid_sd_jwt": [presentation, presentation]}
    refused(answer, SD_ONLY, "credential-query-evaluation", "asked for one")


def test_too_many_presentations_and_too_large():
    dcql = build_dcql(PAYMENT, ["sd-jwt"])
    dcql["credentials"][0]["multiple"] = True
    answer = {"pid_sd_jwt": ["a~"] * (MAX_PRESENTATIONS + 1)}
    refused(answer, dcql, "invalid-credential", "too many presentations")
    refused({"pid_sd_jwt": ["a" * (MAX_VP_TOKEN_CHARS + 1)]}, dcql, "invalid-credential", "large")
    many = {f"q{i}": ["x"] for i in range(5)}
    refused(many, dcql, "invalid-credential", "too many credential queries")


@pytest.mark.parametrize("fmt", ["sd-jwt", "mdoc"])
def test_withheld_mandatory_claim(fmt):
    dcql = SD_ONLY if fmt == "sd-jwt" else MDOC_ONLY
    if fmt == "sd-jwt":
        answer = {"pid_sd_jwt": [sd_jwt(paths(dcql, drop=("family_name",)))]}
    else:
        answer = {"pid_mdoc": [mdoc(elements(dcql, drop=("family_name",)))]}
    error = refused(answer, dcql, "credential-query-evaluation", "any of the requested claim sets")
    assert "Mustermann" not in error.detail


def test_withheld_claim_without_claim_sets():
    dcql = build_dcql(PAYMENT, ["sd-jwt"])
    answer = {"pid_sd_jwt": [sd_jwt([["family_name"], ["given_name"]])]}
    refused(answer, dcql, "credential-query-evaluation", "personal_administrative_number")


def test_the_verifiers_own_types_come_through():
    replayed = {"pid_sd_jwt": [sd_jwt(paths(SD_ONLY), nonce="other")]}
    refused(replayed, SD_ONLY, "holder-binding", "nonce")
    rogue = {"pid_sd_jwt": [sd_jwt(paths(SD_ONLY), signer=PKI.rogue_issuer)]}
    refused(rogue, SD_ONLY, "trusted-issuer-untrusted", "not trusted")
    elsewhere = redirect_session_transcript(CLIENT_ID, "an-earlier-nonce", None, RESPONSE_URI)
    answer = {"pid_mdoc": [mdoc(elements(MDOC_ONLY), transcript=elsewhere)]}
    assert refused(answer, MDOC_ONLY, "holder-binding", "transcript").path == ("pid_mdoc", 0)


# -- transaction data -------------------------------------------------------------------------


def _transaction(*credential_ids: str) -> list[str]:
    return [encode_transaction_data({"type": "payment", "credential_ids": list(credential_ids)})]


def test_transaction_data_naming_the_mdoc_query_is_refused():
    data = _transaction("pid_sd_jwt", "pid_mdoc")
    answer = {"pid_sd_jwt": [sd_jwt(paths(BOTH), transaction_data=data)]}
    refused(answer, BOTH, "transaction-data", "mdoc query", data)
    answer = {"pid_mdoc": [mdoc(elements(BOTH))]}
    refused(answer, BOTH, "transaction-data", "B.2.1", _transaction("pid_mdoc"))


def test_sd_jwt_without_the_hashes_of_its_transaction_data_is_refused():
    data = _transaction("pid_sd_jwt")
    answer = {"pid_sd_jwt": [sd_jwt(paths(SD_ONLY))]}
    refused(answer, SD_ONLY, "transaction-data", "missing", data)
    other = [*_transaction("pid_sd_jwt"), encode_transaction_data({"type": "x"})]
    refused(answer, SD_ONLY, "transaction-data", "does not name", other)


def test_hashes_only_for_the_transaction_data_naming_the_query():
    dcql = build_dcql(PAYMENT, ["sd-jwt", "mdoc"])
    dcql["credentials"].append({**query_of(dcql, "pid_sd_jwt"), "id": "pid_other"})
    dcql["credential_sets"] = [{"options": [["pid_sd_jwt"], ["pid_other"]]}]
    first, second = _transaction("pid_sd_jwt") + _transaction("pid_other", "pid_sd_jwt")
    data = [first, second]
    # a hash over every transaction data string, also the one meant for another query
    overclaiming = {"pid_other": [sd_jwt(paths(dcql), transaction_data=data)]}
    refused(overclaiming, dcql, "transaction-data", "do not match", data)
    exact = {"pid_other": [sd_jwt(paths(dcql), transaction_data=[second])]}
    assert verify_vp_token(exact, dcql, context(data))[0].query_id == "pid_other"
    answer = {"pid_sd_jwt": [sd_jwt(paths(dcql), transaction_data=data)]}
    assert verify_vp_token(answer, dcql, context(data))[0].query_id == "pid_sd_jwt"


def test_hashes_without_transaction_data_for_the_query_are_refused():
    answer = {"pid_sd_jwt": [sd_jwt(paths(SD_ONLY), transaction_data=_transaction("x"))]}
    refused(answer, SD_ONLY, "transaction-data", "none was requested")


# -- the query itself and what the person is shown -----------------------------------------


@pytest.mark.parametrize(
    "edit",
    [
        lambda q: q["credentials"][0].update(format="ldp_vc"),
        lambda q: q["credentials"][0].update(claims=[{"path": ["a", True]}]),
        lambda q: q["credentials"][0].update(claim_sets=[["nope"]]),
        lambda q: q["credentials"][1]["claims"][0].update(path=[MDOC_NAMESPACE]),
        lambda q: q.update(credential_sets=[{"options": [["ghost"]]}]),
        lambda q: q["credentials"][0]["meta"].pop("vct_values"),
    ],
)
def test_a_malformed_query_is_our_bug(edit):
    dcql = json.loads(json.dumps(BOTH))
    edit(dcql)
    with pytest.raises(ValueError):
        parse_dcql(dcql)


def test_every_presentation_error_has_person_facing_words():
    for error_type in PresentationErrorType.__args__:  # type: ignore[attr-defined]
        title, detail = KNOWN_ERRORS[error_type]
        assert title and detail.endswith(".")
    assert KNOWN_ERRORS["credential-query-evaluation"] == (
        "Credential doesn't match requirements",
        "The credential you shared does not contain everything Demo Bank asked for.",
    )
    assert KNOWN_ERRORS["trusted-issuer-untrusted"] == (
        "Credential issuer not trusted",
        "The credential was issued by an issuer Demo Bank does not trust.",
    )


@pytest.mark.parametrize(
    ("error_type", "title"),
    [
        ("invalid-credential", "Credential was changed"),
        ("holder-binding", "Presentation not made for this request"),
        ("credential-query-evaluation", "Credential doesn't match requirements"),
    ],
)
def test_policy_response_becomes_what_the_person_sees(error_type, title):
    error = PresentationError(error_type, "the check's own words", ("pid_sd_jwt", 0))
    (entry,) = policy_response(error)
    assert entry["path"] == ["pid_sd_jwt", 0] and entry["service"] == "verifier"
    assert entry["error"]["type"] == f"https://vidos.id/errors/{error_type}"
    info = error_info_from_policy_response(policy_response(error), "error")
    assert info.error_type == error_type and info.title == title
    assert info.detail == KNOWN_ERRORS[error_type][1]
    assert info.details == ["the check's own words"] and info.policy == error_type
