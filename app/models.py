"""Database models (SQLAlchemy 2.0 typed mappings). Schema changes go through migrations."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .db_types import UTCDateTime, ValidatedJSON, utcnow
from .extensions import Model
from .schemas import (
    ACTIVITY_META,
    FLOW_RESULT,
    FORMATS_LIST,
    ActivityMeta,
    ActivityType,
    CredentialFormat,
    FlowMeta,
    FlowMetaColumn,
    FlowResult,
    FlowType,
    PresentationMode,
    RequestStatus,
)


def new_uuid() -> str:
    return str(uuid.uuid4())


class User(Model):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint("balance_cents >= 0", name="balance_not_negative"),
        CheckConstraint("pending_loans_total_cents >= 0", name="pending_loans_not_negative"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    identifier: Mapped[str] = mapped_column(String(200), unique=True)
    document_number: Mapped[str | None] = mapped_column(String(200))
    family_name: Mapped[str] = mapped_column(String(200))
    given_name: Mapped[str] = mapped_column(String(200))
    birth_date: Mapped[str] = mapped_column(String(32), default="")
    nationality: Mapped[str] = mapped_column(String(200), default="")
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(String(500))
    portrait: Mapped[str | None] = mapped_column(Text)
    balance_cents: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    pending_loans_total_cents: Mapped[int] = mapped_column(
        BigInteger, default=0, server_default="0"
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()


class LoginSession(Model):
    __tablename__ = "sessions"
    __table_args__ = (Index("ix_sessions_user_id_expires_at", "user_id", "expires_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mode: Mapped[PresentationMode] = mapped_column(String(16))
    credential_formats: Mapped[list[CredentialFormat]] = mapped_column(
        ValidatedJSON(FORMATS_LIST, "sessions.credential_formats")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # For the idle timeout; written at most once a minute (None: not seen since sign-in).
    last_seen_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class AdminSession(Model):
    """A signed-in operator of the admin page: the cookie holds a token, this its hash."""

    __tablename__ = "admin_sessions"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class MaintenanceRun(Model):
    """When a periodic job (pruning) last ran, so one worker runs it per period."""

    __tablename__ = "maintenance_runs"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    last_run_at: Mapped[datetime] = mapped_column(UTCDateTime)


class PendingAuthRequest(Model):
    """One wallet presentation a flow waits for, from start to its one final status."""

    __tablename__ = "pending_auth_requests"
    __table_args__ = (Index("ix_pending_auth_requests_status_expires_at", "status", "expires_at"),)

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    # The authorizer's id of this presentation (Vidos, or the sandbox's own).
    authorization_id: Mapped[str] = mapped_column(String(200), unique=True)
    type: Mapped[FlowType] = mapped_column(String(20))
    mode: Mapped[PresentationMode] = mapped_column(String(16))
    status: Mapped[RequestStatus] = mapped_column(
        String(16), default="pending", server_default="pending"
    )
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    browser_binding_hash: Mapped[str] = mapped_column(String(64))
    response_url: Mapped[str | None] = mapped_column(Text)
    # Also holds `kind` (the JSON validates on its own); code reads the flow from `type`.
    request_metadata: Mapped[FlowMeta] = mapped_column(
        "metadata", ValidatedJSON(FlowMetaColumn(), "pending_auth_requests.metadata")
    )
    result: Mapped[FlowResult | None] = mapped_column(
        ValidatedJSON(FLOW_RESULT, "pending_auth_requests.result")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # The wallet's response code (hashed) so a reload of the callback shows the same
    # outcome, and when the one login a sign-up or sign-in may give was used.
    response_code_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    login_issued_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class Activity(Model):
    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_user_id_created_at", "user_id", "created_at"),
        Index("ix_activities_user_id_type_created_at", "user_id", "type", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    type: Mapped[ActivityType] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(200))
    amount_cents: Mapped[int] = mapped_column(BigInteger)
    meta: Mapped[ActivityMeta] = mapped_column(ValidatedJSON(ACTIVITY_META, "activities.meta"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


# The demo data "reset" empties (operators' admin sessions and job times stay).
ALL_MODELS: tuple[type[Model], ...] = (Activity, PendingAuthRequest, LoginSession, User)
