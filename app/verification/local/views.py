"""The verifier's two endpoints a wallet talks to (OpenID4VP 1.0 sections 5.10 and 8.2).

No session cookie or CSRF token: a wallet is another program. Each is rate-limited per
client address (RATELIMIT_VERIFIER; the sandbox's own demo wallet, which calls from this
server's address for every visitor, is not counted) and refuses bodies over 1 MB before
reading them.
"""

from __future__ import annotations

import hmac
from collections.abc import Callable
from typing import TypeVar, cast

from flask import Blueprint, abort, current_app, jsonify, request
from werkzeug.wrappers import Response

from ...db_types import utcnow
from ...extensions import csrf, db, limiter
from ..credentials.errors import PresentationError
from ..oid4vp.parameters import DIRECT_POST_JWT, REQUEST_OBJECT_MEDIA_TYPE
from ..oid4vp.request_object import request_uri_post_parameters, sign_request_object
from ..sandbox.pki import DEMO_WALLET_HEADER, demo_wallet_token
from .authorizer import LocalAuthorizer
from .models import VerifierRequest
from .responses import ResponseRefused, receive_direct_post

MAX_BODY_BYTES = 1024 * 1024

bp = Blueprint("oid4vp", __name__, url_prefix="/oid4vp")
csrf.exempt(bp)
View = TypeVar("View", bound=Callable[..., Response])


def _small_bodies(view: View) -> View:
    """Bodies over MAX_BODY_BYTES are refused (413) before anything reads them: the app's
    request hook applies a view's `max_content_length` first."""
    view.max_content_length = MAX_BODY_BYTES  # type: ignore[attr-defined]
    return view


def _rate_limit() -> str:
    return str(current_app.extensions["demobank.settings"].ratelimit_verifier)


def _from_the_demo_wallet() -> bool:
    """The sandbox's own wallet (see `pki.demo_wallet_token`): not limited per address."""
    settings = current_app.extensions["demobank.settings"]
    sent = request.headers.get(DEMO_WALLET_HEADER, "")
    return settings.demo_wallet and hmac.compare_digest(
        sent, demo_wallet_token(settings.secret_key)
    )


def _verifier() -> LocalAuthorizer:
    return cast(LocalAuthorizer, current_app.extensions["demobank.authorizer"])


def _oauth_error(description: str, error: str = "invalid_request", status: int = 400) -> Response:
    response = jsonify(error=error, error_description=description)
    response.status_code = status
    return response


@bp.route("/request/<request_id>", methods=["GET", "POST"])
@limiter.limit(_rate_limit, exempt_when=_from_the_demo_wallet)
@_small_bodies
def request_object(request_id: str) -> Response:
    """The signed request object of `request_uri` (5.10); with POST, re-signed with the
    wallet's `wallet_nonce` (5.10.1)."""
    verifier = _verifier()
    row = db.session.get(VerifierRequest, request_id)
    if row is None or row.response_mode != DIRECT_POST_JWT:
        abort(404)
    if not verifier.settings.wants_an_answer(row, utcnow()):
        return _oauth_error("the request was answered, cancelled or has expired", status=410)
    jwt = row.request_object
    if request.method == "POST":
        try:
            posted = request_uri_post_parameters(request.form.to_dict())
        except (ValueError, PresentationError) as exc:
            return _oauth_error(str(exc))
        if posted.wallet_nonce is not None:
            claims = {**row.request, "wallet_nonce": posted.wallet_nonce}
            jwt = sign_request_object(verifier.identity, claims=claims, now=utcnow())
    return Response(jwt, content_type=REQUEST_OBJECT_MEDIA_TYPE)


@bp.post("/response")
@limiter.limit(_rate_limit, exempt_when=_from_the_demo_wallet)
@_small_bodies
def response_endpoint() -> Response:
    """Section 8.2: the wallet POSTs its encrypted answer; it is told where to send the
    person next (the bank's callback with a single-use response code)."""
    try:
        redirect_uri = receive_direct_post(_verifier().settings, request.form.to_dict())
    except ResponseRefused as exc:
        current_app.logger.info("wallet response refused: %s", exc.description)
        return _oauth_error(exc.description, exc.error)
    return jsonify(redirect_uri=redirect_uri)
