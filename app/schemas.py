"""Pydantic shapes of every JSON column, checked on write and on read."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

CredentialFormat = Literal["sd-jwt", "mdoc"]
PresentationMode = Literal["direct_post", "dc_api"]
FlowType = Literal["signup", "signin", "payment", "loan", "profile_update"]
FLOW_TYPES: tuple[FlowType, ...] = ("signup", "signin", "payment", "loan", "profile_update")
ShortText = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Presentation(Strict):
    """What the authorizer handed back for the wallet: a URL or a DC API request."""

    authorize_url: str | None = None
    dc_api_request: dict[str, Any] | None = None


class _RequestMetaBase(Strict):
    credential_formats: list[CredentialFormat] = Field(min_length=1, max_length=2)
    presentation: Presentation = Presentation()


class SignupMeta(_RequestMetaBase):
    kind: Literal["signup"] = "signup"


class SigninMeta(_RequestMetaBase):
    kind: Literal["signin"] = "signin"


class PaymentMeta(_RequestMetaBase):
    kind: Literal["payment"] = "payment"
    transaction_id: Annotated[str, Field(min_length=1, max_length=64)]
    recipient: Annotated[str, Field(min_length=1, max_length=100)]
    amount_cents: Annotated[int, Field(gt=0, le=100_000_000)]
    reference: ShortText = ""


class LoanMeta(_RequestMetaBase):
    kind: Literal["loan"] = "loan"
    amount_cents: Annotated[int, Field(gt=0)]
    purpose: Annotated[str, Field(min_length=1, max_length=50)]
    term_months: Annotated[int, Field(gt=0, le=120)]


class ProfileUpdateMeta(_RequestMetaBase):
    kind: Literal["profile_update"] = "profile_update"
    requested_claims: list[str] = Field(min_length=1, max_length=7)


RequestMeta = Annotated[
    SignupMeta | SigninMeta | PaymentMeta | LoanMeta | ProfileUpdateMeta,
    Field(discriminator="kind"),
]
REQUEST_META = TypeAdapter[RequestMeta](RequestMeta)


class ErrorInfo(Strict):
    error_type: str
    title: str
    detail: str
    details: list[str] = []
    policy: str | None = None


ResultStatus = Literal["authorized", "expired", "not_found", "account_exists", "rejected", "error"]


class FlowResult(Strict):
    status: ResultStatus
    claims: dict[str, Any] | None = None
    error: str | None = None
    error_info: ErrorInfo | None = None
    updated_fields: list[str] = []
    loan_reference: str | None = None


FLOW_RESULT = TypeAdapter(FlowResult)


class SeededMeta(Strict):
    kind: Literal["seeded"] = "seeded"


class PaymentActivityMeta(Strict):
    kind: Literal["payment"] = "payment"
    recipient: str
    reference: str = ""
    transaction_id: str


class LoanActivityMeta(Strict):
    kind: Literal["loan"] = "loan"
    amount_cents: int
    purpose: str
    term_months: int
    loan_reference: str


ActivityMeta = Annotated[
    SeededMeta | PaymentActivityMeta | LoanActivityMeta, Field(discriminator="kind")
]
ACTIVITY_META = TypeAdapter[ActivityMeta](ActivityMeta)
FORMATS_LIST = TypeAdapter(list[CredentialFormat])
