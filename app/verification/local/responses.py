"""What the local verifier does with a wallet's answer (OpenID4VP 1.0 sections 8.2, 8.3,
8.5, Appendix A.4): decrypt it with the request's own key, check `state`, verify the
presentations, and record the decision exactly once.

Two kinds of failure, on purpose:
- the answer is not one for this request (unknown or answered request, undecryptable or
  malformed body, wrong state, a presentation bound to another nonce, audience or session
  transcript): `ResponseRefused`, answered with 400 and an OAuth error, and nothing changes;
  the request stays open for the wallet's real answer;
- the answer is for this request but does not count (untrusted issuer, a changed
  credential, expired, missing claims, transaction not confirmed): the request ends
  `rejected` with the verifier's reasons, which the bank shows the person.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from ...database import write_transaction
from ...db_types import utcnow
from ...extensions import db
from ...hashing import sha256_hex
from ..base import AuthorizerRefused, FinalStatus
from ..credentials.errors import PresentationError
from ..credentials.session_transcript import (
    dc_api_session_transcript,
    redirect_session_transcript,
)
from ..credentials.vp_token import (
    PresentationContext,
    policy_response,
    verify_vp_token,
    vidos_credentials,
)
from ..oid4vp.errors import OpenID4VPError
from ..oid4vp.parameters import DC_API_JWT, DIRECT_POST_JWT, ORIGIN_PREFIX, credential_query_ids
from ..oid4vp.response import (
    AuthorizationErrorResponse,
    AuthorizationResponse,
    encrypted_response_parameter,
    response_payload_parameters,
)
from ..oid4vp.response_crypto import decrypt_response, jwe_key_id, jwk_thumbprint
from .models import VerifierRequest, VerifierStatus
from .settings import LocalVerifierSettings

RESPONSE_CODE_TTL = timedelta(minutes=5)


class ResponseRefused(Exception):
    """An answer the response endpoint refuses with 400 (section 8.2, RFC 6749 5.2)."""

    def __init__(self, description: str, error: str = "invalid_request") -> None:
        super().__init__(description)
        self.error = error
        self.description = description


def _open_row(
    verifier: LocalVerifierSettings, row: VerifierRequest | None, now: datetime
) -> VerifierRequest:
    if row is None:
        raise ResponseRefused("no request of this verifier matches the response")
    if not verifier.wants_an_answer(row, now):
        raise ResponseRefused("the request was answered, cancelled or has expired")
    return row


def _decrypt(
    row: VerifierRequest, token: str
) -> AuthorizationResponse | AuthorizationErrorResponse:
    if row.encryption_key is None:
        raise ResponseRefused("the request was already answered")
    try:
        payload = decrypt_response(token, row.encryption_key)
        return response_payload_parameters(
            payload, credential_query_ids=credential_query_ids(row.request["dcql_query"])
        )
    except OpenID4VPError as exc:
        raise ResponseRefused(exc.detail) from None


def _declined(error: AuthorizationErrorResponse) -> tuple[VerifierStatus, dict[str, Any]]:
    """Section 8.5: `access_denied` is the person declining; any other code is the wallet
    refusing the request."""
    if error.error == "access_denied":
        info: dict[str, Any] = {
            "type": "https://vidos.id/errors/access-denied",
            "vidosType": "access-denied",
            "title": "Request declined",
            "detail": "You declined to share your PID with Demo Bank.",
        }
        return "rejected", {"path": [], "policy": "wallet-response", "error": info}
    info = {
        "type": "https://vidos.id/errors/wallet-error",
        "vidosType": "wallet-error",
        "title": "The wallet refused the request",
        "detail": f"The wallet answered with the error {error.error!r}.",
        "errors": [{"detail": error.error_description}] if error.error_description else [],
    }
    return "error", {"path": [], "policy": "wallet-response", "error": info}


def _decide(
    row: VerifierRequest,
    response: AuthorizationResponse,
    context: PresentationContext,
    refuse_holder_binding: bool,
) -> dict[str, Any]:
    """The column values of the decision on a vp_token."""
    values: dict[str, Any] = {"vp_token": response.vp_token}
    try:
        presented = verify_vp_token(response.vp_token, row.request["dcql_query"], context)
    except PresentationError as exc:
        if refuse_holder_binding and exc.error_type == "holder-binding":
            detail = f"the presentation is not bound to this request: {exc.detail}"
            raise ResponseRefused(detail) from None
        values.update(status="rejected", policy_response=policy_response(exc))
        return values
    values.update(status="authorized", credentials=vidos_credentials(presented))
    return values


def _finish(row_id: str, values: dict[str, Any], now: datetime) -> str:
    """Record the decision if the request is still open; the single-use response code."""
    code = secrets.token_urlsafe(24)
    values.update(
        encryption_key=None,  # the request can never be answered again
        responded_at=now,
        response_code_hash=sha256_hex(code),
        response_code_expires_at=now + RESPONSE_CODE_TTL,
    )
    with write_transaction() as session:
        changed = session.execute(
            update(VerifierRequest)
            .where(
                VerifierRequest.id == row_id,
                VerifierRequest.status == "created",
                VerifierRequest.expires_at > now,
            )
            .values(**values)
        ).rowcount  # type: ignore[attr-defined]
    if not changed:  # another answer got there first
        raise ResponseRefused("the request was already answered or has expired")
    return code


def _context(
    verifier: LocalVerifierSettings,
    row: VerifierRequest,
    audience: str,
    transcript: bytes,
    now: datetime,
) -> PresentationContext:
    return PresentationContext(
        nonce=row.nonce,
        audience=audience,
        session_transcript=transcript,
        transaction_data=list(row.request.get("transaction_data") or []),
        trust_anchors=verifier.trust_anchors,
        now=now,
    )


def receive_direct_post(verifier: LocalVerifierSettings, form: Mapping[str, str]) -> str:
    """The `redirect_uri` for the wallet (8.2) once the answer is recorded."""
    now = utcnow()
    try:
        token = encrypted_response_parameter(form)
    except OpenID4VPError as exc:
        raise ResponseRefused(exc.detail) from None
    if isinstance(token, AuthorizationErrorResponse):  # sent in the clear (8.3.1)
        if token.state is None:
            raise ResponseRefused("an error response without state matches no request")
        row = _open_row(verifier, _find(VerifierRequest.state, token.state), now)
        response: AuthorizationResponse | AuthorizationErrorResponse = token
    else:
        try:
            kid = jwe_key_id(token)
        except OpenID4VPError as exc:
            raise ResponseRefused(exc.detail) from None
        row = _open_row(verifier, _find(VerifierRequest.encryption_kid, kid) if kid else None, now)
        if row.response_mode != DIRECT_POST_JWT:
            raise ResponseRefused("this request is answered over the Digital Credentials API")
        response = _decrypt(row, token)
        if response.state != row.state:
            raise ResponseRefused("the state does not match the request")
    row_id = row.id
    if isinstance(response, AuthorizationErrorResponse):
        status, item = _declined(response)
        values: dict[str, Any] = {"status": status, "policy_response": [item]}
    else:
        transcript = redirect_session_transcript(
            row.client_id,
            row.nonce,
            jwk_thumbprint(row.encryption_public_jwk),
            row.request["response_uri"],  # as signed, even if the site's address changed since
        )
        context = _context(verifier, row, row.client_id, transcript, now)
        values = _decide(row, response, context, refuse_holder_binding=True)
    db.session.rollback()  # end the read before the write transaction
    code = _finish(row_id, values, now)
    return f"{verifier.public_base_url}/callback?response_code={code}"


def _find(column: Any, value: str) -> VerifierRequest | None:
    return db.session.scalar(select(VerifierRequest).where(column == value))


def receive_dc_api_response(
    verifier: LocalVerifierSettings, request_id: str, origin: str, data: str | dict[str, Any]
) -> FinalStatus:
    """Appendix A.4: the browser hands over the wallet's answer; `origin` is the page's."""
    now = utcnow()
    row = db.session.get(VerifierRequest, request_id)
    try:
        row = _open_row(verifier, row, now)
        if row.response_mode != DC_API_JWT or origin != row.origin:
            raise ResponseRefused("the answer does not come from the request's origin")
        parameters = data if isinstance(data, dict) else {"response": data}
        token = encrypted_response_parameter(parameters)
        response = token if isinstance(token, AuthorizationErrorResponse) else _decrypt(row, token)
    except (ResponseRefused, OpenID4VPError) as exc:
        raise AuthorizerRefused(str(exc)) from None
    if isinstance(response, AuthorizationErrorResponse):
        status, item = _declined(response)
        values: dict[str, Any] = {"status": status, "policy_response": [item]}
    else:
        transcript = dc_api_session_transcript(
            origin, row.nonce, jwk_thumbprint(row.encryption_public_jwk)
        )
        # B.3.6 / A.4: over the DC API the audience is the origin, not the client id
        context = _context(verifier, row, ORIGIN_PREFIX + origin, transcript, now)
        values = _decide(row, response, context, refuse_holder_binding=False)
    row_id = row.id
    db.session.rollback()
    try:
        _finish(row_id, values, now)
    except ResponseRefused as exc:
        raise AuthorizerRefused(str(exc)) from None
    finals: dict[str, FinalStatus] = {"authorized": "authorized", "rejected": "rejected"}
    return finals.get(str(values["status"]), "error")
