"""Ad hoc timing of `verify_mdoc_presentation` for a typical PID (not a test, no assertions).

    .venv/bin/python -m tests.mdoc_timing [runs]

Seven elements including a ~5 KB JPEG-framed portrait, sandbox PKI, redirect transcript.
Prints the median and the 95th percentile of single verifications, and where the time goes.
"""

from __future__ import annotations

import statistics
import sys
import time

from app.verification.credentials.mdoc import verify_mdoc_presentation
from app.verification.credentials.trust import verify_chain
from app.verification.sandbox.pki import sandbox_pki

from .test_mdoc import ELEMENTS, NOW, PKI, TRANSCRIPT, presented


def main(runs: int) -> None:
    response = presented()
    anchors = [PKI.ca_certificate]

    def verify() -> None:
        verify_mdoc_presentation(
            response, trust_anchors=anchors, session_transcript=TRANSCRIPT, now=NOW
        )

    def chain() -> None:
        verify_chain(sandbox_pki("x" * 40).issuer.chain_der, anchors, NOW)

    for name, call in (("verify_mdoc_presentation", verify), ("  of which verify_chain", chain)):
        for _ in range(20):  # warm-up
            call()
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            call()
            samples.append(time.perf_counter() - start)
        samples.sort()
        median = statistics.median(samples) * 1000
        p95 = samples[int(0.95 * (len(samples) - 1))] * 1000
        print(f"{name}: median {median:.3f} ms, p95 {p95:.3f} ms over {runs} runs")
    print(f"DeviceResponse {len(response)} bytes, {len(ELEMENTS)} elements")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 500)
