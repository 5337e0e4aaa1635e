"""What the local verifier knows of its site: its address, its trust anchors, whether the
demo wallet answers it, and (set by create_app) whether the bank still wants an answer."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from cryptography import x509

from .models import VerifierRequest, is_open


def _never_withdrawn(authorization_id: str) -> bool:
    return False


@dataclass
class LocalVerifierSettings:
    public_base_url: str
    trust_anchors: Sequence[x509.Certificate]
    demo_wallet: bool  # links open the demo wallet page instead of an openid4vp:// wallet
    # Whether the bank has given up on an authorization (cancelled, finished, expired): set
    # by create_app, since verification does not import the flows that know it.
    withdrawn: Callable[[str], bool] = field(default=_never_withdrawn)

    @property
    def response_uri(self) -> str:
        return f"{self.public_base_url}/oid4vp/response"

    def request_uri(self, request_id: str) -> str:
        return f"{self.public_base_url}/oid4vp/request/{request_id}"

    def wants_an_answer(self, row: VerifierRequest, now: datetime) -> bool:
        """Open (not answered, not expired) and not given up on by the bank."""
        return is_open(row, now) and not self.withdrawn(row.id)
