"""State of the sandbox authorizer, in the database so every worker sees the same."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import TypeAdapter
from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from ...db_types import UTCDateTime, ValidatedJSON, utcnow
from ...extensions import Model
from ...housekeeping import register_table
from ...models import new_uuid

SandboxStatus = Literal["created", "authorized", "rejected", "error"]
_OBJECT = TypeAdapter(dict[str, Any])
_OBJECTS = TypeAdapter(list[dict[str, Any]])


class SandboxAuthorization(Model):
    __tablename__ = "sandbox_authorizations"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    status: Mapped[SandboxStatus] = mapped_column(String(16), default="created")
    request: Mapped[dict[str, Any]] = mapped_column(
        ValidatedJSON(_OBJECT, "sandbox_authorizations.request")
    )
    credentials: Mapped[list[dict[str, Any]] | None] = mapped_column(
        ValidatedJSON(_OBJECTS, "sandbox_authorizations.credentials")
    )
    policy_response: Mapped[list[dict[str, Any]] | None] = mapped_column(
        ValidatedJSON(_OBJECTS, "sandbox_authorizations.policy_response")
    )
    response_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    response_code_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    response_code_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


register_table(SandboxAuthorization)
