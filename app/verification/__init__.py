"""Identity verification: one `Authorizer` interface, a Vidos client and a sandbox."""

from __future__ import annotations

from typing import cast

from flask import current_app

from ..config import Settings
from .base import (
    Authorizer,
    AuthorizerError,
    AuthorizerRefused,
    AuthorizerUnavailable,
    CreatedAuthorization,
    PresentationRequest,
    ResolvedCode,
    ResponseCodeNotFound,
    StatusResult,
)

__all__ = [
    "Authorizer",
    "AuthorizerError",
    "AuthorizerRefused",
    "AuthorizerUnavailable",
    "CreatedAuthorization",
    "PresentationRequest",
    "ResolvedCode",
    "ResponseCodeNotFound",
    "StatusResult",
    "build_authorizer",
    "current_authorizer",
]


def build_authorizer(settings: Settings) -> Authorizer:
    if settings.authorizer == "vidos" and settings.vidos_authorizer_url:
        from .vidos import VidosAuthorizer

        return VidosAuthorizer(settings.vidos_authorizer_url, settings.vidos_api_key)
    from .sandbox.authorizer import SandboxAuthorizer

    return SandboxAuthorizer(settings.public_base_url)


def current_authorizer() -> Authorizer:
    return cast(Authorizer, current_app.extensions["demobank.authorizer"])
