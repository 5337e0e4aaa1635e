"""The sandbox authorizer: the Authorizer interface backed by the database, plus what the
demo wallet does when the holder shares or declines."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Literal

from sqlalchemy import select, update

from ...database import database_ok, write_transaction
from ...db_types import utcnow
from ...extensions import db
from ...hashing import sha256_hex
from ...schemas import CredentialFormat
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
from ..pid import claims_from_dcql, decode_transaction_data
from .identities import TestIdentity, credential_envelope
from .models import SandboxAuthorization

AUTHORIZATION_TTL = timedelta(minutes=10)
RESPONSE_CODE_TTL = timedelta(minutes=5)
WalletChoice = Literal["share", "decline", "untrusted", "incomplete"]


def _is_expired(row: SandboxAuthorization, now: datetime) -> bool:
    return row.status == "created" and row.expires_at <= now


class SandboxAuthorizer:
    name = "sandbox"

    def __init__(self, public_base_url: str) -> None:
        self.public_base_url = public_base_url.rstrip("/")

    def health(self) -> bool:
        return database_ok()

    def create_authorization(self, request: PresentationRequest) -> CreatedAuthorization:
        if request.mode == "dc_api":
            raise AuthorizerRefused("the sandbox has no Digital Credentials API")
        now = utcnow()
        with write_transaction() as session:
            row = SandboxAuthorization(
                status="created",
                request=request.to_vidos_body(),
                created_at=now,
                expires_at=now + AUTHORIZATION_TTL,
            )
            session.add(row)
            session.flush()
            authorization_id = row.id
        return CreatedAuthorization(
            authorization_id=authorization_id,
            authorize_url=f"{self.public_base_url}/sandbox/wallet/{authorization_id}",
        )

    def _row(self, authorization_id: str) -> SandboxAuthorization:
        row = db.session.get(SandboxAuthorization, authorization_id)
        if row is None:
            raise AuthorizerRefused("unknown authorization")
        return row

    def get_status(self, authorization_id: str) -> StatusResult:
        row = self._row(authorization_id)
        if _is_expired(row, utcnow()):
            return StatusResult("expired")
        if row.status == "created":
            return StatusResult("pending")
        if row.status in ("rejected", "error"):
            info = error_info_from_policy_response(row.policy_response or [], row.status)
            return StatusResult("rejected" if row.status == "rejected" else "error", info)
        return StatusResult("authorized" if row.status == "authorized" else "expired")

    def get_claims(self, authorization_id: str) -> VerifiedClaims:
        row = self._row(authorization_id)
        if row.status != "authorized":
            raise AuthorizerRefused("the authorization is not authorized")
        return normalize_credentials(row.credentials or [])

    def forward_dc_api_response(
        self, authorization_id: str, origin: str, response: str | dict[str, Any]
    ) -> FinalStatus:
        raise AuthorizerRefused("the sandbox has no Digital Credentials API")

    def resolve_response_code(self, code: str) -> ResolvedCode:
        now = utcnow()
        # A read first: random codes (someone guessing) never take the write lock.
        known = db.session.scalar(
            select(SandboxAuthorization.id).where(
                SandboxAuthorization.response_code_hash == sha256_hex(code)
            )
        )
        if known is None:
            raise ResponseCodeNotFound("response code unknown, used or expired")
        with write_transaction() as session:
            used = session.execute(
                update(SandboxAuthorization)
                .where(
                    SandboxAuthorization.response_code_hash == sha256_hex(code),
                    SandboxAuthorization.response_code_used_at.is_(None),
                    SandboxAuthorization.response_code_expires_at > now,
                )
                .values(response_code_used_at=now)
                .returning(SandboxAuthorization.id, SandboxAuthorization.status)
            ).first()
        if used is None:
            raise ResponseCodeNotFound("response code unknown, used or expired")
        finals: dict[str, FinalStatus] = {
            "authorized": "authorized",
            "rejected": "rejected",
            "error": "error",
        }
        status = finals.get(used[1], "expired")
        return ResolvedCode(authorization_id=used[0], status=status)


@dataclass(frozen=True)
class WalletRequest:
    """What the demo wallet shows the holder about an authorization."""

    authorization_id: str
    purpose: str
    claims_by_format: dict[CredentialFormat, list[str]]
    transaction: dict[str, Any] | None
    verifier_info: list[str]
    open: bool


def wallet_request(authorization_id: str) -> WalletRequest | None:
    row = db.session.get(SandboxAuthorization, authorization_id)
    if row is None:
        return None
    claims_by_format, purpose = claims_from_dcql(row.request.get("query", {}).get("dcql", {}))
    parameters = row.request.get("responseTypeParameters") or {}
    transactions = [decode_transaction_data(t) for t in parameters.get("transaction_data", [])]
    verifier_info = [
        str(v.get("data")) for v in parameters.get("verifier_info", []) if isinstance(v, dict)
    ]
    return WalletRequest(
        authorization_id=row.id,
        purpose=purpose,
        claims_by_format=claims_by_format,
        transaction=transactions[0] if transactions else None,
        verifier_info=verifier_info,
        open=row.status == "created" and not _is_expired(row, utcnow()),
    )


_FAILURES: dict[WalletChoice, tuple[str, dict[str, Any]]] = {
    "decline": (
        "rejected",
        {
            "type": "https://vidos.id/errors/access-denied",
            "vidosType": "access-denied",
            "title": "Request declined",
            "detail": "You declined to share your PID with Demo Bank.",
        },
    ),
    "untrusted": (
        "rejected",
        {
            "type": "https://vidos.id/errors/trusted-issuer-untrusted",
            "vidosType": "trusted-issuer-untrusted",
            "title": "Untrusted issuer",
            "detail": "The credential was issued by an issuer Demo Bank does not trust.",
        },
    ),
    "incomplete": (
        "rejected",
        {
            "type": "https://vidos.id/errors/credential-query-evaluation",
            "vidosType": "credential-query-evaluation",
            "title": "Credential query not satisfied",
            "detail": "The credential does not contain all the requested attributes.",
            "errors": [{"detail": "Requested claims were missing from the credential."}],
        },
    ),
}


def present(
    authorization_id: str,
    choice: WalletChoice,
    identity: TestIdentity | None = None,
    fmt: CredentialFormat | None = None,
) -> str:
    """Answer an authorization as the wallet would; returns the single-use response code."""
    request = wallet_request(authorization_id)
    if request is None or not request.open:
        raise AuthorizerRefused("this request is no longer open")
    code = secrets.token_urlsafe(24)
    now = utcnow()
    values: dict[str, Any] = {
        "response_code_hash": sha256_hex(code),
        "response_code_expires_at": now + RESPONSE_CODE_TTL,
    }
    if choice == "share":
        if identity is None or fmt not in request.claims_by_format:
            raise AuthorizerRefused("pick an identity and one of the requested formats")
        claims = identity.disclose(request.claims_by_format[fmt], fmt)
        values.update(status="authorized", credentials=[credential_envelope(fmt, claims)])
    else:
        status, error = _FAILURES[choice]
        policy = "wallet-response" if choice == "decline" else error["vidosType"]
        values.update(
            status=status,
            policy_response=[
                {"path": [], "policy": policy, "service": "authorizer", "error": error}
            ],
        )
    with write_transaction() as session:
        changed = session.execute(
            update(SandboxAuthorization)
            .where(
                SandboxAuthorization.id == authorization_id,
                SandboxAuthorization.status == "created",
            )
            .values(**values)
        ).rowcount  # type: ignore[attr-defined]
    if not changed:
        raise AuthorizerRefused("this request is no longer open")
    return code
