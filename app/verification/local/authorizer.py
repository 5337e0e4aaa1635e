"""The bank's own OpenID4VP 1.0 verifier behind the `Authorizer` interface.

It signs each request object with the verifier identity (client id `x509_hash`, 5.9.3),
keeps the request's nonce, state and ephemeral encryption key in `verifier_requests`, and
decides on the wallet's encrypted answer (`responses.py`). Status, claims and response codes
are read back from that row, shaped like the Vidos answers, so the flows read both alike.
"""

from __future__ import annotations

import secrets
from datetime import timedelta
from typing import Any

from sqlalchemy import select, update

from ...database import database_ok, write_transaction
from ...db_types import utcnow
from ...extensions import db
from ...hashing import sha256_hex
from ...models import new_uuid
from ..base import (
    AuthorizerRefused,
    CreatedAuthorization,
    FinalStatus,
    PresentationRequest,
    ResolvedCode,
    ResponseCodeNotFound,
    StatusResult,
    error_info_from_policy_response,
)
from ..claims import VerifiedClaims, normalize_credentials
from ..oid4vp.identity import VerifierIdentity
from ..oid4vp.request_object import (
    authorization_link,
    dc_api_request,
    dc_api_request_claims,
    redirect_request_claims,
    sign_request_object,
)
from ..oid4vp.response_crypto import new_encryption_key
from .models import VerifierRequest, is_open
from .responses import receive_dc_api_response
from .settings import LocalVerifierSettings

AUTHORIZATION_TTL = timedelta(minutes=10)
VERIFIER_NAME = "Demo Bank"


class LocalAuthorizer:
    reads_status_locally = True  # its status is a row of verifier_requests

    def __init__(self, settings: LocalVerifierSettings, identity: VerifierIdentity) -> None:
        self.settings = settings
        self.identity = identity
        self.name = "sandbox" if settings.demo_wallet else "local"  # as /health reports it

    def health(self) -> bool:
        return database_ok()

    def _claims(
        self, request: PresentationRequest, nonce: str, state: str | None, jwk: dict[str, Any]
    ) -> dict[str, Any]:
        common: dict[str, Any] = {
            "client_id": self.identity.client_id,
            "nonce": nonce,
            "dcql_query": request.dcql,
            "encryption_jwk": jwk,
            "transaction_data": request.transaction_data,
            "verifier_name": VERIFIER_NAME,
            "verifier_info": request.verifier_info,
        }
        if request.mode == "dc_api":
            if not request.origin:
                raise AuthorizerRefused("a Digital Credentials API request needs its origin")
            return dc_api_request_claims(expected_origins=[request.origin], **common)
        if state is None:
            raise ValueError("a redirect request needs its state")
        return redirect_request_claims(
            response_uri=self.settings.response_uri, state=state, **common
        )

    def create_authorization(self, request: PresentationRequest) -> CreatedAuthorization:
        now = utcnow()
        request_id = new_uuid()
        nonce = secrets.token_urlsafe(32)
        state = None if request.mode == "dc_api" else secrets.token_urlsafe(32)
        key = new_encryption_key()
        claims = self._claims(request, nonce, state, key.public_jwk)
        request_object = sign_request_object(self.identity, claims=claims, now=now)
        with write_transaction() as session:
            session.add(
                VerifierRequest(
                    id=request_id,
                    status="created",
                    # columns of what the signed claims say, to find and check answers by
                    response_mode=claims["response_mode"],
                    request=claims,
                    request_object=request_object,
                    client_id=claims["client_id"],
                    nonce=claims["nonce"],
                    state=state,
                    origin=request.origin if request.mode == "dc_api" else None,
                    encryption_kid=key.kid,
                    encryption_key=key.private_jwk,
                    created_at=now,
                    expires_at=now + AUTHORIZATION_TTL,
                )
            )
        if request.mode == "dc_api":
            return CreatedAuthorization(
                authorization_id=request_id, dc_api_request=dc_api_request(request_object)
            )
        if self.settings.demo_wallet:
            # A short link that redirects to demo_wallet_link: a small QR code to scan.
            link = f"{self.settings.public_base_url}/sandbox/wallet/{request_id}"
        else:
            link = authorization_link(
                client_id=self.identity.client_id,
                request_uri=self.settings.request_uri(request_id),
            )
        return CreatedAuthorization(authorization_id=request_id, authorize_url=link)

    def demo_wallet_link(self, request_id: str) -> str:
        """The demo wallet's page for a request: what a phone wallet gets from an
        `openid4vp://?client_id=...&request_uri=...` link (section 5.10)."""
        return authorization_link(
            scheme_url=f"{self.settings.public_base_url}/sandbox/wallet",
            client_id=self.identity.client_id,
            request_uri=self.settings.request_uri(request_id),
        )

    def _row(self, authorization_id: str) -> VerifierRequest:
        row = db.session.get(VerifierRequest, authorization_id)
        if row is None:
            raise AuthorizerRefused("unknown authorization")
        return row

    def get_status(self, authorization_id: str) -> StatusResult:
        row = self._row(authorization_id)
        if row.status == "created":
            return StatusResult("pending" if is_open(row, utcnow()) else "expired")
        if row.status in ("rejected", "error"):
            info = error_info_from_policy_response(row.policy_response or [], row.status)
            return StatusResult("rejected" if row.status == "rejected" else "error", info)
        return StatusResult("authorized")

    def get_claims(self, authorization_id: str) -> VerifiedClaims:
        row = self._row(authorization_id)
        if row.status != "authorized":
            raise AuthorizerRefused("the authorization is not authorized")
        return normalize_credentials(row.credentials or [])

    def forward_dc_api_response(
        self, authorization_id: str, origin: str, response: str | dict[str, Any]
    ) -> FinalStatus:
        return receive_dc_api_response(self.settings, authorization_id, origin, response)

    def resolve_response_code(self, code: str) -> ResolvedCode:
        now = utcnow()
        code_hash = sha256_hex(code)
        # A read first: random codes (someone guessing) never take the write lock.
        known = db.session.scalar(
            select(VerifierRequest.id).where(VerifierRequest.response_code_hash == code_hash)
        )
        if known is None:
            raise ResponseCodeNotFound("response code unknown, used or expired")
        with write_transaction() as session:
            used = session.execute(
                update(VerifierRequest)
                .where(
                    VerifierRequest.response_code_hash == code_hash,
                    VerifierRequest.response_code_used_at.is_(None),
                    VerifierRequest.response_code_expires_at > now,
                )
                .values(response_code_used_at=now)
                .returning(VerifierRequest.id, VerifierRequest.status)
            ).first()
        if used is None:
            raise ResponseCodeNotFound("response code unknown, used or expired")
        finals: dict[str, FinalStatus] = {
            "authorized": "authorized",
            "rejected": "rejected",
            "error": "error",
        }
        return ResolvedCode(authorization_id=used[0], status=finals.get(used[1], "expired"))
