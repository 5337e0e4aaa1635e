"""The parameters of an authorization response (OpenID4VP 1.0 sections 8.1, 8.2, 8.3.1, 8.5,
Appendix A.4), type-checked before anything looks at the presentations inside.

With `direct_post.jwt` the form carries one `response` parameter (the JWE); the DC API's
`data` object for `dc_api.jwt` does the same. A wallet that cannot encrypt may still send an
error response in the clear (8.3.1); an unencrypted `vp_token` is refused, as the request
asked for encryption. After decryption (response_crypto.decrypt_response) the payload holds
the parameters as top-level members (8.3), read by `response_payload_parameters`.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from ..credentials.jose import strict_json
from .errors import ResponseParameterError
from .parameters import url_safe

__all__ = [
    "AuthorizationErrorResponse",
    "AuthorizationResponse",
    "ResponseParameterError",
    "encrypted_response_parameter",
    "response_payload_parameters",
]

MAX_CREDENTIAL_QUERIES = 16
MAX_PRESENTATIONS = 16  # per Credential Query (`multiple`, section 6.1)
MAX_ERROR_DESCRIPTION = 1024
# RFC 6749 section 4.1.2.1: `error` and `error_description` use %x20-21 / %x23-5B / %x5D-7E.
_ERROR_CHARACTERS = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")

Presentation = str | dict[str, Any]  # format specific (Appendix B): a string or an object


@dataclass(frozen=True)
class AuthorizationResponse:
    """Section 8.1: `vp_token` maps Credential Query ids to their presentations."""

    vp_token: dict[str, list[Presentation]]
    state: str | None = None


@dataclass(frozen=True)
class AuthorizationErrorResponse:
    """Section 8.5 (RFC 6749 section 4.1.2.1): e.g. `access_denied` when the user declined."""

    error: str
    error_description: str | None = None
    state: str | None = None


def _refuse(detail: str) -> ResponseParameterError:
    return ResponseParameterError(detail)


def _state(parameters: Mapping[str, Any]) -> str | None:
    state = parameters.get("state")
    if state is None:
        return None
    try:
        return url_safe(state, "state")  # section 5.2: the value the request carried
    except ValueError as exc:
        raise _refuse(str(exc)) from None


def _error_response(parameters: Mapping[str, Any]) -> AuthorizationErrorResponse:
    error = parameters["error"]
    if not isinstance(error, str) or len(error) > 128 or not _ERROR_CHARACTERS.fullmatch(error):
        raise _refuse("error is not an RFC 6749 error code")
    description = parameters.get("error_description")
    if description is not None and (
        not isinstance(description, str)
        or len(description) > MAX_ERROR_DESCRIPTION
        or not _ERROR_CHARACTERS.fullmatch(description)
    ):
        raise _refuse("error_description is not RFC 6749 text")
    return AuthorizationErrorResponse(error, description, _state(parameters))


def _vp_token(value: Any, credential_query_ids: Collection[str] | None) -> dict[str, Any]:
    if isinstance(value, str):  # form-encoded (section 8.2): the JSON object as a string
        try:
            value = strict_json(value.encode("utf-8"))
        except ValueError:
            raise _refuse("vp_token is not a JSON object") from None
    if not isinstance(value, dict):
        raise _refuse("vp_token is not a JSON object")
    if len(value) > MAX_CREDENTIAL_QUERIES:
        raise _refuse("vp_token answers too many credential queries")
    for query_id, presentations in value.items():
        if not query_id or (
            credential_query_ids is not None and query_id not in credential_query_ids
        ):
            raise _refuse(f"vp_token answers {query_id!r}, which was not asked for")
        if not isinstance(presentations, list) or not presentations:
            raise _refuse(f"vp_token {query_id!r} is not a non-empty array of presentations")
        if len(presentations) > MAX_PRESENTATIONS:
            raise _refuse(f"vp_token {query_id!r} holds too many presentations")
        for presentation in presentations:
            if not (isinstance(presentation, str) and presentation) and not isinstance(
                presentation, dict
            ):
                raise _refuse(f"a presentation for {query_id!r} is neither a string nor an object")
    return value


def response_payload_parameters(
    payload: Mapping[str, Any], *, credential_query_ids: Collection[str] | None = None
) -> AuthorizationResponse | AuthorizationErrorResponse:
    """The response (8.1) or error response (8.5) in a decrypted payload or a direct_post form.

    `credential_query_ids`, if given, are the ids of the request's DCQL query: vp_token keys
    must be among them (section 8.1). Unknown parameters (`iss`, ...) are ignored (8.1).
    Whether `state` matches the request is the caller's check.
    """
    if "error" in payload:
        if "vp_token" in payload:
            raise _refuse("the response has both an error and a vp_token")
        return _error_response(payload)
    if "vp_token" not in payload:
        raise _refuse("the response has neither a vp_token nor an error")
    vp_token = _vp_token(payload["vp_token"], credential_query_ids)
    return AuthorizationResponse(vp_token=vp_token, state=_state(payload))


def encrypted_response_parameter(
    parameters: Mapping[str, Any],
) -> str | AuthorizationErrorResponse:
    """The JWE of a `direct_post.jwt` form (8.3.1) or a `dc_api.jwt` data object (A.2, A.4),
    or the error response a wallet that could not encrypt sent in the clear (8.3.1)."""
    if "response" in parameters:
        response = parameters["response"]
        if not isinstance(response, str) or not response:
            raise _refuse("response is not a string")
        if "vp_token" in parameters or "error" in parameters:
            raise _refuse("the response parameter comes with other response parameters")
        return response
    if "vp_token" in parameters:
        raise _refuse("an unencrypted vp_token was sent, but the request asked for encryption")
    if "error" in parameters:
        return _error_response(parameters)
    raise _refuse("neither an encrypted response nor an error was sent")
