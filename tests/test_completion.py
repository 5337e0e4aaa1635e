"""Completion as a domain function, with a stub authorizer that returns chosen claims."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlalchemy import select

from app.accounts import NewAccount, create_user
from app.database import write_transaction
from app.extensions import db
from app.flows import engine
from app.models import PendingAuthRequest, User
from app.schemas import ProfileUpdateMeta, SignupMeta
from app.verification.base import CreatedAuthorization, StatusResult
from app.verification.claims import normalize_claims


@dataclass
class StubAuthorizer:
    claims: dict[str, Any]
    name: str = "stub"
    reads_status_locally: bool = False
    created: list[Any] = field(default_factory=list)

    def health(self) -> bool:
        return True

    def create_authorization(self, request):
        self.created.append(request)
        return CreatedAuthorization(f"auth-{len(self.created)}", authorize_url="https://wallet")

    def get_status(self, authorization_id):
        return StatusResult("authorized")

    def get_claims(self, authorization_id):
        return normalize_claims(dict(self.claims), "dc+sd-jwt")

    def forward_dc_api_response(self, authorization_id, origin, response):
        return "authorized"

    def resolve_response_code(self, code):
        raise NotImplementedError


def account(identifier="DE-1"):
    with write_transaction():
        return create_user(NewAccount(identifier=identifier, family_name="Old", given_name="Name"))


def test_profile_update_with_a_disclosed_other_identity_is_refused(app):
    with app.app_context():
        user = account()
        stub = StubAuthorizer({"personal_administrative_number": "PL-9", "family_name": "New"})
        meta = ProfileUpdateMeta(credential_formats=["sd-jwt"], requested_claims=["family_name"])
        request = engine.start(stub, meta, "direct_post", "nonce", user_id=user.id)
        outcome = engine.complete(stub, request)
        assert outcome.status == "rejected" and outcome.title == "Identity mismatch"
        db.session.expire_all()
        assert db.session.get(User, user.id).family_name == "Old"


def test_profile_update_changes_only_requested_and_received_fields(app):
    with app.app_context():
        user = account()
        stub = StubAuthorizer(
            {"personal_administrative_number": "DE-1", "family_name": "New", "given_name": "Other"}
        )
        meta = ProfileUpdateMeta(
            credential_formats=["sd-jwt"], requested_claims=["family_name", "email_address"]
        )
        request = engine.start(stub, meta, "direct_post", "nonce", user_id=user.id)
        assert engine.complete(stub, request).status == "authorized"
        db.session.expire_all()
        stored = db.session.get(User, user.id)
        assert stored.family_name == "New" and stored.given_name == "Name" and stored.email is None
        assert db.session.get(PendingAuthRequest, request.id).result.updated_fields == [
            "Family name"
        ]


def test_missing_claims_fail_the_flow_naming_the_attribute(app):
    with app.app_context():
        stub = StubAuthorizer({"personal_administrative_number": "X-1", "family_name": "A"})
        request = engine.start(
            stub, SignupMeta(credential_formats=["mdoc"]), "direct_post", "n"
        )
        outcome = engine.complete(stub, request)
        assert outcome.status == "error" and outcome.title == "Missing information"
        assert "Given name" in outcome.detail
        assert db.session.scalar(select(User)) is None


def test_signup_address_comes_from_place_of_birth(app):
    with app.app_context():
        stub = StubAuthorizer(
            {
                "personal_administrative_number": "X-1",
                "family_name": "A",
                "given_name": "B",
                "nationalities": ["FR", "BE"],
                "place_of_birth": {"locality": "Lyon", "country": "FR"},
            }
        )
        request = engine.start(
            stub, SignupMeta(credential_formats=["mdoc"]), "direct_post", "n"
        )
        assert engine.complete(stub, request).status == "authorized"
        created = db.session.scalar(select(User))
        assert created.address == "Lyon, FR" and created.nationality == "FR, BE"


def test_completion_is_idempotent(app):
    with app.app_context():
        stub = StubAuthorizer(
            {"personal_administrative_number": "X-1", "family_name": "A", "given_name": "B"}
        )
        request = engine.start(
            stub, SignupMeta(credential_formats=["mdoc"]), "direct_post", "n"
        )
        first = engine.complete(stub, request)
        second = engine.complete(stub, request)
        assert first == second and first.status == "authorized"
        assert len(db.session.scalars(select(User)).all()) == 1


@pytest.mark.parametrize("flow", ["payment", "loan"])
def test_transaction_is_bound_into_the_request(app, flow):
    from app.schemas import LoanMeta, PaymentMeta
    from app.verification.pid import decode_transaction_data

    with app.app_context():
        user = account()
        stub = StubAuthorizer({})
        meta = (
            PaymentMeta(
                credential_formats=["sd-jwt", "mdoc"],
                transaction_id="txn-1",
                recipient="R",
                amount_cents=4500,
            )
            if flow == "payment"
            else LoanMeta(
                credential_formats=["sd-jwt", "mdoc"],
                amount_cents=1_000_000,
                purpose="Car",
                term_months=24,
            )
        )
        engine.start(stub, meta, "direct_post", "n", user_id=user.id)
        data = decode_transaction_data(stub.created[0].transaction_data[0])
        # only the SD-JWT query can carry it (OpenID4VP B.2.1, B.3.3)
        assert data["credential_ids"] == ["pid_sd_jwt"]
        if flow == "payment":
            assert data["amount"] == "45.00" and data["type"] == "payment"
        else:
            assert data["amount"] == "10000.00" and data["type"] == "loan_application"


@pytest.mark.parametrize(("flow", "retains"), [("signup", True), ("signin", False)])
def test_start_says_whether_mdoc_attributes_are_retained(app, flow, retains):
    from app.schemas import SigninMeta

    with app.app_context():
        stub = StubAuthorizer({})
        model = SignupMeta if flow == "signup" else SigninMeta
        engine.start(stub, model(credential_formats=["sd-jwt", "mdoc"]), "direct_post", "n")
        sd, mdoc = stub.created[0].dcql["credentials"]
        assert all(c.get("intent_to_retain", False) is retains for c in mdoc["claims"])
        assert all("intent_to_retain" not in c for c in sd["claims"])
