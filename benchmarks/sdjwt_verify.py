"""Time to verify one SD-JWT VC PID presentation, and where that time goes.

    .venv/bin/python benchmarks/sdjwt_verify.py [--repeat 500]

The presentation is the sign-up one: 7 disclosures (family and given name, birth date,
nationalities, personal administrative number, document number, a ~5 KB portrait data
URL), transaction data, issued and presented by the sandbox PID provider and wallet, its
x5c chain checked against the sandbox CA. Prints medians in milliseconds.
"""

from __future__ import annotations

import argparse
import base64
import os
import statistics
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from app.verification.credentials.jose import b64url_encode, public_ec_key, verify_jws
from app.verification.credentials.sdjwt import PID_VCT, split_sd_jwt, verify_sd_jwt_vc
from app.verification.credentials.sdjwt_disclosures import process_disclosures
from app.verification.credentials.trust import verify_chain
from app.verification.sandbox.pki import holder_key, sandbox_pki
from app.verification.sandbox.sdjwt_pid import issue_sd_jwt_vc, present_sd_jwt_vc

SECRET = "benchmark-secret-" + "x" * 24
NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
CLAIMS = {
    "family_name": "Mustermann",
    "given_name": "Erika",
    "birthdate": "1984-08-12",
    "nationalities": ["DE"],
    "personal_administrative_number": "DE-7781-4420-1093",
    "document_number": "T22000129",
    "picture": "data:image/jpeg;base64," + base64.b64encode(os.urandom(3750)).decode(),
    "address": {"formatted": "Heidestraße 17, 51147 Köln, DE", "locality": "Köln"},
    "place_of_birth": {"locality": "Berlin", "country": "DE"},
    "sex": 2,
}
PATHS = [[name] for name in list(CLAIMS)[:7]]
TRANSACTION_DATA = [b64url_encode(b'{"type":"payment_data","amount":"42.00 EUR"}')]


def median_ms(function: Callable[[], object], repeat: int) -> float:
    function()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=500)
    repeat = parser.parse_args().repeat

    pki = sandbox_pki(SECRET)
    holder = holder_key(SECRET, "erika")
    issued = issue_sd_jwt_vc(
        CLAIMS,
        signer=pki.issuer,
        holder_public_key=holder.public_key(),
        issuer="https://bank.example/sandbox/pid-provider",
        now=NOW - timedelta(days=1),
        valid_for=timedelta(days=30),
    )
    presentation = present_sd_jwt_vc(
        issued,
        claim_paths=PATHS,
        holder_key=holder,
        nonce="benchmark-nonce",
        audience="x509_san_dns:bank.example",
        transaction_data=TRANSACTION_DATA,
        now=NOW,
    )
    parts = split_sd_jwt(presentation)
    issuer_key = public_ec_key(pki.issuer.key.public_key())
    signed = verify_jws(parts.issuer_jwt, issuer_key, typ="dc+sd-jwt", what="the issuer JWT")[1]

    def verify() -> object:
        return verify_sd_jwt_vc(
            presentation,
            trust_anchors=[pki.ca_certificate],
            expected_vct=PID_VCT,
            nonce="benchmark-nonce",
            audience="x509_san_dns:bank.example",
            transaction_data=TRANSACTION_DATA,
            now=NOW,
        )

    chain = pki.issuer.chain_der
    steps: dict[str, Callable[[], object]] = {
        "verify_sd_jwt_vc, whole": verify,
        "  x5c chain (verify_chain)": lambda: verify_chain(chain, [pki.ca_certificate], NOW),
        "  issuer JWT signature + JSON": lambda: verify_jws(
            parts.issuer_jwt, issuer_key, typ="dc+sd-jwt", what="the issuer JWT"
        ),
        "  disclosures (7.1 steps 3-5)": lambda: process_disclosures(signed, parts.disclosures),
    }
    print(f"presentation: {len(presentation)} bytes, {len(parts.disclosures)} disclosures")
    for label, step in steps.items():
        print(f"{label + ':':32} {median_ms(step, repeat):.3f} ms (median of {repeat})")


if __name__ == "__main__":
    main()
