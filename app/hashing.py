"""The one way secrets are stored: tokens, nonces and response codes as SHA-256 hex."""

from __future__ import annotations

import hashlib


def sha256_hex(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
