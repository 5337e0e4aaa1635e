"""Time the bank's verifier needs for one whole presentation, per format.

    .venv/bin/python benchmarks/presentations.py [--repeat 300]

Each presentation is what the demo wallet sends for the sign-up request (seven attributes,
the portrait among them) and for a payment (identity attributes plus transaction data),
built by the sandbox PID provider and wallet (`sandbox/holder.py`). Timed: `verify_vp_token`
as the response endpoint runs it (vp_token shape, DCQL credential sets, certificate chain,
issuer signature, disclosures or value digests, key binding or device signature over the
session transcript, transaction-data hashes, claim matching). Also the wallet's side
(`build_vp_token`: issue and present) for scale. Prints medians and 95th percentiles in ms;
the issue's target is under 5 ms per verification.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime

import common

from app.flows import kinds
from app.schemas import CredentialFormat
from app.verification.credentials.session_transcript import redirect_session_transcript
from app.verification.credentials.vp_token import PresentationContext, verify_vp_token
from app.verification.oid4vp.response_crypto import jwk_thumbprint, new_encryption_key
from app.verification.pid import build_presentation_request
from app.verification.sandbox.holder import build_vp_token
from app.verification.sandbox.identities import BUILT_IN_IDENTITIES
from app.verification.sandbox.pki import sandbox_pki

SECRET = "benchmark-secret-" + "x" * 24
NOW = datetime.now(UTC)
CLIENT_ID = "x509_hash:Uvo3HtuIxuhC92rShpgqcT3YXwrqRxWEviRiA0OZszk"
RESPONSE_URI = "https://bank.example/oid4vp/response"
NONCE = "benchmark-nonce-0S6_WzA2Mj"
SIGNUP = kinds.SIGNUP.attributes  # what the bank asks for, from its flow registry
PAYMENT_ATTRIBUTES = kinds.PAYMENT.attributes
PAYMENT = {
    "type": "payment",
    "recipient": "Maria Garcia",
    "amount": "45.00",
    "reference": "Dinner",
    "transaction_id": "b1f4",
}


def timed(function: Callable[[], object], repeat: int) -> tuple[float, float]:
    function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), common.p95(samples)


def case(kind: str, fmt: CredentialFormat, repeat: int) -> list[tuple[str, float, float, int]]:
    signup = kind == "sign-up"
    attributes, transaction = (SIGNUP, None) if signup else (PAYMENT_ATTRIBUTES, PAYMENT)
    request = build_presentation_request(
        attributes, [fmt], "direct_post", purpose="benchmark", transaction=transaction
    )
    key = new_encryption_key()
    thumbprint = jwk_thumbprint(key.public_jwk)
    claims = {
        "client_id": CLIENT_ID,
        "response_uri": RESPONSE_URI,
        "nonce": NONCE,
        "dcql_query": request.dcql,
        "transaction_data": request.transaction_data,
    }

    def build() -> dict[str, list[str]]:
        return build_vp_token(
            claims,
            identity=BUILT_IN_IDENTITIES[0],
            fmt=fmt,
            secret=SECRET,
            issuer="https://bank.example/sandbox/pid-provider",
            jwk_thumbprint=thumbprint,
            now=NOW,
        )

    vp_token = build()
    context = PresentationContext(
        nonce=NONCE,
        audience=CLIENT_ID,
        session_transcript=redirect_session_transcript(CLIENT_ID, NONCE, thumbprint, RESPONSE_URI),
        transaction_data=request.transaction_data,
        trust_anchors=[sandbox_pki(SECRET).ca_certificate],
        now=NOW,
    )
    size = sum(len(p) for presentations in vp_token.values() for p in presentations)
    label = f"{kind}, {fmt}"

    def verify() -> object:
        return verify_vp_token(vp_token, request.dcql, context)

    return [
        (f"verify  {label}", *timed(verify, repeat), size),
        (f"present {label}", *timed(build, repeat), size),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=300)
    repeat = parser.parse_args().repeat
    print(f"{'what':32} {'p50 ms':>8} {'p95 ms':>8} {'bytes':>8}")
    for kind in ("sign-up", "payment"):
        for fmt in ("sd-jwt", "mdoc"):
            for label, p50, p95, size in case(kind, fmt, repeat):
                print(f"{label:32} {p50:8.3f} {p95:8.3f} {size:8d}")


if __name__ == "__main__":
    main()
