"""What the bank's own verifier keeps per authorization request, in the database so that
any worker can serve the request object, decrypt the wallet's answer and report status."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import TypeAdapter
from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ...db_types import UTCDateTime, ValidatedJSON, utcnow
from ...extensions import Model
from ...housekeeping import register_table
from ...models import new_uuid

VerifierStatus = Literal["created", "authorized", "rejected", "error"]
ResponseMode = Literal["direct_post.jwt", "dc_api.jwt"]
_OBJECT = TypeAdapter(dict[str, Any])
_OBJECTS = TypeAdapter(list[dict[str, Any]])


class VerifierRequest(Model):
    __tablename__ = "verifier_requests"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    status: Mapped[VerifierStatus] = mapped_column(String(16), default="created")
    response_mode: Mapped[ResponseMode] = mapped_column(String(16))
    # The request object's claims as signed (dcql_query, nonce, client_metadata, ...).
    request: Mapped[dict[str, Any]] = mapped_column(
        ValidatedJSON(_OBJECT, "verifier_requests.request")
    )
    request_object: Mapped[str] = mapped_column(Text)
    client_id: Mapped[str] = mapped_column(String(255))
    nonce: Mapped[str] = mapped_column(String(64))
    # direct_post.jwt only (DC API responses carry no state, OpenID4VP A.2)
    state: Mapped[str | None] = mapped_column(String(64), unique=True)
    origin: Mapped[str | None] = mapped_column(String(255))  # dc_api.jwt: expected origin
    # The ephemeral response-encryption key: found by the JWE's kid, erased once answered.
    encryption_kid: Mapped[str] = mapped_column(String(64), unique=True)
    encryption_key: Mapped[dict[str, Any] | None] = mapped_column(
        ValidatedJSON(_OBJECT, "verifier_requests.encryption_key")
    )
    # What the wallet sent (kept so `flask demobank presentation` can re-verify it) and what
    # the verifier decided, shaped like the Vidos answers so the bank reads both alike.
    vp_token: Mapped[dict[str, Any] | None] = mapped_column(
        ValidatedJSON(_OBJECT, "verifier_requests.vp_token")
    )
    credentials: Mapped[list[dict[str, Any]] | None] = mapped_column(
        ValidatedJSON(_OBJECTS, "verifier_requests.credentials")
    )
    policy_response: Mapped[list[dict[str, Any]] | None] = mapped_column(
        ValidatedJSON(_OBJECTS, "verifier_requests.policy_response")
    )
    response_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    response_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_code_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def encryption_public_jwk(self) -> dict[str, Any]:
        """The key the wallet encrypts its answer to, as the signed request offers it."""
        return dict(self.request["client_metadata"]["jwks"]["keys"][0])


def is_open(row: VerifierRequest, now: datetime) -> bool:
    """Not answered yet and not expired."""
    return row.status == "created" and row.expires_at > now


register_table(VerifierRequest, stale_after=VerifierRequest.expires_at)
