"""Forms of the auth pages."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SubmitField

from ..schemas import CredentialFormat

FORMAT_CHOICES: dict[str, list[CredentialFormat]] = {
    "any": ["sd-jwt", "mdoc"],
    "sd-jwt": ["sd-jwt"],
    "mdoc": ["mdoc"],
}


class WalletStartForm(FlaskForm):  # type: ignore[misc]
    mode = RadioField(
        "How to connect your wallet",
        choices=[("direct_post", "QR code / deep link"), ("dc_api", "Browser wallet")],
        default="direct_post",
    )
    credential_format = RadioField(
        "Credential format",
        choices=[("any", "Any"), ("sd-jwt", "SD-JWT only"), ("mdoc", "mdoc only")],
        default="any",
    )
    submit = SubmitField()

    def formats(self) -> list[CredentialFormat]:
        return FORMAT_CHOICES[self.credential_format.data]
