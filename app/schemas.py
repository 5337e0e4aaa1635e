"""Pydantic shapes of every JSON column, checked on write and on read, and the small
vocabularies (Literals) the typed columns use."""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

CredentialFormat = Literal["sd-jwt", "mdoc"]
PresentationMode = Literal["direct_post", "dc_api"]
FlowType = Literal["signup", "signin", "payment", "loan", "profile_update"]
RequestStatus = Literal["pending", "completed", "failed", "expired"]
ActivityType = Literal["payment", "loan"]
ShortText = Annotated[str, Field(max_length=200)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Presentation(Strict):
    """What the authorizer handed back for the wallet: a URL or a DC API request."""

    authorize_url: str | None = None
    dc_api_request: dict[str, Any] | None = None


class FlowMeta(Strict):
    """What a verification request remembers about its flow (the `metadata` column).

    Each flow kind subclasses it with a `kind: Literal[...]` default; defining the subclass
    registers it, so the column can validate any registered kind.
    """

    by_kind: ClassVar[dict[str, type[FlowMeta]]] = {}

    kind: str
    credential_formats: list[CredentialFormat] = Field(min_length=1, max_length=2)
    presentation: Presentation = Presentation()

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        default = cls.model_fields["kind"].default
        if isinstance(default, str):
            FlowMeta.by_kind[default] = cls


class FlowMetaColumn:
    """Validates the `metadata` column with the model registered for its `kind`."""

    def validate_python(self, value: Any, /) -> FlowMeta:
        if isinstance(value, FlowMeta):
            value = value.model_dump()
        kind = value.get("kind") if isinstance(value, dict) else None
        model = FlowMeta.by_kind.get(kind) if isinstance(kind, str) else None
        if model is None:
            # Raised as pydantic's own error so ValidatedJSON reports it like any other.
            raise ValidationError.from_exception_data(
                "FlowMeta", [{"type": "missing", "loc": ("kind",), "input": value}]
            )
        return model.model_validate(value)

    def dump_python(self, value: Any, /, *, mode: Literal["json", "python"] = "python") -> Any:
        return value.model_dump(mode=mode)


class SignupMeta(FlowMeta):
    kind: Literal["signup"] = "signup"


class SigninMeta(FlowMeta):
    kind: Literal["signin"] = "signin"


class PaymentMeta(FlowMeta):
    kind: Literal["payment"] = "payment"
    transaction_id: Annotated[str, Field(min_length=1, max_length=64)]
    recipient: Annotated[str, Field(min_length=1, max_length=100)]
    amount_cents: Annotated[int, Field(gt=0, le=100_000_000)]
    reference: ShortText = ""


DEFAULT_LOAN_EXPOSURE_CENTS = 5_000_000  # EUR 50,000.00 (LOAN_EXPOSURE_LIMIT_EUR)


class LoanMeta(FlowMeta):
    kind: Literal["loan"] = "loan"
    amount_cents: Annotated[int, Field(gt=0)]
    purpose: Annotated[str, Field(min_length=1, max_length=50)]
    term_months: Annotated[int, Field(gt=0, le=120)]
    # The cap on pending loans in force when the person applied; completion enforces it.
    exposure_limit_cents: Annotated[int, Field(gt=0)] = DEFAULT_LOAN_EXPOSURE_CENTS


class ProfileUpdateMeta(FlowMeta):
    kind: Literal["profile_update"] = "profile_update"
    requested_claims: list[str] = Field(min_length=1, max_length=7)


class ErrorInfo(Strict):
    error_type: str
    title: str
    detail: str
    details: list[str] = []
    policy: str | None = None


ResultStatus = Literal["authorized", "expired", "not_found", "account_exists", "rejected", "error"]


class FlowResult(Strict):
    """How a request ended. Keeps only what a page shows: never birth data or numbers."""

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
