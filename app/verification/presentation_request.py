"""What the bank asks a wallet for, whichever authorizer carries the request."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..schemas import PresentationMode


@dataclass(frozen=True)
class PresentationRequest:
    """Everything needed to ask a wallet for a presentation, independent of the authorizer."""

    dcql: dict[str, Any]
    mode: PresentationMode
    origin: str | None = None
    transaction_data: list[str] = field(default_factory=list)
    verifier_info: list[dict[str, Any]] = field(default_factory=list)

    def to_vidos_body(self) -> dict[str, Any]:
        """The `POST /openid4/vp/v1_0/authorizations` body of the Vidos spec."""
        body: dict[str, Any] = {"query": {"type": "DCQL", "dcql": self.dcql}}
        if self.mode == "dc_api":
            body.update(
                responseMode="dc_api.jwt",
                protocol="openid4vp-v1-signed",
                expectedOrigins=[self.origin] if self.origin else [],
            )
        else:
            body["responseMode"] = "direct_post.jwt"
        parameters: dict[str, Any] = {}
        if self.transaction_data:
            parameters["transaction_data"] = list(self.transaction_data)
        if self.verifier_info:
            parameters["verifier_info"] = list(self.verifier_info)
        if parameters:
            body["responseTypeParameters"] = parameters
        return body
