"""Column types shared by the models: aware UTC timestamps and pydantic-checked JSON."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from pydantic import ValidationError
from sqlalchemy import JSON, DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator


def utcnow() -> datetime:
    return datetime.now(UTC)


class StoredDataError(Exception):
    """A JSON value in the database does not match its schema."""


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC on both engines.

    SQLite has no time zone type, so values are stored as naive UTC there and made
    aware again when read; naive datetimes are refused on the way in.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime refused: use timezone-aware UTC")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONShape(Protocol):
    """What a JSON column needs of its pydantic shape (a `TypeAdapter` has both)."""

    def validate_python(self, value: Any, /) -> Any: ...

    def dump_python(self, value: Any, /, *, mode: Literal["json", "python"] = ...) -> Any: ...


class ValidatedJSON(TypeDecorator[Any]):
    """A JSON column whose value is validated by a pydantic type on write and on read."""

    impl = JSON
    cache_ok = False

    def __init__(self, adapter: JSONShape, label: str) -> None:
        super().__init__()
        self.adapter = adapter
        self.label = label

    def _validate(self, value: Any, direction: str) -> Any:
        try:
            return self.adapter.validate_python(value)
        except ValidationError as exc:
            raise StoredDataError(f"{self.label}: invalid value {direction}: {exc}") from exc

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self.adapter.dump_python(self._validate(value, "on write"), mode="json")

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        return self._validate(value, "on read")
