"""The demo wallet's holder (sandbox/holder.py): the vp_token it builds for requests made as
the bank makes them, checked by the bank's own verifier (`verify_vp_token`)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import cbor2
import pytest

from app.flows import kinds
from app.schemas import CredentialFormat
from app.verification.claims import normalize_credentials
from app.verification.credentials.errors import PresentationError, PresentationErrorType
from app.verification.credentials.jose import b64url_decode, decode_json_segment
from app.verification.credentials.sdjwt_kb import transaction_data_hashes
from app.verification.credentials.session_transcript import (
    dc_api_session_transcript,
    redirect_session_transcript,
)
from app.verification.credentials.vp_token import (
    PresentationContext,
    PresentedCredential,
    verify_vp_token,
    vidos_credentials,
)
from app.verification.oid4vp.request_object import (
    dc_api_request_claims,
    redirect_request_claims,
    sign_request_object,
    verify_request_object,
)
from app.verification.oid4vp.response_crypto import jwk_thumbprint, new_encryption_key
from app.verification.pid import MDOC_NAMESPACE, build_presentation_request, encode_transaction_data
from app.verification.sandbox.holder import (
    SIMULATIONS,
    HolderError,
    Simulation,
    build_vp_token,
)
from app.verification.sandbox.holder_issue import holder_id, mdoc_elements, sd_jwt_claims
from app.verification.sandbox.identities import BUILT_IN_IDENTITIES
from app.verification.sandbox.identities import TestIdentity as Identity
from app.verification.sandbox.pki import sandbox_pki
from tests.oid4vp_helpers import development_identity

SECRET = "h" * 40
PKI = sandbox_pki(SECRET)
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
ISSUER = "https://bank.example/sandbox"
CLIENT_ID = "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk"
RESPONSE_URI = "https://bank.example/oid4vp/response"
ORIGIN = "https://bank.example"
NONCE = "n-0S6_WzA2Mj"
ENCRYPTION = new_encryption_key()
THUMBPRINT = jwk_thumbprint(ENCRYPTION.public_jwk)

PAYMENT = {
    "type": "payment",
    "recipient": "Max Mustermann",
    "amount": "45.00",
    "currency": "EUR",
    "reference": "Rent",
    "transaction_id": "tx-1",
}
CUSTOM = Identity(
    key="custom",
    given_name="Ada",
    family_name="Lovelace",
    birth_date="1815-12-10",
    nationalities=("GB",),
    personal_administrative_number="GB-1815-1210",
)
IDENTITIES = (*BUILT_IN_IDENTITIES, CUSTOM)
BOTH: list[CredentialFormat] = ["sd-jwt", "mdoc"]
EXPECTED: dict[Simulation, PresentationErrorType] = {
    "untrusted": "trusted-issuer-untrusted",
    "withheld": "credential-query-evaluation",
    "tampered": "invalid-credential",
    "replayed": "holder-binding",
}


def bank_request(
    kind: str, formats: Sequence[CredentialFormat], dc_api: bool = False
) -> dict[str, Any]:
    """The request object payload the bank signs for a flow (as the wallet verified it)."""
    attributes, transaction = {  # each flow's attributes, as flows/kinds.py declares them
        "signup": (kinds.SIGNUP.attributes, None),
        "payment": (kinds.PAYMENT.attributes, PAYMENT),
        "signin": (kinds.SIGNIN.attributes, None),
    }[kind]
    request = build_presentation_request(
        attributes,
        list(formats),
        "dc_api" if dc_api else "direct_post",
        purpose=f"Verify your identity for {kind}",
        origin=ORIGIN if dc_api else None,
        transaction=transaction,
        retain=kind == "signup",
    )
    common: dict[str, Any] = {
        "client_id": CLIENT_ID,
        "nonce": NONCE,
        "dcql_query": request.dcql,
        "encryption_jwk": ENCRYPTION.public_jwk,
        "transaction_data": request.transaction_data,
    }
    if dc_api:
        return dc_api_request_claims(expected_origins=[ORIGIN], **common)
    return redirect_request_claims(response_uri=RESPONSE_URI, state="st-1", **common)


def context(request: dict[str, Any], dc_api: bool = False) -> PresentationContext:
    """What the bank binds the answer to (vp_token.PresentationContext)."""
    if dc_api:
        audience = f"origin:{ORIGIN}"
        transcript = dc_api_session_transcript(ORIGIN, NONCE, THUMBPRINT)
    else:
        audience = CLIENT_ID
        transcript = redirect_session_transcript(CLIENT_ID, NONCE, THUMBPRINT, RESPONSE_URI)
    return PresentationContext(
        nonce=NONCE,
        audience=audience,
        session_transcript=transcript,
        transaction_data=request.get("transaction_data", []),
        trust_anchors=[PKI.ca_certificate],
        now=NOW + timedelta(seconds=2),
    )


def build(
    request: dict[str, Any],
    fmt: CredentialFormat,
    *,
    identity: Identity = BUILT_IN_IDENTITIES[0],
    dc_api: bool = False,
    simulation: Simulation | None = None,
) -> dict[str, list[str]]:
    return build_vp_token(
        request,
        identity=identity,
        fmt=fmt,
        secret=SECRET,
        issuer=ISSUER,
        jwk_thumbprint=THUMBPRINT,
        origin=ORIGIN if dc_api else None,
        simulation=simulation,
        now=NOW,
    )


def verified(
    request: dict[str, Any], vp_token: dict[str, list[str]], dc_api: bool = False
) -> PresentedCredential:
    (result,) = verify_vp_token(vp_token, request["dcql_query"], context(request, dc_api))
    return result


def kb_jwt(presentation: str) -> dict[str, Any]:
    payload = decode_json_segment(presentation.rsplit("~", 1)[1].split(".")[1])
    assert isinstance(payload, dict)
    return payload


def disclosed_names(presentation: str) -> set[str]:
    _, *disclosures, _ = presentation.split("~")
    return {json.loads(b64url_decode(d))[1] for d in disclosures}


def issued_key(presentation: str) -> dict[str, Any]:
    payload = decode_json_segment(presentation.split("~")[0].split(".")[1])
    return dict(payload["cnf"]["jwk"])


# -- honest answers ---------------------------------------------------------------------------


@pytest.mark.parametrize("dc_api", [False, True], ids=["redirect", "dc_api"])
@pytest.mark.parametrize("fmt", BOTH)
@pytest.mark.parametrize("offered", ["both", "one"])
@pytest.mark.parametrize("kind", ["signup", "payment", "signin"])
@pytest.mark.parametrize("identity", IDENTITIES, ids=lambda i: i.key)
def test_honest_answers_verify(identity, kind, offered, fmt, dc_api):
    request = bank_request(kind, BOTH if offered == "both" else [fmt], dc_api)
    vp_token = build(request, fmt, identity=identity, dc_api=dc_api)
    query_id = "pid_sd_jwt" if fmt == "sd-jwt" else "pid_mdoc"
    assert list(vp_token) == [query_id] and len(vp_token[query_id]) == 1
    result = verified(request, vp_token, dc_api)
    assert result.query_id == query_id
    claims = normalize_credentials(vidos_credentials([result]))
    assert claims.personal_administrative_number == identity.personal_administrative_number
    if kind == "signin":
        assert claims.family_name is None  # only what was asked
        return
    assert (claims.family_name, claims.given_name) == (identity.family_name, identity.given_name)
    if kind == "signup":
        assert claims.birth_date == identity.birth_date
        assert claims.nationality == identity.nationalities
        assert claims.document_number == (identity.document_number or None)
        if identity.look is not None:
            assert claims.portrait is not None
            assert claims.portrait.startswith("data:image/jpeg;base64,/9j/")
        else:
            assert claims.portrait is None


def test_payment_transaction_data_is_hashed_in_the_sd_jwt_only():
    request = bank_request("payment", BOTH)
    (data,) = request["transaction_data"]
    (sd_jwt,) = build(request, "sd-jwt")["pid_sd_jwt"]
    binding = kb_jwt(sd_jwt)
    assert binding["aud"] == CLIENT_ID and binding["nonce"] == NONCE
    assert binding["transaction_data_hashes"] == transaction_data_hashes([data])
    assert binding["transaction_data_hashes_alg"] == "sha-256"
    verified(request, {"pid_sd_jwt": [sd_jwt]})
    # the mdoc option carries none (B.2.1) and still verifies
    assert verified(request, build(request, "mdoc")).format == "mso_mdoc"
    assert "transaction_data_hashes" not in kb_jwt(
        build(bank_request("signup", BOTH), "sd-jwt")["pid_sd_jwt"][0]
    )


def test_hashes_only_over_the_transaction_data_naming_the_answered_query():
    request = bank_request("payment", ["sd-jwt"])
    dcql = request["dcql_query"]
    other = {**dcql["credentials"][0], "id": "pid_other"}
    dcql["credentials"].append(other)
    dcql["credential_sets"] = [{"options": [["pid_sd_jwt"], ["pid_other"]]}]
    theirs = encode_transaction_data({"type": "payment", "credential_ids": ["pid_other"]})
    request["transaction_data"] = [*request["transaction_data"], theirs]
    vp_token = build(request, "sd-jwt")
    assert list(vp_token) == ["pid_sd_jwt"]
    assert len(kb_jwt(vp_token["pid_sd_jwt"][0])["transaction_data_hashes"]) == 1
    verified(request, vp_token)  # the verifier wants exactly the hashes of its own


def test_dc_api_audience_and_transcript():
    request = bank_request("signup", BOTH, dc_api=True)
    assert "response_uri" not in request
    (sd_jwt,) = build(request, "sd-jwt", dc_api=True)["pid_sd_jwt"]
    assert kb_jwt(sd_jwt)["aud"] == f"origin:{ORIGIN}"
    # a redirect answer is bound to the client_id and transcript, not to the origin
    with pytest.raises(PresentationError) as caught:
        verify_vp_token(
            build(request | {"response_uri": RESPONSE_URI}, "mdoc"),
            request["dcql_query"],
            context(request, dc_api=True),
        )
    assert caught.value.error_type == "holder-binding"


def test_the_mdoc_transcript_holds_the_encryption_key_thumbprint():
    request = bank_request("payment", ["mdoc"])
    vp_token = build(request, "mdoc")
    without = replace(
        context(request),
        session_transcript=redirect_session_transcript(CLIENT_ID, NONCE, None, RESPONSE_URI),
    )
    with pytest.raises(PresentationError, match="transcript") as caught:
        verify_vp_token(vp_token, request["dcql_query"], without)
    assert caught.value.error_type == "holder-binding"


def test_only_the_first_satisfiable_claim_set_is_disclosed():
    request = bank_request("signup", ["sd-jwt"])
    (erika,) = build(request, "sd-jwt")["pid_sd_jwt"]
    assert disclosed_names(erika) == {
        "family_name",
        "given_name",
        "birthdate",
        "nationalities",
        "personal_administrative_number",
        "document_number",
        "picture",
    }
    # without a portrait the first set cannot be satisfied: the second (mandatory) set only,
    # without the document number the PID does have (6.4.1)
    with_number = replace(CUSTOM, document_number="GB123")
    (ada,) = build(request, "sd-jwt", identity=with_number)["pid_sd_jwt"]
    assert disclosed_names(ada) == {
        "family_name",
        "given_name",
        "birthdate",
        "nationalities",
        "personal_administrative_number",
    }


def test_a_pid_lacking_a_mandatory_claim_sends_what_it_has():
    no_birth_date = Identity(
        key="custom",
        given_name="Ada",
        family_name="Lovelace",
        birth_date="",
        nationalities=(),
        personal_administrative_number="GB-1815-1210",
    )
    request = bank_request("signup", ["mdoc"])
    vp_token = build(request, "mdoc", identity=no_birth_date)
    with pytest.raises(PresentationError) as caught:
        verified(request, vp_token)
    assert caught.value.error_type == "credential-query-evaluation"
    payment = bank_request("payment", ["mdoc"])  # asks for nothing it lacks
    assert verified(payment, build(payment, "mdoc", identity=no_birth_date))


def test_a_request_verified_by_the_wallet(tmp_path: Path):
    """Sign as the bank does, verify as the wallet does, answer, verify as the bank does."""
    verifier = development_identity(tmp_path)
    request = bank_request("payment", BOTH)
    request["client_id"] = verifier.client_id
    jwt = sign_request_object(verifier, claims=request, now=NOW)
    parsed = verify_request_object(jwt, expected_client_id=verifier.client_id, now=NOW)
    for fmt in BOTH:
        vp_token = build(parsed.claims, fmt)
        bank = replace(
            context(request),
            audience=verifier.client_id,
            session_transcript=redirect_session_transcript(
                verifier.client_id, NONCE, THUMBPRINT, RESPONSE_URI
            ),
        )
        verify_vp_token(vp_token, request["dcql_query"], bank)


# -- the PID as issued --------------------------------------------------------------------------


def test_sd_jwt_pid_follows_rulebook_4_1_1():
    erika = BUILT_IN_IDENTITIES[0]
    claims = sd_jwt_claims(erika, NOW.date())
    assert claims["birthdate"] == "1984-08-12"
    assert claims["nationalities"] == ["DE"]
    assert claims["place_of_birth"] == {"locality": "Berlin", "country": "DE"}
    assert claims["address"] == {
        "street_address": "Heidestraße",
        "house_number": "17",
        "postal_code": "51147",
        "locality": "Köln",
        "country": "DE",
        "formatted": "Heidestraße 17, 51147 Köln, DE",
    }
    assert claims["date_of_issuance"] == "2025-01-15"
    assert claims["picture"].startswith("data:image/jpeg;base64,/9j/")  # a JPEG (rulebook 2.2)
    assert claims["email"] == erika.email and claims["phone_number"] == erika.phone
    assert claims["sex"] == 2 and claims["age_equal_or_over"] == {"18": True}


def test_mdoc_pid_follows_rulebook_3_1_2():
    elements = mdoc_elements(BUILT_IN_IDENTITIES[0], NOW.date())
    assert elements["birth_date"] == date(1984, 8, 12)
    assert elements["issuance_date"] == date(2025, 1, 15)
    assert elements["expiry_date"] == date(2030, 1, 14)
    assert elements["nationality"] == ["DE"]  # an array even for one (3.1.3)
    assert elements["place_of_birth"] == {"locality": "Berlin", "country": "DE"}
    assert elements["resident_street"] == "Heidestraße 17"  # with the house number (2.3)
    assert elements["portrait"].startswith(b"\xff\xd8\xff")  # JPEG bytes (rulebook 2.2)
    assert not [name for name in elements if name.startswith("age_")]
    assert "resident_house_number" not in elements and "birth_place" not in elements
    assert "place_of_birth" in elements
    request = bank_request("signup", ["mdoc"])
    (response,) = build(request, "mdoc")["pid_mdoc"]
    document = cbor2.loads(b64url_decode(response))["documents"][0]
    items = [cbor2.loads(i.value) for i in document["issuerSigned"]["nameSpaces"][MDOC_NAMESPACE]]
    values = {item["elementIdentifier"]: item["elementValue"] for item in items}
    assert values["birth_date"] == date(1984, 8, 12) and values["nationality"] == ["DE"]
    assert isinstance(values["portrait"], bytes)


def test_valid_for_a_year_from_now():
    request = bank_request("signin", ["sd-jwt"])
    (presentation,) = build(request, "sd-jwt")["pid_sd_jwt"]
    payload = decode_json_segment(presentation.split("~")[0].split(".")[1])
    assert payload["iat"] == int(NOW.timestamp())
    assert payload["exp"] == int((NOW + timedelta(days=365)).timestamp())
    assert payload["iss"] == ISSUER
    later = replace(context(request), now=NOW + timedelta(days=366))
    with pytest.raises(PresentationError) as caught:
        verify_vp_token({"pid_sd_jwt": [presentation]}, request["dcql_query"], later)
    assert caught.value.error_type == "credential-expired"


def test_the_holder_key_is_stable_per_identity():
    request = bank_request("signin", ["sd-jwt"])
    keys = {
        identity.key: issued_key(build(request, "sd-jwt", identity=identity)["pid_sd_jwt"][0])
        for identity in IDENTITIES
    }
    assert len({json.dumps(k, sort_keys=True) for k in keys.values()}) == len(IDENTITIES)
    again = build(request, "sd-jwt", identity=CUSTOM)["pid_sd_jwt"][0]
    assert issued_key(again) == keys["custom"]
    assert holder_id(BUILT_IN_IDENTITIES[0]) == "erika"
    assert holder_id(CUSTOM) == "pan:GB-1815-1210"
    other = replace(CUSTOM, personal_administrative_number="GB-2")
    assert holder_id(other) != holder_id(CUSTOM)


# -- simulations --------------------------------------------------------------------------------


@pytest.mark.parametrize("dc_api", [False, True], ids=["redirect", "dc_api"])
@pytest.mark.parametrize("kind", ["signup", "payment", "signin"])
@pytest.mark.parametrize("fmt", BOTH)
@pytest.mark.parametrize("simulation", SIMULATIONS)
def test_each_simulation_is_refused_by_the_verifier(simulation, fmt, kind, dc_api):
    request = bank_request(kind, BOTH, dc_api)
    vp_token = build(request, fmt, dc_api=dc_api, simulation=simulation)
    with pytest.raises(PresentationError) as caught:
        verified(request, vp_token, dc_api)
    assert caught.value.error_type == EXPECTED[simulation], caught.value.detail
    assert caught.value.path == (next(iter(vp_token)), 0)


def test_simulations_for_the_custom_identity():
    request = bank_request("signup", BOTH)
    for simulation in SIMULATIONS:
        for fmt in BOTH:
            vp_token = build(request, fmt, identity=CUSTOM, simulation=simulation)
            with pytest.raises(PresentationError) as caught:
                verified(request, vp_token)
            assert caught.value.error_type == EXPECTED[simulation]


def test_withheld_leaves_out_a_claim_every_claim_set_needs():
    request = bank_request("signup", ["sd-jwt"])
    (presentation,) = build(request, "sd-jwt", simulation="withheld")["pid_sd_jwt"]
    assert disclosed_names(presentation) == {
        "given_name",
        "birthdate",
        "nationalities",
        "personal_administrative_number",
        "document_number",
        "picture",
    }


def test_replayed_is_otherwise_a_good_presentation():
    request = bank_request("payment", ["sd-jwt"])
    (presentation,) = build(request, "sd-jwt", simulation="replayed")["pid_sd_jwt"]
    binding = kb_jwt(presentation)
    assert binding["nonce"] != NONCE and binding["aud"] == CLIENT_ID
    replayed_context = replace(context(request), nonce=binding["nonce"])
    verify_vp_token({"pid_sd_jwt": [presentation]}, request["dcql_query"], replayed_context)


# -- what cannot be answered --------------------------------------------------------------------


def test_unanswerable_requests():
    payment = bank_request("payment", BOTH)
    naming_mdoc = encode_transaction_data({"type": "payment", "credential_ids": ["pid_mdoc"]})
    with pytest.raises(HolderError, match=r"B\.2\.1"):
        build({**payment, "transaction_data": [naming_mdoc]}, "mdoc")
    unreadable = {**payment, "transaction_data": ["not base64url!"]}
    with pytest.raises(HolderError, match="transaction data"):
        build(unreadable, "sd-jwt")
    other_hash = encode_transaction_data(
        {
            "type": "payment",
            "credential_ids": ["pid_sd_jwt"],
            "transaction_data_hashes_alg": ["sha-512"],
        }
    )
    with pytest.raises(HolderError, match="hash"):
        build({**payment, "transaction_data": [other_hash]}, "sd-jwt")
    with pytest.raises(HolderError, match="nonce"):
        build({k: v for k, v in payment.items() if k != "nonce"}, "sd-jwt")
    with pytest.raises(HolderError, match="response_uri"):
        build({k: v for k, v in payment.items() if k != "response_uri"}, "mdoc")
    with pytest.raises(HolderError, match="client_id"):
        build({k: v for k, v in payment.items() if k != "client_id"}, "sd-jwt")
    with pytest.raises(HolderError, match="credential query"):
        build({**payment, "dcql_query": None}, "sd-jwt")
    assert issubclass(HolderError, ValueError)
    with pytest.raises(ValueError, match="timezone"):
        build_vp_token(
            payment,
            identity=CUSTOM,
            fmt="sd-jwt",
            secret=SECRET,
            issuer=ISSUER,
            jwk_thumbprint=None,
            now=NOW.replace(tzinfo=None),
        )
