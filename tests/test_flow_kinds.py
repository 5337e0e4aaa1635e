"""The flow-kind registry: a new flow is one record, one effect, a template and a form.

The toy flow here ("freeze my card") is registered in the test app only and runs through
the sandbox end to end, exactly as the README's "How to add a flow" describes.
"""

from __future__ import annotations

from typing import Literal

import pytest
from flask import Flask
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SubmitField

from app.flows import kinds
from app.flows.effects import Effected, EffectInput
from app.flows.kinds import FlowKind, kind_of
from app.flows.web import begin
from app.links import Page
from app.schemas import FlowMeta, FlowResult
from tests.helpers import Browser

FROZEN: list[str] = []


class CardFreezeMeta(FlowMeta):
    kind: Literal["card_freeze"] = "card_freeze"


def freeze_card(given: EffectInput) -> Effected:
    assert given.account is not None  # the engine locked the signed-in account
    FROZEN.append(given.account.identifier)
    return Effected(FlowResult(status="authorized"))


CARD_FREEZE = FlowKind(
    name="card_freeze",
    label="Freeze your card",
    purpose="Confirm your identity to freeze your card",
    meta_model=CardFreezeMeta,
    attributes=("personal_administrative_number",),
    required=("personal_administrative_number",),
    effect=freeze_card,
    success=lambda _request_id: Page("banking.dashboard"),
    retry=Page("banking.dashboard"),
    confirmed=lambda _meta: "Your card is frozen.",
)


class FreezeForm(FlaskForm):
    submit = SubmitField("Freeze with EUDI Wallet")


def start_freeze() -> object:
    form = FreezeForm()
    if not form.validate_on_submit():
        return "bad form", 400
    formats = list(current_user.login_session.credential_formats)
    return begin(CardFreezeMeta(credential_formats=formats), "direct_post", current_user.id)


@pytest.fixture
def toy_app(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Flask:
    monkeypatch.setitem(kinds._KINDS, CARD_FREEZE.name, CARD_FREEZE)
    app.add_url_rule("/card/freeze", view_func=start_freeze, methods=["POST"])
    app.add_url_rule("/card", view_func=lambda: FreezeForm().hidden_tag())
    FROZEN.clear()
    return app


def test_a_registered_toy_flow_runs_through_the_sandbox(toy_app):
    browser = Browser(toy_app.test_client())
    browser.signup()
    request_id = browser.start("/card/freeze", token_page="/card")
    waiting = browser.get(f"/auth/{request_id}").get_data(as_text=True)
    assert "Freeze your card" in waiting
    assert "Confirm your identity to freeze your card" in waiting
    assert "Personal administrative number" in waiting
    callback = browser.wallet_answer(browser.wallet_url(request_id))
    landing = browser.get(callback.headers["Location"])
    assert landing.status_code == 303 and landing.headers["Location"] == "/dashboard"
    assert FROZEN == ["DE-7781-4420-1093"]
    # Exactly once: polling again changes nothing.
    assert browser.status(request_id)["status"] == "authorized"
    assert FROZEN == ["DE-7781-4420-1093"]


def test_a_toy_flow_with_another_persons_pid_changes_nothing(toy_app):
    browser = Browser(toy_app.test_client())
    browser.signup()
    request_id = browser.start("/card/freeze", token_page="/card")
    browser.wallet_answer(browser.wallet_url(request_id), identity="jan")
    assert browser.status(request_id)["title"] == "Identity mismatch"
    assert FROZEN == []


def test_a_kind_must_name_its_metadata_model():
    with pytest.raises(ValueError, match="metadata model"):
        kinds.register(
            FlowKind(**{**CARD_FREEZE.__dict__, "name": "other"})  # type: ignore[arg-type]
        )
    assert kind_of("payment").meta_model.model_fields["kind"].default == "payment"
