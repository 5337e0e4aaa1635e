"""The demo wallet: shows a request like a phone wallet and answers it."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from flask import abort, redirect, render_template, url_for
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import SelectField, StringField, SubmitField
from wtforms.validators import Length, Optional, Regexp, ValidationError

from ...money import format_cents, parse_amount
from ...schemas import CredentialFormat
from ..base import AuthorizerRefused
from ..pid import PID_ATTRIBUTES
from . import bp
from .authorizer import WalletRequest, present, wallet_request
from .identities import BUILT_IN_IDENTITIES, IDENTITIES_BY_KEY, TestIdentity

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
        missing = [
            f
            for f in (self.given_name, self.family_name, self.personal_administrative_number)
            if not (f.data or "").strip()
        ]
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


@bp.route("/wallet/<authorization_id>", methods=["GET", "POST"])
def wallet(authorization_id: str) -> str | Response:
    request = wallet_request(authorization_id)
    if request is None:
        abort(404)
    if request.open and _withdrawn_by_the_bank(authorization_id):
        request = replace(request, open=False)
    form = _form_for(request)
    error = None
    if request.open and form.is_submitted():
        try:
            code = _answer(request, form)
        except AuthorizerRefused as exc:
            error = str(exc).capitalize() + "."
        else:
            if code is not None:
                return redirect(url_for("flows.callback", response_code=code), 303)
    selected = IDENTITIES_BY_KEY.get(form.identity.data or "")
    attributes = {
        fmt: [PID_ATTRIBUTES[a].display_name for a in ids]
        for fmt, ids in request.claims_by_format.items()
    }
    return render_template(
        "sandbox/wallet.html",
        ask=request,
        form=form,
        error=error,
        identities=BUILT_IN_IDENTITIES,
        selected=selected,
        custom=form.identity.data == CUSTOM,
        attributes=attributes,
        format_labels=FORMAT_LABELS,
        transaction_summary=_transaction_summary(request),
    )


def _withdrawn_by_the_bank(authorization_id: str) -> bool:
    """The bank finished its request (the person pressed Cancel, or it expired): a real
    wallet would still answer, but nothing could complete it, so the demo says so."""
    from ...flows.requests import get_by_authorization_id

    pending = get_by_authorization_id(authorization_id)
    return pending is not None and pending.status != "pending"


def _answer(request: WalletRequest, form: WalletForm) -> str | None:
    """The response code, or None when the form needs correcting."""
    if form.show.data:
        return None
    if form.decline.data:  # CSRFProtect has already checked the token of every POST
        return present(request.authorization_id, "decline")
    if not form.validate():
        return None
    if form.outcome.data in ("untrusted", "incomplete"):
        return present(request.authorization_id, form.outcome.data)
    if form.identity.data == CUSTOM:
        identity = form.custom_identity()
    else:
        identity = IDENTITIES_BY_KEY.get(form.identity.data or "")
    if identity is None:
        return None
    fmt: CredentialFormat = "mdoc" if form.credential_format.data == "mdoc" else "sd-jwt"
    return present(request.authorization_id, "share", identity, fmt)
