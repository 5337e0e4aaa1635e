"""Identity verification: one `Authorizer` interface, a Vidos client and the bank's own
OpenID4VP verifier (with the demo wallet, the sandbox)."""

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
    from .local.setup import local_authorizer

    return local_authorizer(settings)


def current_authorizer() -> Authorizer:
    return cast(Authorizer, current_app.extensions["demobank.authorizer"])
