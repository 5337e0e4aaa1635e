"""The demo wallet: shows a request like a phone wallet and answers it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request
from flask import Response as FlaskResponse
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from ...db_types import utcnow
from ...extensions import db, limiter
from ...money import format_cents, parse_amount
from ...schemas import CredentialFormat
from ..oid4vp.errors import RequestObjectError
from ..oid4vp.request_object import parse_authorization_link
from ..oid4vp.response_crypto import jwk_thumbprint
from ..pid import PID_ATTRIBUTES, claims_from_dcql, decode_transaction_data
from .holder import HolderError, Simulation, build_vp_token
from .identities import BUILT_IN_IDENTITIES, IDENTITIES_BY_KEY, TestIdentity
from .pki import sandbox_pki
from .wallet_client import (
    CheckedRequest,
    RequestClosed,
    RequestUnknown,
    WalletProblem,
    fetch_request,
    send_answer,
)

bp = Blueprint("sandbox", __name__, url_prefix="/sandbox")
FORMAT_LABELS: dict[CredentialFormat, str] = {"sd-jwt": "SD-JWT", "mdoc": "mdoc"}
CUSTOM = "custom"
_TEXT = [Optional(), Length(max=100)]


class WalletForm(FlaskForm):  # type: ignore[misc]
    identity = SelectField("Identity")
    given_name = StringField("Given name", validators=_TEXT)
    family_name = StringField("Family name", validators=_TEXT)
    birth_date = StringField(
        "Date of birth",
        validators=[Optional(), Regexp(r"^\d{4}-\d{2}-\d{2}$", message="Use YYYY-MM-DD.")],
    )
    nationality = StringField(
        "Nationality",
        validators=[Optional(), Regexp(r"^[A-Z]{2}$", message="Two letters, like DE.")],
        filters=[lambda value: value.strip().upper() if isinstance(value, str) else value],
    )
    personal_administrative_number = StringField(
        "Personal administrative number", validators=[Optional(), Length(min=3, max=64)]
    )
    credential_format = SelectField("Credential format")
    outcome = SelectField(
        "Credential to present",
        choices=[
            ("valid", "A valid PID (normal case)"),
            ("untrusted", "Simulate: issuer not trusted"),
            ("incomplete", "Simulate: credential missing requested attributes"),
            ("tampered", "Simulate: credential changed after issuance"),
            ("replayed", "Simulate: answer made for an earlier request"),
        ],
        default="valid",
    )
    share = SubmitField("Share")
    decline = SubmitField("Decline")
    show = SubmitField("Show")  # without JavaScript: show the chosen identity and format

    def validate_birth_date(self, field: StringField) -> None:
        if field.data:
            try:
                date.fromisoformat(field.data)
            except ValueError:
                raise ValidationError("Not a real date.") from None

    def custom_identity(self) -> TestIdentity | None:
        """The typed-in identity, or None with field errors set."""
        # the attributes every PID carries (PID rulebook v1.7, section 2.2: mandatory)
        required = (
            self.given_name,
            self.family_name,
            self.birth_date,
            self.nationality,
            self.personal_administrative_number,
        )
        missing = [f for f in required if not (f.data or "").strip()]
        for f in missing:
            f.errors = [*f.errors, "Required for a custom identity."]
        if missing:
            return None
        return TestIdentity(
            key=CUSTOM,
            given_name=self.given_name.data.strip(),
            family_name=self.family_name.data.strip(),
            birth_date=self.birth_date.data or "",
            nationalities=(self.nationality.data,) if self.nationality.data else (),
            personal_administrative_number=self.personal_administrative_number.data.strip(),
        )


SIMULATED_OUTCOMES: dict[str, Simulation] = {  # the form's choices -> what the holder fakes
    "untrusted": "untrusted",
    "incomplete": "withheld",
    "tampered": "tampered",
    "replayed": "replayed",
}


@dataclass(frozen=True)
class WalletRequest:
    """What the demo wallet shows the holder about a verified request."""

    verifier_name: str
    purpose: str
    claims_by_format: dict[CredentialFormat, list[str]]
    transaction: dict[str, Any] | None
    verifier_info: list[str]
    open: bool = True


def _shown(checked: CheckedRequest) -> WalletRequest:
    claims = checked.claims
    claims_by_format, purpose = claims_from_dcql(claims.get("dcql_query", {}))
    transactions = [decode_transaction_data(t) for t in claims.get("transaction_data", [])]
    verifier_info = [
        str(v.get("data")) for v in claims.get("verifier_info", []) if isinstance(v, dict)
    ]
    return WalletRequest(
        verifier_name=str(claims.get("client_metadata", {}).get("client_name") or "A verifier"),
        purpose=purpose,
        claims_by_format=claims_by_format,
        transaction=transactions[0] if transactions else None,
        verifier_info=verifier_info,
    )


_CLOSED = WalletRequest("Demo Bank", "", {}, None, [], open=False)


def _form_for(request: WalletRequest) -> WalletForm:
    form = WalletForm()
    form.identity.choices = [(i.key, i.label) for i in BUILT_IN_IDENTITIES] + [
        (CUSTOM, "Custom identity (type it in)")
    ]
    if not form.identity.data or form.identity.data == "None":
        form.identity.data = BUILT_IN_IDENTITIES[0].key
    form.credential_format.choices = [(f, FORMAT_LABELS[f]) for f in request.claims_by_format]
    if form.credential_format.data not in request.claims_by_format:
        form.credential_format.data = next(iter(request.claims_by_format), None)
    return form


def _transaction_summary(request: WalletRequest) -> str | None:
    data = request.transaction
    if not data:
        return None
    try:
        amount = format_cents(parse_amount(str(data.get("amount", ""))))
    except ValueError:
        amount = str(data.get("amount", ""))
    if data.get("type") == "payment":
        return f"Pay {amount} to {data.get('recipient', '')}"
    if data.get("type") == "loan_application":
        return f"Apply for a loan of {amount} ({data.get('purpose', '')}, {data.get('term', '')})"
    return None


@bp.route("/wallet/<authorization_id>")
def wallet_by_id(authorization_id: str) -> Response:
    """The short link of the QR code and "Open wallet on this device": the wallet's page
    for the request's client id and request URI."""
    authorizer = current_app.extensions["demobank.authorizer"]
    return redirect(authorizer.demo_wallet_link(authorization_id), 303)


@bp.route("/wallet", methods=["GET", "POST"])
@limiter.limit(lambda: str(current_app.extensions["demobank.settings"].ratelimit_verifier))
def wallet() -> str | Response:
    """The wallet's screen for an `openid4vp://` request (client_id and request_uri, 5.10).

    It holds no database work: like a phone wallet it learns everything over HTTP. Each
    view makes the verifier sign, and a Share makes it verify, so the page is limited per
    visitor's address as the verifier's own endpoints are (whose limit its calls skip)."""
    try:
        link = parse_authorization_link(request.url)
    except RequestObjectError:
        abort(404)
    db.session.close()  # the bank's endpoints it calls may run in this very process
    error = None
    try:
        checked = fetch_request(link.client_id, link.request_uri)
    except RequestUnknown:
        abort(404)
    except RequestClosed:
        return _render(_CLOSED, None)
    except WalletProblem as exc:
        return _render(_CLOSED, str(exc))
    ask = _shown(checked)
    form = _form_for(ask)
    if form.is_submitted():
        try:
            redirect_uri = _answer(checked, form)
        except WalletProblem as exc:
            error = str(exc)
        else:
            if redirect_uri is not None:
                return redirect(redirect_uri, 303)
    return _render(ask, error, form)


def _render(ask: WalletRequest, error: str | None, form: WalletForm | None = None) -> str:
    form = form or _form_for(ask)
    selected = IDENTITIES_BY_KEY.get(form.identity.data or "")
    attributes = {
        fmt: [PID_ATTRIBUTES[a].display_name for a in ids]
        for fmt, ids in ask.claims_by_format.items()
    }
    return render_template(
        "sandbox/wallet.html",
        ask=ask,
        form=form,
        error=error,
        identities=BUILT_IN_IDENTITIES,
        selected=selected,
        custom=form.identity.data == CUSTOM,
        attributes=attributes,
        format_labels=FORMAT_LABELS,
        transaction_summary=_transaction_summary(ask),
    )


def _answer(checked: CheckedRequest, form: WalletForm) -> str | None:
    """The verifier's redirect_uri, or None when the form needs correcting."""
    state = checked.claims.get("state")
    if form.show.data:
        return None
    if form.decline.data:  # CSRFProtect has already checked the token of every POST
        return send_answer(checked, {"error": "access_denied", "state": state})
    if not form.validate():
        return None
    if form.identity.data == CUSTOM:
        identity = form.custom_identity()
    else:
        identity = IDENTITIES_BY_KEY.get(form.identity.data or "")
    if identity is None:
        return None
    fmt: CredentialFormat = "mdoc" if form.credential_format.data == "mdoc" else "sd-jwt"
    simulation = SIMULATED_OUTCOMES.get(form.outcome.data or "")
    vp_token = _presentation(checked, identity, fmt, simulation)
    return send_answer(checked, {"vp_token": vp_token, "state": state})


def _presentation(
    checked: CheckedRequest,
    identity: TestIdentity,
    fmt: CredentialFormat,
    simulation: Simulation | None,
) -> dict[str, list[str]]:
    settings = current_app.extensions["demobank.settings"]
    try:
        return build_vp_token(
            checked.claims,
            identity=identity,
            fmt=fmt,
            secret=settings.secret_key,
            issuer=f"{settings.public_base_url}/sandbox/pid-provider",
            jwk_thumbprint=jwk_thumbprint(checked.encryption_jwk),
            simulation=simulation,
            now=utcnow(),
        )
    except HolderError as exc:
        raise WalletProblem(str(exc)) from None


@bp.get("/trust/issuer-ca.pem")
def issuer_ca() -> Response:
    """The sandbox PID provider's CA, for anyone re-verifying a sandbox presentation."""
    pem = sandbox_pki(current_app.extensions["demobank.settings"].secret_key).ca_pem
    return FlaskResponse(pem, content_type="application/x-pem-file")
